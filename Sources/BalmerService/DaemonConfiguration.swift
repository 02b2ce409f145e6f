import BalmerCore
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
        public var migrate: Bool
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
    }

    /// `compute.threads` (`BALMER_THREADS`): threads for FITS reading, preprocessing and the
    /// CNN. Default: the number of active processors.
    public var threads: Int
    /// `model.file`: a model file (balmer-cnn safetensors) registered and activated when the store
    /// has no active model. Default none (the daemon then refuses to start on an empty registry).
    public var modelFile: String?
    /// `preprocessing.window-start` / `preprocessing.window-end` (Å, vacuum; defaults 6519 / 6732)
    /// and `preprocessing.points` (default 140), `preprocessing.max-bad-pixel-fraction` (0.2).
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

    /// Every key the daemon reads.
    public static let keys: [String] = [
        "kafka.brokers", "kafka.group", "kafka.topics", "kafka.dead-letter-topic", "kafka.client-id",
        "kafka.session-timeout-ms", "kafka.heartbeat-interval-ms",
        "database.url", "database.schema", "database.password", "database.max-connections", "database.migrate",
        "ingest.batch-size", "ingest.batch-timeout-ms", "ingest.max-buffered", "ingest.max-in-flight", "ingest.source",
        "compute.threads", "model.file",
        "preprocessing.window-start", "preprocessing.window-end", "preprocessing.points",
        "preprocessing.max-bad-pixel-fraction",
        "log.level", "shutdown.timeout-seconds", "http.port", "http.host",
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
            heartbeatIntervalMilliseconds: try config.int("kafka.heartbeat-interval-ms", default: 3000, in: 100...600_000))
        guard let url = config.string("database.url"), !url.isEmpty else {
            throw ConfigReader.Error("database.url is not set (give --database.url, BALMER_DATABASE_URL or the config file)")
        }
        let migrate = config.string("database.migrate", default: "true").lowercased()
        guard ["true", "false"].contains(migrate) else { throw ConfigReader.Error("database.migrate must be true or false") }
        database = Database(
            url: url, schema: config.string("database.schema").flatMap { $0.isEmpty ? nil : $0 },
            password: config.string("database.password"),
            maxConnections: try config.int("database.max-connections", default: 4, in: 1...64),
            migrate: migrate == "true")
        ingest = Ingest(
            batchSize: try config.int("ingest.batch-size", default: 512, in: 1...100_000),
            batchTimeoutMilliseconds: try config.int("ingest.batch-timeout-ms", default: 200, in: 1...600_000),
            maxBuffered: try config.int("ingest.max-buffered", default: 4096, in: 1...10_000_000),
            maxInFlight: try config.int("ingest.max-in-flight", default: 2, in: 1...16),
            rejectSource: config.string("ingest.source", default: "ingest"))
        threads = try config.int("compute.threads", default: ProcessInfo.processInfo.activeProcessorCount, in: 1...1024)
        modelFile = config.string("model.file").flatMap { $0.isEmpty ? nil : $0 }
        preprocessing = PreprocessingConfig(
            windowStart: try config.double("preprocessing.window-start", default: 6519),
            windowEnd: try config.double("preprocessing.window-end", default: 6732),
            points: try config.int("preprocessing.points", default: 140, in: 2...100_000),
            maxBadPixelFraction: try config.double("preprocessing.max-bad-pixel-fraction", default: 0.2))
        guard preprocessing.windowStart < preprocessing.windowEnd else {
            throw ConfigReader.Error("preprocessing.window-start must be below preprocessing.window-end")
        }
        logLevel = try Self.level(config.string("log.level", default: "info"))
        shutdownTimeoutSeconds = try config.int("shutdown.timeout-seconds", default: 30, in: 1...3600)
        httpPort = try config.int("http.port", default: 9464, in: 0...65535)
        httpHost = config.string("http.host", default: "127.0.0.1")
        guard !kafka.topics.isEmpty else { throw ConfigReader.Error("kafka.topics is empty") }
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
            "database.schema": "\(database.schema ?? "-")",
            "database.password": "\(database.password == nil ? "unset" : "set")",
            "compute.threads": "\(threads)", "ingest.batch-size": "\(ingest.batchSize)",
            "ingest.batch-timeout-ms": "\(ingest.batchTimeoutMilliseconds)",
            "ingest.max-buffered": "\(ingest.maxBuffered)", "ingest.max-in-flight": "\(ingest.maxInFlight)",
            "model.file": "\(modelFile ?? "-")", "http.port": "\(httpPort)",
        ]
    }
}
