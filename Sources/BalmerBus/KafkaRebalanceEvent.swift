/// A change of a consumer's partition assignment, reported to the owner on the consumer's poll
/// thread while the rebalance is in progress (the owner should return quickly).
public enum KafkaRebalanceEvent: Sendable, Hashable {
    /// These partitions now belong to this consumer (with the cooperative protocol: in addition to
    /// the ones it had; with the eager protocol: the whole new assignment).
    case assigned([KafkaPartition])
    /// These partitions are being taken away in an orderly way. The handler returns the offsets
    /// (last durably processed message per partition) to commit before they go; the consumer
    /// commits them synchronously and drops its buffered messages of these partitions. The owner
    /// must drop its own unfinished work for them: the next owner starts after the commit.
    case revoked([KafkaPartition])
    /// These partitions were lost (session timeout, fenced): committing is impossible, drop all
    /// unfinished work for them; whatever was not committed will be redelivered elsewhere.
    case lost([KafkaPartition])

    public var partitions: [KafkaPartition] {
        switch self {
        case .assigned(let partitions), .revoked(let partitions), .lost(let partitions): partitions
        }
    }
}

/// Called on the consumer's poll thread for every rebalance. For `.revoked` it returns the last
/// durably processed offset per partition to commit (offset + 1 is committed); the return value
/// is ignored for `.assigned` and `.lost`.
public typealias KafkaRebalanceHandler = @Sendable (KafkaRebalanceEvent) -> [KafkaPartition: Int64]
