internal import CRdKafka
import Foundation
import Logging

/// Cluster administration for real Kafka clusters (the mock cluster has no admin API: use
/// `MockCluster.createTopic` there).
public enum KafkaAdmin {
    /// What happened to one topic.
    public enum TopicOutcome: Sendable, Equatable {
        case created
        case alreadyExists
        case failed(KafkaError)
    }

    /// Creates `topics` (idempotent: existing topics are reported as `.alreadyExists`).
    /// Blocks a private thread, not the caller's, for up to `timeout`.
    /// - Parameters:
    ///   - replicationFactor: copies of each partition (≤ the number of brokers).
    /// - Returns: one outcome per topic name. Throws when the request as a whole failed.
    public static func createTopics(config: KafkaConfig, topics: [TopicSpec], replicationFactor: Int,
                                    timeout: Duration = .seconds(30),
                                    logger: Logger = Logger(label: "balmer.kafka.admin")) async throws -> [String: TopicOutcome] {
        try await KafkaBlockingCall.run { () throws(KafkaError) -> [String: TopicOutcome] in
            try createTopicsBlocking(config: config, topics: topics, replicationFactor: replicationFactor,
                                     timeout: timeout, logger: logger)
        }
    }

    private static func createTopicsBlocking(config: KafkaConfig, topics: [TopicSpec], replicationFactor: Int,
                                             timeout: Duration, logger: Logger) throws(KafkaError) -> [String: TopicOutcome] {
        guard !topics.isEmpty else { return [:] }
        let context = ClientContext(logger: logger)
        let conf = try config.makeNativeConfig()
        context.install(on: conf)
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw .invalidArgument("cannot create admin client: \(String(errorBuffer: errstr))")
        }
        defer { withExtendedLifetime(context) { rd_kafka_destroy(rk) } }
        var newTopics: [OpaquePointer?] = []
        defer { for topic in newTopics { rd_kafka_NewTopic_destroy(topic) } }
        for spec in topics {
            guard let topic = rd_kafka_NewTopic_new(spec.name, Int32(spec.partitions), Int32(replicationFactor), &errstr, errstr.count) else {
                throw .invalidArgument("topic \(spec.name): \(String(errorBuffer: errstr))")
            }
            newTopics.append(topic)
        }
        let milliseconds = Int32(clamping: timeout.milliseconds)
        let options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_request_timeout(options, milliseconds, &errstr, errstr.count)
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, milliseconds, &errstr, errstr.count)
        let queue = rd_kafka_queue_new(rk)
        defer { rd_kafka_queue_destroy(queue) }
        rd_kafka_CreateTopics(rk, &newTopics, newTopics.count, options, queue)
        guard let event = rd_kafka_queue_poll(queue, milliseconds + 2000) else {
            throw KafkaError(code: RD_KAFKA_RESP_ERR__TIMED_OUT, message: "no answer to CreateTopics")
        }
        defer { rd_kafka_event_destroy(event) }
        let code = rd_kafka_event_error(event)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(code: code, message: rd_kafka_event_error_string(event).map { String(cString: $0) })
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else {
            throw KafkaError(code: RD_KAFKA_RESP_ERR__FAIL, message: "unexpected admin result")
        }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return [:] }
        var outcomes: [String: TopicOutcome] = [:]
        for index in 0..<count {
            guard let topic = results[index] else { continue }
            let name = String(cString: rd_kafka_topic_result_name(topic))
            let error = rd_kafka_topic_result_error(topic)
            switch error {
            case RD_KAFKA_RESP_ERR_NO_ERROR: outcomes[name] = .created
            case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: outcomes[name] = .alreadyExists
            default: outcomes[name] = .failed(KafkaError(code: error, message: rd_kafka_topic_result_error_string(topic).map { String(cString: $0) }))
            }
        }
        return outcomes
    }
}
