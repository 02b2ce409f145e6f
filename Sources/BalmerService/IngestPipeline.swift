import BalmerBus
import BalmerCNN
import BalmerCore
import BalmerFITS
import BalmerStore
import Foundation
import Logging
import Synchronization

/// The ingest pipeline: `balmer.spectra` events in micro-batches → decode → parallel FITS read +
/// preprocessing → one batched CNN call → one PostgreSQL transaction (spectra, scores, rejects)
/// → offsets committed. Refused events and files also go to the dead-letter topic (awaited before
/// the commit). At most `ingest.max-in-flight` batches are between poll and commit; while they
/// are, nothing is polled and the consumer's bounded buffer pauses the partitions, so memory stays
/// bounded when the database is slow. Batches are stored and committed in poll order.
///
/// Blocking work runs off the cooperative pool: FITS and CNN on ``ComputeThread``s, libpq on the
/// store's own threads, librdkafka on the consumer's and producer's threads.
public final class IngestPipeline: Sendable {
    let configuration: DaemonConfiguration
    let store: PostgresStore
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let tracker: OffsetTracker
    /// The model new batches are scored with (swapped by the campaign loop).
    public let models: ModelHolder
    let extractor: FeatureExtractor
    public let counters: IngestCounters
    let metrics = IngestMetrics()
    let logger: Logger
    /// Where the loop reports its turns and failed writes (the systemd watchdog and `/healthz`).
    let health: ComponentHealth
    /// Retry-topic partitions paused until their events are due.
    let retryHolds = RetryHolds()
    private let stopRequested = Atomic<Bool>(false)
    private let ready = Atomic<Bool>(false)

    init(configuration: DaemonConfiguration, store: PostgresStore, consumer: KafkaConsumer, producer: KafkaProducer,
         tracker: OffsetTracker, models: ModelHolder, counters: IngestCounters, health: ComponentHealth, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.consumer = consumer
        self.producer = producer
        self.tracker = tracker
        self.models = models
        self.extractor = FeatureExtractor(config: configuration.preprocessing, policy: configuration.ingest.fileAccess,
                                          logger: logger)
        self.counters = counters
        self.health = health
        self.logger = logger
    }

    /// Asks `run()` to finish the batches in hand, commit and return. Safe from any thread.
    public func requestStop() { stopRequested.store(true, ordering: .relaxed) }

    public var isStopping: Bool { stopRequested.load(ordering: .relaxed) }

    /// Whether the pipeline is running and owns at least one partition (or none exist yet).
    public var isReady: Bool { ready.load(ordering: .relaxed) && !isStopping }

    /// Refreshes the scrape-time gauges (consumer lag per partition).
    public func refreshGauges() { metrics.recordLag(consumer.lag()) }

    /// Consumes until ``requestStop()``; then drains the batches in hand, commits, leaves the group.
    public func run() async throws {
        let batchTimeout = Duration.milliseconds(configuration.ingest.batchTimeoutMilliseconds)
        var inFlight: [Task<Void, Error>] = []
        var failure: Error?
        ready.store(true, ordering: .relaxed)
        logger.info("ingest started", metadata: ["model.version": "\(models.current.version)"])
        while !isStopping {
            health.beat(.ingest)
            while inFlight.count >= configuration.ingest.maxInFlight {
                do { try await inFlight.removeFirst().value } catch { failure = error; break }
            }
            if failure != nil { break }
            let messages = await consumer.poll(max: configuration.ingest.batchSize, timeout: batchTimeout)
            if messages.isEmpty { continue }
            let started = ContinuousClock.now
            var prepared: PreparedBatch
            do { prepared = try await prepare(messages) } catch { failure = error; break }
            prepared.extractSeconds = (ContinuousClock.now - started).seconds
            let previous = inFlight.last
            let batch = prepared
            inFlight.append(Task {
                var scored = batch
                try await self.score(&scored)
                try await previous?.value
                try await self.storeAndCommit(scored, started: started)
            })
        }
        ready.store(false, ordering: .relaxed)
        logger.info("ingest draining", metadata: ["batches.in-flight": "\(inFlight.count)"])
        for task in inFlight {
            do { try await task.value } catch { failure = failure ?? error }
        }
        let rest = tracker.uncommitted()
        if !rest.isEmpty { try? await commit(rest) }
        let closing = ContinuousClock.now
        await consumer.close()
        await producer.shutdown(timeout: .seconds(5))
        logger.info("left the consumer group", metadata: ["seconds": "\(String(format: "%.2f", (ContinuousClock.now - closing).seconds))"])
        let c = counters.snapshot
        logger.notice("ingest stopped", metadata: [
            "consumed": "\(c.consumed)", "stored": "\(c.stored)", "rejected": "\(c.rejected)", "retried": "\(c.retried)",
            "dropped": "\(c.dropped)", "batches": "\(c.batches)",
        ])
        if let failure { throw failure }
    }

