import ArgumentParser
import BalmerCNN

@main
struct BalmerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balmer-bench",
        abstract: "Balmer's benchmarks (build with -c release).",
        subcommands: [PreprocessBench.self, CNNBench.self, StoreBench.self, IngestBench.self])

    /// OpenBLAS's fast kernels first (unless OPENBLAS_CORETYPE chooses), then the subcommand.
    static func main() async {
        BLASCore.selectFastKernels()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
