import ArgumentParser
import BalmerStore
import Foundation

/// `balmer-bench store [--rows N]`: COPY insert of spectra + scores (rows/s) and streaming read
/// of feature vectors (vectors/s) against `$BALMER_DATABASE_URL` (e.g. the cluster `ops/lib/pg.sh`
/// starts).
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
        if rows < 1 || batch < 1 || writers < 1 { throw ValidationError("--rows, --batch and --writers must be positive") }
        if (databaseURL ?? ProcessInfo.processInfo.environment["BALMER_DATABASE_URL"] ?? "").isEmpty {
            throw ValidationError("no database: pass --database-url or set BALMER_DATABASE_URL")
        }
    }

    func run() async throws {
        let url = databaseURL ?? ProcessInfo.processInfo.environment["BALMER_DATABASE_URL"] ?? ""
        let configuration = PostgresConfiguration(url: url, schema: schema, applicationName: "balmer-bench")
        let results = try await StoreBenchmark.run(configuration: configuration, rows: rows, batchSize: batch, writers: writers)
        print(StoreBenchmark.report(results), terminator: "")
    }
}
