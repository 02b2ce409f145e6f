import ArgumentParser
import BalmerService
import BalmerStore
import Foundation

/// `balmer status`: where the active-learning campaign stands.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Campaign state, models, precision per iteration, tasks, conflicts, rescoring and counts.",
        discussion: """
            Reads the store only. Consumer lag of the balmerd groups is not shown: reading another \
            group's committed offsets and the topics' high watermarks needs an admin API BalmerBus \
            does not offer yet (see `kafka-consumer-groups --describe --group balmerd`).
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Precision threshold marked on the chart (default: loop.threshold from --config or BALMER_LOOP_THRESHOLD, else 0.8).")
    var threshold: Double?
    @Option(help: "Bootstrap servers (accepted; consumer lag is not available yet, see the discussion).") var brokers: String?
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
        let brokers = brokers ?? ProcessInfo.processInfo.environment["BALMER_KAFKA_BROKERS"]
        let lagNote = brokers?.isEmpty == false
            ? "consumer lag not available: BalmerBus has no admin API for group offsets and watermarks yet"
            : nil
        if json {
            var object = status.object(threshold: threshold)
            object["consumer_lag"] = NSNull()
            if let lagNote { object["consumer_lag_note"] = lagNote }
            print(ModelJSON.text(object))
        } else {
            print(status.text(threshold: threshold))
            if let lagNote { print("kafka: \(lagNote)") }
        }
    }
}
