internal import CRdKafka

/// Conversions between Swift partitions and `rd_kafka_topic_partition_list_t`.
enum PartitionList {
    typealias Pointer = UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    /// A new list the caller must destroy; offsets are set when given.
    static func make(_ entries: [(KafkaPartition, Int64?)]) -> Pointer {
        let list = rd_kafka_topic_partition_list_new(Int32(max(entries.count, 1)))!
        for (partition, offset) in entries {
            let element = rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)!
            if let offset { element.pointee.offset = offset }
        }
        return list
    }

    static func make(_ partitions: [KafkaPartition]) -> Pointer {
        make(partitions.map { ($0, nil) })
    }

    /// The partitions with their offsets and per-partition errors.
    static func entries(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [(KafkaPartition, Int64, rd_kafka_resp_err_t)] {
        guard let list, let elements = list.pointee.elems else { return [] }
        return (0..<Int(list.pointee.cnt)).map { index in
            let element = elements[index]
            return (KafkaPartition(topic: String(cString: element.topic), partition: element.partition), element.offset, element.err)
        }
    }

    static func partitions(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [KafkaPartition] {
        entries(list).map(\.0)
    }
}
