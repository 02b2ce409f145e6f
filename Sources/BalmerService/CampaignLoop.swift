import BalmerBus
import BalmerCNN
import BalmerCore
import BalmerLearning
import BalmerStore
import Foundation
import Logging
import Synchronization

/// The active-learning loop of the paper as a service, level-triggered: every `loop.interval-ms`
/// each instance re-reads the campaign from PostgreSQL and does the next step, so a restarted or
/// newly started instance continues wherever the campaign is.
///
/// Every instance: swaps to the active model when the registry changes (hot swap), and helps
/// rescore the pool with it (chunks claimed with `FOR UPDATE SKIP LOCKED`). The leader (session
/// advisory lock `balmer.trainer`, released by the server if the leader dies) also: publishes
/// tasks not yet delivered; opens an iteration per promoted model; selects its query batch and
/// precision sample; closes the precision estimate when the sample is answered and applies the
/// stop rule; retrains when enough new usable labels arrived (gate, promote or reject, announce
/// on `balmer.models`); and after convergence runs the final long training and marks the
/// campaign finished once the final model has scored the pool.
public final class CampaignLoop: Sendable {
    let store: PostgresStore
    let producer: KafkaProducer
    let models: ModelHolder
    let leader: AdvisoryLeader
    let loop: DaemonConfiguration.Loop
    let threads: Int
    let worker: String
    let selector: TaskSelector
    let logger: Logger
    /// Where the loop reports each step's outcome (`/healthz`, the watchdog).
    let health: ComponentHealth
    private let stopRequested = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    let metrics = LoopMetrics()

    public init(store: PostgresStore, producer: KafkaProducer, models: ModelHolder, leader: AdvisoryLeader,
                configuration: DaemonConfiguration, health: ComponentHealth, logger: Logger) {
        self.store = store
        self.producer = producer
        self.models = models
        self.leader = leader
        self.loop = configuration.loop
        self.threads = configuration.threads
        self.worker = configuration.kafka.clientID
        self.selector = TaskSelector(store: store, loop: configuration.loop, preprocessing: configuration.preprocessing,
                                     fileAccess: configuration.ingest.fileAccess, logger: logger)
        self.health = health
        self.logger = logger
    }

    public func requestStop() { stopRequested.store(true, ordering: .relaxed) }
    var isStopping: Bool { stopRequested.load(ordering: .relaxed) }

    /// Whether ``run()`` is still going (it finishes its current step after a stop request).
    public var isRunning: Bool { running.load(ordering: .relaxed) }

    /// Runs ticks until ``requestStop()``; a failed tick is logged and retried on the next one, and
    /// reported to ``health`` (a step failing on every tick shows as degraded on `/healthz`).
    public func run() async {
        running.store(true, ordering: .relaxed)
        defer { running.store(false, ordering: .relaxed) }
        while !isStopping {
            health.beat(.loop)
            do {
                try await tick()
                health.succeeded(.loop)
            } catch {
                logger.error("campaign step failed; retrying", metadata: ["error": "\(error)"])
                health.failed(.loop, reason: "campaign step failed: \(error)")
            }
            var waited = 0
            while waited < loop.intervalMilliseconds && !isStopping {
                try? await Task.sleep(for: .milliseconds(min(200, loop.intervalMilliseconds)))
                waited += 200
            }
        }
        await leader.resign()
    }

    /// One step: follow the registry, help rescoring, and lead the campaign when elected.
    func tick() async throws {
        try await syncModel()
        try await rescore()
        guard !isStopping else { return }
        let leading = try await leader.tryAcquire()
        metrics.leader.record(leading ? 1 : 0)
        if leading { try await advance() }
    }

    // MARK: - Every instance

    /// Swaps to the registry's active model when it changed (promotion, rollback by anyone).
    func syncModel() async throws {
        guard let active = try await store.activeEntry(), active.version != models.current.version else { return }
        let model = try await load(active.version, sha256: active.record.sha256)
        try models.swap(to: try ScoringModel(version: active.version, model: model))
        metrics.modelVersion.record(active.version)
        logger.notice("swapped to the active model", metadata: ["model.version": "\(active.version)", "model.sha256": "\(active.record.sha256)"])
    }

    /// A registered model's weights, checked against its registered checksum.
    func load(_ version: Int, sha256: String) async throws -> CNNModel {
        guard let weights = try await store.modelWeights(version: version) else { throw RepositoryError.notFound("model \(version) weights") }
        let model = try CNNModel(safetensors: [UInt8](weights), path: "models/\(version)")
        guard model.sha256 == sha256 else {
            throw ConfigReader.Error("model \(version) weights have sha256 \(model.sha256), the registry says \(sha256): refusing it")
        }
        return model
    }

    /// Scores claimed chunks of the pool with the active model until none is left; the leader
    /// then scores what the chunks missed (spectra ingested meanwhile) and marks the model rescored.
    func rescore() async throws {
        guard let active = try await store.activeEntry(), active.rescoredAt == nil,
              models.current.version == active.version else { return }
        let planned = try await store.planRescore(modelVersion: active.version, chunkSize: loop.rescoreChunk)
        while !isStopping, let chunk = try await store.claimRescoreChunk(
            modelVersion: active.version, worker: worker, staleAfter: TimeInterval(loop.claimTimeoutSeconds)) {
            let started = ContinuousClock.now
            let models = self.models
            let store = self.store
            let counter = Mutex(0)
            try await store.forEachFeatureBatch(ids: chunk.firstID...chunk.lastID, batchSize: 1024) { rows in
                let features = rows.flatMap(\.features)
                let scored = try await ComputeThread.run { try models.probabilities(features, count: rows.count) }
                guard scored.version == active.version else { throw CancellationError() }  // swapped meanwhile: redo later
                try await store.upsertScores(zip(rows, scored.rows).map {
                    ScoreRecord(spectrumID: $0.0.id, modelVersion: scored.version, probabilities: $0.1)
                })
                counter.withLock { $0 += rows.count }
            }
            try await store.completeRescoreChunk(modelVersion: active.version, chunk: chunk.chunk)
            health.beat(.loop)
            let progress = try await store.rescoreProgress(modelVersion: active.version)
            metrics.rescoreRemaining.record(progress.total - progress.done)
            logger.info("rescored a chunk", metadata: [
                "model.version": "\(active.version)", "chunk": "\(chunk.chunk)", "spectra": "\(counter.withLock { $0 })",
                "chunks.done": "\(progress.done)", "chunks.total": "\(planned)",
                "seconds": "\(String(format: "%.1f", (ContinuousClock.now - started).seconds))",
            ])
        }
        guard !isStopping, try await store.remainingRescoreChunks(modelVersion: active.version) == 0,
              await leader.isLeader() else { return }
        var swept = 0
        while !isStopping {
            let missing = try await store.spectraMissingScores(modelVersion: active.version, limit: 1024)
            if missing.isEmpty { break }
            let features = missing.flatMap(\.features)
            let models = self.models
            let scored = try await ComputeThread.run { try models.probabilities(features, count: missing.count) }
            guard scored.version == active.version else { return }
            try await store.upsertScores(zip(missing, scored.rows).map {
                ScoreRecord(spectrumID: $0.0.id, modelVersion: scored.version, probabilities: $0.1)
            })
            swept += missing.count
            health.beat(.loop)
        }
        guard !isStopping else { return }
        try await store.markRescored(version: active.version)
        metrics.rescoreRemaining.record(0)
        logger.notice("pool rescored", metadata: ["model.version": "\(active.version)", "swept": "\(swept)"])
    }
}
