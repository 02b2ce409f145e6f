import ArgumentParser

@main
struct Balmer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balmer",
        abstract: "Find emission-line stars in spectroscopic surveys by active deep learning.",
        subcommands: [DBCommand.self, CandidatesCommand.self])
}
