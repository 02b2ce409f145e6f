import ArgumentParser
import BalmerBus
import BalmerService
import BalmerStore
import Foundation

/// `balmer status`: where the active-learning campaign stands.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Campaign state, models, precision per iteration, tasks, conflicts, rescoring and counts.",
        discussion: """
            Reads the store; with --brokers (or BALMER_KAFKA_BROKERS) also the consumer lag of \
            balmerd on balmer.spectra and balmer.labels and of the labellers on balmer.tasks \
            (read from outside the groups: `balmer kafka offsets` shows it per partition).
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Precision threshold marked on the chart (default: loop.threshold from --config or BALMER_LOOP_THRESHOLD, else 0.8).")
    var threshold: Double?
    @Option(help: "Bootstrap servers host:port,… for the consumer lag (default: $BALMER_KAFKA_BROKERS).") var brokers: String?
    @Option(help: "balmerd's consumer group on balmer.spectra.") var group = "balmerd"
    @Option(help: "balmerd's consumer group on balmer.labels.") var labelsGroup = "balmerd-labels"
    @Option(help: "The labellers' consumer group on balmer.tasks.") var labellersGroup = "balmer-labellers"
    @OptionGroup var kafka: KafkaClientOptions
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        if let threshold, !(0...1).contains(threshold) {
            throw ValidationError("--threshold must be within 0...1")
        }
    }

    /// `--threshold`, else balmerd's `loop.threshold` (configuration file or environment), else 0.8.
    func resolvedThreshold() throws -> Double {
        if let threshold { return threshold }
        do {
            let config = try ConfigReader(arguments: database.config.map { ["--config", $0] } ?? [])
            let value = try config.double("loop.threshold", default: 0.8)
            guard (0...1).contains(value) else { throw ConfigReader.Error("loop.threshold must be within 0...1") }
            return value
        } catch {
            throw CLIFailure(2, "\(error)")
        }
    }

    func run() async throws {
        let threshold = try resolvedThreshold()
        let status = try await ModelStore.run(database, migrate: false) { store in try await StatusReport.read(store) }
        let lag = try await consumerLag()
        if json {
            var object = status.object(threshold: threshold)
            object["consumer_lag"] = lag.map { rows in
                rows.map { row -> [String: Any] in
                    var entry: [String: Any] = ["group": row.group, "topic": row.topic]
                    if let lag = row.lag { entry["lag"] = lag } else { entry["error"] = row.error ?? "unknown" }
                    return entry
                }
            } ?? NSNull()
            print(ModelJSON.text(object))
        } else {
            print(status.text(threshold: threshold))
            for row in lag ?? [] {
                print("kafka lag   \(row.group) on \(row.topic): \(row.lag.map(String.init) ?? "unknown (\(row.error ?? "?"))")")
            }
        }
    }

    /// One group's total lag on one topic, or why it could not be read.
    struct LagRow {
        var group: String
        var topic: String
        var lag: Int64?
        var error: String?
    }

    /// The lag of the daemon's and the labellers' groups; nil without brokers. A cluster that does
    /// not answer is reported per row, never fails the command (the store part is what matters).
    func consumerLag() async throws -> [LagRow]? {
        guard let brokers = KafkaBrokers.resolve(brokers) else { return nil }
        let properties = try kafka.properties(command: "status", config: database.config)
        var rows: [LagRow] = []
        for (group, topic) in [(group, BalmerTopic.spectra), (labelsGroup, BalmerTopic.labels), (labellersGroup, BalmerTopic.tasks)] {
            let config = KafkaConfig(bootstrapServers: brokers, clientID: "balmer-status", groupID: group, properties: properties)
            do {
                let positions = try await KafkaGroupOffsets.positions(config: config, topic: topic, timeout: .seconds(5),
                                                                      logger: KafkaBrokers.quietLogger)
                rows.append(LagRow(group: group, topic: topic, lag: positions.reduce(0) { $0 + $1.lag }))
            } catch {
                rows.append(LagRow(group: group, topic: topic, error: "\(error)"))
            }
        }
        return rows
    }
}
