import ArgumentParser
import BalmerBus
import BalmerStore
import Foundation
import Logging

/// `--brokers` and `--models-topic`: where a promotion is announced (best effort).
struct ModelAnnouncementOptions: ParsableArguments {
    @Option(help: "Bootstrap servers host:port,… to announce the change on (default: $BALMER_KAFKA_BROKERS; none: no announcement).")
    var brokers: String?

    @Option(name: .customLong("models-topic"), help: "Topic of model announcements.")
    var modelsTopic: String = BalmerTopic.models

    @OptionGroup var kafka: KafkaClientOptions

    var resolvedBrokers: String? {
        let value = brokers ?? ProcessInfo.processInfo.environment["BALMER_KAFKA_BROKERS"]
        return value?.isEmpty == false ? value : nil
    }

    /// Sends a ``ModelEvent`` for `entry` (location `postgresql:models/VERSION`, numeric metrics);
    /// a failure is a warning on stderr, never an error: instances follow the registry anyway.
    func announce(_ entry: ModelEntry) async {
        guard let brokers = resolvedBrokers else { return }
        let metrics = ModelJSON.object(entry.record.metricsJSON).compactMapValues { value -> Double? in
            guard let n = value as? NSNumber else { return nil }
            return n.doubleValue
        }
        let event = ModelEvent(version: String(entry.version), sha256: entry.record.sha256, metrics: metrics,
                               location: "postgresql:models/\(entry.version)")
        var logger = Logger(label: "balmer.model") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .critical
        do {
            let properties = try kafka.properties(command: "model")
            let producer = try KafkaProducer(
                config: KafkaConfig(bootstrapServers: brokers, clientID: "balmer-model",
                                    properties: ["message.timeout.ms": "10000"].merging(properties) { $1 }),
                logger: logger)
            do {
                try await producer.send(event, topic: modelsTopic)
                await producer.shutdown(timeout: .seconds(5))
            } catch {
                await producer.shutdown(timeout: .seconds(1))
                throw error
            }
            FileHandle.standardError.write(Data("balmer: announced model \(entry.version) on \(modelsTopic)\n".utf8))
        } catch {
            FileHandle.standardError.write(Data("""
                balmer: warning: could not announce model \(entry.version) on \(modelsTopic) via \(brokers) (\(error)); \
                instances follow the registry anyway within loop.interval-ms

                """.utf8))
        }
    }
}
