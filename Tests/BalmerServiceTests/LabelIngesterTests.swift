import BalmerBus
import BalmerCore
import BalmerDaemonTestSupport
import BalmerLabeling
@testable import BalmerService
import BalmerStore
import Foundation
import Logging
import Testing

/// ``LabelIngester`` in-process against the mock cluster and the throw-away PostgreSQL, connected
/// as a writer role of its own (so an outage can be made for it alone): an offset is committed only
/// once its answer (or its reject) is durable.
@Suite(.serialized) struct LabelIngesterTests {
    /// A schema with `count` spectra and one open task per spectrum, granted to a fresh writer role.
    struct Fixture {
        let schema = DaemonHarness.unique("balmer_labels")
        let writer = DaemonHarness.unique("balmer_lw")
        let reader = DaemonHarness.unique("balmer_lr")
        let cluster: MockCluster
        let admin: PostgresConnection
        /// Task id → spectrum id.
        var tasks: [(id: String, spectrum: Int64)] = []

        init(count: Int) async throws {
            cluster = try MockCluster(brokers: 1, logger: DaemonHarness.logger)
            try cluster.createTopic(BalmerTopic.labels, partitions: 2)
            try cluster.createTopic(BalmerTopic.deadLetter, partitions: 1)
            admin = try await PostgresConnection.connect(
                PostgresConfiguration(url: try DaemonHarness.databaseURL(), schema: schema), logger: DaemonHarness.logger)
            try await Migrator(logger: DaemonHarness.logger).migrate(admin)
            try await RoleGrant(writer: writer, reader: reader).apply(admin)
            let seed = try DaemonHarness.store(schema: schema)
            let features = [Float](repeating: 0.5, count: SpectrumRecord.featureCount)
            let ids = try await seed.upsertSpectra((0..<count).map {
                SpectrumRecord(key: SpectrumKey(survey: "LAMOST", release: "DR9", key: "s\($0)"), location: "f\($0)", features: features)
            })
            tasks = ids.enumerated().map { ("task-\($0.offset)", $0.element) }
            try await seed.upsertTasks(tasks.map {
                TaskRecord(id: $0.id, batchID: "b0", iteration: 0, kind: .query, spectrumID: $0.spectrum, modelVersion: 1,
                           probabilities: [0.4, 0.3, 0.3], entropy: 1.0)
            })
            await seed.pool.close()
        }

        /// A store connected as the fixture's writer.
        func writerStore() throws -> PostgresStore {
            PostgresStore(configuration: PostgresConfiguration(url: try DaemonHarness.databaseURL(role: writer), schema: schema),
                          maxConnections: 2, logger: DaemonHarness.logger)
        }

        func ingester(_ store: PostgresStore, name: String, logger: Logger) throws -> LabelIngester {
            let consumer = try KafkaConsumer(
                config: KafkaConfig(bootstrapServers: cluster.bootstrapServers, clientID: name, groupID: "labels-\(schema)",
                                    properties: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]),
                topics: [BalmerTopic.labels], bufferCapacity: 1024, logger: logger)
            return LabelIngester(store: store, consumer: consumer, producer: try DaemonHarness.producer(cluster),
                                 deadLetterTopic: BalmerTopic.deadLetter, roster: try LabellerRoster([]), logger: logger)
        }

        /// Publishes answers to the tasks in `range` and waits for their delivery.
        func publish(_ range: Range<Int>) async throws {
            let producer = try DaemonHarness.producer(cluster)
            for i in range {
                try await producer.send(LabelEvent(taskID: tasks[i].id, spectrumID: String(tasks[i].spectrum),
                                                   label: i % 2 == 0 ? "single" : "other", labeller: "ana", time: Date()))
            }
            await producer.shutdown(timeout: .seconds(5))
        }

        func count(_ sql: String) async throws -> Int {
            try await admin.query(sql).first!.decode(0, as: Int.self)
        }

        /// The writer can neither log in nor keep its sessions: every store call fails with a
        /// connection error until ``endOutage()``.
        func beginOutage() async throws {
            try await admin.query("SELECT set_config('balmer.role', $1, false)", [writer])
            try await admin.runScript("DO $$ BEGIN EXECUTE format('ALTER ROLE %I NOLOGIN', current_setting('balmer.role')); END $$")
            try await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", [writer])
        }

