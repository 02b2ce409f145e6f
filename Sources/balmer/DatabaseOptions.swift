import ArgumentParser
import BalmerStore
import Foundation

/// Where the database is: `--database-url` (default `$BALMER_DATABASE_URL`), an optional
/// `--schema`, and `--config FILE` (accepted; configuration files arrive in a later release).
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: "libpq URL, e.g. postgresql://user@host/db?sslmode=require (default: $BALMER_DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Schema to work in (search_path); default: the server's default schema.")
    var schema: String?

    @Option(help: "Configuration file (accepted for compatibility; environment and options decide for now).")
    var config: String?

    func validate() throws {
        if let schema, !PostgresConfiguration.isPlainIdentifier(schema) {
            throw DatabaseOptions.failure(code: 2, "--schema must be a lower-case identifier (letters, digits, _)")
        }
    }

    /// The connection settings, or exit code 2 with a one-line message when no URL is known.
    func configuration(applicationName: String = "balmer") throws -> PostgresConfiguration {
        let url = databaseURL ?? ProcessInfo.processInfo.environment["BALMER_DATABASE_URL"] ?? ""
        guard !url.isEmpty else {
            throw Self.failure("no database: pass --database-url or set BALMER_DATABASE_URL", code: 2)
        }
        return PostgresConfiguration(url: url, schema: schema, applicationName: applicationName)
    }

    /// Prints `balmer: message` on stderr and returns the exit code to throw
    /// (1 = failure, 2 = bad usage or input, as every Balmer command).
    static func failure(_ message: String, code: Int32 = 1) -> ExitCode {
        failure(code: code, message)
    }

    static func failure(code: Int32, _ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("balmer: \(message)\n".utf8))
        return ExitCode(code)
    }

    /// Runs `body`, turning store errors into one readable stderr line and exit code 1.
    static func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresError {
            throw failure("\(error)")
        }
    }
}
