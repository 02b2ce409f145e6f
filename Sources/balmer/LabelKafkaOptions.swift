import ArgumentParser
import BalmerBus
import Foundation

/// Kafka settings of `balmer label` and its helper subcommands.
struct LabelKafkaOptions: ParsableArguments {
    @Option(help: "Bootstrap servers host:port,… (default: $BALMER_KAFKA_BROKERS, then kafka.brokers of --config).")
    var brokers: String?

    @Option(help: "JSON configuration file (reads kafka.brokers and the TLS/SASL keys kafka.security-protocol, kafka.sasl-*, kafka.ssl-*, kafka.librdkafka.*).")
    var config: String?

    @Option(name: .customLong("tasks-topic"), help: "Topic the labelling tasks arrive on.")
    var tasksTopic: String = BalmerTopic.tasks

    @Option(name: .customLong("labels-topic"), help: "Topic the answers go to.")
    var labelsTopic: String = BalmerTopic.labels

    @OptionGroup var client: KafkaClientOptions

    @Option(name: .customLong("connect-timeout"), help: "Seconds to wait for the brokers before giving up.")
    var connectTimeout: Int = 10

    func validate() throws {
        for topic in [tasksTopic, labelsTopic] where !TopicSpec.isValidName(Substring(topic)) {
            throw ValidationError("'\(topic.prefix(60))' is not a valid topic name")
        }
        guard (1...600).contains(connectTimeout) else { throw ValidationError("--connect-timeout must be 1...600 seconds") }
        if let config, !FileManager.default.fileExists(atPath: config) { throw ValidationError("no such configuration file: \(config)") }
    }

    /// TLS/SASL and other librdkafka settings (``KafkaClientOptions``, with `--config`'s keys).
    func properties(command: String) throws -> [String: String] {
        try client.properties(command: command, config: config)
    }

    /// The brokers from the option, the environment or the configuration file; exit 2 when none.
    func resolvedBrokers(command: String) throws -> String {
        if let brokers, !brokers.isEmpty { return brokers }
        if let brokers = ProcessInfo.processInfo.environment["BALMER_KAFKA_BROKERS"], !brokers.isEmpty { return brokers }
        if let config {
            guard let data = FileManager.default.contents(atPath: config),
                  let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw CLIFailure(2, "\(command): \(config) is not a JSON object")
            }
            let kafka = root["kafka"] as? [String: Any]
            if let text = kafka?["brokers"] as? String, !text.isEmpty { return text }
            if let list = kafka?["brokers"] as? [String], !list.isEmpty { return list.joined(separator: ",") }
        }
        throw CLIFailure(2, "\(command): no Kafka brokers: pass --brokers, set BALMER_KAFKA_BROKERS or give kafka.brokers in --config")
    }
}
