import BalmerBus
import BalmerStore
import Foundation
import Logging

/// Wires the daemon: store (migrated), scoring model, Kafka consumer and producer, pipeline.
public enum Daemon {
    /// Connects everything `configuration` names and returns the pipeline ready to `run()`.
    public static func build(_ configuration: DaemonConfiguration, counters: IngestCounters = IngestCounters(),
                             logger: Logger) async throws -> IngestPipeline {
        let db = configuration.database
        let store = PostgresStore(
            configuration: PostgresConfiguration(url: db.url, schema: db.schema, password: db.password,
                                                 applicationName: "balmerd"),
            maxConnections: db.maxConnections, logger: logger)
        if db.migrate {
            let applied = try await store.migrate()
            if !applied.isEmpty { logger.notice("applied migrations", metadata: ["versions": "\(applied)"]) }
        }
        let model = try await ScoringModel.load(store: store, file: configuration.modelFile, logger: logger)
        guard model.model.architecture.inputSize == configuration.preprocessing.points else {
            throw ConfigReader.Error("the model takes \(model.model.architecture.inputSize) inputs but preprocessing.points is \(configuration.preprocessing.points)")
        }
        let k = configuration.kafka
        let properties = [
            "session.timeout.ms": "\(k.sessionTimeoutMilliseconds)",
            "heartbeat.interval.ms": "\(k.heartbeatIntervalMilliseconds)",
            "topic.metadata.refresh.interval.ms": "5000",
        ]
        let producer = try KafkaProducer(
            config: KafkaConfig(bootstrapServers: k.brokers, clientID: k.clientID), logger: logger)
        let tracker = OffsetTracker()
        let consumer = try KafkaConsumer(
            config: KafkaConfig(bootstrapServers: k.brokers, clientID: k.clientID, groupID: k.group, properties: properties),
            topics: k.topics, bufferCapacity: configuration.ingest.maxBuffered, logger: logger,
            onRebalance: { [logger] event in
                let commit = tracker.rebalance(event)
                logger.info("rebalance", metadata: ["event": "\(event)", "commit": "\(commit)"])
                return commit
            })
        return IngestPipeline(configuration: configuration, store: store, consumer: consumer, producer: producer,
                              tracker: tracker, model: model, counters: counters, logger: logger)
    }
}
