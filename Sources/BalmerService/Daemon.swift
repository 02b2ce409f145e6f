import BalmerBus
import BalmerStore
import Foundation
import Logging

/// The daemon's long-running parts.
public struct DaemonServices: Sendable {
    /// `balmer.spectra` → scores.
    public let pipeline: IngestPipeline
    /// `balmer.labels` → labels (when `loop.enabled`).
    public let labels: LabelIngester?
    /// Tasks, retraining, rescoring, hot swap (when `loop.enabled`).
    public let loop: CampaignLoop?
    /// What every part reports to `/healthz` and the watchdog.
    public let health: ComponentHealth

    /// Runs every part until ``requestStop()``; returns when ingest and label ingestion stopped,
    /// throwing the ingest pipeline's failure, if any (a failing pipeline stops the others too).
    /// The loop gets `loopGrace` to finish its step; a training in progress is abandoned (the
    /// next leader redoes it), so a stop never waits for minutes of training.
    public func run(loopGrace: Duration = .seconds(3)) async throws {
        if let loop { Task { await loop.run() } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            if let labels { group.addTask { await labels.run() } }
            group.addTask {
                do { try await pipeline.run() } catch {
                    self.requestStop()
                    throw error
                }
                self.requestStop()
            }
            try await group.waitForAll()
        }
        guard let loop else { return }
        let deadline = ContinuousClock.now + loopGrace
        while loop.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        if loop.isRunning { loop.logger.notice("leaving the loop's current step (a training in progress is redone by the next leader)") }
    }

    /// Asks every part to finish what it holds and stop.
    public func requestStop() {
        pipeline.requestStop()
        labels?.requestStop()
        loop?.requestStop()
    }
}

/// Wires the daemon: store (migrated), scoring model, Kafka consumers and producer, pipeline,
/// label ingester and campaign loop.
public enum Daemon {
    /// How long each part may go without a turn before `/healthz` calls it stalled: ingest and
    /// label ingestion turn at least every poll (≤ 1 s) unless a write hangs; the loop turns every
    /// `loop.interval-ms` and beats per rescoring chunk (its trainings are marked busy).
    static func healthAllowances(_ configuration: DaemonConfiguration) -> [ComponentHealth.Part: Double] {
        var allowances: [ComponentHealth.Part: Double] = [.ingest: 30]
        if configuration.loop.enabled {
            allowances[.labels] = 30
            allowances[.loop] = max(120, 10 * Double(configuration.loop.intervalMilliseconds) / 1000)
        }
        return allowances
    }

    /// Connects everything `configuration` names and returns the services ready to `run()`.
    public static func build(_ configuration: DaemonConfiguration, counters: IngestCounters = IngestCounters(),
                             logger: Logger) async throws -> DaemonServices {
        let db = configuration.database
        let postgres = db.postgres(applicationName: "balmerd")
        let store = PostgresStore(configuration: postgres, maxConnections: db.maxConnections, logger: logger)
        if db.migrate { try await migrateIfPending(store, logger: logger) }
        let model = try await ScoringModel.load(store: store, file: configuration.modelFile, logger: logger)
        guard model.model.architecture.inputSize == configuration.preprocessing.points else {
            throw ConfigReader.Error("the model takes \(model.model.architecture.inputSize) inputs but preprocessing.points is \(configuration.preprocessing.points)")
        }
        let k = configuration.kafka
        if configuration.ingest.fileAccess.roots.isEmpty {
            logger.warning("ingest.data-roots is not set: any readable path is accepted")
        }
        let properties = [
            "session.timeout.ms": "\(k.sessionTimeoutMilliseconds)",
            "heartbeat.interval.ms": "\(k.heartbeatIntervalMilliseconds)",
            "topic.metadata.refresh.interval.ms": "5000",
        ]
        let producer = try KafkaProducer(
            config: k.config(), logger: logger)
        let tracker = OffsetTracker()
        let consumer = try KafkaConsumer(
            config: k.config(groupID: k.group, properties: properties),
            topics: configuration.ingestTopics, bufferCapacity: configuration.ingest.maxBuffered, logger: logger,
            onRebalance: { [logger] event in
                let commit = tracker.rebalance(event)
                logger.info("rebalance", metadata: ["event": "\(event)", "commit": "\(commit)"])
                return commit
            })
        let models = ModelHolder(model, threads: configuration.threads)
        let health = ComponentHealth(allowances: healthAllowances(configuration))
        let pipeline = IngestPipeline(configuration: configuration, store: store, consumer: consumer, producer: producer,
                                      tracker: tracker, models: models, counters: counters, health: health, logger: logger)
        guard configuration.loop.enabled else { return DaemonServices(pipeline: pipeline, labels: nil, loop: nil, health: health) }
        let labelConsumer = try KafkaConsumer(
            config: k.config(groupID: configuration.loop.labelsGroup, properties: properties),
            topics: [configuration.loop.labelsTopic], bufferCapacity: 1024, logger: logger,
            onRebalance: { [logger] event in
                logger.info("labels rebalance", metadata: ["event": "\(event)"])
                return [:]
            })
        let labels = LabelIngester(store: store, consumer: labelConsumer, producer: producer,
                                   deadLetterTopic: k.deadLetterTopic, roster: configuration.loop.labellers, health: health,
                                   logger: logger)
        let leader = AdvisoryLeader(key: .trainer, configuration: postgres, logger: logger)
        let loop = CampaignLoop(store: store, producer: producer, models: models, leader: leader,
                                configuration: configuration, health: health, logger: logger)
        return DaemonServices(pipeline: pipeline, labels: labels, loop: loop, health: health)
    }

    /// Checks the schema version with read-only queries and runs the migrator (DDL) only when a
    /// migration is pending, so the writer role (no DDL) starts on an up-to-date schema. A pending
    /// migration the role may not apply (42501) fails with what the operator has to do.
    static func migrateIfPending(_ store: PostgresStore, logger: Logger) async throws {
        let pending = try await store.pendingMigrations()
        guard let first = pending.first else { return }
        do {
            let applied = try await store.migrate()
            if !applied.isEmpty { logger.notice("applied migrations", metadata: ["versions": "\(applied)"]) }
        } catch let error as PostgresError where error.sqlState == PostgresError.insufficientPrivilege {
            let role = (try? await store.pool.withConnection { c in
                try await c.query("SELECT current_user::text").first?.decode(0, as: String.self)
            }) ?? nil
            throw ConfigReader.Error(
                "schema version \(first.version - 1) is behind this build's \(Migrator().latestVersion) and role "
                    + "\(role ?? "?") cannot run DDL (\(error)): run `balmer db migrate` as the schema owner, then `balmer db grant`")
        }
    }
}
