import ArgumentParser

@main
struct BalmerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balmer-bench",
        abstract: "Balmer's benchmarks (build with -c release).",
        subcommands: [PreprocessBench.self, CNNBench.self, StoreBench.self, IngestBench.self])
}
