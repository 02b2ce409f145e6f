import Foundation

/// Proof of leadership for a leader-only write: the session advisory lock `key` held by the
/// backend `backendPID` (the ``AdvisoryLeader``'s session, read when it acquired the lock).
///
/// A fenced write checks, in its own transaction, that this backend still holds the lock
/// (``PostgresConnection/requireLeadership(_:)``) and is refused with ``LeaderFence/Lost``
/// otherwise, so a leader whose session died (and whose lock another instance now holds)
/// cannot change the campaign any more.
public struct LeaderFence: Sendable, Hashable, CustomStringConvertible {
    public var key: AdvisoryLockKey
    public var backendPID: Int32

    public init(key: AdvisoryLockKey, backendPID: Int32) {
        self.key = key
        self.backendPID = backendPID
    }

    public var description: String { "lock \(key.rawValue) held by backend \(backendPID)" }

    /// A fenced write refused: the leader's session no longer holds its lock.
    public struct Lost: Error, Sendable, CustomStringConvertible {
        public var fence: LeaderFence
        public init(fence: LeaderFence) { self.fence = fence }
        public var description: String { "leadership lost (\(fence) no more): write refused" }
    }
}

extension PostgresConnection {
    /// Throws ``LeaderFence/Lost`` unless `fence`'s backend holds its advisory lock now. Call
    /// inside the transaction of the write it guards.
    public func requireLeadership(_ fence: LeaderFence) async throws {
        // A bigint advisory key shows in pg_locks as classid = high 32 bits, objid = low 32 bits, objsubid = 1.
        let held = try await query("""
            SELECT 1 FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND classid = (($1::bigint >> 32) & 4294967295)::oid AND objid = ($1::bigint & 4294967295)::oid
              AND pid = $2
            """, [fence.key.rawValue, fence.backendPID])
        guard !held.rows.isEmpty else { throw LeaderFence.Lost(fence: fence) }
    }
}
