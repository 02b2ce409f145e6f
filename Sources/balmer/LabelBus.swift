import BalmerBus
import BalmerLabeling
import Foundation
import Logging
import Synchronization

/// The Kafka side of `balmer label`: a member of the labellers' consumer group on the tasks topic,
/// an idempotent producer for answers, and the offset book that decides what may be committed.
///
/// Offsets: a task's offset is finished when its answer's delivery report arrived, when its
/// hand-back copy (skip) was acknowledged, or at once when it is malformed or a duplicate. The
/// commit point of a partition never passes an unfinished task (see `TaskOffsets`), so quitting
/// or losing the connection never loses a task: whatever was not committed comes back.
final class LabelBus: Sendable {
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let tasksTopic: String
    let labelsTopic: String
    /// Signs every answer before it is sent (`--key`).
    let signer: LabelSigningKey?
    private let book: BookBox
    private let logger: Logger

    struct Book {
        var offsets = TaskOffsets()
        /// Sends in flight per partition of the task they finish.
        var pending: [KafkaPartition: Int] = [:]
    }

    /// The book behind a lock, shared with the rebalance handler.
    final class BookBox: Sendable {
        private let state = Mutex(Book())
        func withLock<T>(_ body: (inout Book) -> T) -> T { state.withLock { body(&$0) } }
    }

