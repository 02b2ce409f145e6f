import BalmerBus
import BalmerCore
import BalmerFITS
import BalmerLabeling
import BalmerStore
import Foundation
import Logging

/// Everything `balmerd` reads at start, one struct per component. Every key, its environment
/// variable and its default are listed on the properties; `Config/balmer.example.json`
/// documents the same keys.
public struct DaemonConfiguration: Sendable {
    /// Kafka: where the events come from.
    public struct Kafka: Sendable {
        /// `kafka.brokers` (`BALMER_KAFKA_BROKERS`): bootstrap servers `host:port,…`. Default `localhost:9092`.
        public var brokers: String
        /// `kafka.group`: consumer group id. Default `balmerd`.
        public var group: String
        /// `kafka.topics`: topics to consume, comma-separated. Default `balmer.spectra`.
        public var topics: [String]
        /// `kafka.dead-letter-topic`: where refused events go. Default `balmer.dead-letter`.
        public var deadLetterTopic: String
        /// `kafka.client-id`: client id shown by the brokers. Default `balmerd-<hostname>-<pid>`.
        public var clientID: String
        /// `kafka.session-timeout-ms`: group session timeout in ms. Default 30000.
        public var sessionTimeoutMilliseconds: Int
        /// `kafka.heartbeat-interval-ms`: group heartbeat interval in ms. Default 3000.
        public var heartbeatIntervalMilliseconds: Int
        /// TLS, SASL and other librdkafka properties shared by every client the daemon creates:
        /// `kafka.security-protocol`, `kafka.sasl-mechanism`, `kafka.sasl-username`,
        /// `kafka.sasl-password` (secret: `$CREDENTIALS_DIRECTORY/kafka-sasl-password` or
        /// `BALMER_KAFKA_SASL_PASSWORD`), `kafka.ssl-ca-location`, `kafka.ssl-certificate-location`,
        /// `kafka.ssl-key-location`, `kafka.ssl-key-password` (secret), `kafka.properties-file`,
        /// `kafka.librdkafka.<property>`. See ``KafkaClientSettings``. Default none (plaintext).
        public var client: KafkaClientSettings

        /// A client configuration with the shared settings over the client's own `properties`.
        public func config(groupID: String? = nil, properties: [String: String] = [:]) -> KafkaConfig {
            KafkaConfig(bootstrapServers: brokers, clientID: clientID, groupID: groupID, properties: client.merged(into: properties))
        }
    }

    /// PostgreSQL: where the results go.
    public struct Database: Sendable {
        /// `database.url` (`BALMER_DATABASE_URL`): a libpq URL. Required.
        public var url: String
        /// `database.schema` (`BALMER_DATABASE_SCHEMA`): schema to use alone on `search_path`.
        /// Default none (the server's default, `public`).
        public var schema: String?
        /// `database.password` (`BALMER_DATABASE_PASSWORD`, or the credential file
        /// `$CREDENTIALS_DIRECTORY/database-password`): overrides the URL's. Secret: never logged.
        public var password: String?
        /// `database.max-connections`: pool size. Default 4.
        public var maxConnections: Int
        /// `database.migrate`: apply pending migrations at start (`true`/`false`). Default true.
        /// The schema version is checked read-only first; DDL runs only when a migration is pending
        /// (so the least-privilege writer role starts on an up-to-date schema).
        public var migrate: Bool
        /// `database.statement-timeout-ms`: `statement_timeout` of every session (0 = none).
        /// Default 600000 (bulk COPY and rescoring chunks fit).
        public var statementTimeoutMilliseconds: Int = PostgresConfiguration.defaultStatementTimeoutMilliseconds
        /// `database.lock-timeout-ms`: `lock_timeout` of every session (0 = none). Default 30000.
        public var lockTimeoutMilliseconds: Int = PostgresConfiguration.defaultLockTimeoutMilliseconds

        /// The store's connection settings (`applicationName` as shown in `pg_stat_activity`).
        public func postgres(applicationName: String) -> PostgresConfiguration {
            PostgresConfiguration(url: url, schema: schema, password: password, applicationName: applicationName,
                                  statementTimeoutMilliseconds: statementTimeoutMilliseconds,
                                  lockTimeoutMilliseconds: lockTimeoutMilliseconds)
        }
    }

