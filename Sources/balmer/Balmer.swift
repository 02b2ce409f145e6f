import ArgumentParser
import BalmerCNN
import Foundation

@main
struct Balmer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balmer",
        abstract: "Find emission-line stars in spectroscopic surveys by active deep learning.",
        subcommands: [InspectCommand.self, SimulateCommand.self, ExperimentCommand.self, TrainCommand.self, PredictCommand.self, DBCommand.self, CandidatesCommand.self, KafkaCommand.self, PublishCommand.self, LabelsCommand.self, ModelCommand.self, StatusCommand.self, LabelCommand.self])

    /// Runs the chosen subcommand with Balmer's exit codes: 0 success, 1 failure, 2 bad usage
    /// or bad input; errors go to stderr on one readable line.
    static func main() async {
        BLASCore.selectFastKernels()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CLIFailure {
            FileHandle.standardError.write(Data("balmer: \(failure.message)\n".utf8))
            Foundation.exit(failure.code)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
