import BalmerBus
import BalmerCNN
import BalmerCore
import BalmerFITS
import BalmerStore
import BalmerTestSupport
import Foundation
import Logging

/// Shared fixtures for the daemon and chaos tests: an in-process mock Kafka cluster, a fresh PostgreSQL
/// schema, synthetic LAMOST DR9 files, a quick model, and the real `balmerd` binary.
public enum DaemonHarness {
    public static let logger: Logger = {
        var logger = Logger(label: "balmer.service.tests")
        logger.logLevel = .critical
        return logger
    }()

    /// The cluster's URL, or a test failure telling how to run the tests.
    public static func databaseURL() throws -> String {
        let url = ProcessInfo.processInfo.environment["BALMER_DATABASE_URL"] ?? ""
        guard !url.isEmpty else {
            throw ConfigError("BALMER_DATABASE_URL is not set: run the daemon tests through ops/test (it starts a throw-away PostgreSQL)")
        }
        return url
    }

    public static func unique(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
    }

    /// A temporary folder removed by the caller.
    public static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("balmerd-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// `count` gzipped LAMOST DR9 files named `spec-<i>.fits.gz` in `directory` (emission in every third).
    public static func writeSpectra(count: Int, to directory: String) throws -> [String] {
        let wave = (0..<3909).map { pow(10, 3.5682 + 1e-4 * Double($0)) }
        let paths = (0..<count).map { "\(directory)/spec-\($0).fits.gz" }
        let writer = SpectrumFileWriter()
        let failures = Parallel.map(count: count, threads: 2) { i -> String? in
            let amplitude = i % 3 == 0 ? 600.0 : -300.0
            let flux = wave.map { 1000 + 0.05 * ($0 - 6000) + amplitude * exp(-0.5 * pow(($0 - 6564.61 - Double(i % 5)) / 4, 2)) }
            let ivar = [Double](repeating: 0.25, count: wave.count)
            let metadata = SpectrumMetadata(designation: "J\(100000 + i)", ra: Double(i % 360), dec: Double(i % 90) - 45,
                                            mjd: 58000 + Double(i), release: "LAMOST DR9")
            let spectrum = Spectrum(layout: .lamostDR9, frame: .vacuum, wavelength: wave, flux: flux,
                                    inverseVariance: ivar, metadata: metadata)
            do { try writer.write(spectrum, as: .lamostDR9, to: paths[i]); return nil } catch { return "\(error)" }
        }
        if let failure = failures.compactMap({ $0 }).first { throw ConfigError(failure) }
        return paths
    }

    /// A freshly initialised paper CNN written to `directory/model.safetensors`.
    public static func writeModel(to directory: String, seed: UInt64 = 7) throws -> String {
        let model = try CNNModel(architecture: .paper(), seed: seed, info: ModelInfo(classNames: ["single", "double", "other"]))
        let path = directory + "/model.safetensors"
        try model.write(to: path)
        return path
    }

    public static func cluster() throws -> MockCluster {
        let cluster = try MockCluster(brokers: 1, logger: logger)
        try cluster.createTopic(BalmerTopic.spectra, partitions: 6)
        try cluster.createTopic(BalmerTopic.deadLetter, partitions: 1)
        try cluster.createTopic(BalmerTopic.spectraRetry, partitions: 3)
        return cluster
    }

    public static func producer(_ cluster: MockCluster) throws -> KafkaProducer {
        try KafkaProducer(config: KafkaConfig(bootstrapServers: cluster.bootstrapServers, clientID: "test-publisher",
                                              properties: ["linger.ms": "20"]), logger: logger)
    }

    /// Publishes one `SpectrumEvent` per path (spectrum id = file stem) and waits for every delivery.
    public static func publish(_ paths: [String], release: String, producer: KafkaProducer) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for path in paths {
                let id = URL(fileURLWithPath: path).lastPathComponent.replacingOccurrences(of: ".fits.gz", with: "")
                group.addTask {
                    try await producer.send(SpectrumEvent(spectrumID: id, survey: "LAMOST", release: release, location: path))
                }
            }
            try await group.waitForAll()
        }
    }

    /// The least-privilege role every daemon, campaign and chaos test connects as (created LOGIN by
    /// ``RoleGrant`` and granted on each test schema by ``prepare(schema:)``), and its read-only peer.
    public static let writerRole = "balmer_writer_test"
    public static let readerRole = "balmer_reader_test"

    /// The cluster's URL with `role` as the user (no password: ops/lib/pg.sh's cluster trusts loopback).
    public static func databaseURL(role: String) throws -> String {
        guard var components = URLComponents(string: try databaseURL()) else {
            throw ConfigError("BALMER_DATABASE_URL is not a postgresql:// URL")
        }
        components.user = role
        components.password = nil
        guard let url = components.string else { throw ConfigError("cannot build the \(role) URL") }
        return url
    }

    /// The writer's URL (``writerRole``).
    public static func writerURL() throws -> String { try databaseURL(role: writerRole) }

    /// The runbook's order as the superuser of BALMER_DATABASE_URL: `balmer db migrate`, then
    /// `balmer db grant` (``writerRole``, ``readerRole``) on `schema`. Idempotent. Concurrent grants
    /// (other tests' schemas) may collide on the shared roles and the database ACL: retried.
    public static func prepare(schema: String) async throws {
        let c = try await PostgresConnection.connect(PostgresConfiguration(url: try databaseURL(), schema: schema), logger: logger)
        try await Migrator(logger: logger).migrate(c)
        var attempt = 0
        while true {
            do {
                return try await RoleGrant(writer: writerRole, reader: readerRole).apply(c)
            } catch let error as PostgresError where attempt < 5 && error.kind == .statement {
                attempt += 1
                try await Task.sleep(for: .milliseconds(100 * attempt))
            }
        }
    }

    /// A store on the test schema as the superuser (seeding, inspecting; migrated by ``prepare(schema:)`` or here).
    public static func store(schema: String) throws -> PostgresStore {
        PostgresStore(configuration: PostgresConfiguration(url: try databaseURL(), schema: schema), maxConnections: 2, logger: logger)
    }

    public static func count(_ store: PostgresStore, _ sql: String) async throws -> Int {
        try await store.pool.withConnection { c in try await c.query(sql).first!.decode(0, as: Int.self) }
    }

    /// Drops the test schema.
    public static func dropSchema(_ schema: String) async throws {
        let c = try await PostgresConnection.connect(PostgresConfiguration(url: try databaseURL()))
        try await c.query("SELECT set_config('balmer.schema', $1, false)", [schema])
        try await c.runScript("DO $$ BEGIN EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', current_setting('balmer.schema')); END $$")
    }

    /// Polls `condition` every 200 ms until it holds or `timeout` passes; returns whether it held.
    public static func eventually(timeout: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return try await condition()
    }

    /// Waits until the schema holds `stored` spectra and `rejected` rejects, or `daemon` exits;
    /// returns whether that happened within `timeout`.
    public static func ingested(stored: Int, rejected: Int, by daemon: DaemonProcess, into store: PostgresStore,
                                timeout: Duration = .seconds(90)) async throws -> Bool {
        try await eventually(timeout: timeout) {
            guard daemon.process.isRunning else { return true }
            let spectra = (try? await count(store, "SELECT count(*) FROM spectra")) ?? 0
            let rejects = (try? await count(store, "SELECT count(*) FROM rejects")) ?? 0
            return spectra == stored && rejects == rejected
        }
    }

    public struct ConfigError: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }
}

