import BalmerBus
import BalmerDaemonTestSupport
import BalmerStore
import Foundation
import Testing

/// `/healthz` tells the truth about every part of a running `balmerd`: a campaign loop whose step
/// fails on every tick (the writer lost its rights on `campaign`) turns it 503 with the part and
/// the reason, while ingest goes on; when the rights are back it answers 200 again.
@Suite(.serialized) struct HealthzTests {
    @Test func aLoopFailingEveryTickShowsAsDegradedWithItsReason() async throws {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = try DaemonHarness.writeSpectra(count: 8, to: dir)
        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        for topic in [BalmerTopic.tasks, BalmerTopic.labels, BalmerTopic.models] { try cluster.createTopic(topic, partitions: 1) }
        let producer = try DaemonHarness.producer(cluster)
        let schema = DaemonHarness.unique("balmerd_health")
        let port = freePort()
        let daemon = try await DaemonProcess(
            brokers: cluster.bootstrapServers, schema: schema, model: model, logDirectory: dir, name: "health",
            extra: ["--http.port", "\(port)", "--loop.interval-ms", "300", "--loop.settle-seconds", "1"])
        defer { daemon.kill9() }
        let store = try DaemonHarness.store(schema: schema)
        defer { Task { [store] in await store.pool.close(); try? await DaemonHarness.dropSchema(schema) } }
        func health() -> (Int, String)? { httpGet(port: port, path: "/healthz") }

        let healthy = try await DaemonHarness.eventually(timeout: .seconds(90)) { health()?.0 == 200 }
        #expect(healthy, "\(health().map { "\($0)" } ?? "no answer"):\n\(daemon.log.suffix(2000))")
        #expect(health()?.1.contains("ingest ok") == true && health()?.1.contains("labels ok") == true)

        try await store.pool.withConnection { c in
            try await c.query("SELECT set_config('balmer.role', $1, false)", [DaemonHarness.writerRole])
            try await c.runScript("DO $$ BEGIN EXECUTE format('REVOKE ALL ON campaign FROM %I', current_setting('balmer.role')); END $$")
        }
        let degraded = try await DaemonHarness.eventually(timeout: .seconds(60)) { health()?.0 == 503 }
        let body = health()?.1 ?? ""
        #expect(degraded, "\(body)")
        #expect(body.hasPrefix("degraded\n"), "\(body)")
        #expect(body.contains("loop degraded: ") && body.contains("permission denied"), "\(body)")
        #expect(body.contains("ingest ok"), "\(body)")

        // Ingest goes on meanwhile.
        try await DaemonHarness.publish(files, release: "DR9", producer: producer)
        #expect(try await DaemonHarness.ingested(stored: files.count, rejected: 0, by: daemon, into: store, timeout: .seconds(60)))
        let (_, metrics) = try #require(httpGet(port: port, path: "/metrics"))
        #expect(metrics.contains(#"balmer_component_healthy{component="loop"} 0"#), "\(metrics.split(separator: "\n").filter { $0.contains("component") })")

        try await store.pool.withConnection { c in
            try await c.query("SELECT set_config('balmer.role', $1, false)", [DaemonHarness.writerRole])
            try await c.runScript(
                "DO $$ BEGIN EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON campaign TO %I', current_setting('balmer.role')); END $$")
        }
        let recovered = try await DaemonHarness.eventually(timeout: .seconds(60)) { health()?.0 == 200 }
        #expect(recovered, "\(health()?.1 ?? "no answer")")
        #expect(await daemon.terminate() == 0)
    }
}
