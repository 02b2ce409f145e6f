import BalmerCore
@testable import BalmerStore
import Foundation
import Testing

/// Serialized: two grants at once update the same pg_database row ("tuple concurrently updated").
@Suite(.serialized) struct RoleTests {
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

    /// The grant table by table: the read-only role may only SELECT, on every table (labels,
    /// models, tasks … included); the writer may read and write rows but owns nothing, may not
    /// TRUNCATE, create, alter or drop, nor touch the migration history.
    @Test func privilegesOfEveryTable() async throws {
        let grant = RoleGrant(writer: TestDatabase.uniqueName("writer"), reader: TestDatabase.uniqueName("reader"))
        let url = try TestDatabase.url()
        do {
            try await checkPrivileges(grant)
            try await Self.dropRoles(grant, url: url)
        } catch {
            try? await Self.dropRoles(grant, url: url)
            throw error
        }
    }

    func checkPrivileges(_ grant: RoleGrant) async throws {
        try await TestDatabase.withStore { store, db in
            let admin = try await PostgresConnection.connect(db.configuration)
            try await grant.apply(admin)
            let rows = try await admin.query("""
                SELECT c.relname, c.relkind::text, pg_get_userbyid(c.relowner),
                       has_table_privilege($1, c.oid, 'SELECT'), has_table_privilege($1, c.oid, 'INSERT'),
                       has_table_privilege($1, c.oid, 'UPDATE'), has_table_privilege($1, c.oid, 'DELETE'),
                       has_table_privilege($1, c.oid, 'TRUNCATE'), has_table_privilege($1, c.oid, 'TRIGGER'),
                       has_table_privilege($1, c.oid, 'REFERENCES'),
                       has_table_privilege($2, c.oid, 'SELECT'), has_table_privilege($2, c.oid, 'INSERT'),
                       has_table_privilege($2, c.oid, 'UPDATE'), has_table_privilege($2, c.oid, 'DELETE'),
                       has_table_privilege($2, c.oid, 'TRUNCATE'), has_table_privilege($2, c.oid, 'TRIGGER')
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = $3 AND c.relkind IN ('r', 'p', 'v', 'm')
                """, [grant.reader, grant.writer, db.schema]).rows
            let tables = try rows.map { try $0.decode(0, as: String.self) }
            for required in ["spectra", "scores", "models", "labels", "tasks", "rejects", "iterations", "balmer_migrations", "candidates"] {
                #expect(tables.contains(required), "no table \(required) in \(tables)")
            }
            for row in rows {
                let table = try row.decode(0, as: String.self)
                let isTable = try row.decode(1, as: String.self) != "v"
                let p = try (3..<16).map { try row.decode($0, as: Bool.self) }
                #expect(try row.decode(2, as: String.self) != grant.writer, "the writer owns \(table)")
                // Reader: SELECT and nothing else.
                #expect(p[0], "the reader cannot read \(table)")
                #expect(!p[1] && !p[2] && !p[3] && !p[4] && !p[5] && !p[6], "the reader may change \(table)")
                // Writer: rows yes (migration history read-only), TRUNCATE and triggers no.
                #expect(p[7], "the writer cannot read \(table)")
                if isTable {
                    let writes = table != "balmer_migrations"
                    #expect(p[8] == writes && p[9] == writes && p[10] == writes, "writer row privileges on \(table)")
                }
                #expect(!p[11] && !p[12], "the writer may truncate or add triggers to \(table)")
            }
            let schemaCreate = try await admin.query(
                "SELECT has_schema_privilege($1, $3, 'CREATE'), has_schema_privilege($2, $3, 'CREATE')",
                [grant.reader, grant.writer, db.schema]).first
            #expect(try schemaCreate?.decode(0, as: Bool.self) == false && schemaCreate?.decode(1, as: Bool.self) == false)

            // The same refusals when trying, for the tables the loop writes.
            let writer = PostgresStore(configuration: PostgresConfiguration(url: db.url, schema: db.schema, user: grant.writer))
            let reader = PostgresStore(configuration: PostgresConfiguration(url: db.url, schema: db.schema, user: grant.reader))
            let ids = try await writer.upsertSpectra([Fixtures.spectrum(1)])
            try await writer.registerModel(Fixtures.model(1), weights: Data([1]))
            try await writer.upsertTasks([TaskRecord(id: "t1", batchID: "b", iteration: 0, kind: .query, spectrumID: ids[0],
                                                     modelVersion: 1, probabilities: [0.5, 0.3, 0.2], entropy: 0.9)])
            try await writer.upsertLabels([LabelRecord(spectrumID: ids[0], label: .double, labeller: "ana", source: .initial)])
            let readerStatements = [
                "INSERT INTO labels (spectrum_id, label, labeller, source, labelled_at) VALUES (\(ids[0]), 'single', 'eve', 'initial', now())",
                "UPDATE labels SET label = 'other'", "DELETE FROM labels",
                "UPDATE models SET status = 'active'", "DELETE FROM models",
                "INSERT INTO tasks SELECT 't2', batch_id, iteration, kind, spectrum_id, model_version, probabilities, entropy, status, now(), NULL FROM tasks",
                "UPDATE tasks SET status = 'cancelled'", "DELETE FROM tasks", "DELETE FROM spectra", "UPDATE scores SET entropy = 0",
                "TRUNCATE rejects", "DELETE FROM balmer_migrations",
            ]
            for sql in readerStatements {
                let denied = await #expect(throws: PostgresError.self, "reader: \(sql)") {
                    try await reader.pool.withConnection { c in
                        try await c.query("SET default_transaction_read_only = off")
                        try await c.query(sql)
                    }
                }
                #expect(denied?.sqlState == PostgresError.insufficientPrivilege, "reader: \(sql): \(denied?.sqlState ?? "-")")
            }
            let writerStatements = [
                "DROP TABLE labels", "ALTER TABLE models ADD COLUMN evil int", "ALTER TABLE tasks DROP CONSTRAINT tasks_pkey",
                "TRUNCATE spectra CASCADE", "CREATE TABLE evil (x int)", "DELETE FROM balmer_migrations",
                "UPDATE balmer_migrations SET version = version", "CREATE INDEX evil ON labels (labeller)",
            ]
            for sql in writerStatements {
                let denied = await #expect(throws: PostgresError.self, "writer: \(sql)") {
                    try await writer.pool.withConnection { try await $0.query(sql) }
                }
                #expect(denied?.sqlState == PostgresError.insufficientPrivilege, "writer: \(sql): \(denied?.sqlState ?? "-")")
            }
            #expect(try await store.labels(spectrumID: ids[0]).count == 1)
            #expect(try await store.task(id: "t1")?.status == .open)
            await writer.pool.close()
            await reader.pool.close()
        }
    }
}
