import ArgumentParser
import Foundation

/// `balmer-bench store [--rows N]`: COPY insert of spectra + scores (rows/s) and streaming read
/// of feature vectors (vectors/s) against `$BALMER_DATABASE_URL`.
///
/// balmer-bench does not link BalmerStore (the manifest gives it no such dependency), so this
/// runs the same benchmark through the sibling `balmer` executable (`balmer db bench`), which
/// must be built with the same configuration: `swift build -c release --product balmer`.
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "PostgreSQL store: COPY insert rows/s and streaming read vectors/s.")

    @Option(help: "Spectra to insert, each with one score.") var rows = 200_000
    @Option(help: "Spectra per COPY batch.") var batch = 20_000
    @Option(help: "Concurrent writer connections.") var writers = 2
    @Option(name: .customLong("database-url"), help: "libpq URL (default: $BALMER_DATABASE_URL).") var databaseURL: String?
    @Option(help: "Schema to work in (default: the server's).") var schema: String?

    func validate() throws {
        if rows < 1 || batch < 1 || writers < 1 { throw ValidationError("--rows and --batch must be positive") }
    }

    func run() async throws {
        let own = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let balmer = own.deletingLastPathComponent().appendingPathComponent("balmer")
        guard FileManager.default.isExecutableFile(atPath: balmer.path) else {
            FileHandle.standardError.write(Data(
                "balmer-bench: \(balmer.path) not found: build it too (swift build -c release --product balmer)\n".utf8))
            throw ExitCode(1)
        }
        var arguments = ["db", "bench", "--rows", String(rows), "--batch", String(batch), "--writers", String(writers)]
        if let databaseURL { arguments += ["--database-url", databaseURL] }
        if let schema { arguments += ["--schema", schema] }
        let process = Process()
        process.executableURL = balmer
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 { throw ExitCode(process.terminationStatus) }
    }
}
