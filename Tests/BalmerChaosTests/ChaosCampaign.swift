import BalmerBus
import BalmerDaemonTestSupport
import BalmerStore
import BalmerTestSupport
import Foundation

/// The campaign row of the matrix: a whole active-learning campaign set up as the runbook does
/// (`balmer simulate`, `balmer labels import`, `balmer train --database --promote`, two `balmerd`
/// with the loop on as the writer role, `balmer label --simulate` answering), struck in turn by
/// - PostgreSQL down while answers flow, and one instance stopped (SIGTERM) during that outage;
/// - the leader killed (SIGKILL) while a rescoring is in progress;
/// - a network cut between instance b and PostgreSQL (a black hole through ``TCPProxy``, then
///   restored; then a second cut ended by resetting every connection).
/// Checks: every published answer stored exactly once, the campaign advanced past its first
/// iteration with a precision estimate, every pool spectrum stored once or rejected with a reason,
/// the pool scored by the active model, consumed = stored + rejected + retried (+ dropped) for
/// every instance that stopped cleanly, and `/healthz` 200 on the survivors.
final class ChaosCampaign {
    let settings: ChaosSettings
    let directory: String
    private var instances: [ChaosInstance] = []
    private var labeller: Process?
    private var log: [String] = []

    init(settings: ChaosSettings, directory: String) {
        self.settings = settings
        self.directory = directory + "/campaign"
    }

    /// Spectra in the simulated release (the stream rows carry the event volume).
    var poolSize: Int { settings.totalEvents >= 50_000 ? 3000 : 600 }

    /// What the row did, in order (printed under the table).
    var steps: [String] { log }

