internal import CRdKafka
import Foundation
import Logging

/// A consumer group's position on a topic, read or moved from outside the group (the group is
/// never joined). Reading works while the group runs; moving needs the group to be empty (every
/// member stopped), as the brokers refuse commits from outside an active group.
public enum KafkaGroupOffsets {
    /// One partition: the group's next offset and the partition's watermarks.
    public struct Position: Sendable, Equatable, CustomStringConvertible {
        public var partition: KafkaPartition
        /// The next offset the group reads; nil when the group has committed none.
        public var committed: Int64?
        /// The oldest offset still on the brokers.
        public var low: Int64
        /// The offset the next message will get.
        public var high: Int64

        public init(partition: KafkaPartition, committed: Int64?, low: Int64, high: Int64) {
            self.partition = partition
            self.committed = committed
            self.low = low
            self.high = high
        }

        /// Messages the group has not consumed yet (all retained ones when nothing is committed).
        public var lag: Int64 { max(0, high - max(committed ?? low, low)) }

        public var description: String {
            "\(partition) committed=\(committed.map(String.init) ?? "-") low=\(low) high=\(high) lag=\(lag)"
        }
    }

    /// Where a reset moves the group.
    public enum Target: Sendable, Equatable {
        /// The oldest retained message: everything is consumed again.
        case earliest
        /// The end: everything published so far is skipped.
        case latest
        /// The first message published at or after this time (the end when there is none).
        case time(Date)
    }

    /// The group's position on every partition of `topic`. `config.groupID` names the group.
    public static func positions(config: KafkaConfig, topic: String, timeout: Duration = .seconds(10),
                                 logger: Logger = Logger(label: "balmer.kafka.offsets")) async throws -> [Position] {
        try await KafkaBlockingCall.run { () throws(KafkaError) -> [Position] in
            try withClient(config: config, logger: logger) { rk throws(KafkaError) in
                try read(rk, topic: topic, timeout: timeout)
            }
        }
    }

    /// Commits new offsets for the group on every partition of `topic` (or only computes them
    /// when `execute` is false) and returns the positions after the move.
    public static func reset(config: KafkaConfig, topic: String, to target: Target, execute: Bool,
                             timeout: Duration = .seconds(10),
                             logger: Logger = Logger(label: "balmer.kafka.offsets")) async throws -> [Position] {
        try await KafkaBlockingCall.run { () throws(KafkaError) -> [Position] in
            try withClient(config: config, logger: logger) { rk throws(KafkaError) -> [Position] in
                var positions = try read(rk, topic: topic, timeout: timeout)
                let targets = try offsets(rk, positions: positions, target: target, timeout: timeout)
                for index in positions.indices { positions[index].committed = targets[positions[index].partition] }
                guard execute else { return positions }
                let list = PartitionList.make(positions.map { ($0.partition, $0.committed) })
                defer { rd_kafka_topic_partition_list_destroy(list) }
                let code = rd_kafka_commit(rk, list, 0)
                let failed = PartitionList.entries(list).first { $0.2 != RD_KAFKA_RESP_ERR_NO_ERROR }?.2
                let error = code != RD_KAFKA_RESP_ERR_NO_ERROR ? code : failed
                if let error {
                    let busy = [RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION,
                                RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS].contains(error)
                    throw KafkaError(code: error, message: busy
                        ? "group \(config.groupID ?? "") has active members: stop every consumer of the group first"
                        : "commit of the new offsets failed: \(String(cString: rd_kafka_err2str(error)))")
                }
                return positions
            }
        }
    }

    // MARK: - Blocking parts (on a thread of their own)

