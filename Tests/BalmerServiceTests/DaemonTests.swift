import BalmerBus
import BalmerCore
import BalmerDaemonTestSupport
import BalmerStore
import Foundation
import Testing

/// The real `balmerd` against an in-process mock Kafka cluster and the throw-away PostgreSQL.
@Suite(.serialized) struct DaemonTests {
    /// A release with poison events: the good files are stored and scored, every bad event is
    /// rejected with its reason (rejects table and dead-letter topic), consumed = stored + rejected.
    @Test func releaseWithPoisonEvents() async throws {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let schema = DaemonHarness.unique("balmerd_poison")
        let count = 400
        let paths = try DaemonHarness.writeSpectra(count: count, to: dir)
        let corrupt = dir + "/corrupt.fits"
        try Data("SIMPLE  =                    T / not really FITS after all".utf8).write(to: URL(fileURLWithPath: corrupt))
        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        let producer = try DaemonHarness.producer(cluster)
        try await DaemonHarness.publish(paths, release: "DR9", producer: producer)
        try await producer.send(topic: BalmerTopic.spectra, key: "bad-json", value: Array("{not json".utf8))
        try await producer.send(topic: BalmerTopic.spectra, key: "future",
                                value: Array(#"{"schema":99,"spectrum_id":"x","survey":"LAMOST","release":"DR9","location":"/x"}"#.utf8))
        try await producer.send(SpectrumEvent(spectrumID: "missing", survey: "LAMOST", release: "DR9", location: dir + "/nope.fits"))
        try await producer.send(SpectrumEvent(spectrumID: "corrupt", survey: "LAMOST", release: "DR9", location: "file://" + corrupt))

        let notify = try NotifyListener(directory: dir)
        defer { notify.close() }
        let port = freePort()
        let configFile = dir + "/balmer.json"
        // The missing file is retried (re-published to the retry topic) for 2 s, then rejected.
        try #"{"log": {"level": "debug"}, "http": {"port": \#(port)}, "ingest": {"missing-grace-seconds": 2}}"#
            .write(toFile: configFile, atomically: true, encoding: .utf8)
        let daemon = try await DaemonProcess(brokers: cluster.bootstrapServers, schema: schema, model: model, logDirectory: dir, name: "a",
                                       extra: ["--config", configFile],
                                       environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"])
        defer { daemon.kill9() }
        let store = try DaemonHarness.store(schema: schema)
        defer { Task { [store] in await store.pool.close(); try? await DaemonHarness.dropSchema(schema) } }
        let done = try await DaemonHarness.ingested(stored: count, rejected: 4, by: daemon, into: store)
        #expect(done, "not everything arrived; daemon log:\n\(daemon.log.suffix(3000))")
        #expect(daemon.process.isRunning, "balmerd exited early:\n\(daemon.log.suffix(3000))")
        #expect(try await DaemonHarness.count(store, "SELECT count(*) FROM spectra") == count)
        #expect(try await DaemonHarness.count(store, "SELECT count(DISTINCT key) FROM spectra WHERE key LIKE 'spec-%'") == count)
        let version = try #require(try await store.activeModel()).version
        #expect(try await store.scoreCount(modelVersion: version) == count)
        #expect(try await DaemonHarness.count(store, "SELECT count(*) FROM spectra WHERE octet_length(features) = 560") == count)
        let rejects = try await store.recentRejects(limit: 10)
        let reasons = Dictionary(rejects.map { ($0.key, $0.reason) }, uniquingKeysWith: { a, _ in a })
        #expect(reasons["bad-json"] == "malformed_json")
        #expect(reasons["future"] == "unsupported_schema")
        #expect(reasons["missing"] != nil && reasons["missing"] != "")
        #expect(reasons["corrupt"] != nil && reasons["corrupt"] != "")
        #expect(rejects.first { $0.key == "bad-json" }?.payload == Data("{not json".utf8))

        // The dead-letter topic holds the same four refusals.
        let dlq = try KafkaConsumer(
            config: KafkaConfig(bootstrapServers: cluster.bootstrapServers, groupID: DaemonHarness.unique("dlq")),
            topics: [BalmerTopic.deadLetter], logger: DaemonHarness.logger)
        var letters: [DeadLetterEvent] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while letters.count < 4 && ContinuousClock.now < deadline {
            letters += try await dlq.poll(max: 10, timeout: .milliseconds(300)).map { try $0.decode(DeadLetterEvent.self) }
        }
        await dlq.close()
        #expect(Set(letters.compactMap(\.originalKey)) == ["bad-json", "future", "missing", "corrupt"])
        #expect(letters.allSatisfy { !$0.reason.isEmpty })

        // Operations: systemd notifications, metrics and health, SIGHUP reload.
        #expect(notify.contains("READY=1"))
        #expect(try await DaemonHarness.eventually(timeout: .seconds(5)) { notify.contains("WATCHDOG=1") })
        let metrics = try #require(httpGet(port: port, path: "/metrics"))
        #expect(metrics.0 == 200)
        #expect(metricValue(metrics.1, "balmer_ingest_stored_total") == Double(count))
        #expect(metricValue(metrics.1, "balmer_ingest_rejected_total") == 4)
        let retried = try #require(metricValue(metrics.1, "balmer_ingest_retried_total"))
        #expect(retried >= 1)
        #expect(reasons["missing"] == "missing")
        #expect(metricValue(metrics.1, "balmer_ingest_consumed_total") == Double(count + 4) + retried)
        #expect(metrics.1.contains("balmer_ingest_batch_duration_seconds"))
        #expect(metrics.1.contains("balmer_kafka_consumer_lag{topic=\"balmer.spectra\""))
        #expect(httpGet(port: port, path: "/readyz")?.0 == 200)
        #expect(httpGet(port: port, path: "/healthz")?.0 == 200)
        #expect(httpGet(port: port, path: "/nope")?.0 == 404)
        try #"{"log": {"level": "notice"}, "http": {"port": \#(port)}}"#.write(toFile: configFile, atomically: true, encoding: .utf8)
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(try await DaemonHarness.eventually(timeout: .seconds(5)) { daemon.log.contains("log.level=notice") })

        #expect(await daemon.terminate() == 0)
        #expect(notify.contains("STOPPING=1"))
        #expect(daemon.finalConsumed.map(Double.init) == Double(count + 4) + retried, "consumed = stored + rejected + retried")
    }

    /// SIGTERM mid-release drains and commits exactly what is stored; a restart resumes from the
    /// committed offsets: it consumes exactly the rest, and no row is written twice.
    @Test func sigtermMidReleaseThenRestart() async throws {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let schema = DaemonHarness.unique("balmerd_restart")
        let count = 600
        let paths = try DaemonHarness.writeSpectra(count: count, to: dir)
        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        let producer = try DaemonHarness.producer(cluster)
        try await DaemonHarness.publish(paths, release: "DR9", producer: producer)
        let store = try DaemonHarness.store(schema: schema)
        defer { Task { [store] in await store.pool.close(); try? await DaemonHarness.dropSchema(schema) } }

        let first = try await DaemonProcess(brokers: cluster.bootstrapServers, schema: schema, model: model, logDirectory: dir, name: "first",
                                      extra: ["--ingest.batch-size", "32"])
        defer { first.kill9() }
        let started = try await DaemonHarness.eventually(timeout: .seconds(60)) {
            ((try? await DaemonHarness.count(store, "SELECT count(*) FROM spectra")) ?? 0) >= 100 || !first.process.isRunning
        }
        #expect(started, "first instance stored nothing:\n\(first.log.suffix(3000))")
        let clock = ContinuousClock.now
        let status = await first.terminate(timeout: .seconds(60))
        #expect(status == 0, "first instance did not exit cleanly:\n\(first.log.suffix(3000))")
        #expect(ContinuousClock.now - clock < .seconds(30), "drain took too long")
        let storedBefore = try await DaemonHarness.count(store, "SELECT count(*) FROM spectra")
        #expect(storedBefore < count, "the release finished before SIGTERM; nothing was tested")
        #expect(first.finalConsumed == storedBefore)

        let second = try await DaemonProcess(brokers: cluster.bootstrapServers, schema: schema, model: nil, logDirectory: dir, name: "second")
        defer { second.kill9() }
        let finished = try await DaemonHarness.eventually(timeout: .seconds(90)) {
            ((try? await DaemonHarness.count(store, "SELECT count(*) FROM spectra")) ?? 0) >= count || !second.process.isRunning
        }
        #expect(finished, "second instance did not finish:\n\(second.log.suffix(3000))")
        try await Task.sleep(for: .milliseconds(500))
        #expect(await second.terminate() == 0)
        #expect(second.finalConsumed == count - storedBefore, "the restart resumed from the committed offsets")
        #expect(try await DaemonHarness.count(store, "SELECT count(*) FROM spectra") == count)
        #expect(try await DaemonHarness.count(store, "SELECT count(*) FROM scores") == count)
        #expect(try await DaemonHarness.count(store, "SELECT count(*) FROM rejects") == 0)
    }

    /// Two instances in one group while one joins and the other leaves (the release arrives in
    /// three parts: A alone, A and B, B alone): every event is stored exactly once.
    @Test func twoInstancesShareTheRelease() async throws {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let schema = DaemonHarness.unique("balmerd_pair")
        let count = 600
        let paths = try DaemonHarness.writeSpectra(count: count, to: dir)
        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        let producer = try DaemonHarness.producer(cluster)
        let store = try DaemonHarness.store(schema: schema)
        defer { Task { [store] in await store.pool.close(); try? await DaemonHarness.dropSchema(schema) } }
        func stored() async -> Int { (try? await DaemonHarness.count(store, "SELECT count(*) FROM spectra")) ?? 0 }

        try await DaemonHarness.publish(Array(paths[0..<200]), release: "DR9", producer: producer)
        let a = try await DaemonProcess(brokers: cluster.bootstrapServers, schema: schema, model: model, logDirectory: dir, name: "a",
                                  extra: ["--ingest.batch-size", "16"])
        defer { a.kill9() }
        #expect(try await DaemonHarness.eventually(timeout: .seconds(60)) { await stored() >= 100 || !a.process.isRunning })
        let b = try await DaemonProcess(brokers: cluster.bootstrapServers, schema: schema, model: model, logDirectory: dir, name: "b",
                                  extra: ["--ingest.batch-size", "16"])
        defer { b.kill9() }
        // B has joined once the group rebalanced (A logs a second assignment).
        let joined = try await DaemonHarness.eventually(timeout: .seconds(30)) {
            b.log.contains("assigned") && a.log.components(separatedBy: "assigned").count > 2
        }
        #expect(joined, "B never received partitions:\n\(b.log.suffix(2000))")
        try await DaemonHarness.publish(Array(paths[200..<400]), release: "DR9", producer: producer)
        #expect(try await DaemonHarness.eventually(timeout: .seconds(60)) { await stored() >= 300 })
        #expect(await a.terminate() == 0, "A did not leave cleanly:\n\(a.log.suffix(3000))")
        try await DaemonHarness.publish(Array(paths[400..<600]), release: "DR9", producer: producer)
        let finished = try await DaemonHarness.eventually(timeout: .seconds(90)) { await stored() >= count || !b.process.isRunning }
        #expect(finished, "B did not finish:\n\(b.log.suffix(3000))")
        try await Task.sleep(for: .milliseconds(500))
        let statusB = await b.terminate()
        #expect(statusB == 0, "B did not stop cleanly:\n\(b.log.suffix(4000))")
        #expect(try await DaemonHarness.count(store, "SELECT count(*) FROM spectra") == count)
        #expect(try await DaemonHarness.count(store, "SELECT count(DISTINCT key) FROM spectra") == count)
        #expect(try await DaemonHarness.count(store, "SELECT count(*) FROM scores") == count)
        let consumedA = try #require(a.finalConsumed), consumedB = try #require(b.finalConsumed)
        #expect(consumedA > 0 && consumedB > 0, "both instances took part")
        #expect(consumedA + consumedB >= count)
    }
}