    /// The ingest pipeline.
    public struct Ingest: Sendable {
        /// `ingest.batch-size`: most events per micro-batch. Default 512.
        public var batchSize: Int
        /// `ingest.batch-timeout-ms`: longest wait in ms to fill a micro-batch. Default 200.
        public var batchTimeoutMilliseconds: Int
        /// `ingest.max-buffered`: most events held between the Kafka poll thread and the pipeline
        /// before the consumer pauses its partitions. Default 4096.
        public var maxBuffered: Int
        /// `ingest.max-in-flight`: micro-batches past polling and not yet committed (1 = no
        /// overlap between computing one batch and storing the previous). Default 2.
        public var maxInFlight: Int
        /// `ingest.source`: the `rejects.source` of refused files. Default `ingest`.
        public var rejectSource: String
        /// `ingest.data-roots` (comma-separated folders), `ingest.max-file-bytes` (on-disk cap,
        /// default 64 MiB) and `ingest.max-inflated-bytes` (cap after gunzip, default 64 MiB):
        /// which files an event may name. With roots, a location is resolved (symlinks, `..`) and
        /// must lie inside one (else code `outside-data-roots`); without, any readable path is
        /// accepted (balmerd warns at start). Only regular files are opened (`not-regular-file`);
        /// larger files are refused before any buffer is allocated (`too-large`). Real spectrum
        /// files are 0.1–4 MB, so the caps are over ten times the largest and, one file per
        /// compute thread, stay well inside the unit's `MemoryMax=1G`.
        public var fileAccess: FileAccessPolicy
        /// `ingest.missing-grace-seconds`: how long after an event's Kafka timestamp (or its first
        /// attempt) a missing file (ENOENT: NFS lag, a copy still running) is retried before it is
        /// rejected as `missing`. Default 600.
        public var missingGraceSeconds: Int
        /// `ingest.retry-max-attempts`: attempts of a file failing with EIO, ESTALE, EAGAIN, EINTR,
        /// EACCES or EPERM before it is rejected as `unreadable-transient` (also bounded by the
        /// missing grace). Default 10.
        public var retryMaxAttempts: Int
        /// `ingest.retry-topic`: where events whose file failed transiently are re-published with
        /// their attempt count and due time (Kafka headers); balmerd also consumes it (added to
        /// `kafka.topics` automatically). Default `balmer.spectra.retry`.
        public var retryTopic: String
    }

