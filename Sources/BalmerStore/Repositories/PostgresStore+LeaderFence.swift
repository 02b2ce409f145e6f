import Foundation

extension PostgresStore {
    /// Runs `body` in a transaction that first checks `fence` (``PostgresConnection/requireLeadership(_:)``),
    /// or on a plain pooled connection when `fence` is `nil` (operators' commands, tests).
    /// Retried once on a lost connection, as the unfenced writes are.
    @discardableResult
    func fencedWrite<T: Sendable>(_ fence: LeaderFence?, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        guard let fence else { return try await pool.withConnection(retries: 1, body) }
        return try await pool.transaction(retries: 1) { c in
            try await c.requireLeadership(fence)
            return try await body(c)
        }
    }
}
