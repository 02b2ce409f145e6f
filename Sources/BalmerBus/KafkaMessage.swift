import Foundation

/// One partition of one topic.
public struct KafkaPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }

    public static func < (lhs: KafkaPartition, rhs: KafkaPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }
}

/// A message header: a name and raw bytes (`nil` value allowed by Kafka).
public struct KafkaHeader: Hashable, Sendable {
    public var name: String
    public var value: [UInt8]?

    public init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    public init(name: String, string: String) {
        self.init(name: name, value: Array(string.utf8))
    }
}

/// A consumed message; payload bytes are copied out of librdkafka.
public struct KafkaMessage: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    /// The message's offset in its partition.
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    /// Create or log-append time, milliseconds since the Unix epoch; `nil` when unavailable.
    public var timestampMilliseconds: Int64?
    public var headers: [KafkaHeader]

    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8],
                timestampMilliseconds: Int64? = nil, headers: [KafkaHeader] = []) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.timestampMilliseconds = timestampMilliseconds
        self.headers = headers
    }

    public var topicPartition: KafkaPartition { KafkaPartition(topic: topic, partition: partition) }
    /// The key decoded as UTF-8 (lossy), `nil` without key.
    public var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }
    public var timestamp: Date? { timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) } }
    /// The first header of that name.
    public func header(_ name: String) -> [UInt8]? { headers.first { $0.name == name }?.value ?? nil }
}

/// Where a produced message landed.
public struct KafkaDeliveryReport: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
}