        func endOutage() async throws {
            try await admin.query("SELECT set_config('balmer.role', $1, false)", [writer])
            try await admin.runScript("DO $$ BEGIN EXECUTE format('ALTER ROLE %I LOGIN', current_setting('balmer.role')); END $$")
        }

        /// Drops the schema and both roles.
        func cleanUp() async {
            cluster.shutdown()
            try? await DaemonHarness.dropSchema(schema)
            for role in [writer, reader] {
                _ = try? await admin.query("SELECT set_config('balmer.role', $1, false)", [role])
                try? await admin.runScript("""
                    DO $$ BEGIN
                      EXECUTE format('DROP OWNED BY %I CASCADE', current_setting('balmer.role'));
                      EXECUTE format('DROP ROLE %I', current_setting('balmer.role'));
                    END $$
                    """)
            }
        }
    }

    /// Answers arriving while PostgreSQL refuses the writer, an ingester stopped during the outage,
    /// the outage over, a new ingester: every answer stored exactly once, none lost, and only the
    /// answers not stored before the stop are delivered again.
    @Test(.timeLimit(.minutes(3))) func stopDuringAnOutageLosesNoAnswer() async throws {
        let fixture = try await Fixture(count: 16)
        do { try await outageScenario(fixture) } catch {
            await fixture.cleanUp()
            throw error
        }
        await fixture.cleanUp()
    }

    func outageScenario(_ fixture: Fixture) async throws {

        let firstLog = LogCapture()
        let firstStore = try fixture.writerStore()
        let first = try fixture.ingester(firstStore, name: "first", logger: firstLog.logger("labels"))
        let firstRun = Task { await first.run() }
        try await fixture.publish(0..<6)
        #expect(try await DaemonHarness.eventually(timeout: .seconds(60)) {
            try await fixture.count("SELECT count(*) FROM labels") == 6
        }, "the first answers were not stored: \(firstLog.all.suffix(5))")

        try await fixture.beginOutage()
        try await fixture.publish(6..<16)
        #expect(try await DaemonHarness.eventually(timeout: .seconds(60)) {
            firstLog.all.contains { $0.contains("storing a label failed; retrying") }
        }, "the ingester never met the outage: \(firstLog.all.suffix(5))")
        first.requestStop()
        await firstRun.value
        await firstStore.pool.close()
        #expect(first.totals == LabelIngester.Totals(consumed: 6, stored: 6, corrected: 0, unchanged: 0, rejected: 0))
        #expect(firstLog.all.contains { $0.contains("stopping with answers not stored") })

        try await fixture.endOutage()
        #expect(try await fixture.count("SELECT count(*) FROM labels") == 6)
        let secondLog = LogCapture()
        let secondStore = try fixture.writerStore()
        let second = try fixture.ingester(secondStore, name: "second", logger: secondLog.logger("labels"))
        let secondRun = Task { await second.run() }
        let complete = try await DaemonHarness.eventually(timeout: .seconds(60)) {
            try await fixture.count("SELECT count(*) FROM labels") == 16
        }
        second.requestStop()
        await secondRun.value
        await secondStore.pool.close()
        let stored = try await fixture.count("SELECT count(*) FROM labels")
        #expect(complete && stored == 16, "answers lost: \(stored) of 16 stored")
        // Exactly the ten uncommitted answers came again; none of the six committed ones.
        #expect(second.totals == LabelIngester.Totals(consumed: 10, stored: 10, corrected: 0, unchanged: 0, rejected: 0))
        #expect(try await fixture.count("SELECT count(DISTINCT task_id) FROM labels") == 16)
        #expect(try await fixture.count("SELECT count(*) FROM tasks WHERE status = 'answered'") == 16)
        #expect(try await fixture.count("SELECT count(*) FROM rejects") == 0)
    }

    /// An answer PostgreSQL refuses for good (here: a constraint that refuses every new label row,
    /// 23514) becomes a reject with its reason, and the ingester goes on to the next message
    /// instead of retrying.
    @Test(.timeLimit(.minutes(3))) func permanentRefusalBecomesARejectAndTheRestGoesOn() async throws {
        let fixture = try await Fixture(count: 4)
        do { try await refusalScenario(fixture) } catch {
            await fixture.cleanUp()
            throw error
        }
        await fixture.cleanUp()
    }

    func refusalScenario(_ fixture: Fixture) async throws {
        try await fixture.admin.query("ALTER TABLE labels ADD CONSTRAINT test_refuse_all CHECK (false) NOT VALID")
        let log = LogCapture()
        let store = try fixture.writerStore()
        let ingester = try fixture.ingester(store, name: "refused", logger: log.logger("labels"))
        let run = Task { await ingester.run() }
        try await fixture.publish(0..<4)
        let done = try await DaemonHarness.eventually(timeout: .seconds(60)) {
            try await fixture.count("SELECT count(*) FROM rejects WHERE reason = 'store-refused'") == 4
        }
        ingester.requestStop()
        await run.value
        await store.pool.close()
        #expect(done, "rejects: \(log.all.suffix(5))")
        #expect(ingester.totals == LabelIngester.Totals(consumed: 4, stored: 0, corrected: 0, unchanged: 0, rejected: 4))
        #expect(try await fixture.count("SELECT count(*) FROM labels") == 0)
        #expect(!log.all.contains { $0.contains("storing a label failed; retrying") })
    }

    /// A refusal of the deployment, not of the answer (the writer lost INSERT on labels, 42501),
    /// would refuse every answer alike: nothing is rejected; the ingester retries, reports the
    /// labels part degraded, and stores every answer once the grant is back.
    @Test(.timeLimit(.minutes(3))) func aMissingGrantIsWaitedOutNotRejected() async throws {
        let fixture = try await Fixture(count: 4)
        do { try await missingGrantScenario(fixture) } catch {
            await fixture.cleanUp()
            throw error
        }
        await fixture.cleanUp()
    }

    func missingGrantScenario(_ fixture: Fixture) async throws {
        try await fixture.admin.query("SELECT set_config('balmer.role', $1, false)", [fixture.writer])
        try await fixture.admin.runScript(
            "DO $$ BEGIN EXECUTE format('REVOKE INSERT ON labels FROM %I', current_setting('balmer.role')); END $$")
        let log = LogCapture()
        let store = try fixture.writerStore()
        let health = ComponentHealth(allowances: [.labels: 30])
        let consumer = try KafkaConsumer(
            config: KafkaConfig(bootstrapServers: fixture.cluster.bootstrapServers, clientID: "ungranted", groupID: "labels-\(fixture.schema)",
                                properties: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]),
            topics: [BalmerTopic.labels], bufferCapacity: 1024, logger: log.logger("labels"))
        let ingester = LabelIngester(store: store, consumer: consumer, producer: try DaemonHarness.producer(fixture.cluster),
                                     deadLetterTopic: BalmerTopic.deadLetter, roster: try LabellerRoster([]), health: health,
                                     logger: log.logger("labels"))
        let run = Task { await ingester.run() }
        try await fixture.publish(0..<4)
        let degraded = try await DaemonHarness.eventually(timeout: .seconds(60)) {
            health.statuses.first?.state == .degraded
        }
        #expect(degraded, "\(health.report)")
        #expect(health.report.contains("42501") || health.report.contains("permission denied"), "\(health.report)")
        #expect(try await fixture.count("SELECT count(*) FROM rejects") == 0)
        try await fixture.admin.runScript(
            "DO $$ BEGIN EXECUTE format('GRANT INSERT ON labels TO %I', current_setting('balmer.role')); END $$")
        let stored = try await DaemonHarness.eventually(timeout: .seconds(60)) {
            try await fixture.count("SELECT count(*) FROM labels") == 4
        }
        ingester.requestStop()
        await run.value
        await store.pool.close()
        #expect(stored, "\(log.all.suffix(5))")
        #expect(ingester.totals == LabelIngester.Totals(consumed: 4, stored: 4, corrected: 0, unchanged: 0, rejected: 0))
        #expect(try await fixture.count("SELECT count(*) FROM rejects") == 0)
        #expect(health.isHealthy, "\(health.report)")
    }
}