/// A running `balmerd` whose stderr goes to a file.
public final class DaemonProcess: Sendable {
    public let process: Process
    public let logPath: String

    /// Starts `balmerd` as ``DaemonHarness/writerRole`` with its default `database.migrate=true`,
    /// after migrating and granting `schema` as the superuser (``DaemonHarness/prepare(schema:)``)
    /// unless `prepareSchema` is false (then the writer meets the schema as it is).
    public init(brokers: String, schema: String, group: String = "balmerd-test", model: String?, logDirectory: String,
         name: String, extra: [String] = [], environment extraEnvironment: [String: String] = [:],
         prepareSchema: Bool = true) async throws {
        if prepareSchema { try await DaemonHarness.prepare(schema: schema) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltProducts.path(of: "balmerd"))
        var arguments = [
            "--kafka.brokers", brokers, "--kafka.group", group, "--database.schema", schema,
            "--kafka.session-timeout-ms", "6000", "--kafka.heartbeat-interval-ms", "500",
            "--ingest.batch-size", "64", "--ingest.batch-timeout-ms", "100", "--compute.threads", "2",
            "--shutdown.timeout-seconds", "40",
        ]
        if !extra.contains("--config") { arguments += ["--log.level", "debug", "--http.port", "0"] }
        if let model { arguments += ["--model.file", model] }
        process.arguments = arguments + extra
        var environment = ProcessInfo.processInfo.environment
        environment["BALMER_DATABASE_URL"] = try DaemonHarness.writerURL()
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        environment.merge(extraEnvironment) { $1 }
        process.environment = environment
        logPath = logDirectory + "/\(name).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
        self.process = process
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM and waits up to `timeout` for the exit; returns the exit status, or nil on timeout.
    public func terminate(timeout: Duration = .seconds(60)) async -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        return await waitForExit(timeout: timeout)
    }

    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(100)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Kills the process if still running (cleanup).
    public func kill9() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    /// The `consumed=` value of the final "ingest stopped" line.
    public var finalConsumed: Int? {
        guard let line = log.split(separator: "\n").last(where: { $0.contains("ingest stopped") }),
              let range = line.range(of: "consumed=") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }
}
