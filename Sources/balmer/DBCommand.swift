import ArgumentParser
import BalmerStore
import Foundation

/// `balmer db migrate|status|grant`: schema migrations and roles.
struct DBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Database schema and roles.",
        subcommands: [Migrate.self, Status.self, Grant.self])

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply pending schema migrations (safe to run concurrently; idempotent).")

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let config = try database.configuration()
            try await DatabaseOptions.reportingErrors {
                let connection = try await PostgresConnection.connect(config)
                let applied = try await Migrator().migrate(connection)
                print(applied.isEmpty ? "schema up to date" : "applied migrations: " + applied.map(String.init).joined(separator: ", "))
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List migrations and when they were applied.")

        @OptionGroup var database: DatabaseOptions
        @Flag(help: "One JSON object per migration.") var json = false

        func run() async throws {
            let config = try database.configuration()
            let pending = try await DatabaseOptions.reportingErrors {
                let connection = try await PostgresConnection.connect(config)
                let status = try await Migrator().status(connection)
                let iso = ISO8601DateFormatter()
                for s in status {
                    let applied = s.appliedAt.map { iso.string(from: $0) }
                    if json {
                        let object: [String: Any] = ["version": s.version, "name": s.name, "applied_at": applied ?? NSNull()]
                        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                        print(String(decoding: data, as: UTF8.self))
                    } else {
                        print(String(format: "%4d  %-24@ %@", s.version, s.name as NSString, (applied ?? "pending") as NSString))
                    }
                }
                return status.filter { $0.appliedAt == nil }.count
            }
            if pending > 0 && !json { print("\(pending) pending: run `balmer db migrate`") }
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or update the writer role (daemon) and the read-only role (downstream tools).",
            discussion: """
                Run as a superuser (or a role with CREATEROLE that owns the schema), after `migrate`.
                Passwords are hashed (SCRAM-SHA-256) on the client; prefer the *-password-file options.
                The same grant as plain SQL: ops/sql/roles.sql.
                """)

        @OptionGroup var database: DatabaseOptions
        @Option(help: "Writer role name.") var writer = "balmer_writer"
        @Option(help: "Read-only role name.") var reader = "balmer_reader"
        @Option(help: "Writer password (visible in the process list: prefer --writer-password-file).")
        var writerPassword: String?
        @Option(help: "File whose first line is the writer password.") var writerPasswordFile: String?
        @Option(help: "Read-only role password (prefer --reader-password-file).") var readerPassword: String?
        @Option(help: "File whose first line is the read-only role password.") var readerPasswordFile: String?

        func validate() throws {
            if writer == reader { throw DatabaseOptions.failure(code: 2, "--writer and --reader must differ") }
            if writerPassword != nil && writerPasswordFile != nil {
                throw DatabaseOptions.failure(code: 2, "give --writer-password or --writer-password-file, not both")
            }
            if readerPassword != nil && readerPasswordFile != nil {
                throw DatabaseOptions.failure(code: 2, "give --reader-password or --reader-password-file, not both")
            }
        }

        static func readSecret(_ path: String?) throws -> String? {
            guard let path else { return nil }
            // FileHandle also reads pipes such as <(pass show db/writer).
            guard let data = try? FileHandle(forReadingAtPath: path)?.readToEnd(),
                  let text = String(data: data, encoding: .utf8)
            else {
                throw DatabaseOptions.failure("cannot read password file \(path)", code: 2)
            }
            return text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
        }

        func run() async throws {
            let config = try database.configuration()
            let grant = RoleGrant(
                writer: writer, writerPassword: try writerPassword ?? Self.readSecret(writerPasswordFile),
                reader: reader, readerPassword: try readerPassword ?? Self.readSecret(readerPasswordFile))
            try await DatabaseOptions.reportingErrors {
                let connection = try await PostgresConnection.connect(config)
                try await grant.apply(connection)
            }
            print("granted: writer \(writer), read-only \(reader)")
        }
    }
}