    /// The active-learning loop (see ``CampaignLoop``).
    public struct Loop: Sendable {
        /// `loop.enabled`: run the loop (labels, tasks, retraining, rescoring, hot swap). Default true.
        public var enabled: Bool
        /// `loop.batch-size`: query tasks per batch (the most uncertain spectra). Default 100.
        public var batchSize: Int
        /// `loop.precision-sample`: random predicted targets labelled per iteration. Default 30.
        public var precisionSample: Int
        /// `loop.retrain-after`: new usable oracle labels that trigger a retraining. Default: the batch size.
        public var retrainAfter: Int
        /// `loop.threshold` and `loop.times`: converged when the precision estimate reached the
        /// threshold this many times. Defaults 0.8 and 3.
        public var threshold: Double
        public var times: Int
        /// `loop.max-iterations`: iterations after which the final training runs anyway. Default 20.
        public var maxIterations: Int
        /// `loop.gate-margin`: a retrained model is promoted only if its accuracy on held-out initial
        /// labels and on untrained oracle labels is no worse than the active model's minus this. Default 0.02.
        public var gateMargin: Double
        /// `loop.max-epochs`, `loop.patience`, `loop.min-delta`: retraining in the loop (paper: 1e-4 / 10). Defaults 50, 10, 1e-4.
        public var maxEpochs: Int
        public var patience: Int
        public var minDelta: Double
        /// `loop.final-max-epochs`, `loop.final-patience`, `loop.final-min-delta`: the final long
        /// training after convergence (paper: 1e-5 / 100). Defaults 300, 100, 1e-5.
        public var finalMaxEpochs: Int
        public var finalPatience: Int
        public var finalMinDelta: Double
        /// `loop.training-batch-size`: mini-batch size of retraining. Default 32 (the paper's).
        public var trainingBatchSize: Int
        /// `loop.holdout-fraction`: share of the initial labels held out for the promotion gate. Default 0.1.
        public var holdoutFraction: Double
        /// `loop.smote`: balance classes with SMOTE before retraining. Default true.
        public var smote: Bool
        /// `loop.seed`: seed of training, SMOTE and the precision sample. Default 1.
        public var seed: UInt64
        /// `loop.max-per-plate`: most query tasks per batch from one plate (file-name prefix); 0 = no guard. Default 10.
        public var maxPerPlate: Int
        /// `loop.interval-ms`: how often the loop checks the campaign, the active model and rescoring. Default 2000.
        public var intervalMilliseconds: Int
        /// `loop.settle-seconds`: a batch is selected only when no spectrum arrived for this long,
        /// so a release being published is chosen from as a whole. Default 30.
        public var settleSeconds: Int
        /// `loop.rescore-chunk`: spectra per rescoring chunk. Default 5000.
        public var rescoreChunk: Int
        /// `loop.labellers`: comma-separated entries `NAME` or `NAME:ed25519:<base64 public key>`
        /// (`balmer label keygen`) allowed to label; answers of anyone else are refused (rejects,
        /// dead letter, code `unknown-labeller`). Once an entry has a key, answers must be signed
        /// by their labeller's key (`unsigned-label`, `bad-signature`; names without a key
        /// `unknown-labeller`). Default empty: anyone, unsigned.
        public var labellers: LabellerRoster
        /// `loop.claim-timeout-seconds`: a rescoring chunk claimed longer than this is taken over. Default 600.
        public var claimTimeoutSeconds: Int
        /// `kafka.tasks-topic`, `kafka.labels-topic`, `kafka.models-topic`, `kafka.labels-group`.
        /// Defaults balmer.tasks, balmer.labels, balmer.models, balmerd-labels.
        public var tasksTopic: String
        public var labelsTopic: String
        public var modelsTopic: String
        public var labelsGroup: String
    }

    /// `compute.threads` (`BALMER_THREADS`): threads for FITS reading, preprocessing and the
    /// CNN. Default: the number of active processors.
    public var threads: Int
    /// `model.file`: a model file (balmer-cnn safetensors) registered and activated when the store
    /// has no active model. Default none (the daemon then refuses to start on an empty registry).
    public var modelFile: String?
    /// `preprocessing.window-start` / `preprocessing.window-end` (Å, vacuum; defaults 6519 / 6732)
    /// and `preprocessing.points` (must be 140: the schema stores 140 features; other windows come
    /// with campaigns, issue 25), `preprocessing.max-bad-pixel-fraction` (0.2).
    public var preprocessing: PreprocessingConfig
    /// `log.level` (`BALMER_LOG_LEVEL`): trace … critical. Default `info`. Reloaded on SIGHUP.
    public var logLevel: Logger.Level
    /// `shutdown.timeout-seconds`: longest drain after SIGTERM before a hard exit. Default 30.
    public var shutdownTimeoutSeconds: Int
    /// `http.port`: loopback port of `/metrics`, `/healthz`, `/readyz`; 0 disables. Default 9464.
    public var httpPort: Int
    /// `http.host`: address the HTTP listener binds. Default `127.0.0.1`.
    public var httpHost: String

    public var kafka: Kafka
    public var database: Database
    public var ingest: Ingest
    public var loop: Loop

