import BalmerCore
import Foundation
import Logging

/// Balmer's repositories on PostgreSQL (all of ``BalmerRepositories``), over a ``PostgresPool``.
///
/// Tables (see `SchemaV1`): `spectra` (id, survey, release, key, ra, dec, mjd, designation,
/// location, features bytea, ingested_at; unique (survey, release, key)), `models` (version,
/// parent, created_at, training_counts jsonb, metrics jsonb, weights, sha256, status), `scores`
/// (spectrum_id, model_version, probabilities real[], predicted, entropy; PK both ids, index
/// (model_version, entropy DESC)), `labels`, `tasks`, `iterations`, `rejects`, `rescore_chunks`,
/// `balmer_migrations`, and the `candidates` view (active model).
///
/// Bulk writes COPY (binary) straight into `spectra`/`scores`; a replay hits unique_violation and
/// the batch retries through a temp staging table with `INSERT … ON CONFLICT DO NOTHING`. The
/// feature read path streams binary `COPY TO STDOUT`. Idempotent operations retry once on a
/// lost connection.
public final class PostgresStore: Sendable {
    public let pool: PostgresPool
    let logger: Logger

    public init(pool: PostgresPool, logger: Logger = Logger(label: "balmer.store")) {
        self.pool = pool
        self.logger = logger
    }

    /// A store with its own pool of `maxConnections` (default 4).
    public convenience init(
        configuration: PostgresConfiguration, maxConnections: Int = 4, logger: Logger = Logger(label: "balmer.store")
    ) {
        self.init(pool: PostgresPool(configuration: configuration, maxConnections: maxConnections, logger: logger),
                  logger: logger)
    }

    /// Applies pending migrations; returns the versions applied now.
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await pool.withConnection { try await Migrator(logger: logger).migrate($0) }
    }

    /// Pending migrations, checked read-only (see ``Migrator/pending(_:)``).
    public func pendingMigrations() async throws -> [Migration] {
        try await pool.withConnection { try await Migrator(logger: logger).pending($0) }
    }

    /// Migration status (see ``Migrator/status(_:)``).
    public func migrationStatus() async throws -> [Migrator.Status] {
        try await pool.withConnection { try await Migrator(logger: logger).status($0) }
    }
}

/// Decoding helpers shared by the repositories.
enum Decode {
    static func floatsLE(_ data: Data) throws -> [Float] {
        guard data.count % 4 == 0 else { throw PostgresError(.decoding, message: "feature bytes not a multiple of 4") }
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map {
                Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
            }
        }
    }

    static func enumValue<E: RawRepresentable>(_ row: PostgresRow, _ column: Int, as: E.Type) throws -> E
    where E.RawValue == String {
        let raw: String = try row.decode(column)
        guard let value = E(rawValue: raw) else {
            throw PostgresError(.decoding, message: "unexpected value in column \(row.columns[column].name)")
        }
        return value
    }

    static func optionalEnum<E: RawRepresentable>(_ row: PostgresRow, _ column: Int, as: E.Type) throws -> E?
    where E.RawValue == String {
        guard let raw: String = try row.decode(column) else { return nil }
        return E(rawValue: raw)
    }
}