    /// Connects, and fails (exit 1, one line) when the brokers do not answer within the timeout.
    /// - Parameter onRebalance: told about every rebalance (on the consumer's poll thread), after
    ///   the book has committed and forgotten revoked partitions.
    static func connect(options: LabelKafkaOptions, command: String, group: String, clientID: String,
                        signer: LabelSigningKey? = nil, onRebalance: @escaping @Sendable (KafkaRebalanceEvent) -> Void) async throws -> LabelBus {
        let brokers = try options.resolvedBrokers(command: command)
        var logger = Logger(label: "balmer.label", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = ProcessInfo.processInfo.environment["BALMER_LABEL_DEBUG"] == nil ? .critical : .debug
        let book = BookBox()
        let shared = try options.properties(command: command)
        let consumerProperties = ["session.timeout.ms": "10000", "heartbeat.interval.ms": "1000"].merging(shared) { $1 }
        let producerProperties = ["message.timeout.ms": "30000", "linger.ms": "0"].merging(shared) { $1 }
        let producer: KafkaProducer
        let consumer: KafkaConsumer
        do {
            producer = try KafkaProducer(config: KafkaConfig(bootstrapServers: brokers, clientID: clientID, properties: producerProperties), logger: logger)
            consumer = try KafkaConsumer(
                config: KafkaConfig(bootstrapServers: brokers, clientID: clientID, groupID: group, properties: consumerProperties),
                topics: [options.tasksTopic], bufferCapacity: 1000, logger: logger,
                onRebalance: { event in Self.rebalance(event, book: book, notify: onRebalance) })
        } catch {
            throw CLIFailure(2, "\(command): bad Kafka settings (\(brokers.prefix(200))): \(error)")
        }
        let bus = LabelBus(consumer: consumer, producer: producer, tasksTopic: options.tasksTopic, labelsTopic: options.labelsTopic,
                           signer: signer, book: book, logger: logger)
        // A round trip to the group coordinator proves the brokers are there (or fails in time).
        do {
            _ = try await consumer.committed([KafkaPartition(topic: options.tasksTopic, partition: 0)],
                                             timeout: .seconds(options.connectTimeout))
        } catch {
            await consumer.close()
            await producer.shutdown(timeout: .milliseconds(100))
            throw CLIFailure(1, "\(command): cannot reach Kafka at \(brokers.prefix(200)) within \(options.connectTimeout) s (\(error))")
        }
        return bus
    }

    private init(consumer: KafkaConsumer, producer: KafkaProducer, tasksTopic: String, labelsTopic: String,
                 signer: LabelSigningKey?, book: BookBox, logger: Logger) {
        self.consumer = consumer
        self.producer = producer
        self.tasksTopic = tasksTopic
        self.labelsTopic = labelsTopic
        self.signer = signer
        self.book = book
        self.logger = logger
    }

    /// On the poll thread: for revoked partitions, waits (up to 5 s) for their sends in flight,
    /// returns their commit points and forgets them; lost partitions are forgotten.
    private static func rebalance(_ event: KafkaRebalanceEvent, book: BookBox,
                                  notify: @Sendable (KafkaRebalanceEvent) -> Void) -> [KafkaPartition: Int64] {
        var result: [KafkaPartition: Int64] = [:]
        switch event {
        case .assigned:
            break
        case .revoked(let partitions):
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline, book.withLock({ book in partitions.contains { (book.pending[$0] ?? 0) > 0 } }) {
                Thread.sleep(forTimeInterval: 0.02)
            }
            result = book.withLock { book in
                let points = book.offsets.committable.filter { partitions.contains($0.key) }
                book.offsets.forget(partitions)
                return points
            }
        case .lost(let partitions):
            book.withLock { $0.offsets.forget(partitions) }
        }
        notify(event)
        return result
    }

    /// Records a message taken from the queue (before it is handled).
    func received(_ message: KafkaMessage) {
        book.withLock { $0.offsets.received(message.topicPartition, offset: message.offset) }
    }

    /// Finishes a message and commits what can be committed. Returns a commit problem to show, if any.
    @discardableResult
    func finish(_ message: KafkaMessage) async -> String? {
        book.withLock { $0.offsets.finished(message.topicPartition, offset: message.offset) }
        return await commit()
    }

    /// Commits every partition's commit point that moved. Retriable errors (rebalances) are left
    /// for the next call; others are returned as text.
    @discardableResult
    func commit() async -> String? {
        let offsets = book.withLock { $0.offsets.committable }
        guard !offsets.isEmpty else { return nil }
        do {
            try await consumer.commit(offsets: offsets)
            book.withLock { $0.offsets.markCommitted(offsets) }
            return nil
        } catch let error as KafkaError where error.isRetriable {
            return nil
        } catch {
            return "commit failed: \(error)"
        }
    }

    /// Publishes a label for the task in `message` (if any), signed when there is a key, and
    /// waits for its delivery report.
    func publish(_ event: LabelEvent, for message: KafkaMessage?) async throws {
        var event = event
        if let signer { event = try LabelSignature.sign(event, with: signer) }
        if let message { book.withLock { $0.pending[message.topicPartition, default: 0] += 1 } }
        defer { if let message { book.withLock { $0.pending[message.topicPartition, default: 1] -= 1 } } }
        try await producer.send(event, topic: labelsTopic)
    }

    /// Hands a task back: re-publishes its message (same key and headers, so the same partition,
    /// at its end) and waits for the acknowledgement.
    func handBack(_ message: KafkaMessage) async throws {
        book.withLock { $0.pending[message.topicPartition, default: 0] += 1 }
        defer { book.withLock { $0.pending[message.topicPartition, default: 1] -= 1 } }
        try await producer.send(topic: tasksTopic, key: message.key, value: message.value, headers: message.headers)
    }

    /// Polls messages until cancelled or closed, handing each batch to `deliver`.
    func pollLoop(_ deliver: @Sendable ([KafkaMessage]) -> Void) async {
        while !Task.isCancelled && !consumer.isClosed {
            let batch = await consumer.poll(max: 100, timeout: .milliseconds(200))
            if !batch.isEmpty { deliver(batch) }
        }
    }

    /// Commits what is finished, leaves the group and flushes the producer.
    func close() async -> String? {
        let problem = await commit()
        await consumer.close()
        await producer.shutdown(timeout: .seconds(10))
        return problem
    }

    /// Messages received and not finished (left for a later session).
    var unfinished: Int { book.withLock { $0.offsets.unfinished } }
}