    /// Every key the daemon reads.
    public static let keys: [String] = [
        "kafka.brokers", "kafka.group", "kafka.topics", "kafka.dead-letter-topic", "kafka.client-id",
        "kafka.session-timeout-ms", "kafka.heartbeat-interval-ms",
    ] + KafkaClientSettings.keys + [
        "database.url", "database.schema", "database.password", "database.max-connections", "database.migrate",
        "database.statement-timeout-ms", "database.lock-timeout-ms",
        "ingest.batch-size", "ingest.batch-timeout-ms", "ingest.max-buffered", "ingest.max-in-flight", "ingest.source",
        "ingest.data-roots", "ingest.max-file-bytes", "ingest.max-inflated-bytes", "ingest.missing-grace-seconds",
        "ingest.retry-max-attempts", "ingest.retry-topic",
        "compute.threads", "model.file",
        "preprocessing.window-start", "preprocessing.window-end", "preprocessing.points",
        "preprocessing.max-bad-pixel-fraction",
        "log.level", "shutdown.timeout-seconds", "http.port", "http.host",
        "loop.enabled", "loop.batch-size", "loop.precision-sample", "loop.retrain-after", "loop.threshold", "loop.times",
        "loop.max-iterations", "loop.gate-margin", "loop.max-epochs", "loop.patience", "loop.min-delta",
        "loop.final-max-epochs", "loop.final-patience", "loop.final-min-delta", "loop.training-batch-size",
        "loop.holdout-fraction", "loop.smote", "loop.seed", "loop.max-per-plate", "loop.interval-ms", "loop.settle-seconds",
        "loop.rescore-chunk", "loop.claim-timeout-seconds", "loop.labellers",
        "kafka.tasks-topic", "kafka.labels-topic", "kafka.models-topic", "kafka.labels-group",
    ]

