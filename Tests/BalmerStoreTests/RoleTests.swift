import BalmerCore
@testable import BalmerStore
import Foundation
import Testing

@Suite struct RoleTests {
    /// Roles are cluster-global: drop them whatever happened.
    static func dropRoles(_ grant: RoleGrant, url: String) async throws {
        let c = try await PostgresConnection.connect(PostgresConfiguration(url: url))
        for role in [grant.writer, grant.reader] {
            try await c.query("SELECT set_config('balmer.role', $1, false)", [role])
            try await c.runScript("""
                DO $$ BEGIN
                  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_setting('balmer.role')) THEN
                    EXECUTE format('DROP OWNED BY %I CASCADE', current_setting('balmer.role'));
                    EXECUTE format('DROP ROLE %I', current_setting('balmer.role'));
                  END IF;
                END $$
                """)
        }
    }

    @Test func readerCanQueryButNotWriteAndWriterCanWrite() async throws {
        let grant = RoleGrant(
            writer: TestDatabase.uniqueName("writer"), writerPassword: "w-secret",
            reader: TestDatabase.uniqueName("reader"), readerPassword: "r-secret")
        let url = try TestDatabase.url()
        do {
            try await exercise(grant)
            try await Self.dropRoles(grant, url: url)
        } catch {
            try? await Self.dropRoles(grant, url: url)
            throw error
        }
    }

    func exercise(_ grant: RoleGrant) async throws {
        try await TestDatabase.withStore { store, db in
            let admin = try await PostgresConnection.connect(db.configuration)
            try await grant.apply(admin)
            try await grant.apply(admin)  // idempotent: updates the existing roles

            let verifier = try await admin.query(
                "SELECT rolpassword FROM pg_authid WHERE rolname = $1", [grant.reader]).first?.decode(0, as: String?.self)
            #expect(verifier?.hasPrefix("SCRAM-SHA-256$") == true)

            let writer = PostgresStore(configuration: PostgresConfiguration(url: db.url, schema: db.schema, user: grant.writer))
            let ids = try await writer.upsertSpectra((0..<5).map { Fixtures.spectrum($0) })
            try await writer.registerModel(Fixtures.model(1), weights: Data([1]))
            try await writer.activateModel(version: 1)
            try await writer.upsertScores(ids.map { ScoreRecord(spectrumID: $0, modelVersion: 1, probabilities: [0.7, 0.2, 0.1]) })
            // The writer may not change the schema.
            let ddl = await #expect(throws: PostgresError.self) {
                try await writer.pool.withConnection { try await $0.query("DROP TABLE scores") }
            }
            #expect(ddl?.sqlState == PostgresError.insufficientPrivilege)

            let reader = PostgresStore(configuration: PostgresConfiguration(url: db.url, schema: db.schema, user: grant.reader))
            #expect(try await reader.spectrumCount() == 5)
            #expect(try await reader.candidates(CandidateQuery()).count == 5)
            let viewRows = try await reader.pool.withConnection {
                try await $0.query("SELECT count(*) FROM candidates").first?.decode(0, as: Int.self)
            }
            #expect(viewRows == 5)
            let denied = await #expect(throws: PostgresError.self) {
                try await reader.pool.withConnection {
                    try await $0.query("INSERT INTO rejects (source, key, reason, payload, rejected_at) VALUES ('a', 'b', 'c', '\\x00', now())")
                }
            }
            #expect([PostgresError.insufficientPrivilege, PostgresError.readOnlyTransaction].contains(denied?.sqlState))
            // Even with read-only switched off, the privileges still refuse writes.
            let stillDenied = await #expect(throws: PostgresError.self) {
                try await reader.pool.withConnection { c in
                    try await c.query("SET default_transaction_read_only = off")
                    try await c.query("DELETE FROM spectra")
                }
            }
            #expect(stillDenied?.sqlState == PostgresError.insufficientPrivilege)
            await #expect(throws: (any Error).self) { _ = try await reader.upsertSpectra([Fixtures.spectrum(9)]) }
            #expect(try await store.spectrumCount() == 5)
            await writer.pool.close()
            await reader.pool.close()
        }
    }
}