    // MARK: - Stages

    /// One polled batch turned into rows, with the offsets it covers.
    struct PreparedBatch: Sendable {
        var spectra: [SpectrumRecord] = []
        var probabilities: [[Float]] = []
        var spectrumPartitions: [KafkaPartition] = []
        /// The message of each of `spectra` (for its reject and dead letter if the database refuses it).
        var spectrumMessages: [KafkaMessage] = []
        var rejects: [RejectRecord] = []
        var deadLetters: [DeadLetterEvent] = []
        var rejectPartitions: [KafkaPartition] = []
        var offsets: [KafkaPartition: Int64] = [:]
        var epochs: [KafkaPartition: Int] = [:]
        var timestamps: [Int64] = []
        var consumed = 0
        var dropped = 0
        /// Events re-published to the retry topic (their file failed transiently, or not due yet).
        var retried = 0
        var cnnSeconds = 0.0
        var extractSeconds = 0.0
        /// The feature vectors of `spectra`, concatenated (input of the CNN; emptied after scoring).
        var features: [Float] = []
        /// The model version that scored `probabilities`.
        var modelVersion = 0
    }

    /// Decodes, reads and preprocesses one batch (FITS on threads of its own).
    func prepare(_ messages: [KafkaMessage]) async throws -> PreparedBatch {
        var out = PreparedBatch()
        out.modelVersion = models.current.version
        out.consumed = messages.count
        out.epochs = tracker.epochs(Set(messages.map(\.topicPartition)))
        var valid: [(KafkaMessage, SpectrumEvent)] = []
        for message in messages {
            let partition = message.topicPartition
            guard out.epochs[partition] != nil else { out.dropped += 1; continue }
            out.offsets[partition] = max(out.offsets[partition] ?? -1, message.offset)
            if let t = message.timestampMilliseconds { out.timestamps.append(t) }
            do {
                valid.append((message, try message.decode(SpectrumEvent.self)))
            } catch {
                let (reject, letter) = IngestRecords.undecodable(message, error: error)
                out.rejects.append(reject)
                out.deadLetters.append(letter)
                out.rejectPartitions.append(partition)
            }
        }
        guard !valid.isEmpty else { return out }
        valid = try await dueEvents(valid, batch: &out)
        guard !valid.isEmpty else { return out }
        let paths = valid.map { Self.path(of: $0.1.location) }
        let extractor = self.extractor
        let threads = configuration.threads
        let extracted = try await ComputeThread.run {
            Parallel.map(count: paths.count, threads: threads) { i -> (Result<[Float], ExtractionFailure>, SpectrumMetadata?) in
                let e = extractor.extract(path: paths[i])
                return (e.features, e.spectrum?.metadata)
            }
        }
        var features: [Float] = []
        var accepted: [(KafkaMessage, SpectrumEvent, SpectrumMetadata?)] = []
        var retries: [(KafkaMessage, RetryInfo)] = []
        let policy = retryPolicy
        let now = Self.nowMilliseconds
        for (i, (message, event)) in valid.enumerated() {
            switch extracted[i].0 {
            case .success(let f):
                features += f
                accepted.append((message, event, extracted[i].1))
            case .failure(let failure):
                var reason = failure.description
                if case .unreadable(let error) = failure {
                    // Transient file failures are retried later (not rejected) while they may.
                    switch policy.decide(previous: RetryInfo(message: message), failure: error, now: now) {
                    case .retry(let info): retries.append((message, info)); continue
                    case .giveUp(let text): reason = text
                    }
                }
                let (reject, letter) = IngestRecords.refusedFile(message, event: event, code: failure.code, reason: reason,
                                                                 source: configuration.ingest.rejectSource)
                out.rejects.append(reject)
                out.deadLetters.append(letter)
                out.rejectPartitions.append(message.topicPartition)
            }
        }
        try await republish(retries, batch: &out)
        logger.debug("batch read", metadata: [
            "files": "\(valid.count)", "accepted": "\(accepted.count)", "retried": "\(out.retried)",
        ])
        let size = models.current.scoring.model.architecture.inputSize
        for (i, (message, event, metadata)) in accepted.enumerated() {
            out.spectra.append(IngestRecords.spectrum(event, metadata: metadata,
                                                      features: Array(features[(i * size)..<((i + 1) * size)])))
            out.spectrumPartitions.append(message.topicPartition)
            out.spectrumMessages.append(message)
        }
        out.features = features
        return out
    }