    /// Reads every key from `config`; throws ``ConfigReader/Error`` on a bad value.
    public init(config: ConfigReader) throws {
        let host = ProcessInfo.processInfo.hostName
        kafka = Kafka(
            brokers: config.string("kafka.brokers", default: "localhost:9092"),
            group: config.string("kafka.group", default: "balmerd"),
            topics: config.list("kafka.topics", default: ["balmer.spectra"]),
            deadLetterTopic: config.string("kafka.dead-letter-topic", default: "balmer.dead-letter"),
            clientID: config.string("kafka.client-id", default: "balmerd-\(host)-\(getpid())"),
            sessionTimeoutMilliseconds: try config.int("kafka.session-timeout-ms", default: 30_000, in: 1000...3_600_000),
            heartbeatIntervalMilliseconds: try config.int("kafka.heartbeat-interval-ms", default: 3000, in: 100...600_000),
            client: try KafkaClientSettings(config: config))
        try kafka.client.validate(brokers: kafka.brokers, clientID: kafka.clientID)
        guard let url = config.string("database.url"), !url.isEmpty else {
            throw ConfigReader.Error("database.url is not set (give --database.url, BALMER_DATABASE_URL or the config file)")
        }
        let migrate = config.string("database.migrate", default: "true").lowercased()
        guard ["true", "false"].contains(migrate) else { throw ConfigReader.Error("database.migrate must be true or false") }
        database = Database(
            url: url, schema: config.string("database.schema").flatMap { $0.isEmpty ? nil : $0 },
            password: config.string("database.password"),
            maxConnections: try config.int("database.max-connections", default: 4, in: 1...64),
            migrate: migrate == "true",
            statementTimeoutMilliseconds: try config.int("database.statement-timeout-ms",
                                                         default: PostgresConfiguration.defaultStatementTimeoutMilliseconds,
                                                         in: 0...86_400_000),
            lockTimeoutMilliseconds: try config.int("database.lock-timeout-ms",
                                                    default: PostgresConfiguration.defaultLockTimeoutMilliseconds,
                                                    in: 0...86_400_000))
        ingest = Ingest(
            batchSize: try config.int("ingest.batch-size", default: 512, in: 1...100_000),
            batchTimeoutMilliseconds: try config.int("ingest.batch-timeout-ms", default: 200, in: 1...600_000),
            maxBuffered: try config.int("ingest.max-buffered", default: 4096, in: 1...10_000_000),
            maxInFlight: try config.int("ingest.max-in-flight", default: 2, in: 1...16),
            rejectSource: config.string("ingest.source", default: "ingest"),
            fileAccess: try Self.fileAccess(config),
            missingGraceSeconds: try config.int("ingest.missing-grace-seconds", default: 600, in: 0...604_800),
            retryMaxAttempts: try config.int("ingest.retry-max-attempts", default: 10, in: 1...1000),
            retryTopic: config.string("ingest.retry-topic", default: BalmerTopic.spectraRetry))
        guard TopicSpec.isValidName(Substring(ingest.retryTopic)) else {
            throw ConfigReader.Error("ingest.retry-topic is not a valid topic name: \(ingest.retryTopic)")
        }
        threads = try config.int("compute.threads", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...1024)
        modelFile = config.string("model.file").flatMap { $0.isEmpty ? nil : $0 }
        preprocessing = PreprocessingConfig(
            windowStart: try config.double("preprocessing.window-start", default: 6519),
            windowEnd: try config.double("preprocessing.window-end", default: 6732),
            points: try config.int("preprocessing.points", default: 140, in: 2...100_000),
            maxBadPixelFraction: try config.double("preprocessing.max-bad-pixel-fraction", default: 0.2))
        guard preprocessing.points == SpectrumRecord.featureCount else {
            throw ConfigReader.Error("preprocessing.points must be \(SpectrumRecord.featureCount) (the schema stores \(SpectrumRecord.featureCount) features; other windows come with campaigns, issue 25)")
        }
        guard preprocessing.windowStart < preprocessing.windowEnd else {
            throw ConfigReader.Error("preprocessing.window-start must be below preprocessing.window-end")
        }
        logLevel = try Self.level(config.string("log.level", default: "info"))
        shutdownTimeoutSeconds = try config.int("shutdown.timeout-seconds", default: 30, in: 1...3600)
        httpPort = try config.int("http.port", default: 9464, in: 0...65535)
        httpHost = config.string("http.host", default: "127.0.0.1")
        guard !kafka.topics.isEmpty else { throw ConfigReader.Error("kafka.topics is empty") }
        let batch = try config.int("loop.batch-size", default: 100, in: 1...100_000)
        loop = Loop(
            enabled: try Self.flag(config, "loop.enabled", default: true),
            batchSize: batch,
            precisionSample: try config.int("loop.precision-sample", default: 30, in: 0...100_000),
            retrainAfter: try config.int("loop.retrain-after", default: batch, in: 1...1_000_000),
            threshold: try config.double("loop.threshold", default: 0.8),
            times: try config.int("loop.times", default: 3, in: 1...1000),
            maxIterations: try config.int("loop.max-iterations", default: 20, in: 1...100_000),
            gateMargin: try config.double("loop.gate-margin", default: 0.02),
            maxEpochs: try config.int("loop.max-epochs", default: 50, in: 1...100_000),
            patience: try config.int("loop.patience", default: 10, in: 0...100_000),
            minDelta: try config.double("loop.min-delta", default: 1e-4),
            finalMaxEpochs: try config.int("loop.final-max-epochs", default: 300, in: 1...100_000),
            finalPatience: try config.int("loop.final-patience", default: 100, in: 0...100_000),
            finalMinDelta: try config.double("loop.final-min-delta", default: 1e-5),
            trainingBatchSize: try config.int("loop.training-batch-size", default: 32, in: 1...65_536),
            holdoutFraction: try config.double("loop.holdout-fraction", default: 0.1),
            smote: try Self.flag(config, "loop.smote", default: true),
            seed: UInt64(try config.int("loop.seed", default: 1, in: 0...Int.max)),
            maxPerPlate: try config.int("loop.max-per-plate", default: 10, in: 0...100_000),
            intervalMilliseconds: try config.int("loop.interval-ms", default: 2000, in: 10...3_600_000),
            settleSeconds: try config.int("loop.settle-seconds", default: 30, in: 0...86_400),
            rescoreChunk: try config.int("loop.rescore-chunk", default: 5000, in: 1...10_000_000),
            labellers: try Self.roster(config),
            claimTimeoutSeconds: try config.int("loop.claim-timeout-seconds", default: 600, in: 1...86_400),
            tasksTopic: config.string("kafka.tasks-topic", default: "balmer.tasks"),
            labelsTopic: config.string("kafka.labels-topic", default: "balmer.labels"),
            modelsTopic: config.string("kafka.models-topic", default: "balmer.models"),
            labelsGroup: config.string("kafka.labels-group", default: "balmerd-labels"))
        guard (0...1).contains(loop.threshold) else { throw ConfigReader.Error("loop.threshold must be within 0…1") }
        guard (0..<1).contains(loop.holdoutFraction) else { throw ConfigReader.Error("loop.holdout-fraction must be within 0…1 (exclusive)") }
    }

