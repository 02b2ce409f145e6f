import Foundation
import Logging

/// Applies ``Migration/all`` in order inside one transaction guarded by a transaction advisory
/// lock, so concurrent `migrate` calls serialize and the later ones find nothing to do.
public struct Migrator: Sendable {
    public var migrations: [Migration]
    public var logger: Logger

    public init(migrations: [Migration] = Migration.all, logger: Logger = Logger(label: "balmer.store")) {
        self.migrations = migrations
        self.logger = logger
    }

    /// A migration and when it was applied (`nil` = pending).
    public struct Status: Sendable, Equatable {
        public var version: Int
        public var name: String
        public var appliedAt: Date?
    }

    private static let createTable = """
        CREATE TABLE IF NOT EXISTS balmer_migrations (
            version    integer PRIMARY KEY,
            name       text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """

    /// Creates the connection's schema if needed and applies the pending migrations.
    /// - Returns: the versions applied now (empty when up to date).
    @discardableResult
    public func migrate(_ connection: PostgresConnection) async throws -> [Int] {
        try await connection.transaction { c in
            try await c.transactionAdvisoryLock(.migrations)
            if let schema = c.schema {
                // The name is a validated identifier, passed as a parameter and quoted by format().
                try await c.query("SELECT set_config('balmer.schema', $1, true)", [schema])
                try await c.runScript(Self.createSchema)
            }
            try await c.query(Self.createTable)
            let applied = Set(try await c.query("SELECT version FROM balmer_migrations").rows.map { try $0.decode(0, as: Int.self) })
            var done: [Int] = []
            for m in migrations.sorted(by: { $0.version < $1.version }) where !applied.contains(m.version) {
                logger.info("applying migration", metadata: ["version": "\(m.version)", "name": "\(m.name)"])
                try await c.runScript(m.sql)
                try await c.query("INSERT INTO balmer_migrations (version, name) VALUES ($1, $2)", [m.version, m.name])
                done.append(m.version)
            }
            return done
        }
    }

    /// The migrations not yet applied, found with read-only queries (`to_regclass`, `SELECT`), so
    /// a role without DDL privileges can check whether the schema is up to date.
    public func pending(_ connection: PostgresConnection) async throws -> [Migration] {
        let exists = try await connection.query("SELECT to_regclass('balmer_migrations') IS NOT NULL")
        var applied = Set<Int>()
        if try exists.first?.decode(0, as: Bool.self) == true {
            applied = Set(try await connection.query("SELECT version FROM balmer_migrations").rows.map { try $0.decode(0, as: Int.self) })
        }
        return migrations.filter { !applied.contains($0.version) }.sorted { $0.version < $1.version }
    }

    /// The newest version among ``migrations`` (0 when there are none).
    public var latestVersion: Int { migrations.map(\.version).max() ?? 0 }

    private static let createSchema = """
        DO $$ BEGIN
            EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', current_setting('balmer.schema'));
        END $$
        """

    /// Every known migration with its application time; unknown applied versions are listed too.
    public func status(_ connection: PostgresConnection) async throws -> [Status] {
        let exists = try await connection.query("SELECT to_regclass('balmer_migrations') IS NOT NULL")
        var applied: [Int: (String, Date)] = [:]
        if try exists.first?.decode(0, as: Bool.self) == true {
            for row in try await connection.query("SELECT version, name, applied_at FROM balmer_migrations").rows {
                applied[try row.decode(0)] = (try row.decode(1), try row.decode(2))
            }
        }
        var out = migrations.map { Status(version: $0.version, name: $0.name, appliedAt: applied[$0.version]?.1) }
        for (v, a) in applied where !migrations.contains(where: { $0.version == v }) {
            out.append(Status(version: v, name: a.0, appliedAt: a.1))
        }
        return out.sorted { $0.version < $1.version }
    }
}
