import BalmerBus
import BalmerCore
import BalmerDaemonTestSupport
import BalmerStore
import BalmerTestSupport
import Foundation
import Testing

/// The documented deployment (ops/RUNBOOK.md): `balmer db migrate` and `balmer db grant` as the
/// schema owner, then `balmerd` as the writer role with its defaults (`database.migrate=true`).
@Suite(.serialized) struct LeastPrivilegeTests {
    /// The runbook's steps with the real CLI, then balmerd as the writer: it starts (the schema
    /// version is checked read-only, no DDL) and ingests a small release.
    @Test(.timeLimit(.minutes(3))) func runbookStepsStartTheWriterWithDefaults() async throws {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let schema = DaemonHarness.unique("balmerd_runbook")
        let store = try DaemonHarness.store(schema: schema)
        defer { Task { [store] in await store.pool.close(); try? await DaemonHarness.dropSchema(schema) } }
        let migrate = try await CommandRunner.balmer(["db", "migrate", "--schema", schema])
        try #require(migrate.status == 0, "balmer db migrate: \(migrate.stderr)")
        let grant = try await CommandRunner.balmer(["db", "grant", "--schema", schema, "--writer", DaemonHarness.writerRole,
                                                    "--reader", DaemonHarness.readerRole])
        try #require(grant.status == 0, "balmer db grant: \(grant.stderr)")

        let count = 24
        let paths = try DaemonHarness.writeSpectra(count: count, to: dir)
        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        let producer = try DaemonHarness.producer(cluster)
        try await DaemonHarness.publish(paths, release: "DR9", producer: producer)
        await producer.shutdown(timeout: .seconds(5))
        let daemon = try await DaemonProcess(brokers: cluster.bootstrapServers, schema: schema, model: model, logDirectory: dir,
                                             name: "writer", prepareSchema: false)
        defer { daemon.kill9() }
        let done = try await DaemonHarness.ingested(stored: count, rejected: 0, by: daemon, into: store)
        #expect(done, "not ingested:\n\(daemon.log.suffix(3000))")
        #expect(daemon.process.isRunning, "balmerd exited:\n\(daemon.log.suffix(3000))")
        #expect(!daemon.log.contains("permission denied"))
        // It ran as the writer, which owns nothing and may not change the schema.
        let sessions = try await DaemonHarness.count(store, """
            SELECT count(*) FROM pg_stat_activity WHERE application_name = 'balmerd' AND usename = '\(DaemonHarness.writerRole)'
            """)
        #expect(sessions > 0)
        #expect(await daemon.terminate() == 0)
    }

    /// A schema behind this build (here: never migrated) and a role without DDL privileges: balmerd
    /// exits non-zero, saying what to run, instead of failing on `permission denied for schema`.
    @Test(.timeLimit(.minutes(2))) func writerOnAnUnmigratedSchemaExitsWithTheRemedy() async throws {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let schema = DaemonHarness.unique("balmerd_behind")
        // The writer exists (granted on another schema) but this schema was never migrated.
        let other = DaemonHarness.unique("balmerd_granted")
        try await DaemonHarness.prepare(schema: other)
        defer { Task { try? await DaemonHarness.dropSchema(other); try? await DaemonHarness.dropSchema(schema) } }
        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        let daemon = try await DaemonProcess(brokers: cluster.bootstrapServers, schema: schema, model: model, logDirectory: dir,
                                             name: "behind", prepareSchema: false)
        defer { daemon.kill9() }
        let status = await daemon.waitForExit(timeout: .seconds(60))
        #expect(status != nil && status != 0, "balmerd did not exit:\n\(daemon.log.suffix(2000))")
        let log = daemon.log
        #expect(log.contains("schema version 0 is behind this build's \(Migrator().latestVersion)"), "\(log.suffix(2000))")
        #expect(log.contains("role \(DaemonHarness.writerRole) cannot run DDL"))
        #expect(log.contains("balmer db migrate") && log.contains("balmer db grant"))
    }
}