    /// `ingest.data-roots` (resolved now) and the two size caps.
    static func fileAccess(_ config: ConfigReader) throws -> FileAccessPolicy {
        let cap = 512 << 20
        let maxFile = try config.int("ingest.max-file-bytes", default: FileAccessPolicy.defaultMaxFileBytes, in: 2880...cap)
        let maxInflated = try config.int("ingest.max-inflated-bytes", default: FileAccessPolicy.defaultMaxInflatedBytes,
                                         in: 2880...cap)
        do {
            return try FileAccessPolicy.resolving(roots: config.list("ingest.data-roots", default: []),
                                                  maxFileBytes: maxFile, maxInflatedBytes: maxInflated)
        } catch {
            throw ConfigReader.Error("ingest.data-roots: \(error)")
        }
    }

    /// The topics the ingest consumer subscribes to: `kafka.topics` and the retry topic.
    public var ingestTopics: [String] {
        kafka.topics.contains(ingest.retryTopic) ? kafka.topics : kafka.topics + [ingest.retryTopic]
    }

    /// Reads a `true`/`false` key.
    static func flag(_ config: ConfigReader, _ key: String, default value: Bool) throws -> Bool {
        let raw = config.string(key, default: value ? "true" : "false").lowercased()
        guard raw == "true" || raw == "false" else { throw ConfigReader.Error("\(key) must be true or false") }
        return raw == "true"
    }

    /// `loop.labellers` as a roster (each name a valid labeller name, each key 32 bytes of base64).
    public static func roster(_ config: ConfigReader) throws -> LabellerRoster {
        do { return try LabellerRoster(config.list(LabellerRoster.key, default: [])) } catch {
            throw ConfigReader.Error(error.description)
        }
    }

    /// Parses a log level name.
    public static func level(_ name: String) throws -> Logger.Level {
        guard let level = Logger.Level(rawValue: name.lowercased()) else {
            throw ConfigReader.Error("log.level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), not \(name)")
        }
        return level
    }

    /// Metadata for the startup log (the password shown only as set/unset).
    public var logMetadata: Logger.Metadata {
        [
            "kafka.brokers": "\(kafka.brokers)", "kafka.group": "\(kafka.group)",
            "kafka.topics": "\(kafka.topics.joined(separator: ","))",
            "kafka.properties": "\(kafka.client.description.isEmpty ? "-" : kafka.client.description)",
            "database.schema": "\(database.schema ?? "-")",
            "database.password": "\(database.password == nil ? "unset" : "set")",
            "compute.threads": "\(threads)", "ingest.batch-size": "\(ingest.batchSize)",
            "ingest.batch-timeout-ms": "\(ingest.batchTimeoutMilliseconds)",
            "ingest.max-buffered": "\(ingest.maxBuffered)", "ingest.max-in-flight": "\(ingest.maxInFlight)",
            "model.file": "\(modelFile ?? "-")", "http.port": "\(httpPort)",
            "ingest.data-roots": "\(ingest.fileAccess.roots.isEmpty ? "-" : ingest.fileAccess.roots.joined(separator: ","))",
            "ingest.max-file-bytes": "\(ingest.fileAccess.maxFileBytes)",
            "ingest.max-inflated-bytes": "\(ingest.fileAccess.maxInflatedBytes)",
            "ingest.missing-grace-seconds": "\(ingest.missingGraceSeconds)", "ingest.retry-topic": "\(ingest.retryTopic)",
            "loop.labellers": "\(loop.labellers)\(loop.labellers.requiresSignatures ? " (signed answers only, \(loop.labellers.keys.values.map(\.count).reduce(0, +)) keys)" : "")",
        ]
    }
}
