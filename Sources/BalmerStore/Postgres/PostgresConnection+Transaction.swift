import Foundation

extension PostgresConnection {
    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK when it throws (the
    /// original error is rethrown; a rollback failure on a broken connection is ignored).
    @discardableResult
    public func transaction<T: Sendable>(
        isolation: String? = nil, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await query(Self.beginStatement(isolation))
        do {
            let value = try await body(self)
            try await query("COMMIT")
            return value
        } catch {
            if !isBroken { _ = try? await query("ROLLBACK") }
            throw error
        }
    }

    private static func beginStatement(_ isolation: String?) -> String {
        switch isolation?.lowercased() {
        case "serializable": "BEGIN ISOLATION LEVEL SERIALIZABLE"
        case "repeatable read": "BEGIN ISOLATION LEVEL REPEATABLE READ"
        default: "BEGIN"
        }
    }
}

/// A 64-bit key for PostgreSQL advisory locks.
public struct AdvisoryLockKey: Sendable, Hashable {
    public var rawValue: Int64

    public init(_ rawValue: Int64) { self.rawValue = rawValue }

    /// A key derived from a name (64-bit FNV-1a of its UTF-8 bytes), stable across runs.
    public init(name: String) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        rawValue = Int64(bitPattern: h)
    }

    /// Serializes schema migrations.
    public static let migrations = AdvisoryLockKey(name: "balmer.migrations")
    /// Held by the instance that retrains and promotes models (the leader).
    public static let trainer = AdvisoryLockKey(name: "balmer.trainer")
    /// Held while planning the rescoring chunks of a newly promoted model.
    public static let rescorePlanner = AdvisoryLockKey(name: "balmer.rescore-planner")
}

extension PostgresConnection {
    /// Waits for a session advisory lock (held until unlocked or the connection closes).
    public func advisoryLock(_ key: AdvisoryLockKey) async throws {
        try await query("SELECT pg_advisory_lock($1)", [key.rawValue])
    }

    /// Takes a session advisory lock if free; `true` when taken.
    public func tryAdvisoryLock(_ key: AdvisoryLockKey) async throws -> Bool {
        try await query("SELECT pg_try_advisory_lock($1)", [key.rawValue]).first?.decode(0, as: Bool.self) ?? false
    }

    /// Releases a session advisory lock; `false` when this session did not hold it.
    @discardableResult
    public func advisoryUnlock(_ key: AdvisoryLockKey) async throws -> Bool {
        try await query("SELECT pg_advisory_unlock($1)", [key.rawValue]).first?.decode(0, as: Bool.self) ?? false
    }

    /// Waits for a transaction advisory lock (released at COMMIT/ROLLBACK). Call inside
    /// ``transaction(isolation:_:)``.
    public func transactionAdvisoryLock(_ key: AdvisoryLockKey) async throws {
        try await query("SELECT pg_advisory_xact_lock($1)", [key.rawValue])
    }

    /// Takes a transaction advisory lock if free; `true` when taken.
    public func tryTransactionAdvisoryLock(_ key: AdvisoryLockKey) async throws -> Bool {
        try await query("SELECT pg_try_advisory_xact_lock($1)", [key.rawValue]).first?.decode(0, as: Bool.self)
            ?? false
    }

    /// Runs `body` while holding a session advisory lock, releasing it afterwards.
    @discardableResult
    public func withAdvisoryLock<T: Sendable>(
        _ key: AdvisoryLockKey, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await advisoryLock(key)
        do {
            let value = try await body(self)
            try await advisoryUnlock(key)
            return value
        } catch {
            if !isBroken { _ = try? await advisoryUnlock(key) }
            throw error
        }
    }
}
