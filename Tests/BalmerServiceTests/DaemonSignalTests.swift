import BalmerBus
import BalmerDaemonTestSupport
import BalmerStore
import Foundation
import Testing

/// The real `balmerd`'s signals under swift-service-lifecycle: SIGHUP reloads `log.level` from
/// the configuration file (and keeps the running level when the file no longer reads), SIGINT
/// drains, commits and exits 0 like SIGTERM.
@Suite(.serialized) struct DaemonSignalTests {
    /// Whether `log` holds the `reloaded` line for `level`.
    static func reloaded(_ log: String, to level: String) -> Bool {
        log.split(separator: "\n").contains { $0.contains("reloaded") && $0.contains("log.level=\(level)") }
    }

    /// The lines of `log` after the last one containing `marker` (all of them when none does).
    static func lines(in log: String, afterLast marker: String) -> [Substring] {
        let lines = log.split(separator: "\n")
        let start = lines.lastIndex { $0.contains(marker) }.map { $0 + 1 } ?? lines.startIndex
        return Array(lines[start...])
    }

    /// debug → SIGHUP with `notice` in the file: the `reloaded` line shows and the next batches log
    /// no debug line; a level that does not parse is refused and the quiet level kept; back to
    /// debug: the batches' debug lines return.
    @Test func sighupReloadsLogLevel() async throws {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let schema = DaemonHarness.unique("balmerd_hup")
        let paths = try DaemonHarness.writeSpectra(count: 192, to: dir)
        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        let producer = try DaemonHarness.producer(cluster)
        let store = try DaemonHarness.store(schema: schema)
        defer { Task { [store] in await store.pool.close(); try? await DaemonHarness.dropSchema(schema) } }
        let configFile = dir + "/balmer.json"
        func setLevel(_ level: String) throws {
            try #"{"log": {"level": "\#(level)"}, "http": {"port": 0}}"#.write(toFile: configFile, atomically: true, encoding: .utf8)
        }
        try setLevel("debug")
        let daemon = try await DaemonProcess(brokers: cluster.bootstrapServers, schema: schema, model: model, logDirectory: dir, name: "hup",
                                       extra: ["--config", configFile])
        defer { daemon.kill9() }

        try await DaemonHarness.publish(Array(paths[0..<64]), release: "DR9", producer: producer)
        #expect(try await DaemonHarness.ingested(stored: 64, rejected: 0, by: daemon, into: store))
        #expect(daemon.process.isRunning, "balmerd exited early:\n\(daemon.log.suffix(3000))")
        #expect(try await DaemonHarness.eventually(timeout: .seconds(5)) { daemon.log.contains("batch committed") },
                "no debug line at log.level=debug:\n\(daemon.log.suffix(2000))")

        // Quieter: the reload is logged (before the change), then nothing below notice.
        try setLevel("notice")
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(try await DaemonHarness.eventually(timeout: .seconds(10)) { Self.reloaded(daemon.log, to: "notice") },
                "no reload line:\n\(daemon.log.suffix(2000))")
        try await DaemonHarness.publish(Array(paths[64..<128]), release: "DR9", producer: producer)
        #expect(try await DaemonHarness.ingested(stored: 128, rejected: 0, by: daemon, into: store))
        try await Task.sleep(for: .seconds(1))
        // The batches of this part were published after the level changed; their debug lines are gone.
        let quiet = Self.lines(in: daemon.log, afterLast: "log.level=notice")
        #expect(!quiet.contains { $0.contains("batch committed") },
                "debug lines after the reload to notice: \(quiet.filter { $0.contains("batch committed") }.prefix(3))")

        // A level that does not parse: refused, the running (quiet) level kept.
        try setLevel("loud")
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(try await DaemonHarness.eventually(timeout: .seconds(10)) { daemon.log.contains("reload failed") },
                "a bad level was not refused:\n\(daemon.log.suffix(2000))")
        #expect(!daemon.log.contains("log.level=loud"))
        #expect(!Self.lines(in: daemon.log, afterLast: "log.level=notice").contains { $0.contains("batch committed") })

        // Louder again: the batches' debug lines come back.
        try setLevel("debug")
        kill(daemon.process.processIdentifier, SIGHUP)
        #expect(try await DaemonHarness.eventually(timeout: .seconds(10)) { Self.reloaded(daemon.log, to: "debug") },
                "no reload to debug:\n\(daemon.log.suffix(2000))")
        try await DaemonHarness.publish(Array(paths[128..<192]), release: "DR9", producer: producer)
        #expect(try await DaemonHarness.ingested(stored: 192, rejected: 0, by: daemon, into: store))
        #expect(try await DaemonHarness.eventually(timeout: .seconds(5)) {
            Self.lines(in: daemon.log, afterLast: "log.level=debug").contains { $0.contains("batch committed") }
        }, "no debug line after the reload to debug:\n\(daemon.log.suffix(2000))")

        #expect(await daemon.terminate() == 0, "balmerd did not stop cleanly:\n\(daemon.log.suffix(3000))")
        #expect(daemon.finalConsumed == 192)
    }

    /// SIGINT mid-release: the stop is logged and told to systemd, the batches in hand are drained
    /// and committed (consumed = stored), the exit status is 0.
    @Test func sigintDrainsCommitsAndExitsZero() async throws {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let schema = DaemonHarness.unique("balmerd_int")
        let count = 400
        let paths = try DaemonHarness.writeSpectra(count: count, to: dir)
        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        let producer = try DaemonHarness.producer(cluster)
        try await DaemonHarness.publish(paths, release: "DR9", producer: producer)
        let store = try DaemonHarness.store(schema: schema)
        defer { Task { [store] in await store.pool.close(); try? await DaemonHarness.dropSchema(schema) } }
        let notify = try NotifyListener(directory: dir)
        defer { notify.close() }

        let daemon = try await DaemonProcess(brokers: cluster.bootstrapServers, schema: schema, model: model, logDirectory: dir, name: "int",
                                       extra: ["--ingest.batch-size", "16"], environment: ["NOTIFY_SOCKET": notify.path])
        defer { daemon.kill9() }
        let started = try await DaemonHarness.eventually(timeout: .seconds(60)) {
            ((try? await DaemonHarness.count(store, "SELECT count(*) FROM spectra")) ?? 0) >= 50 || !daemon.process.isRunning
        }
        #expect(started, "balmerd stored nothing:\n\(daemon.log.suffix(3000))")
        #expect(notify.contains("READY=1"))
        #expect(!notify.contains("STOPPING=1"))

        kill(daemon.process.processIdentifier, SIGINT)
        let status = await daemon.waitForExit(timeout: .seconds(60))
        #expect(status == 0, "balmerd did not exit cleanly on SIGINT:\n\(daemon.log.suffix(3000))")
        #expect(daemon.log.contains("stop requested: draining"))
        #expect(daemon.log.contains("] stopped"), "no final stopped line:\n\(daemon.log.suffix(2000))")
        #expect(!daemon.log.contains("drain exceeded"))
        #expect(notify.contains("STOPPING=1"))
        let stored = try await DaemonHarness.count(store, "SELECT count(*) FROM spectra")
        #expect(stored < count, "the release finished before SIGINT; nothing was tested")
        #expect(daemon.finalConsumed == stored, "consumed = stored: the drained batches were committed")
    }
}
