internal import CRdKafka
import Logging
import Synchronization

/// librdkafka's built-in mock Kafka cluster (`rdkafka_mock.h`): real Kafka protocol on loopback
/// TCP listeners, so any client in any process can connect through `bootstrapServers`.
///
/// A hidden producer handle hosts the cluster; the brokers run on librdkafka's own threads, so
/// nothing needs polling. Broker ids are 1...brokers. The mock does not implement the admin API
/// (CreateTopics): create topics with `createTopic`, or let clients auto-create them (then they
/// get the mock's default partition count).
public final class MockCluster: Sendable {
    /// `host:port,host:port,…` for `bootstrap.servers`.
    public let bootstrapServers: String
    /// Number of brokers.
    public let brokerCount: Int
    private let core: MockCore

    /// Starts a cluster of `brokers` brokers (ids 1...brokers).
    public init(brokers: Int = 3, logger: Logger = Logger(label: "balmer.kafka.mock")) throws(KafkaError) {
        guard (1...64).contains(brokers) else { throw .invalidArgument("mock broker count must be 1...64, got \(brokers)") }
        let context = ClientContext(logger: logger)
        // No bootstrap servers: the host handle never connects anywhere itself.
        let conf = try KafkaConfig.nativeConfig(["client.id": "balmer-mock-host", "log.connection.close": "false"])
        context.install(on: conf)
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw .invalidArgument("cannot create mock host handle: \(String(errorBuffer: errstr))")
        }
        guard let cluster = rd_kafka_mock_cluster_new(rk, Int32(brokers)) else {
            rd_kafka_destroy(rk)
            throw KafkaError(code: RD_KAFKA_RESP_ERR__FAIL, message: "rd_kafka_mock_cluster_new failed")
        }
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
        brokerCount = brokers
        core = MockCore(rk: rk, cluster: cluster, context: context)
    }

    deinit {
        core.shutdown()
    }

    /// Creates a topic (the mock's replacement for the admin API).
    /// - Parameters:
    ///   - partitions: ≥ 1.
    ///   - replicationFactor: 1...brokerCount.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        guard partitions >= 1, (1...brokerCount).contains(replicationFactor) else {
            throw .invalidArgument("topic \(name): need partitions ≥ 1 and replication 1...\(brokerCount)")
        }
        try core.call { cluster in
            rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor))
        }
    }

    /// Creates each topic of `specs`.
    public func createTopics(_ specs: [TopicSpec], replicationFactor: Int = 1) throws(KafkaError) {
        for spec in specs { try createTopic(spec.name, partitions: spec.partitions, replicationFactor: replicationFactor) }
    }

    /// Disconnects a broker (`nil`: all) and refuses new connections; leadership does not move.
    public func setBrokerDown(_ broker: Int32? = nil) throws(KafkaError) {
        try core.call { rd_kafka_mock_broker_set_down($0, broker ?? -1) }
    }

    /// Lets a broker (`nil`: all) accept connections again.
    public func setBrokerUp(_ broker: Int32? = nil) throws(KafkaError) {
        try core.call { rd_kafka_mock_broker_set_up($0, broker ?? -1) }
    }

    /// Delays every response of a broker (`nil`: all) by `milliseconds`.
    public func setRoundTripTime(milliseconds: Int, broker: Int32? = nil) throws(KafkaError) {
        try core.call { rd_kafka_mock_broker_set_rtt($0, broker ?? -1, Int32(clamping: milliseconds)) }
    }

    /// Makes the next `errors.count` requests of type `api` fail with these error codes, in order
    /// (raw `rd_kafka_resp_err_t` values, e.g. `MockCluster.Error.notEnoughReplicas`).
    public func pushRequestErrors(api: APIKey, errors: [Int32]) {
        let codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        try? core.call { cluster in
            rd_kafka_mock_push_request_errors_array(cluster, api.rawValue, codes.count, codes)
            return RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }

    /// Makes metadata requests for `topic` answer with `error` (raw `rd_kafka_resp_err_t`), e.g.
    /// `MockCluster.Error.unknownTopicOrPartition` to simulate a missing topic; 0 clears it.
    public func setTopicError(_ topic: String, error: Int32) {
        try? core.call { cluster in
            rd_kafka_mock_topic_set_error(cluster, topic, rd_kafka_resp_err_t(rawValue: error))
            return RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }

    /// Forgets pushed errors for `api`.
    public func clearRequestErrors(api: APIKey) {
        try? core.call { cluster in
            rd_kafka_mock_clear_request_errors(cluster, api.rawValue)
            return RD_KAFKA_RESP_ERR_NO_ERROR
        }
    }

    /// Stops the brokers and frees the cluster. Idempotent; `deinit` calls it too.
    public func shutdown() {
        core.shutdown()
    }

    /// Kafka protocol request types (`ApiKey`) for fault injection.
    public struct APIKey: Sendable, Hashable {
        public let rawValue: Int16
        public init(rawValue: Int16) { self.rawValue = rawValue }
        public static let produce = APIKey(rawValue: 0)
        public static let fetch = APIKey(rawValue: 1)
        public static let listOffsets = APIKey(rawValue: 2)
        public static let metadata = APIKey(rawValue: 3)
        public static let offsetCommit = APIKey(rawValue: 8)
        public static let offsetFetch = APIKey(rawValue: 9)
        public static let findCoordinator = APIKey(rawValue: 10)
        public static let joinGroup = APIKey(rawValue: 11)
        public static let heartbeat = APIKey(rawValue: 12)
        public static let syncGroup = APIKey(rawValue: 14)
        public static let initProducerID = APIKey(rawValue: 22)
    }

    /// Broker error codes useful for fault injection (raw `rd_kafka_resp_err_t`).
    public enum Error {
        /// Retriable: the producer retries (idempotently).
        public static let notEnoughReplicas = RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS.rawValue
        /// Retriable: leadership moved.
        public static let notLeaderForPartition = RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION.rawValue
        /// Retriable.
        public static let requestTimedOut = RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT.rawValue
        /// Permanent: the message fails.
        public static let topicAuthorizationFailed = RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED.rawValue
        /// Permanent: the message fails.
        public static let messageTooLarge = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE.rawValue
        /// The topic does not exist.
        public static let unknownTopicOrPartition = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue
        /// The broker drops the connection instead of answering.
        public static let transport = RD_KAFKA_RESP_ERR__TRANSPORT.rawValue
    }
}

/// Owns the host handle and the cluster.
/// `@unchecked Sendable`: the pointers are only used under `lock`, and set to nil once destroyed;
/// the mock's own API is thread-safe.
final class MockCore: @unchecked Sendable {
    private let lock = Mutex(())
    private var rk: OpaquePointer?
    private var cluster: OpaquePointer?
    let context: ClientContext

    init(rk: OpaquePointer, cluster: OpaquePointer, context: ClientContext) {
        self.rk = rk
        self.cluster = cluster
        self.context = context
    }

    func call(_ body: (OpaquePointer) -> rd_kafka_resp_err_t) throws(KafkaError) {
        let code: rd_kafka_resp_err_t = lock.withLock { _ in
            guard let cluster else { return RD_KAFKA_RESP_ERR__DESTROY }
            return body(cluster)
        }
        if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(code: code) }
    }

    func shutdown() {
        lock.withLock { _ in
            if let cluster { rd_kafka_mock_cluster_destroy(cluster) }
            if let rk { rd_kafka_destroy(rk) }
            cluster = nil
            rk = nil
        }
    }
}
