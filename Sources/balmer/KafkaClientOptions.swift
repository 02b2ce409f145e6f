import ArgumentParser
import BalmerBus
import BalmerService
import Foundation

/// TLS, SASL and other librdkafka settings of every `balmer` command that talks to Kafka. Applied
/// in this order, later wins: the `kafka.*` keys balmerd reads (``KafkaClientSettings``: from the
/// `--config` file where the command has one, `BALMER_KAFKA_*` variables such as
/// `BALMER_KAFKA_SASL_PASSWORD`, or `$CREDENTIALS_DIRECTORY/kafka-sasl-password`), then
/// `--kafka-properties-file`, then each `--kafka-property`. Secrets belong in the file or the
/// environment, not on the command line (visible in `ps`).
struct KafkaClientOptions: ParsableArguments {
    @Option(name: .customLong("kafka-property"),
            help: ArgumentHelp("librdkafka setting KEY=VALUE, e.g. security.protocol=SASL_SSL (repeatable).", valueName: "key=value"))
    var kafkaProperties: [String] = []

    @Option(name: .customLong("kafka-properties-file"),
            help: ArgumentHelp("librdkafka properties file (key=value lines, # comments), e.g. with sasl.password; mode 0600.", valueName: "file"))
    var kafkaPropertiesFile: String?

    func validate() throws {
        for property in kafkaProperties where KafkaPropertiesFile.pair(property) == nil {
            throw ValidationError("--kafka-property needs KEY=VALUE, got '\(property.prefix(40))…'")
        }
        if let kafkaPropertiesFile, !FileManager.default.isReadableFile(atPath: kafkaPropertiesFile) {
            throw ValidationError("cannot read the Kafka properties file \(kafkaPropertiesFile)")
        }
    }

    /// The librdkafka properties to add to the client's own; exit 2 with a one-line error (never
    /// a secret value) when a file is unreadable or librdkafka refuses a setting.
    func properties(command: String, config: String? = nil,
                    environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [String: String] {
        var result: [String: String]
        do {
            let reader = try ConfigReader(arguments: config.map { ["--config", $0] } ?? [], environment: environment)
            let settings = try KafkaClientSettings(config: reader)
            // Checked alone first, so that an error names the key that set the property.
            try settings.validate(brokers: "localhost:9092", clientID: "balmer")
            result = settings.properties
        } catch {
            throw CLIFailure(2, "\(command): \(error)")
        }
        if let kafkaPropertiesFile {
            do { result.merge(try KafkaPropertiesFile.load(path: kafkaPropertiesFile)) { $1 } } catch {
                throw CLIFailure(2, "\(command): \(error.message)")
            }
        }
        for property in kafkaProperties {
            if let pair = KafkaPropertiesFile.pair(property) { result[pair.key] = pair.value }
        }
        do {
            // Any broker name will do: only the properties are checked.
            try KafkaConfig(brokers: ["localhost:9092"], properties: result).validate()
        } catch {
            throw CLIFailure(2, "\(command): invalid Kafka setting: \(error.message)")
        }
        return result
    }
}
