internal import CRdKafka

/// A librdkafka failure: the `rd_kafka_resp_err_t` code, its symbolic name and a message copied
/// out of librdkafka (or written by Balmer for configuration problems), plus where it was raised.
public struct KafkaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The raw `rd_kafka_resp_err_t` value (negative values are librdkafka-internal errors).
    public let code: Int32
    /// The symbolic name, e.g. `_UNKNOWN_TOPIC`, `TOPIC_AUTHORIZATION_FAILED`, `_TIMED_OUT`.
    public let name: String
    /// A human-readable explanation.
    public let message: String
    public let file: String
    public let line: UInt

    init(code: rd_kafka_resp_err_t, message: String? = nil, file: String = #fileID, line: UInt = #line) {
        self.code = code.rawValue
        self.name = String(cString: rd_kafka_err2name(code))
        self.message = message ?? String(cString: rd_kafka_err2str(code))
        self.file = file
        self.line = line
    }

    /// Takes ownership of an `rd_kafka_error_t` and destroys it.
    init(consuming error: OpaquePointer, file: String = #fileID, line: UInt = #line) {
        self.init(code: rd_kafka_error_code(error), message: String(cString: rd_kafka_error_string(error)),
                  file: file, line: line)
        rd_kafka_error_destroy(error)
    }

    /// A configuration or argument problem detected before librdkafka was asked.
    static func invalidArgument(_ message: String, file: String = #fileID, line: UInt = #line) -> KafkaError {
        KafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG, message: message, file: file, line: line)
    }

    /// The client was shut down before the operation completed.
    static func closed(file: String = #fileID, line: UInt = #line) -> KafkaError {
        KafkaError(code: RD_KAFKA_RESP_ERR__DESTROY, message: "the Kafka client is shut down", file: file, line: line)
    }

    /// Whether retrying later can succeed: a commit during a rebalance (`REBALANCE_IN_PROGRESS`),
    /// a coordinator move, a timeout or a dropped connection. Offsets are cumulative, so an owner
    /// that gets such an error from `commit` keeps the offsets and includes them in its next commit.
    public var isRetriable: Bool {
        let transient: [rd_kafka_resp_err_t] = [
            RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID,
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
            RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
            RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__WAIT_COORD, RD_KAFKA_RESP_ERR__QUEUE_FULL,
        ]
        return transient.contains { $0.rawValue == code }
    }

    public var description: String { "Kafka error \(name) (\(code)): \(message)" }

    public static func == (lhs: KafkaError, rhs: KafkaError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }

    /// Codes callers commonly test for.
    public enum Code {
        /// The topic is not known to the cluster (`_UNKNOWN_TOPIC`).
        public static let unknownTopic = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC.rawValue
        /// The broker reports an unknown topic or partition (`UNKNOWN_TOPIC_OR_PART`).
        public static let unknownTopicOrPartition = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue
        /// The message timed out in the producer (`_MSG_TIMED_OUT`).
        public static let messageTimedOut = RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue
        /// An operation timed out (`_TIMED_OUT`).
        public static let timedOut = RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue
        /// The message was purged at shutdown before delivery (`_PURGE_QUEUE`).
        public static let purgedQueue = RD_KAFKA_RESP_ERR__PURGE_QUEUE.rawValue
        /// The client is shut down (`_DESTROY`).
        public static let destroyed = RD_KAFKA_RESP_ERR__DESTROY.rawValue
        /// The topic exists already (`TOPIC_ALREADY_EXISTS`).
        public static let topicAlreadyExists = RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS.rawValue
    }
}

extension String {
    /// The NUL-terminated text in a C error buffer.
    init(errorBuffer buffer: [CChar]) {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        self = String(decoding: bytes, as: UTF8.self)
    }
}
