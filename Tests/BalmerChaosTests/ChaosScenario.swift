import BalmerBus
import BalmerDaemonTestSupport
import BalmerStore
import Foundation

/// One scenario of the matrix: a fresh mock cluster (in this process, so faults can be injected)
/// and schema, two `balmerd` in one consumer group, the stream published in parts while the
/// fault(s) strike, then the checks. Never throws: failures become `problems` of the outcome.
final class ChaosScenario {
    let fault: ChaosFault
    let settings: ChaosSettings
    let files: [String]
    let directory: String
    let model: String
    private var instances: [ChaosInstance] = []
    private var next = 0
    /// Instance b's way to PostgreSQL in the network-cut row.
    private var proxy: TCPProxy?
    /// What the row injected and checked, in words (printed under the table).
    private(set) var notes: [String] = []

    init(fault: ChaosFault, settings: ChaosSettings, files: [String], directory: String, model: String) {
        self.fault = fault
        self.settings = settings
        self.files = files
        self.directory = directory
        self.model = model
    }

    /// The faults struck one after another, each while a new part of the stream is published.
    var steps: [ChaosFault] {
        switch fault {
        case .mixed: [.brokerDown, .requestErrors, .postgresRestart, .sigkill]
        default: [fault]
        }
    }

    func run() async -> ChaosOutcome {
        var outcome = ChaosOutcome(fault: fault)
        let started = ContinuousClock.now
        let schema = DaemonHarness.unique("chaos")
        let logs = directory + "/logs-" + fault.rawValue.replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "/", with: "_")
        var cluster: MockCluster?
        var producer: KafkaProducer?
        var store: PostgresStore?
        do {
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            cluster = try DaemonHarness.cluster()
            producer = try DaemonHarness.producer(cluster!)
            store = try DaemonHarness.store(schema: schema)
            try await execute(&outcome, cluster: cluster!, producer: producer!, store: store!, schema: schema, logs: logs)
        } catch {
            outcome.problems.append("scenario aborted: \(error)")
        }
        for instance in instances { instance.daemon.kill9() }
        if !outcome.passed {
            for instance in instances { outcome.problems.append("log of \(instance.name): \(instance.daemon.logPath)") }
        }
        await producer?.shutdown(timeout: .seconds(5))
        cluster?.shutdown()
        await store?.pool.close()
        proxy?.shutdown()
        try? await DaemonHarness.dropSchema(schema)
        outcome.seconds = (ContinuousClock.now - started).seconds
        return outcome
    }

    private func start(brokers: String, schema: String, logs: String, _ name: String) async throws -> ChaosInstance {
        // The stream's files are under `directory` (the data root); late files get a grace that
        // outlasts their delay, every other row retries a missing file for 1 s only.
        var extra = ChaosInstance.streamLoopOptions + ["--ingest.data-roots", directory]
        if fault == .lateFiles { extra += ["--ingest.missing-grace-seconds", "60"] }
        var environment: [String: String] = [:]
        if name.hasPrefix("b"), let proxy { environment["BALMER_DATABASE_URL"] = try ChaosCampaign.proxiedWriterURL(proxy) }
        let instance = try await ChaosInstance(name: name, brokers: brokers, schema: schema, model: model, logDirectory: logs,
                                               extra: extra, environment: environment)
        instances.append(instance)
        let up = try await DaemonHarness.eventually(timeout: .seconds(60)) {
            instance.daemon.log.contains("ingest started") || !instance.isRunning
        }
        guard up, instance.isRunning else {
            throw DaemonHarness.ConfigError("\(name) did not start:\n\(instance.logTail())")
        }
        return instance
    }

    private func execute(_ outcome: inout ChaosOutcome, cluster: MockCluster, producer: KafkaProducer, store: PostgresStore,
                         schema: String, logs: String) async throws {
        let index = ChaosFault.allCases.firstIndex(of: fault)!
        let count = settings.events(for: fault)
        var additions = ChaosStream.Additions()
        var lateFiles: [String] = []
        switch fault {
        case .poisonStorm:
            additions = try ChaosPoison.storm(prefix: "s\(index)", rounds: max(1, count / 400), directory: directory, goodFile: files[0])
            notes.append("\(fault.rawValue): injected \(additions.messages.count) hostile events (every class of the reliability table) among \(count); checked each rejected under its printable key, the decomposed ids stored as NFC")
        case .lateFiles:
            let late = try ChaosPoison.late(prefix: "s\(index)", count: max(4, count / 100), directory: directory)
            additions = late.additions
            lateFiles = late.paths
            notes.append("\(fault.rawValue): injected \(late.paths.count) events for files copied in 6 s after publishing and as many FIFOs; checked the late ones stored, the FIFOs rejected")
        case .networkCut:
            proxy = try TCPProxy(targetPort: try ChaosCampaign.databasePort())
            notes.append("\(fault.rawValue): instance b reaches PostgreSQL through a proxy; black hole for 8 s, restored; a second 3 s cut ended by resetting every connection; checked nothing lost or doubled")
        default:
            break
        }
        // The loop is on: it publishes tasks (and would announce models).
        for topic in [BalmerTopic.tasks, BalmerTopic.labels, BalmerTopic.models] { try cluster.createTopic(topic, partitions: 1) }
        let stream = try ChaosStream(prefix: "s\(index)", count: count, files: files, missingDirectory: directory,
                                     duplicates: fault.duplicatesEvents, seed: UInt64(index + 1), additions: additions)
        outcome.published = stream.messages.count
        outcome.unique = stream.storedIDs.count + stream.rejectedKeys.count
        let target = stream.storedIDs.count
        func stored() async -> Int { (try? await DaemonHarness.count(store, "SELECT count(*) FROM spectra")) ?? -1 }
        func rejected() async -> Int { (try? await DaemonHarness.count(store, "SELECT count(DISTINCT key) FROM rejects")) ?? -1 }

        func died() -> Bool { instances.contains { $0.unexpectedExit != nil } }
        func checkAlive() throws {
            if let exit = instances.lazy.compactMap(\.unexpectedExit).first { throw DaemonHarness.ConfigError(exit) }
        }

        // The stream in parts: the first before the daemons start, one more during each fault.
        let parts = steps.count + 1
        let bounds = (0...parts).map { stream.messages.count * $0 / parts }
        try await stream.publish(bounds[0]..<bounds[1], producer: producer)
        let brokers = cluster.bootstrapServers
        _ = try await start(brokers: brokers, schema: schema, logs: logs, "a")
        var b = try await start(brokers: brokers, schema: schema, logs: logs, "b")

        for (i, step) in steps.enumerated() {
            // Strike while batches are in flight: once part of what is published so far is stored.
            let threshold = Int(Double(target) * (Double(i) + 0.4) / Double(parts))
            let progressed = try await DaemonHarness.eventually(timeout: .seconds(120)) { await stored() >= threshold || died() }
            try checkAlive()
            if !progressed { outcome.problems.append("no progress before \(step.rawValue): \(await stored()) of \(threshold) stored") }
            let part = bounds[i + 1]..<bounds[i + 2]
            let delivered = ChaosFlag()
            let publishing = Task {
                defer { delivered.set() }
                try await stream.publish(part, producer: producer)
            }
            // A process fault waits (while the part goes out) for its victim to have committed a
            // batch of its own, so that it has work in hand when struck.
            if step == .sigkill || step == .sigterm {
                let busy = try await DaemonHarness.eventually(timeout: .seconds(120)) { b.daemon.log.contains("batch committed") || died() }
                try checkAlive()
                if !busy { outcome.problems.append("\(b.name) committed no batch before \(step.rawValue)") }
            }
            switch step {
            case .brokerDown:
                try cluster.setBrokerDown()
                try await Task.sleep(for: .seconds(fault == .mixed ? 5 : settings.brokerDownSeconds))
                try cluster.setBrokerUp()
            case .requestErrors:
                try cluster.setRoundTripTime(milliseconds: 150)
                cluster.pushRequestErrors(api: .produce, errors: Array(repeating: MockCluster.Error.notEnoughReplicas, count: 8))
                cluster.pushRequestErrors(api: .fetch, errors: (0..<20).map {
                    $0 % 2 == 0 ? MockCluster.Error.notLeaderForPartition : MockCluster.Error.requestTimedOut
                })
                cluster.pushRequestErrors(api: .offsetCommit, errors: Array(repeating: MockCluster.Error.requestTimedOut, count: 6))
                try await Task.sleep(for: .seconds(4))
                try cluster.setRoundTripTime(milliseconds: 0)
                for api in [MockCluster.APIKey.produce, .fetch, .offsetCommit] { cluster.clearRequestErrors(api: api) }
            case .postgresRestart:
                try await settings.postgres.restart()
            case .sigkill:
                b.markStopping()
                b.daemon.kill9()
                try await Task.sleep(for: .seconds(1))
                b = try await start(brokers: brokers, schema: schema, logs: logs, "b\(i + 2)")
            case .sigterm:
                // The bound is balmerd's own shutdown.timeout-seconds (40 s): past it, it exits 1.
                b.markStopping()
                let status = await b.daemon.terminate(timeout: .seconds(45))
                if status != 0 {
                    outcome.problems.append("SIGTERM of b mid-batch: exit \(status.map(String.init) ?? "none within 45 s"):\n\(b.logTail())")
                }
            case .poisonStorm:
                break
            case .lateFiles:
                try await Task.sleep(for: .seconds(6))
                for path in lateFiles {
                    try FileManager.default.copyItem(atPath: files[path.count % files.count], toPath: path)
                }
            case .networkCut:
                guard let proxy else { break }
                proxy.cut()
                try await Task.sleep(for: .seconds(8))
                proxy.restore()
                try await Task.sleep(for: .seconds(2))
                proxy.cut()
                try await Task.sleep(for: .seconds(3))
                proxy.reset()
                proxy.restore()
            case .duplicates, .mixed, .campaign:
                break
            }
            // Deliveries are awaited with a bound, so a stuck publisher fails the scenario instead of hanging it.
            let published = try await DaemonHarness.eventually(timeout: .seconds(180)) { delivered.isSet }
            if !published { throw DaemonHarness.ConfigError("the test's producer did not deliver part \(i + 2) within 180 s of the fault") }
            try await publishing.value
        }

        // Everything arrives: each good event stored, each bad one rejected.
        let limit = Duration.seconds(90 + target / 15)
        let done = try await DaemonHarness.eventually(timeout: limit) {
            let s = await stored(), r = await rejected()
            return (s >= target && r >= stream.rejectedKeys.count) || died()
        }
        try checkAlive()
        if !done {
            outcome.problems.append("not everything arrived in \(limit): \(await stored())/\(target) stored, "
                                    + "\(await rejected())/\(stream.rejectedKeys.count) rejected")
        }
        let running = instances.filter(\.isRunning)
        if running.count != (fault == .sigterm ? 1 : 2) {
            outcome.problems.append("\(running.count) instances running: " + instances.map { "\($0.name) \($0.isRunning)" }.joined(separator: ", "))
        }
        for instance in running where instance.health != 200 {
            outcome.problems.append("\(instance.name) /healthz answered \(instance.health.map(String.init) ?? "nothing")")
        }
        try await Task.sleep(for: .seconds(1))
        for instance in running {
            instance.markStopping()
            let status = await instance.daemon.terminate(timeout: .seconds(60))
            if status != 0 {
                outcome.problems.append("\(instance.name) exit status on SIGTERM: \(status.map(String.init) ?? "none within 60 s")\n\(instance.logTail())")
            }
        }
        try await check(&outcome, stream: stream, store: store)
    }

    /// The store and the daemons' counters against the stream.
    private func check(_ outcome: inout ChaosOutcome, stream: ChaosStream, store: PostgresStore) async throws {
        let keys = try await store.pool.withConnection { c in
            try await c.query("SELECT key FROM spectra").rows.map { try $0.decode(0, as: String.self) }
        }
        let distinct = Set(keys)
        outcome.stored = keys.count
        outcome.duplicateRows = keys.count - distinct.count
        if distinct != stream.storedIDs {
            let missing = stream.storedIDs.subtracting(distinct), extra = distinct.subtracting(stream.storedIDs)
            outcome.problems.append("stored spectra differ: \(missing.count) missing (e.g. \(missing.sorted().prefix(5))), "
                                    + "\(extra.count) unexpected (e.g. \(extra.sorted().prefix(5)))")
        }
        let rejectRows = try await store.pool.withConnection { c in
            try await c.query("SELECT key, reason FROM rejects").rows.map { (try $0.decode(0, as: String.self), try $0.decode(1, as: String.self)) }
        }
        let rejectKeys = Set(rejectRows.map(\.0))
        outcome.rejected = rejectKeys.count
        outcome.duplicateRows += rejectRows.count - rejectKeys.count
        if rejectKeys != stream.rejectedKeys {
            outcome.problems.append("rejected keys differ: expected \(stream.rejectedKeys.count), got \(rejectKeys.count) "
                                    + "(missing \(stream.rejectedKeys.subtracting(rejectKeys).sorted().prefix(5)), "
                                    + "unexpected \(rejectKeys.subtracting(stream.rejectedKeys).sorted().prefix(5)))")
        }
        if rejectRows.contains(where: { $0.1.isEmpty }) { outcome.problems.append("a reject without a reason") }
        if outcome.duplicateRows > 0 { outcome.problems.append("\(outcome.duplicateRows) duplicate rows") }

        let scores = try await DaemonHarness.count(store, "SELECT count(*) FROM scores")
        let scorePairs = try await DaemonHarness.count(store, "SELECT count(DISTINCT (spectrum_id, model_version)) FROM scores")
        let unscored = try await DaemonHarness.count(store, """
            SELECT count(*) FROM spectra s WHERE NOT EXISTS (
                SELECT 1 FROM scores r JOIN models m ON m.version = r.model_version AND m.status = 'active' WHERE r.spectrum_id = s.id)
            """)
        if scores != keys.count || scorePairs != scores || unscored != 0 {
            outcome.problems.append("scores: \(scores) rows, \(scorePairs) distinct (spectrum, model), \(unscored) spectra unscored; "
                                    + "expected one per spectrum (\(keys.count))")
        }

        // consumed = stored + rejected + retried (missing files re-published to the retry topic)
        // (+ dropped: work of revoked partitions left to their next owner).
        var consumed = 0
        for instance in instances where !instance.isRunning {
            guard let c = instance.finalCounters else {
                if instance.daemon.process.terminationReason == .uncaughtSignal && instance.daemon.process.terminationStatus == SIGKILL {
                    continue
                }
                outcome.problems.append("\(instance.name) logged no final counters:\n\(instance.logTail())")
                continue
            }
            consumed += c.consumed
            if c.consumed != c.stored + c.rejected + c.retried + c.dropped {
                outcome.problems.append("\(instance.name): consumed \(c.consumed) ≠ stored \(c.stored) + rejected \(c.rejected) "
                                        + "+ retried \(c.retried) + dropped \(c.dropped)")
            }
        }
        outcome.consumed = consumed
        if !fault.killsAnInstance && consumed < stream.messages.count {
            outcome.problems.append("the instances consumed \(consumed) of \(stream.messages.count) messages published")
        }
    }
}