    func run() async -> ChaosOutcome {
        var outcome = ChaosOutcome(fault: .campaign)
        let started = ContinuousClock.now
        let schema = DaemonHarness.unique("chaos_campaign")
        var cluster: MockCluster?
        var store: PostgresStore?
        var proxy: TCPProxy?
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            cluster = try DaemonHarness.cluster()
            store = try DaemonHarness.store(schema: schema)
            proxy = try TCPProxy(targetPort: try Self.databasePort())
            try await execute(&outcome, cluster: cluster!, store: store!, proxy: proxy!, schema: schema)
        } catch {
            outcome.problems.append("scenario aborted: \(error)")
        }
        if let labeller, labeller.isRunning { kill(labeller.processIdentifier, SIGKILL) }
        for instance in instances { instance.daemon.kill9() }
        if !outcome.passed {
            for instance in instances { outcome.problems.append("log of \(instance.name): \(instance.daemon.logPath)") }
            outcome.problems.append("steps: " + log.joined(separator: "; "))
        }
        proxy?.shutdown()
        cluster?.shutdown()
        await store?.pool.close()
        try? await DaemonHarness.dropSchema(schema)
        outcome.seconds = (ContinuousClock.now - started).seconds
        return outcome
    }

    private func note(_ line: String) {
        log.append(line)
        progress("chaos: campaign: \(line)")
    }

    static func databasePort() throws -> Int {
        guard let components = URLComponents(string: try DaemonHarness.databaseURL()), let port = components.port else {
            throw DaemonHarness.ConfigError("BALMER_DATABASE_URL names no port")
        }
        return port
    }

    /// The writer's URL through `proxy`.
    static func proxiedWriterURL(_ proxy: TCPProxy) throws -> String {
        guard var components = URLComponents(string: try DaemonHarness.writerURL()) else {
            throw DaemonHarness.ConfigError("BALMER_DATABASE_URL is not a URL")
        }
        components.port = proxy.port
        return components.string!
    }

    /// The loop's settings of a fast campaign (small batches, short trainings, small rescoring chunks).
    static let loopOptions = [
        "--loop.enabled", "true", "--loop.batch-size", "20", "--loop.precision-sample", "10", "--loop.threshold", "0.8",
        "--loop.times", "2", "--loop.max-iterations", "6", "--loop.max-epochs", "3", "--loop.patience", "2",
        "--loop.final-max-epochs", "4", "--loop.final-patience", "2", "--loop.interval-ms", "300",
        "--loop.settle-seconds", "2", "--loop.rescore-chunk", "40", "--loop.max-per-plate", "0", "--loop.gate-margin", "0.5",
    ]

    private func start(_ name: String, cluster: MockCluster, schema: String, via proxy: TCPProxy? = nil) async throws -> ChaosInstance {
        var environment: [String: String] = [:]
        if let proxy { environment["BALMER_DATABASE_URL"] = try Self.proxiedWriterURL(proxy) }
        let instance = try await ChaosInstance(
            name: name, brokers: cluster.bootstrapServers, schema: schema, model: nil, logDirectory: directory,
            extra: Self.loopOptions + ["--kafka.client-id", "chaos-\(name)"], environment: environment)
        instances.append(instance)
        let up = try await DaemonHarness.eventually(timeout: .seconds(60)) {
            instance.daemon.log.contains("ingest started") || !instance.isRunning
        }
        guard up, instance.isRunning else { throw DaemonHarness.ConfigError("\(name) did not start:\n\(instance.logTail())") }
        return instance
    }

    private func balmer(_ arguments: [String], as url: String) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["BALMER_DATABASE_URL"] = url
        let output = try await Task.detached {
            try CommandRunner.run(BuiltProducts.path(of: "balmer"), arguments, environment: environment)
        }.value
        guard output.status == 0 else {
            throw DaemonHarness.ConfigError("balmer \(arguments.prefix(2).joined(separator: " ")) failed (\(output.status)): \(output.stderr.suffix(1500))")
        }
    }

    private func execute(_ outcome: inout ChaosOutcome, cluster: MockCluster, store: PostgresStore, proxy: TCPProxy,
                         schema: String) async throws {
        // The campaign as the runbook sets it up: schema and roles by the owner, data by the writer.
        try await balmer(["simulate", "--kind", "ccd700", "--count", "300", "--seed", "3", "--out", directory + "/train",
                          "--dataset-csv", directory + "/train.csv"], as: try DaemonHarness.databaseURL())
        try await balmer(["simulate", "--kind", "lamost-dr9", "--count", "\(poolSize)", "--seed", "4",
                          "--mix", "single=0.08,double=0.04,other=0.88", "--out", directory + "/pool"], as: try DaemonHarness.databaseURL())
        try await DaemonHarness.prepare(schema: schema)
        let writer = try DaemonHarness.writerURL()
        try await balmer(["labels", "import", directory + "/train.csv", "--schema", schema], as: writer)
        try await balmer(["train", "--database", "--promote", "--epochs", "3", "--threads", "2", "--schema", schema], as: writer)
        for topic in [BalmerTopic.tasks, BalmerTopic.labels, BalmerTopic.models] { try cluster.createTopic(topic, partitions: 2) }
        note("initial labels and model v1 as \(DaemonHarness.writerRole)")

        var a = try await start("a", cluster: cluster, schema: schema)
        var b = try await start("b", cluster: cluster, schema: schema, via: proxy)
        let oracle = try startLabeller(cluster: cluster)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory + "/pool").filter { $0.hasSuffix(".fits.gz") }.sorted()
        outcome.published = files.count
        outcome.unique = files.count
        let producer = try DaemonHarness.producer(cluster)
        try await DaemonHarness.publish(files.map { directory + "/pool/" + $0 }, release: "DR9-sim", producer: producer)
        await producer.shutdown(timeout: .seconds(5))
        note("published \(files.count) spectra; labeller answering")

        func answersStored() async -> Int {
            (try? await DaemonHarness.count(store, "SELECT count(*) FROM labels WHERE source <> 'initial'")) ?? -1
        }
        func checkAlive() throws {
            if let exit = instances.lazy.compactMap(\.unexpectedExit).first { throw DaemonHarness.ConfigError(exit) }
            if !oracle.isRunning { throw DaemonHarness.ConfigError("the labeller exited (status \(oracle.terminationStatus))") }
        }

        // 1. PostgreSQL down while answers flow; a stopped during the outage.
        let flowing = try await DaemonHarness.eventually(timeout: .seconds(300)) { await answersStored() >= 5 }
        try checkAlive()
        guard flowing else { throw DaemonHarness.ConfigError("no answer stored within 300 s:\n\(a.logTail())") }
        let before = await answersStored()
        try await settings.postgres.stop()
        note("PostgreSQL stopped with \(before) answers stored")
        try await Task.sleep(for: .seconds(3))
        a.markStopping()
        let status = await a.daemon.terminate(timeout: .seconds(60))
        note("a stopped by SIGTERM during the outage: exit \(status.map(String.init) ?? "none within 60 s")")
        if status == nil { outcome.problems.append("a did not end within 60 s of SIGTERM while PostgreSQL was down") }
        try await Task.sleep(for: .seconds(5))
        try await settings.postgres.start()
        note("PostgreSQL started again")
        a = try await start("a2", cluster: cluster, schema: schema)

        // 2. The leader killed while a rescoring is in progress.
        let rescoring = try await DaemonHarness.eventually(timeout: .seconds(600)) {
            try checkAlive()
            return ((try? await DaemonHarness.count(store, "SELECT count(*) FROM rescore_chunks WHERE status = 'claimed' AND model_version > 1")) ?? 0) > 0
        }
        let leader = [a, b].first { $0.isLeader } ?? a
        leader.markStopping()
        leader.daemon.kill9()
        note("leader \(leader.name) killed by SIGKILL \(rescoring ? "with a rescoring chunk claimed" : "(no rescoring seen within 600 s)")")
        if !rescoring { outcome.problems.append("no rescoring of a retrained model within 600 s") }
        if leader === a { a = try await start("a3", cluster: cluster, schema: schema) } else { b = try await start("b2", cluster: cluster, schema: schema, via: proxy) }

        // 3. Network cuts between b and PostgreSQL.
        try await Task.sleep(for: .seconds(2))
        proxy.cut()
        note("network to PostgreSQL cut for \(b.name) (\(proxy.openConnections) connections held)")
        try await Task.sleep(for: .seconds(8))
        proxy.restore()
        note("network restored")
        try await Task.sleep(for: .seconds(3))
        proxy.cut()
        try await Task.sleep(for: .seconds(4))
        proxy.reset()
        proxy.restore()
        note("second cut ended by resetting every connection")

        // The campaign goes on: a second iteration with a precision estimate, the pool scored.
        let advanced = try await DaemonHarness.eventually(timeout: .seconds(600)) {
            try checkAlive()
            let iterations = (try? await store.iterations()) ?? []
            return iterations.count >= 2 && iterations.contains { $0.precisionEstimate != nil }
        }
        let iterations = (try? await store.iterations()) ?? []
        note("iterations \(iterations.map { "\($0.iteration):\($0.precisionEstimate.map { String(format: "%.2f", $0) } ?? "-")" }.joined(separator: " "))")
        if !advanced { outcome.problems.append("the campaign did not reach a second iteration with a precision estimate") }
        let scored = try await DaemonHarness.eventually(timeout: .seconds(300)) {
            try checkAlive()
            guard let active = try? await store.activeEntry() else { return false }
            return active.rescoredAt != nil
        }
        if !scored { outcome.problems.append("the active model never finished rescoring the pool") }

        // Stop the labeller, let the last answers land, then stop the daemons.
        kill(oracle.processIdentifier, SIGTERM)
        _ = try await DaemonHarness.eventually(timeout: .seconds(30)) { !oracle.isRunning }
        let sent = try await publishedAnswers(cluster)
        let landed = try await DaemonHarness.eventually(timeout: .seconds(60)) {
            let stored = try await DaemonHarness.count(store, "SELECT count(DISTINCT task_id) FROM labels WHERE source <> 'initial'")
            return stored >= sent.count
        }
        if !landed { outcome.problems.append("not every answer was stored within 60 s of the labeller's stop") }
        for instance in [a, b] where instance.isRunning && instance.health != 200 {
            outcome.problems.append("\(instance.name) /healthz: \(httpGet(port: instance.port, path: "/healthz").map { "\($0.0) \($0.1)" } ?? "no answer")")
        }
        for instance in [a, b] where instance.isRunning {
            instance.markStopping()
            let status = await instance.daemon.terminate(timeout: .seconds(60))
            if status != 0 { outcome.problems.append("\(instance.name) exit status on SIGTERM: \(status.map(String.init) ?? "none")") }
        }
        try await check(&outcome, store: store, files: files, sent: sent)
    }

    /// `balmer label --simulate` for the pool's truth, answering as `oracle`.
    private func startLabeller(cluster: MockCluster) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltProducts.path(of: "balmer"))
        process.arguments = ["label", "--simulate", directory + "/pool/truth.csv", "--labeller", "oracle",
                             "--brokers", cluster.bootstrapServers]
        let logPath = directory + "/labeller.log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        labeller = process
        return process
    }

    /// Task ids of every answer on `balmer.labels` (read from the start with a group of its own).
    private func publishedAnswers(_ cluster: MockCluster) async throws -> Set<String> {
        let consumer = try KafkaConsumer(
            config: KafkaConfig(bootstrapServers: cluster.bootstrapServers, groupID: DaemonHarness.unique("answers")),
            topics: [BalmerTopic.labels], logger: DaemonHarness.logger)
        var ids = Set<String>()
        var quiet = 0
        let deadline = ContinuousClock.now + .seconds(60)
        while quiet < 10 && ContinuousClock.now < deadline {
            let messages = await consumer.poll(max: 500, timeout: .milliseconds(300))
            if messages.isEmpty && !consumer.assignment.isEmpty { quiet += 1 } else { quiet = 0 }
            for message in messages { if let event = try? message.decode(LabelEvent.self) { ids.insert(event.taskID) } }
        }
        await consumer.close()
        return ids
    }

    private func check(_ outcome: inout ChaosOutcome, store: PostgresStore, files: [String], sent: Set<String>) async throws {
        let stored = try await store.pool.withConnection { c in
            try await c.query("SELECT key FROM spectra WHERE release = 'DR9-sim'").rows.map { try $0.decode(0, as: String.self) }
        }
        let rejected = try await store.pool.withConnection { c in
            try await c.query("SELECT DISTINCT key FROM rejects WHERE source = 'ingest'").rows.map { try $0.decode(0, as: String.self) }
        }
        outcome.stored = stored.count
        outcome.rejected = rejected.count
        outcome.duplicateRows = stored.count - Set(stored).count
        if outcome.duplicateRows > 0 { outcome.problems.append("\(outcome.duplicateRows) duplicate spectra") }
        if Set(stored).count + Set(rejected).count != files.count {
            outcome.problems.append("pool: \(Set(stored).count) stored + \(Set(rejected).count) rejected ≠ \(files.count) published")
        }
        let labelled = try await store.pool.withConnection { c in
            try await c.query("SELECT task_id, count(*) FROM labels WHERE source <> 'initial' GROUP BY task_id").rows.map {
                (try $0.decode(0, as: String.self), try $0.decode(1, as: Int.self))
            }
        }
        let storedTasks = Set(labelled.map(\.0))
        if storedTasks != sent {
            outcome.problems.append("answers: \(sent.count) published, \(storedTasks.count) stored; missing \(sent.subtracting(storedTasks).sorted().prefix(5)), unexpected \(storedTasks.subtracting(sent).sorted().prefix(5))")
        }
        if let doubled = labelled.first(where: { $0.1 != 1 }) { outcome.problems.append("task \(doubled.0) has \(doubled.1) label rows") }
        note("answers published \(sent.count), stored \(storedTasks.count)")
        if let active = try await store.activeEntry() {
            let unscored = try await DaemonHarness.count(store, """
                SELECT count(*) FROM spectra s WHERE release = 'DR9-sim' AND NOT EXISTS (
                    SELECT 1 FROM scores r WHERE r.spectrum_id = s.id AND r.model_version = \(active.version))
                """)
            if unscored > 0 { outcome.problems.append("\(unscored) pool spectra without a score of the active model v\(active.version)") }
        }
        var consumed = 0
        for instance in instances where !instance.isRunning {
            guard let c = instance.finalCounters else { continue }  // killed, or ended by the shutdown timer
            consumed += c.consumed
            if c.consumed != c.stored + c.rejected + c.retried + c.dropped {
                outcome.problems.append("\(instance.name): consumed \(c.consumed) ≠ stored \(c.stored) + rejected \(c.rejected) + retried \(c.retried) + dropped \(c.dropped)")
            }
        }
        outcome.consumed = consumed
    }
}
