import ArgumentParser
import BalmerCore
import BalmerStore
import Foundation
import Logging

/// Opening the store for the operator commands, with errors as one readable line.
enum ModelStore {
    /// Who runs the command: `$BALMER_OPERATOR`, else `$USER`, else `operator`.
    static var operatorName: String {
        let env = ProcessInfo.processInfo.environment
        return env["BALMER_OPERATOR"] ?? env["USER"] ?? "operator"
    }

    /// Runs `body` on a store with one connection (migrated first when `migrate` and a migration is
    /// pending, which needs the schema owner), closes it, and
    /// turns store errors into ``CLIFailure`` (1; 2 for a missing record).
    static func run<T: Sendable>(
        _ options: DatabaseOptions, migrate: Bool, _ body: (PostgresStore) async throws -> T
    ) async throws -> T {
        let config = try options.configuration()
        // Errors reach the user as one line; the pool's retry warnings would only repeat them.
        var logger = Logger(label: "balmer.store") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .critical
        let store = PostgresStore(configuration: config, maxConnections: 1, logger: logger)
        do {
            // DDL only when a migration is pending: the writer role (no CREATE) runs these commands too.
            if migrate, try await !store.pendingMigrations().isEmpty { try await store.migrate() }
            let value = try await body(store)
            await store.pool.close()
            return value
        } catch {
            await store.pool.close()
            throw failure(error)
        }
    }

    /// One readable line for `error`.
    static func failure(_ error: any Error) -> any Error {
        switch error {
        case let failure as CLIFailure: failure
        case let exit as ExitCode: exit
        case RepositoryError.notFound(let what): CLIFailure(2, "not found: \(what)")
        case let error as RepositoryError: CLIFailure(2, error.description)
        case let error as PostgresError where error.sqlState == "42P01":
            CLIFailure(1, "\(error.description): is the schema migrated? Run `balmer db migrate`")
        case let error as PostgresError: CLIFailure(1, error.description)
        default: CLIFailure(1, "\(error)")
        }
    }
}
