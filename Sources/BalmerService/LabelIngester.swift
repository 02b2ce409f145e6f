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
/// unknown tasks, spectrum mismatches and answers the roster (`loop.labellers`) refuses (unknown
/// labellers; with keys listed also unsigned answers and bad signatures, see ``LabellerRoster``)
/// go to `rejects` and the dead-letter topic. Offsets are committed only after
/// the batch is in PostgreSQL. consumed = stored + corrected + unchanged + rejected.
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

    public init(store: PostgresStore, consumer: KafkaConsumer, producer: KafkaProducer, deadLetterTopic: String,
                roster: LabellerRoster, logger: Logger) {
        self.store = store
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
            let messages = await consumer.poll(max: 256, timeout: .milliseconds(300))
            guard !messages.isEmpty else { continue }
            var offsets: [KafkaPartition: Int64] = [:]
            for message in messages {
                await handle(message)
                offsets[message.topicPartition] = max(offsets[message.topicPartition] ?? -1, message.offset)
            }
            do {
                try await consumer.commit(offsets: offsets)
            } catch {
                logger.warning("label offsets not committed; redelivered answers change nothing", metadata: ["error": "\(error)"])
            }
        }
        await consumer.close()
    }

    /// Stores one message, retrying the database until it answers (or a stop is requested).
    func handle(_ message: KafkaMessage) async {
        totalsState.withLock { $0.consumed += 1 }
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
        var delay = 0.2
        while true {
            do {
                let outcome = try await store.recordOracleAnswer(answer)
                switch outcome {
                case .stored: totalsState.withLock { $0.stored += 1 }
                case .corrected:
                    totalsState.withLock { $0.corrected += 1 }
                    logger.info("label corrected", metadata: ["task": "\(answer.taskID)", "labeller": "\(answer.labeller)", "label": "\(answer.label.rawValue)"])
                case .unchanged: totalsState.withLock { $0.unchanged += 1 }
                case .refused(let code, let reason): return await refuse(message, code: code, reason: reason)
                }
                return
            } catch {
                if stopRequested.load(ordering: .relaxed) { return }
                logger.error("storing a label failed; retrying", metadata: ["error": "\(error)", "delay.s": "\(delay)"])
                try? await Task.sleep(for: .seconds(delay))
                delay = min(5, delay * 2)
            }
        }
    }

    private func refuse(_ message: KafkaMessage, code: String, reason: String) async {
        totalsState.withLock { $0.rejected += 1 }
        logger.warning("label refused", metadata: ["code": "\(code)", "reason": "\(reason)", "key": "\(message.keyString ?? "")"])
        do {
            try await store.recordRejects([RejectRecord(message: message, reason: code)])
            _ = try await producer.send(DeadLetterEvent(message: message, code: code, reason: reason), topic: deadLetterTopic)
        } catch {
            logger.error("could not record a refused label", metadata: ["error": "\(error)"])
        }
    }
}
