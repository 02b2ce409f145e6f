@testable import BalmerStore
import Foundation
import Testing

@Suite struct MigrationTests {
    @Test func migratesFromEmptyAndRerunsAsNoOp() async throws {
        try await TestDatabase.withSchema { db in
            let c = try await PostgresConnection.connect(db.configuration)
            let before = try await Migrator(logger: TestDatabase.logger).status(c)
            #expect(before.allSatisfy { $0.appliedAt == nil })
            let first = try await Migrator(logger: TestDatabase.logger).migrate(c)
            #expect(first == Migration.all.map(\.version))
            let second = try await Migrator(logger: TestDatabase.logger).migrate(c)
            #expect(second.isEmpty)
            let status = try await Migrator(logger: TestDatabase.logger).status(c)
            #expect(status.map(\.version) == Migration.all.map(\.version))
            #expect(status.allSatisfy { $0.appliedAt != nil })
            let tables = try await c.query("""
                SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1
                """, [db.schema]).rows.map { try $0.decode(0, as: String.self) }
            for t in ["balmer_migrations", "candidates", "iterations", "labels", "models", "rejects", "rescore_chunks",
                      "scores", "spectra", "tasks"] {
                #expect(tables.contains(t), "missing \(t)")
            }
            let index = try await c.query(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname = 'scores_model_entropy'", [db.schema])
            #expect(try index.first?.decode(0, as: String.self).contains("entropy DESC") == true)
        }
    }

    @Test func concurrentMigrationsApplyEachVersionOnce() async throws {
        try await TestDatabase.withSchema { db in
            let configuration = db.configuration
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let c = try await PostgresConnection.connect(configuration)
                        return try await Migrator(logger: TestDatabase.logger).migrate(c)
                    }
                }
                var all: [Int] = []
                for try await versions in group { all += versions }
                return all
            }
            #expect(applied.sorted() == Migration.all.map(\.version))
            let c = try await PostgresConnection.connect(db.configuration)
            #expect(try await c.query("SELECT count(*) FROM balmer_migrations").first?.decode(0, as: Int.self)
                == Migration.all.count)
        }
    }

    @Test func rejectsUnsafeSchemaNames() async throws {
        let url = try TestDatabase.url()
        await #expect(throws: PostgresError.self) {
            try await PostgresConnection.connect(PostgresConfiguration(url: url, schema: "x; DROP TABLE y"))
        }
        #expect(PostgresConfiguration.isPlainIdentifier("balmer_test_01"))
        #expect(!PostgresConfiguration.isPlainIdentifier("Balmer"))
        #expect(!PostgresConfiguration.isPlainIdentifier("1abc"))
    }
}
