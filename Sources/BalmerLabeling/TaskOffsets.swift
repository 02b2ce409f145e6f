import BalmerBus

/// Which task offsets may be committed: per partition, the offsets received and the ones done
/// (answered and delivered, handed back, or malformed). A partition's commit point is the last
/// offset before its first unfinished one, so a commit never passes a task still on screen, in
/// the queue or awaiting its delivery report. Pure value type.
public struct TaskOffsets: Sendable {
    private var open: [KafkaPartition: Set<Int64>] = [:]
    private var highestDone: [KafkaPartition: Int64] = [:]
    private var committed: [KafkaPartition: Int64] = [:]

    public init() {}

    /// A message was taken from the partition.
    public mutating func received(_ partition: KafkaPartition, offset: Int64) {
        open[partition, default: []].insert(offset)
    }

    /// The message is finished with.
    public mutating func finished(_ partition: KafkaPartition, offset: Int64) {
        open[partition]?.remove(offset)
        highestDone[partition] = max(highestDone[partition] ?? -1, offset)
    }

    /// Forgets partitions (revoked or lost): their unfinished messages go to the next owner.
    public mutating func forget(_ partitions: [KafkaPartition]) {
        for partition in partitions {
            open[partition] = nil
            highestDone[partition] = nil
            committed[partition] = nil
        }
    }

    /// Per partition, the last offset that can be committed now (every offset up to it is done,
    /// as far as this member received them); only partitions that moved since `markCommitted`.
    public var committable: [KafkaPartition: Int64] {
        var result: [KafkaPartition: Int64] = [:]
        for (partition, done) in highestDone {
            let limit = open[partition]?.min().map { $0 - 1 } ?? done
            let point = min(done, limit)
            if point >= 0, point > (committed[partition] ?? -1) { result[partition] = point }
        }
        return result
    }

    /// Messages received but not finished.
    public var unfinished: Int { open.values.reduce(0) { $0 + $1.count } }

    /// Records that `offsets` (last done offset per partition) were committed.
    public mutating func markCommitted(_ offsets: [KafkaPartition: Int64]) {
        for (partition, offset) in offsets { committed[partition] = max(committed[partition] ?? -1, offset) }
    }
}
