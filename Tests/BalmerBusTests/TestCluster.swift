import BalmerBus
import Foundation
import Logging
import Synchronization

/// Helpers for tests against an in-process mock cluster.
enum TestCluster {
    /// Short group timeouts so rebalances finish in seconds.
    static let groupProperties: [String: String] = [
        "session.timeout.ms": "6000",
        "heartbeat.interval.ms": "500",
        "topic.metadata.refresh.interval.ms": "1000",
        "max.poll.interval.ms": "10000",
    ]

    static let logger: Logger = {
        var logger = Logger(label: "balmer.bus.tests")
        logger.logLevel = ProcessInfo.processInfo.environment["BALMER_TEST_KAFKA_LOG"] == nil ? .critical : .debug
        return logger
    }()

    static func unique(_ prefix: String) -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8))"
    }

    static func producer(_ cluster: MockCluster, properties: [String: String] = [:]) throws -> KafkaProducer {
        try KafkaProducer(config: KafkaConfig(bootstrapServers: cluster.bootstrapServers, clientID: "test-producer",
                                              properties: properties), logger: logger)
    }

    static func consumer(_ cluster: MockCluster, group: String, topics: [String], properties: [String: String] = [:],
                         bufferCapacity: Int = 10_000,
                         onRebalance: @escaping KafkaRebalanceHandler = { _ in [:] }) throws -> KafkaConsumer {
        try KafkaConsumer(config: KafkaConfig(bootstrapServers: cluster.bootstrapServers, clientID: "test-consumer", groupID: group,
                                              properties: groupProperties.merging(properties) { $1 }),
                          topics: topics, bufferCapacity: bufferCapacity, logger: logger, onRebalance: onRebalance)
    }

    /// Polls until `count` messages arrived or `timeout` passed.
    static func collect(_ consumer: KafkaConsumer, count: Int, timeout: Duration = .seconds(20)) async -> [KafkaMessage] {
        var messages: [KafkaMessage] = []
        let deadline = ContinuousClock.now + timeout
        while messages.count < count && ContinuousClock.now < deadline {
            messages += await consumer.poll(max: count - messages.count, timeout: .milliseconds(200))
        }
        return messages
    }

    /// Polls for `duration`, returning whatever arrived.
    static func drain(_ consumer: KafkaConsumer, for duration: Duration) async -> [KafkaMessage] {
        var messages: [KafkaMessage] = []
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline {
            messages += await consumer.poll(max: 1000, timeout: .milliseconds(100))
        }
        return messages
    }

    /// Sends `count` messages `prefix-i` with keys `key-i` concurrently and waits for all reports.
    static func produce(_ producer: KafkaProducer, topic: String, count: Int, prefix: String = "m") async throws -> [KafkaDeliveryReport] {
        try await withThrowingTaskGroup(of: KafkaDeliveryReport.self) { group in
            for index in 0..<count {
                group.addTask {
                    try await producer.send(topic: topic, key: "key-\(index)", value: Array("\(prefix)-\(index)".utf8))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }
}

/// Records rebalance events for assertions.
final class RebalanceLog: Sendable {
    private let events = Mutex<[KafkaRebalanceEvent]>([])
    /// Offsets the handler returns for revoked partitions.
    let done = Mutex<[KafkaPartition: Int64]>([:])

    var handler: KafkaRebalanceHandler {
        { [self] event in
            events.withLock { $0.append(event) }
            if case .revoked(let partitions) = event {
                return done.withLock { done in done.filter { partitions.contains($0.key) } }
            }
            return [:]
        }
    }

    var all: [KafkaRebalanceEvent] { events.withLock { $0 } }
    var assignedEver: Set<KafkaPartition> {
        Set(all.flatMap { event -> [KafkaPartition] in if case .assigned(let p) = event { p } else { [] } })
    }
    var revokedEver: Set<KafkaPartition> {
        Set(all.flatMap { event -> [KafkaPartition] in if case .revoked(let p) = event { p } else { [] } })
    }
}

/// A flag set once from any task (e.g. "close() returned").
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}
