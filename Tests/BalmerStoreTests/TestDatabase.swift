import BalmerCore
@testable import BalmerStore
import Foundation
import Logging
import Testing

/// A unique schema in the cluster `ops/test` starts, dropped after use.
struct TestDatabase {
    let url: String
    let schema: String

    var configuration: PostgresConfiguration { PostgresConfiguration(url: url, schema: schema) }

    /// Warnings and errors only: migrations log at info.
    static let logger: Logger = {
        var logger = Logger(label: "balmer.store.tests")
        logger.logLevel = .warning
        return logger
    }()

    /// The cluster's URL, or a test failure telling how to run the tests.
    static func url() throws -> String {
        let url = ProcessInfo.processInfo.environment["BALMER_DATABASE_URL"] ?? ""
        try #require(
            !url.isEmpty,
            "BALMER_DATABASE_URL is not set: run the store tests through ops/test (it starts a throw-away PostgreSQL)")
        return url
    }

    static func uniqueName(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
    }

    /// Runs `body` with a fresh schema (not migrated) and drops the schema afterwards.
    static func withSchema<T>(_ body: (TestDatabase) async throws -> T) async throws -> T {
        let db = TestDatabase(url: try url(), schema: uniqueName("balmer_test"))
        do {
            let value = try await body(db)
            try await db.drop()
            return value
        } catch {
            try? await db.drop()
            throw error
        }
    }

    /// Runs `body` with a migrated store in a fresh schema.
    static func withStore<T>(maxConnections: Int = 4, _ body: (PostgresStore, TestDatabase) async throws -> T)
        async throws -> T
    {
        try await withSchema { db in
            let store = PostgresStore(configuration: db.configuration, maxConnections: maxConnections, logger: logger)
            try await store.migrate()
            let value = try await body(store, db)
            await store.pool.close()
            return value
        }
    }

    /// A superuser connection outside the test schema.
    func adminConnection() async throws -> PostgresConnection {
        try await PostgresConnection.connect(PostgresConfiguration(url: url))
    }

    func drop() async throws {
        let c = try await adminConnection()
        try await c.query("SELECT set_config('balmer.schema', $1, false)", [schema])
        try await c.runScript("DO $$ BEGIN EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', current_setting('balmer.schema')); END $$")
    }
}

/// Deterministic test spectra.
enum Fixtures {
    static func features(_ seed: Int) -> [Float] {
        (0..<SpectrumRecord.featureCount).map { i in Float(sin(Double(seed * 31 + i) * 0.37)) }
    }

    static func spectrum(_ i: Int, survey: String = "LAMOST", release: String = "DR9") -> SpectrumRecord {
        SpectrumRecord(
            key: SpectrumKey(survey: survey, release: release, key: "obs\(i)"), ra: Double(i) * 0.5,
            dec: -30 + Double(i) * 0.25, mjd: 58000 + Double(i), designation: "J\(1000 + i)+\(2000 + i)",
            location: "/data/spec-\(i).fits", features: features(i))
    }

    static func model(_ version: Int, parent: Int? = nil) -> ModelRecord {
        ModelRecord(
            version: version, parent: parent, createdAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(version)),
            trainingCounts: ["single": 10 * version, "double": 5, "other": 100], metricsJSON: #"{"accuracy": 0.9}"#,
            sha256: String(repeating: String(version % 10), count: 64), status: .candidate)
    }

    /// Probabilities that make spectrum `i` land in class `i % 3` with a varying margin.
    static func probabilities(_ i: Int) -> [Float] {
        let top = 0.4 + Float(i % 7) * 0.08
        var p = [Float](repeating: (1 - top) / 2, count: 3)
        p[i % 3] = top
        return p
    }
}