    /// Scores the batch's spectra in one CNN call (on a compute thread). Runs in the batch's own
    /// task, so the CNN of one batch overlaps the FITS reading of the next.
    func score(_ batch: inout PreparedBatch) async throws {
        guard !batch.spectra.isEmpty else { return }
        let models = self.models
        let cnnStart = ContinuousClock.now
        let input = batch.features
        let count = batch.spectra.count
        let scored = try await ComputeThread.run { try models.probabilities(input, count: count) }
        batch.cnnSeconds = (ContinuousClock.now - cnnStart).seconds
        batch.features = []
        batch.modelVersion = scored.version
        batch.probabilities = scored.rows
    }

    /// Writes the batch in one transaction, sends its dead letters, then commits its offsets.
    /// Retries transiently failed writes with back-off until they succeed or a stop is requested;
    /// rows the database refuses are isolated and become rejects (``storeIsolating(_:)``).
    func storeAndCommit(_ prepared: PreparedBatch, started: ContinuousClock.Instant) async throws {
        var batch = prepared
        // Drop the work of partitions revoked since the poll: their next owner redoes it.
        let stale = Set(batch.epochs.filter { !tracker.isCurrent($0.key, epoch: $0.value) }.keys)
        var dropped = batch.dropped
        if !stale.isEmpty {
            let keepS = batch.spectrumPartitions.indices.filter { !stale.contains(batch.spectrumPartitions[$0]) }
            let keepR = batch.rejectPartitions.indices.filter { !stale.contains(batch.rejectPartitions[$0]) }
            dropped += (batch.spectra.count - keepS.count) + (batch.rejects.count - keepR.count)
            batch.spectra = keepS.map { batch.spectra[$0] }
            batch.probabilities = keepS.map { batch.probabilities[$0] }
            batch.spectrumMessages = keepS.map { batch.spectrumMessages[$0] }
            batch.rejects = keepR.map { batch.rejects[$0] }
            batch.deadLetters = keepR.map { batch.deadLetters[$0] }
            for p in stale { batch.offsets[p] = nil }
            logger.info("dropped work of revoked partitions", metadata: ["partitions": "\(stale.sorted())"])
        }
        let storeStart = ContinuousClock.now
        try await storeIsolating(&batch)
        for letter in batch.deadLetters {
            try await sendDeadLetter(letter)
        }
        let storeSeconds = (ContinuousClock.now - storeStart).seconds
        let commitStart = ContinuousClock.now
        let toCommit = tracker.markDurable(batch.offsets, epochs: batch.epochs)
        do { try await commit(toCommit) } catch {
            // Retriable during rebalances; the next batch (or the revoke) commits later offsets.
            logger.warning("offset commit failed; will commit with the next batch", metadata: ["error": "\(error)"])
        }
        let commitSeconds = (ContinuousClock.now - commitStart).seconds
        let elapsed = (ContinuousClock.now - started).seconds
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        let latencies = batch.timestamps.map { Double(nowMs - $0) / 1000 }
        counters.update { c in
            c.consumed += batch.consumed
            c.stored += batch.spectra.count
            c.rejected += batch.rejects.count
            c.retried += batch.retried
            c.dropped += dropped
            c.batches += 1
            c.batchSeconds += elapsed
            c.lastBatchSeconds = elapsed
            c.cnnSeconds += batch.cnnSeconds
            c.extractSeconds += batch.extractSeconds
            c.storeSeconds += storeSeconds
            c.commitSeconds += commitSeconds
            c.scored += batch.spectra.count
            c.recordLatencies(latencies)
        }
        metrics.consumed.increment(by: batch.consumed)
        metrics.stored.increment(by: batch.spectra.count)
        metrics.rejected.increment(by: batch.rejects.count)
        if batch.retried > 0 { metrics.retried.increment(by: batch.retried) }
        if dropped > 0 { metrics.dropped.increment(by: dropped) }
        metrics.batches.increment()
        metrics.batchDuration.recordSeconds(elapsed)
        if batch.cnnSeconds > 0 { metrics.cnnThroughput.record(Double(batch.spectra.count) / batch.cnnSeconds) }
        metrics.recordLag(consumer.lag())
        let totals = counters.snapshot
        logger.debug("batch committed", metadata: [
            "consumed": "\(batch.consumed)", "stored": "\(batch.spectra.count)", "rejected": "\(batch.rejects.count)",
            "retried": "\(batch.retried)", "dropped": "\(dropped)", "seconds": "\(String(format: "%.3f", elapsed))",
            "total.consumed": "\(totals.consumed)", "total.stored": "\(totals.stored)", "total.rejected": "\(totals.rejected)",
        ])
        if totals.batches % 50 == 1 {
            logger.info("ingest progress", metadata: [
                "consumed": "\(totals.consumed)", "stored": "\(totals.stored)", "rejected": "\(totals.rejected)",
                "retried": "\(totals.retried)", "dropped": "\(totals.dropped)", "batches": "\(totals.batches)",
            ])
        }
    }