    private static func withClient<T>(config: KafkaConfig, logger: Logger,
                                      _ body: (OpaquePointer) throws(KafkaError) -> T) throws(KafkaError) -> T {
        guard let group = config.groupID, !group.isEmpty else { throw .invalidArgument("no consumer group given") }
        let context = ClientContext(logger: logger)
        let conf = try config.makeNativeConfig(fixed: ["enable.auto.commit": "false", "enable.auto.offset.store": "false"])
        context.install(on: conf)
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw .invalidArgument("cannot create a client for group \(group): \(String(errorBuffer: errstr))")
        }
        defer { withExtendedLifetime(context) { rd_kafka_destroy(rk) } }
        return try body(rk)
    }

    private static func read(_ rk: OpaquePointer, topic: String, timeout: Duration) throws(KafkaError) -> [Position] {
        let milliseconds = Int32(clamping: timeout.milliseconds)
        let partitions = try partitionIDs(rk, topic: topic, timeoutMilliseconds: milliseconds)
        let list = PartitionList.make(partitions.map { KafkaPartition(topic: topic, partition: $0) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_committed(rk, list, milliseconds)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(code: code, message: "cannot read the group's committed offsets: \(String(cString: rd_kafka_err2str(code)))")
        }
        var positions: [Position] = []
        for (partition, committed, _) in PartitionList.entries(list) {
            var low: Int64 = -1
            var high: Int64 = -1
            let code = rd_kafka_query_watermark_offsets(rk, topic, partition.partition, &low, &high, milliseconds)
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(code: code, message: "cannot read the watermarks of \(partition): \(String(cString: rd_kafka_err2str(code)))")
            }
            positions.append(Position(partition: partition, committed: committed >= 0 ? committed : nil, low: low, high: high))
        }
        return positions.sorted { $0.partition < $1.partition }
    }

    private static func partitionIDs(_ rk: OpaquePointer, topic: String, timeoutMilliseconds: Int32) throws(KafkaError) -> [Int32] {
        guard let handle = rd_kafka_topic_new(rk, topic, nil) else {
            throw .invalidArgument("invalid topic name \(topic)")
        }
        defer { rd_kafka_topic_destroy(handle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let code = rd_kafka_metadata(rk, 0, handle, &metadata, timeoutMilliseconds)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(code: code, message: "no metadata for topic \(topic): \(String(cString: rd_kafka_err2str(code)))")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0, let described = metadata.pointee.topics?[0] else {
            throw KafkaError(code: RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, message: "topic \(topic) does not exist")
        }
        guard described.err == RD_KAFKA_RESP_ERR_NO_ERROR, described.partition_cnt > 0 else {
            throw KafkaError(code: described.err, message: "topic \(topic): \(String(cString: rd_kafka_err2str(described.err)))")
        }
        return (0..<Int(described.partition_cnt)).map { described.partitions[$0].id }.sorted()
    }

    private static func offsets(_ rk: OpaquePointer, positions: [Position], target: Target,
                                timeout: Duration) throws(KafkaError) -> [KafkaPartition: Int64] {
        switch target {
        case .earliest: return Dictionary(uniqueKeysWithValues: positions.map { ($0.partition, $0.low) })
        case .latest: return Dictionary(uniqueKeysWithValues: positions.map { ($0.partition, $0.high) })
        case .time(let date):
            let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
            let list = PartitionList.make(positions.map { ($0.partition, milliseconds) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let code = rd_kafka_offsets_for_times(rk, list, Int32(clamping: timeout.milliseconds))
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(code: code, message: "cannot look up offsets by time: \(String(cString: rd_kafka_err2str(code)))")
            }
            var result: [KafkaPartition: Int64] = [:]
            let highs = Dictionary(uniqueKeysWithValues: positions.map { ($0.partition, $0.high) })
            for (partition, offset, error) in PartitionList.entries(list) {
                guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw KafkaError(code: error, message: "offset by time for \(partition): \(String(cString: rd_kafka_err2str(error)))")
                }
                // No message at or after the time: the end of the partition.
                result[partition] = offset >= 0 ? offset : highs[partition] ?? 0
            }
            return result
        }
    }
}
