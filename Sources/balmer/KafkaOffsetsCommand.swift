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

    @OptionGroup var position: GroupPositionOptions

    func run() async throws {
        let config = try position.config(command: "kafka offsets")
        let positions: [KafkaGroupOffsets.Position]
        do {
            positions = try await KafkaGroupOffsets.positions(config: config, topic: position.topic, timeout: .seconds(position.timeout),
                                                              logger: KafkaBrokers.quietLogger)
        } catch {
            throw CLIFailure(1, "kafka offsets: \(error)")
        }
        KafkaOffsetsPrinter.print(positions, group: position.group, json: position.json)
    }
}
