import Foundation

extension PostgresError {
    /// Whether retrying the same work later may succeed: a lost or refused connection, a server
    /// shutting down or starting, a statement or lock timeout (57014, 55P03), a serialization
    /// failure or deadlock, exhausted resources, a read-only standby after a failover. Anything
    /// else the server refused (bad data, a constraint, missing privileges) fails again the same way.
    public var isTransient: Bool {
        switch kind {
        case .connection, .connectionLost: return true
        case .decoding, .usage: return false
        case .statement, .copy: break
        }
        guard let state = sqlState else { return false }
        if Self.transientStates.contains(state) { return true }
        return Self.transientClasses.contains(String(state.prefix(2)))
    }

    /// SQLSTATE classes retried whole: 08 connection exception, 53 insufficient resources,
    /// 57 operator intervention (admin shutdown, query canceled by statement_timeout), 58 system error.
    static let transientClasses: Set<String> = ["08", "53", "57", "58"]
    /// Single SQLSTATEs retried: serialization failure, deadlock, lock_timeout, read-only transaction.
    static let transientStates: Set<String> = ["40001", "40P01", "55P03", readOnlyTransaction]

    /// SQLSTATE of `statement_timeout` (and of a cancel request).
    public static let queryCanceled = "57014"
    /// SQLSTATE of `lock_timeout`.
    public static let lockNotAvailable = "55P03"
}
