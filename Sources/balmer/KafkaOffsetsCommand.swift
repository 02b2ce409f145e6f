import ArgumentParser
import BalmerBus
import Foundation
import Logging

/// `balmer kafka offsets`: where a consumer group stands on a topic (committed, watermarks, lag).
struct KafkaOffsetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "offsets",
        abstract: "Show a consumer group's committed offsets and lag on a topic, per partition.",
        discussion: "Reads only; the group is not joined. Default: balmerd's group on balmer.spectra.")

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

    func run() async throws {
        let config = KafkaConfig(bootstrapServers: KafkaBrokers.resolve(brokers) ?? "", clientID: "balmer-offsets", groupID: group,
                                 properties: try kafka.properties(command: "kafka offsets"))
        let positions: [KafkaGroupOffsets.Position]
        do {
            positions = try await KafkaGroupOffsets.positions(config: config, topic: topic, timeout: .seconds(timeout),
                                                              logger: KafkaBrokers.quietLogger)
        } catch {
            throw CLIFailure(1, "kafka offsets: \(error)")
        }
        KafkaOffsetsPrinter.print(positions, group: group, json: json)
    }
}

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

    @Option(help: "Bootstrap servers host:port,… (default: $BALMER_KAFKA_BROKERS).")
    var brokers: String?
    @Option(help: "Consumer group.")
    var group: String = "balmerd"
    @Option(help: "Topic.")
    var topic: String = BalmerTopic.spectra
    @Flag(help: "To the oldest retained message (replay everything).")
    var toEarliest = false
    @Flag(help: "To the end (skip everything published so far).")
    var toLatest = false
    @Option(help: "To the first message at or after this time (ISO 8601, e.g. 2026-11-01T00:00:00Z).")
    var toDatetime: String?
    @Flag(help: "Commit the new offsets (without it, only show them).")
    var execute = false
    @Option(help: "Seconds to wait for the cluster.")
    var timeout: Int = 10
    @Flag(help: "Print one JSON object per partition (one per line).")
    var json = false
    @OptionGroup var kafka: KafkaClientOptions

    func validate() throws {
        guard KafkaBrokers.resolve(brokers) != nil else { throw ValidationError("give --brokers or set BALMER_KAFKA_BROKERS") }
        let chosen = [toEarliest, toLatest, toDatetime != nil].filter { $0 }.count
        guard chosen == 1 else { throw ValidationError("give exactly one of --to-earliest, --to-latest, --to-datetime") }
        if let toDatetime, ISO8601DateFormatter().date(from: toDatetime) == nil {
            throw ValidationError("--to-datetime must be ISO 8601 with a zone, e.g. 2026-11-01T00:00:00Z")
        }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
    }

    var target: KafkaGroupOffsets.Target {
        if toEarliest { return .earliest }
        if toLatest { return .latest }
        return .time(toDatetime.flatMap { ISO8601DateFormatter().date(from: $0) } ?? Date())
    }

    func run() async throws {
        let config = KafkaConfig(bootstrapServers: KafkaBrokers.resolve(brokers) ?? "", clientID: "balmer-offsets", groupID: group,
                                 properties: try kafka.properties(command: "kafka reset-offsets"))
        let positions: [KafkaGroupOffsets.Position]
        do {
            positions = try await KafkaGroupOffsets.reset(config: config, topic: topic, to: target, execute: execute,
                                                          timeout: .seconds(timeout), logger: KafkaBrokers.quietLogger)
        } catch {
            throw CLIFailure(1, "kafka reset-offsets: \(error)")
        }
        KafkaOffsetsPrinter.print(positions, group: group, json: json)
        if !execute {
            FileHandle.standardError.write(Data("kafka reset-offsets: dry run; add --execute to commit these offsets\n".utf8))
        }
    }
}
