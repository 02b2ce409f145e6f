import ArgumentParser
import BalmerBus
import Foundation

/// The cluster, group and topic the offsets commands work on.
struct GroupPositionOptions: ParsableArguments {
    @Option(help: "Bootstrap servers host:port,… (default: $BALMER_KAFKA_BROKERS).")
    var brokers: String?
    @Option(help: "Consumer group.")
    var group: String = "balmerd"
    @Option(help: "Topic.")
    var topic: String = BalmerTopic.spectra
    @Option(help: "Seconds to wait for the cluster.")
    var timeout: Int = 10
    @Flag(help: "Print one JSON object per partition (one per line).")
    var json = false
    @OptionGroup var kafka: KafkaClientOptions

    func validate() throws {
        guard KafkaBrokers.resolve(brokers) != nil else { throw ValidationError("give --brokers or set BALMER_KAFKA_BROKERS") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
    }

    func config(command: String) throws -> KafkaConfig {
        KafkaConfig(bootstrapServers: KafkaBrokers.resolve(brokers) ?? "", clientID: "balmer-offsets", groupID: group,
                    properties: try kafka.properties(command: command))
    }
}
