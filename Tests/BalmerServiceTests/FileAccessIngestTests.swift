import BalmerBus
import BalmerCore
import BalmerDaemonTestSupport
import BalmerFITS
import BalmerStore
import BalmerTestSupport
import Foundation
import Testing

/// File access through a running `balmerd` (real process, mock cluster, PostgreSQL): hostile
/// locations (FIFO, /proc, /etc, symlinks and `..` out of the data root, a folder, a gzip bomb,
/// an over-size file) are refused at once with their own codes while the stream goes on; a file
/// that appears late is stored, not lost; one that never appears is rejected as `missing` after
/// the grace; SIGTERM ends balmerd within shutdown.timeout-seconds even while its ingest is stuck.
@Suite(.serialized) struct FileAccessIngestTests {
    /// The counters of the final "ingest stopped" line.
    static func finalCounters(_ log: String) -> [String: Int] {
        guard let line = log.split(separator: "\n").last(where: { $0.contains("ingest stopped") }) else { return [:] }
        var counters: [String: Int] = [:]
        for name in ["consumed", "stored", "rejected", "retried", "dropped"] {
            guard let range = line.range(of: " \(name)=") else { continue }
            counters[name] = Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        return counters
    }

    static func event(_ key: String, _ location: String) -> [UInt8] {
        let escaped = location.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return Array(#"{"schema":1,"spectrum_id":"\#(key)","survey":"LAMOST","release":"DR9","location":"\#(escaped)"}"#.utf8)
    }

    static func rejects(_ store: PostgresStore) async throws -> [String: String] {
        let rows = try await store.pool.withConnection { c in
            try await c.query("SELECT key, reason FROM rejects").rows.map { (try $0.decode(0, as: String.self), try $0.decode(1, as: String.self)) }
        }
        return Dictionary(rows, uniquingKeysWith: { a, b in a + "," + b })
    }

    static func deadLetters(_ cluster: MockCluster, count: Int) async throws -> [DeadLetterEvent] {
        let dlq = try KafkaConsumer(
            config: KafkaConfig(bootstrapServers: cluster.bootstrapServers, groupID: DaemonHarness.unique("dlq")),
            topics: [BalmerTopic.deadLetter], logger: DaemonHarness.logger)
        var letters: [DeadLetterEvent] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while letters.count < count && ContinuousClock.now < deadline {
            letters += try await dlq.poll(max: 50, timeout: .milliseconds(300)).map { try $0.decode(DeadLetterEvent.self) }
        }
        await dlq.close()
        return letters
    }

    /// Waits until balmerd logs "ingest started" (migrations and model loading done).
    static func started(_ daemon: DaemonProcess) async throws -> Bool {
        try await DaemonHarness.eventually(timeout: .seconds(90)) { daemon.log.contains("ingest started") || !daemon.process.isRunning }
            && daemon.process.isRunning
    }

    /// A gzipped "FITS" file of a 2880-byte header and `megabytes` MiB of zeros.
    static func writeBomb(_ path: String, megabytes: Int) throws {
        let plain = String(path.dropLast(3))
        #expect(FileManager.default.createFile(atPath: plain, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: plain))
        try handle.write(contentsOf: Data(Array("SIMPLE  =                    T".padding(toLength: 2880, withPad: " ", startingAt: 0).utf8)))
        for _ in 0..<megabytes { try handle.write(contentsOf: Data(count: 1 << 20)) }
        try handle.close()
        let gzip = try CommandRunner.run("/usr/bin/gzip", ["-f", plain])
        #expect(gzip.status == 0, "\(gzip.stderr)")
    }

    /// A hostile location, the event key it is published under and the reject code it must get.
    typealias HostileLocation = (key: String, location: String, code: String)

    /// In `dir`: a data root `dir/data` with `goodFiles` good spectra, and every hostile location
    /// (a FIFO plain and as a URI, /proc, /etc, symlinks to /etc and out of the root, `..` out of
    /// the root, a folder, the root itself, a 40 MiB gzip bomb, a 20 MiB plain file) with the code
    /// balmerd run with `--ingest.data-roots dir/data`, 8 MiB and 16 MiB caps must reject it with.
    static func hostileLocations(in dir: String, goodFiles: Int) throws -> (good: [String], bad: [HostileLocation]) {
        let root = dir + "/data"
        let outside = dir + "/outside"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        let good = try DaemonHarness.writeSpectra(count: goodFiles, to: root)
        let stranger = try DaemonHarness.writeSpectra(count: 1, to: outside)[0]
        #expect(mkfifo(root + "/pipe.fits.gz", 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: root + "/passwd.fits.gz", withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: root + "/stranger.fits.gz", withDestinationPath: stranger)
        try FileManager.default.createDirectory(atPath: root + "/folder.fits.gz", withIntermediateDirectories: true)
        try Self.writeBomb(root + "/bomb.fits.gz", megabytes: 40)
        #expect(FileManager.default.createFile(atPath: root + "/huge.fits", contents: nil))
        #expect(truncate(root + "/huge.fits", 20 << 20) == 0)

        let bad: [HostileLocation] = [
            ("fifo", root + "/pipe.fits.gz", "not-regular-file"),
            ("fifo-uri", "file://" + root + "/pipe.fits.gz", "not-regular-file"),
            ("proc", "/proc/self/status", "outside-data-roots"),
            ("etc", "/etc/passwd", "outside-data-roots"),
            ("symlink-etc", root + "/passwd.fits.gz", "outside-data-roots"),
            ("symlink-out", root + "/stranger.fits.gz", "outside-data-roots"),
            ("dot-dot", root + "/../outside/spec-0.fits.gz", "outside-data-roots"),
            ("folder", root + "/folder.fits.gz", "not-regular-file"),
            ("root-itself", root, "not-regular-file"),
            ("gzip-bomb", root + "/bomb.fits.gz", "too-large"),
            ("over-size", root + "/huge.fits", "too-large"),
        ]

        return (good, bad)
    }

    /// The caps the hostile locations are built for.
    static let capOptions = ["--ingest.max-file-bytes", "\(8 << 20)", "--ingest.max-inflated-bytes", "\(16 << 20)"]

    @Test func hostileLocationsAreRefusedAtOnceAndTheStreamGoesOn() async throws {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = dir + "/data"
        let (good, bad) = try Self.hostileLocations(in: dir, goodFiles: 24)

        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        let producer = try DaemonHarness.producer(cluster)
        let schema = DaemonHarness.unique("balmerd_files")
        let daemon = try await DaemonProcess(
            brokers: cluster.bootstrapServers, schema: schema, model: model, logDirectory: dir, name: "files",
            extra: ["--loop.enabled", "false", "--ingest.data-roots", root] + Self.capOptions)
        defer { daemon.kill9() }
        let store = try DaemonHarness.store(schema: schema)
        defer { Task { [store] in await store.pool.close(); try? await DaemonHarness.dropSchema(schema) } }
        #expect(try await Self.started(daemon), "balmerd did not start:\n\(daemon.log.suffix(3000))")
        #expect(!daemon.log.contains("ingest.data-roots is not set"))

        // The hostile events first, then a good release right after, on the same partitions.
        let published = ContinuousClock.now
        for item in bad { _ = try await producer.send(topic: BalmerTopic.spectra, key: item.key, value: Self.event(item.key, item.location)) }
        try await DaemonHarness.publish(good, release: "DR9", producer: producer)
        let done = try await DaemonHarness.ingested(stored: good.count, rejected: bad.count, by: daemon, into: store,
                                                    timeout: .seconds(30))
        #expect(done, "not everything arrived within 30 s; daemon log:\n\(daemon.log.suffix(3000))")
        #expect(ContinuousClock.now - published < .seconds(31))
        #expect(daemon.process.isRunning, "balmerd exited:\n\(daemon.log.suffix(3000))")

        let reasons = try await Self.rejects(store)
        for item in bad {
            #expect(reasons[item.key] == item.code, "\(item.key): \(reasons[item.key] ?? "no rejects row")")
        }
        #expect(try await DaemonHarness.count(store, "SELECT count(*) FROM spectra") == good.count)
        let letters = try await Self.deadLetters(cluster, count: bad.count)
        #expect(Set(letters.map(\.originalKey)) == Set(bad.map(\.key)))

        #expect(await daemon.terminate() == 0, "\(daemon.log.suffix(2000))")
        let c = Self.finalCounters(daemon.log)
        #expect(c["consumed"] == good.count + bad.count, "\(c)")
        #expect(c["stored"] == good.count && c["rejected"] == bad.count && c["retried"] == 0, "\(c)")
    }

    @Test func aFileThatAppearsLateIsStoredNotRejected() async throws {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try DaemonHarness.writeSpectra(count: 6, to: dir)
        let staging = dir + "/staging"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let lateSource = try DaemonHarness.writeSpectra(count: 1, to: staging)[0]
        let late = dir + "/late.fits.gz"

        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        let producer = try DaemonHarness.producer(cluster)
        let schema = DaemonHarness.unique("balmerd_late")
        // No data roots: balmerd warns and accepts any path.
        let daemon = try await DaemonProcess(brokers: cluster.bootstrapServers, schema: schema, model: model, logDirectory: dir,
                                       name: "late", extra: ["--loop.enabled", "false"])
        defer { daemon.kill9() }
        let store = try DaemonHarness.store(schema: schema)
        defer { Task { [store] in await store.pool.close(); try? await DaemonHarness.dropSchema(schema) } }
        #expect(try await Self.started(daemon), "balmerd did not start:\n\(daemon.log.suffix(3000))")
        #expect(daemon.log.contains("ingest.data-roots is not set: any readable path is accepted"))

        _ = try await producer.send(topic: BalmerTopic.spectra, key: "late", value: Self.event("late", late))
        try await DaemonHarness.publish(good, release: "DR9", producer: producer)
        // The late event has been tried and re-published at least once; the good ones are stored.
        let retried = try await DaemonHarness.eventually(timeout: .seconds(30)) {
            guard daemon.log.contains("file retry scheduled") else { return false }
            return ((try? await DaemonHarness.count(store, "SELECT count(*) FROM spectra")) ?? 0) == good.count
        }
        #expect(retried, "\(daemon.log.suffix(3000))")
        // The copy lands 3–5 s after the event (renamed into place whole, as a careful copier does).
        try await Task.sleep(for: .seconds(4))
        #expect(rename(lateSource, late) == 0)
        let done = try await DaemonHarness.ingested(stored: good.count + 1, rejected: 0, by: daemon, into: store,
                                                    timeout: .seconds(60))
        #expect(done, "the late file was not stored; daemon log:\n\(daemon.log.suffix(3000))")
        let keys = try await store.pool.withConnection { c in
            try await c.query("SELECT key FROM spectra").rows.map { try $0.decode(0, as: String.self) }
        }
        #expect(keys.contains("late"))
        #expect(try await DaemonHarness.count(store, "SELECT count(*) FROM rejects") == 0)

        #expect(await daemon.terminate() == 0, "\(daemon.log.suffix(2000))")
        let c = Self.finalCounters(daemon.log)
        let retries = try #require(c["retried"], "\(daemon.log.suffix(2000))")
        #expect(retries >= 1)
        // Attempts at about 0, 1, 3 and 7 s; while one is not due its retry partition is paused,
        // so each costs one or two re-publications, not one per poll (≈ 5 a second).
        #expect(retries <= 12, "\(c)")
        #expect(c["stored"] == good.count + 1 && c["rejected"] == 0, "\(c)")
        #expect(c["consumed"] == good.count + 1 + retries + (c["dropped"] ?? 0), "\(c)")
    }

    @Test func aFileMissingPastTheGraceIsRejectedAsMissing() async throws {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try DaemonHarness.writeSpectra(count: 4, to: dir)
        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        let producer = try DaemonHarness.producer(cluster)
        let schema = DaemonHarness.unique("balmerd_missing")
        let daemon = try await DaemonProcess(
            brokers: cluster.bootstrapServers, schema: schema, model: model, logDirectory: dir, name: "missing",
            extra: ["--loop.enabled", "false", "--ingest.data-roots", dir, "--ingest.missing-grace-seconds", "3"])
        defer { daemon.kill9() }
        let store = try DaemonHarness.store(schema: schema)
        defer { Task { [store] in await store.pool.close(); try? await DaemonHarness.dropSchema(schema) } }
        #expect(try await Self.started(daemon), "balmerd did not start:\n\(daemon.log.suffix(3000))")

        let published = ContinuousClock.now
        _ = try await producer.send(topic: BalmerTopic.spectra, key: "never", value: Self.event("never", dir + "/never.fits.gz"))
        try await DaemonHarness.publish(good, release: "DR9", producer: producer)
        let done = try await DaemonHarness.ingested(stored: good.count, rejected: 1, by: daemon, into: store, timeout: .seconds(30))
        #expect(done, "\(daemon.log.suffix(3000))")
        // Not before the grace: the first attempts were retries.
        #expect(ContinuousClock.now - published >= .seconds(3))
        #expect(try await Self.rejects(store) == ["never": "missing"])
        let letter = try #require(try await Self.deadLetters(cluster, count: 1).first)
        #expect(letter.code == "missing")
        #expect(letter.reason.contains("attempts over"), "\(letter.reason)")

        #expect(await daemon.terminate() == 0, "\(daemon.log.suffix(2000))")
        let c = Self.finalCounters(daemon.log)
        let retries = try #require(c["retried"], "\(daemon.log.suffix(2000))")
        #expect(retries >= 2)
        #expect(c["stored"] == good.count && c["rejected"] == 1, "\(c)")
        #expect(c["consumed"] == good.count + 1 + retries + (c["dropped"] ?? 0), "\(c)")
    }

    /// SIGTERM while the ingest is stuck in a blocking call it cannot leave (PostgreSQL backends
    /// of balmerd stopped with SIGSTOP, so libpq waits forever): the hard stop ends the process
    /// with status 1 after shutdown.timeout-seconds.
    @Test func sigtermEndsBalmerdWhileItsIngestIsStuck() async throws {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try DaemonHarness.writeSpectra(count: 8, to: dir)
        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        let producer = try DaemonHarness.producer(cluster)
        let schema = DaemonHarness.unique("balmerd_stuck")
        let daemon = try await DaemonProcess(
            brokers: cluster.bootstrapServers, schema: schema, model: model, logDirectory: dir, name: "stuck",
            extra: ["--loop.enabled", "false", "--shutdown.timeout-seconds", "3", "--database.max-connections", "1"])
        defer { daemon.kill9() }
        let store = try DaemonHarness.store(schema: schema)
        defer { Task { [store] in await store.pool.close(); try? await DaemonHarness.dropSchema(schema) } }
        #expect(try await Self.started(daemon), "balmerd did not start:\n\(daemon.log.suffix(3000))")
        try await DaemonHarness.publish(Array(good.prefix(2)), release: "DR9", producer: producer)
        #expect(try await DaemonHarness.ingested(stored: 2, rejected: 0, by: daemon, into: store, timeout: .seconds(30)))

        // Stop balmerd's PostgreSQL backends (not the test's).
        let pids = try await store.pool.withConnection { c in
            try await c.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'balmerd' AND pid <> pg_backend_pid()")
                .rows.map { Int32(try $0.decode(0, as: Int.self)) }
        }
        try #require(!pids.isEmpty, "no balmerd backend found")
        for pid in pids { kill(pid, SIGSTOP) }
        defer { for pid in pids { kill(pid, SIGCONT) } }
        let readBefore = daemon.log.components(separatedBy: "batch read").count
        try await DaemonHarness.publish(Array(good.dropFirst(2)), release: "DR9", producer: producer)
        // The next batch is read (its store then hangs in libpq): wait for its "batch read" line.
        let read = try await DaemonHarness.eventually(timeout: .seconds(30)) {
            daemon.log.components(separatedBy: "batch read").count > readBefore
        }
        #expect(read, "\(daemon.log.suffix(3000))")
        #expect(daemon.process.isRunning)
        let signalled = ContinuousClock.now
        let status = await daemon.terminate(timeout: .seconds(20))
        let took = ContinuousClock.now - signalled
        #expect(status == 1, "balmerd did not hard-stop (status \(String(describing: status))):\n\(daemon.log.suffix(3000))")
        #expect(took < .seconds(3 + 7), "\(took)")
        #expect(daemon.log.contains("drain exceeded shutdown.timeout-seconds"))
    }
}
