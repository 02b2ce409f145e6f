import BalmerBus
import Synchronization

/// Which partitions this member owns, an epoch per partition that changes on every assignment
/// change, and the last durably stored offset per partition. Shared between the pipeline and the
/// consumer's rebalance callback (which runs on the poll thread).
///
/// Work polled under one epoch is dropped when the epoch has moved on (the partition was revoked
/// or lost meanwhile): its next owner starts after the last committed offset, so dropping it
/// loses nothing, and a batch that was already being written only repeats idempotent upserts.
public final class OffsetTracker: Sendable {
    struct State {
        var owned: Set<KafkaPartition> = []
        var epoch: [KafkaPartition: Int] = [:]
        var nextEpoch = 1
        /// Last offset stored in PostgreSQL, per owned partition (commit `offset + 1`).
        var durable: [KafkaPartition: Int64] = [:]
        /// Last offset known committed.
        var committed: [KafkaPartition: Int64] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// The rebalance handler: on revoke returns the durable offsets of the revoked partitions
    /// (the consumer commits them before the partitions go).
    public func rebalance(_ event: KafkaRebalanceEvent) -> [KafkaPartition: Int64] {
        state.withLock { s in
            var commit: [KafkaPartition: Int64] = [:]
            switch event {
            case .assigned(let partitions):
                for p in partitions {
                    s.owned.insert(p)
                    s.epoch[p] = s.nextEpoch
                    s.nextEpoch += 1
                }
            case .revoked(let partitions), .lost(let partitions):
                let revoked = if case .revoked = event { true } else { false }
                for p in partitions {
                    if revoked, let d = s.durable[p], d > (s.committed[p] ?? -1) { commit[p] = d }
                    s.owned.remove(p)
                    s.epoch[p] = nil
                    s.durable[p] = nil
                    s.committed[p] = nil
                }
            }
            return commit
        }
    }

    /// The current epoch of each of `partitions` this member owns (absent: not owned).
    public func epochs(_ partitions: Set<KafkaPartition>) -> [KafkaPartition: Int] {
        state.withLock { s in
            var out: [KafkaPartition: Int] = [:]
            for p in partitions { if let e = s.epoch[p] { out[p] = e } }
            return out
        }
    }

    /// Whether `partition` is still owned under `epoch`.
    public func isCurrent(_ partition: KafkaPartition, epoch: Int) -> Bool {
        state.withLock { $0.epoch[partition] == epoch }
    }

    /// Records that everything up to `offsets` (under the given epochs) is stored; returns the
    /// offsets to commit now (partitions still owned under the same epoch).
    public func markDurable(_ offsets: [KafkaPartition: Int64], epochs: [KafkaPartition: Int]) -> [KafkaPartition: Int64] {
        state.withLock { s in
            var commit: [KafkaPartition: Int64] = [:]
            for (p, offset) in offsets where s.epoch[p] == epochs[p] && s.epoch[p] != nil {
                if offset > (s.durable[p] ?? -1) { s.durable[p] = offset }
                commit[p] = s.durable[p]
            }
            return commit
        }
    }

    /// Durable offsets not yet committed.
    public func uncommitted() -> [KafkaPartition: Int64] {
        state.withLock { s in s.durable.filter { $0.value > (s.committed[$0.key] ?? -1) } }
    }

    /// Notes a successful commit.
    public func didCommit(_ offsets: [KafkaPartition: Int64]) {
        state.withLock { s in
            for (p, o) in offsets where s.owned.contains(p) && o > (s.committed[p] ?? -1) { s.committed[p] = o }
        }
    }

    /// Partitions owned now.
    public var owned: Set<KafkaPartition> { state.withLock { $0.owned } }
}
