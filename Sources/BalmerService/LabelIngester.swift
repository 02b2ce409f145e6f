import BalmerBus
import BalmerCore
import BalmerLabeling
import BalmerStore
import Foundation
import Logging
import Synchronization

/// Consumes `balmer.labels` in one consumer group shared by every instance and stores each answer
/// idempotently (``PostgresStore/recordOracleAnswer(_:)``), with its partition and offset: the
/// answer balmerd received last stands, whatever the client's clock said. Malformed events,
/// unknown tasks, spectrum mismatches, answers the roster (`loop.labellers`) refuses (unknown
/// labellers; with keys listed also unsigned answers and bad signatures, see ``LabellerRoster``)
/// and answers PostgreSQL refuses for good (a permanent error, see ``PostgresError/isTransient``)
/// go to `rejects` and the dead-letter topic.
///
/// Exactly once: a message's offset is committed only after its answer (or its reject) is durable
/// in PostgreSQL. Transient store errors are retried with backoff until a stop is requested; a
/// stop during an outage commits, per partition, only the offsets of the messages handled before
/// the first one not stored, and leaves the rest to be redelivered to the next consumer
/// (storing an answer is idempotent). consumed = stored + corrected + unchanged + rejected, where
/// consumed counts the messages whose outcome is durable.
public final class LabelIngester: Sendable {
    /// Running totals since start.
    public struct Totals: Sendable, Equatable {
        public var consumed = 0
        public var stored = 0
        public var corrected = 0
        public var unchanged = 0
        public var rejected = 0
    }

    let store: PostgresStore
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let deadLetterTopic: String
    let roster: LabellerRoster
    let logger: Logger
    private let totalsState = Mutex(Totals())
    private let stopRequested = Atomic<Bool>(false)
    /// Where the ingester reports its turns and failed writes (`/healthz`, the watchdog).
    let health: ComponentHealth?

    public init(store: PostgresStore, consumer: KafkaConsumer, producer: KafkaProducer, deadLetterTopic: String,
                roster: LabellerRoster, health: ComponentHealth? = nil, logger: Logger) {
        self.store = store
        self.health = health
        self.roster = roster
        self.consumer = consumer
        self.producer = producer
        self.deadLetterTopic = deadLetterTopic
        self.logger = logger
    }

    public var totals: Totals { totalsState.withLock { $0 } }

    public func requestStop() { stopRequested.store(true, ordering: .relaxed) }

    /// Polls, stores and commits until ``requestStop()``.
    public func run() async {
        while !stopRequested.load(ordering: .relaxed) {
            health?.beat(.labels)
            let messages = await consumer.poll(max: 256, timeout: .milliseconds(300))
            guard !messages.isEmpty else { continue }
            let offsets = await handleInOrder(messages)
            guard !offsets.isEmpty else { continue }
            do {
                try await consumer.commit(offsets: offsets)
            } catch {
                logger.warning("label offsets not committed; redelivered answers change nothing", metadata: ["error": "\(error)"])
            }
        }
        await consumer.close()
    }

    /// Handles `messages` in order and returns the offsets to commit: per partition, the last
    /// message of the prefix whose outcome is durable. Handling ends at the first message left
    /// unstored (a stop during an outage); it and every later message stay uncommitted.
    func handleInOrder(_ messages: [KafkaMessage]) async -> [KafkaPartition: Int64] {
        var offsets: [KafkaPartition: Int64] = [:]
        for (index, message) in messages.enumerated() {
            guard await handle(message) else {
                logger.notice("stopping with answers not stored; they stay uncommitted and are redelivered", metadata: [
                    "unstored": "\(messages.count - index)", "committing": "\(offsets.count) partitions",
                ])
                break
            }
            offsets[message.topicPartition] = max(offsets[message.topicPartition] ?? -1, message.offset)
        }
        return offsets
    }

