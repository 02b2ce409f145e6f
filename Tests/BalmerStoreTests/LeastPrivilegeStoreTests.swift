import BalmerCore
@testable import BalmerStore
import Foundation
import Testing

/// What the least-privilege roles may do: the writer checks the schema version read-only (no DDL
/// when nothing is pending); the reader cannot insert spectra or labels.
@Suite(.serialized) struct LeastPrivilegeStoreTests {
    @Test func pendingIsReadOnlyAndMatchesMigrate() async throws {
        let grant = RoleGrant(writer: TestDatabase.uniqueName("writer"), reader: TestDatabase.uniqueName("reader"))
        let url = try TestDatabase.url()
        do {
            try await TestDatabase.withSchema { db in
                let admin = try await PostgresConnection.connect(db.configuration)
                let migrator = Migrator(logger: TestDatabase.logger)
                #expect(try await migrator.pending(admin).map(\.version) == Migration.all.map(\.version))
                // Behind by the newest migration: exactly that one is pending.
                let older = Migrator(migrations: Array(Migration.all.dropLast()), logger: TestDatabase.logger)
                try await older.migrate(admin)
                #expect(try await migrator.pending(admin).map(\.version) == [migrator.latestVersion])
                try await migrator.migrate(admin)
                try await grant.apply(admin)
                // The reader's sessions are read-only: pending() works there, so it does no DDL.
                let reader = try await PostgresConnection.connect(
                    PostgresConfiguration(url: db.url, schema: db.schema, user: grant.reader))
                #expect(try await migrator.pending(reader).isEmpty)
                let writer = try await PostgresConnection.connect(
                    PostgresConfiguration(url: db.url, schema: db.schema, user: grant.writer))
                #expect(try await migrator.pending(writer).isEmpty)
                // Migrating as the writer needs DDL (CREATE TABLE IF NOT EXISTS is checked first).
                let denied = await #expect(throws: PostgresError.self) { try await migrator.migrate(writer) }
                #expect(denied?.sqlState == PostgresError.insufficientPrivilege)
            }
            try await RoleTests.dropRoles(grant, url: url)
        } catch {
            try? await RoleTests.dropRoles(grant, url: url)
            throw error
        }
    }

    @Test func readerCannotInsertSpectraOrLabels() async throws {
        let grant = RoleGrant(writer: TestDatabase.uniqueName("writer"), reader: TestDatabase.uniqueName("reader"))
        let url = try TestDatabase.url()
        do {
            try await TestDatabase.withStore { store, db in
                let admin = try await PostgresConnection.connect(db.configuration)
                try await grant.apply(admin)
                let id = try #require(try await store.upsertSpectra([Fixtures.spectrum(1)]).first)
                let reader = try await PostgresConnection.connect(
                    PostgresConfiguration(url: db.url, schema: db.schema, user: grant.reader))
                let statements: [(String, [any PostgresEncodable])] = [
                    ("INSERT INTO spectra (survey, release, key, location, features) VALUES ('S', 'R', 'k', 'l', '\\x00')", []),
                    ("INSERT INTO labels (spectrum_id, label, labeller, source, labelled_at) VALUES ($1, 'single', 'x', 'initial', now())",
                     [id]),
                ]
                for (sql, parameters) in statements {
                    let denied = await #expect(throws: PostgresError.self) { try await reader.query(sql, parameters) }
                    #expect([PostgresError.insufficientPrivilege, PostgresError.readOnlyTransaction].contains(denied?.sqlState),
                            "\(sql): \(String(describing: denied))")
                    // Not even with read-only switched off.
                    let still = await #expect(throws: PostgresError.self) {
                        try await reader.transaction { c in
                            try await c.query("SET LOCAL transaction_read_only = off")
                            try await c.query(sql, parameters)
                        }
                    }
                    #expect(still?.sqlState == PostgresError.insufficientPrivilege, "\(sql): \(String(describing: still))")
                }
                #expect(try await store.spectrumCount() == 1)
            }
            try await RoleTests.dropRoles(grant, url: url)
        } catch {
            try? await RoleTests.dropRoles(grant, url: url)
            throw error
        }
    }
}