    func commit(_ offsets: [KafkaPartition: Int64]) async throws {
        guard !offsets.isEmpty else { return }
        try await consumer.commit(offsets: offsets)
        tracker.didCommit(offsets)
    }

    /// Runs `body` until it succeeds; waits 0.2 s, 0.4 s … 5 s between attempts; gives up (throws)
    /// once a stop is requested. An error for which `isPermanent` holds is thrown at once.
    func retrying(_ what: String, isPermanent: (any Error) -> Bool = { _ in false },
                  _ body: @Sendable () async throws -> Void) async throws {
        var delay = 0.2
        while true {
            do {
                try await body()
                health.succeeded(.ingest)
                return
            } catch {
                if isPermanent(error) || isStopping { throw error }
                health.failed(.ingest, reason: "\(what) failed: \(error)")
                logger.error("retrying", metadata: ["operation": "\(what)", "error": "\(error)", "delay.s": "\(delay)"])
                try? await Task.sleep(for: .seconds(delay))
                delay = min(5, delay * 2)
            }
        }
    }

    /// A filesystem path from an event location (a path or a `file:` URI).
    static func path(of location: String) -> String {
        if location.hasPrefix("file:"), let url = URL(string: location), url.isFileURL { return url.path }
        return location
    }
}

/// The predictor, used by one compute thread at a time.
/// `@unchecked Sendable`: `Predictor` is a non-thread-safe class; every use goes through the lock.
final class PredictorBox: @unchecked Sendable {
    private let predictor: Predictor
    private let lock = NSLock()

    init(_ predictor: Predictor) { self.predictor = predictor }

    func probabilities(_ features: [Float]) throws -> [Float] {
        lock.lock()
        defer { lock.unlock() }
        return try predictor.probabilities(features)
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) * 1e-18
    }
}