    /// Stores one message (an answer, or a reject when it is refused), retrying transient database
    /// errors until they pass or a stop is requested.
    /// - Returns: whether the outcome is durable (`false` only when stopping during an outage).
    func handle(_ message: KafkaMessage) async -> Bool {
        // Step 1: decode and check the event (class, labeller roster); refusals become rejects.
        let answer: OracleAnswer
        do {
            let event = try message.decode(LabelEvent.self)
            guard let label = SpectrumClass(rawValue: event.label) else {
                return await refuse(message, code: "invalid-value", reason: "label \(event.label) is not a class")
            }
            if let refusal = roster.refusal(of: event) {
                return await refuse(message, code: refusal.code, reason: refusal.reason)
            }
            answer = OracleAnswer(taskID: event.taskID, spectrumID: event.spectrumID, label: label, labeller: event.labeller,
                                  time: event.time, comment: event.comment, corrects: event.corrects,
                                  received: LabelPosition(partition: message.partition, offset: message.offset),
                                  signature: event.signature)
        } catch {
            return await refuse(message, code: error.code, reason: "\(error)")
        }
        // Step 2: store the answer.
        return await record(answer, of: message)
    }

    /// Records `answer` idempotently; a refusal by the store (unknown task, mismatch, a permanent
    /// database error) becomes a reject.
    private func record(_ answer: OracleAnswer, of message: KafkaMessage) async -> Bool {
        var delay = 0.2
        while true {
            do {
                let outcome = try await store.recordOracleAnswer(answer)
                switch outcome {
                case .stored: totalsState.withLock { $0.consumed += 1; $0.stored += 1 }
                case .corrected:
                    totalsState.withLock { $0.consumed += 1; $0.corrected += 1 }
                    logger.info("label corrected", metadata: ["task": "\(answer.taskID)", "labeller": "\(answer.labeller)", "label": "\(answer.label.rawValue)"])
                case .unchanged: totalsState.withLock { $0.consumed += 1; $0.unchanged += 1 }
                case .refused(let code, let reason): return await refuse(message, code: code, reason: reason)
                }
                health?.succeeded(.labels)
                return true
            } catch let error as PostgresError where error.errorClass == .permanent {
                // A systemic error (a missing grant, a read-only server) is retried instead: it
                // would refuse every answer alike, and an operator can fix it.
                return await refuse(message, code: "store-refused", reason: "\(error)")
            } catch {
                guard await backOff(&delay, after: error, doing: "storing a label") else { return false }
            }
        }
    }

    /// Logs `error`, sleeps `delay` seconds and doubles it (up to 5 s); `false` when a stop is requested.
    private func backOff(_ delay: inout Double, after error: any Error, doing what: String) async -> Bool {
        health?.failed(.labels, reason: "\(what) failed: \(error)")
        if stopRequested.load(ordering: .relaxed) { return false }
        logger.error("\(what) failed; retrying", metadata: ["error": "\(error)", "delay.s": "\(delay)"])
        try? await Task.sleep(for: .seconds(delay))
        delay = min(5, delay * 2)
        return !stopRequested.load(ordering: .relaxed)
    }

    /// Records a refused message in `rejects` (retrying every error until it is durable or a stop
    /// is requested), then sends it to the dead-letter topic.
    /// - Returns: whether the reject is durable.
    private func refuse(_ message: KafkaMessage, code: String, reason: String) async -> Bool {
        logger.warning("label refused", metadata: ["code": "\(code)", "reason": "\(reason)", "key": "\(message.keyString ?? "")"])
        var delay = 0.2
        while true {
            do {
                try await store.recordRejects([RejectRecord(message: message, reason: code)])
                break
            } catch {
                guard await backOff(&delay, after: error, doing: "recording a refused label") else { return false }
            }
        }
        totalsState.withLock { $0.consumed += 1; $0.rejected += 1 }
        do {
            _ = try await producer.send(DeadLetterEvent(message: message, code: code, reason: reason), topic: deadLetterTopic)
        } catch {
            logger.error("could not send a refused label to the dead-letter topic (it is in rejects)", metadata: ["error": "\(error)"])
        }
        return true
    }
}
