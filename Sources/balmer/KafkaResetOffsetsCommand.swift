import ArgumentParser
import BalmerBus
import Foundation

/// `balmer kafka reset-offsets`: moves a stopped group (e.g. to replay a release).
struct KafkaResetOffsetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset-offsets",
        abstract: "Move a consumer group on a topic to the earliest or latest offsets or to a time (replay).",
        discussion: """
            Prints the new positions; commits them only with --execute. Every member of the group \
            must be stopped first (the brokers refuse commits from outside an active group). \
            Replaying spectra is safe: the store's writes are idempotent.
            """)

    @OptionGroup var position: GroupPositionOptions
    @Flag(help: "To the oldest retained message (replay everything).")
    var toEarliest = false
    @Flag(help: "To the end (skip everything published so far).")
    var toLatest = false
    @Option(help: "To the first message at or after this time (ISO 8601, e.g. 2026-11-01T00:00:00Z).")
    var toDatetime: String?
    @Flag(help: "Commit the new offsets (without it, only show them).")
    var execute = false

    func validate() throws {
        let chosen = [toEarliest, toLatest, toDatetime != nil].filter { $0 }.count
        guard chosen == 1 else { throw ValidationError("give exactly one of --to-earliest, --to-latest, --to-datetime") }
        if let toDatetime, ISO8601DateFormatter().date(from: toDatetime) == nil {
            throw ValidationError("--to-datetime must be ISO 8601 with a zone, e.g. 2026-11-01T00:00:00Z")
        }
    }

    var target: KafkaGroupOffsets.Target {
        if toEarliest { return .earliest }
        if toLatest { return .latest }
        return .time(toDatetime.flatMap { ISO8601DateFormatter().date(from: $0) } ?? Date())
    }

    func run() async throws {
        let config = try position.config(command: "kafka reset-offsets")
        let positions: [KafkaGroupOffsets.Position]
        do {
            positions = try await KafkaGroupOffsets.reset(config: config, topic: position.topic, to: target, execute: execute,
                                                          timeout: .seconds(position.timeout), logger: KafkaBrokers.quietLogger)
        } catch {
            throw CLIFailure(1, "kafka reset-offsets: \(error)")
        }
        KafkaOffsetsPrinter.print(positions, group: position.group, json: position.json)
        if !execute {
            FileHandle.standardError.write(Data("kafka reset-offsets: dry run; add --execute to commit these offsets\n".utf8))
        }
    }
}
