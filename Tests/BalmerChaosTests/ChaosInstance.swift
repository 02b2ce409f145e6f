import BalmerDaemonTestSupport
import Foundation
import Synchronization

/// One `balmerd` of a scenario, with its metrics port.
final class ChaosInstance: Sendable {
    let name: String
    let port: Int
    let daemon: DaemonProcess

    /// The loop's settings of the stream rows: on, as in production, selecting from what arrives
    /// (no labeller answers there, so it asks and waits; the campaign row runs a whole campaign).
    /// Missing files are retried for 1 s, then rejected as `missing`.
    static let streamLoopOptions = ["--loop.enabled", "true", "--loop.settle-seconds", "2", "--loop.interval-ms", "500",
                                    "--loop.max-per-plate", "0", "--ingest.missing-grace-seconds", "1"]

    /// Starts `balmerd` as the writer role (``DaemonProcess``), its metrics on a port of its own.
    /// `environment` overrides the daemon's (e.g. a `BALMER_DATABASE_URL` through a proxy).
    init(name: String, brokers: String, schema: String, model: String?, logDirectory: String,
         extra: [String] = ChaosInstance.streamLoopOptions, environment: [String: String] = [:]) async throws {
        self.name = name
        port = freePort()
        daemon = try await DaemonProcess(brokers: brokers, schema: schema, group: "balmerd-chaos", model: model,
                                         logDirectory: logDirectory, name: name, extra: ["--http.port", "\(port)"] + extra,
                                         environment: environment)
    }

    /// Whether this instance leads the campaign now (its `balmer_loop_leader` gauge).
    var isLeader: Bool {
        guard let (status, body) = httpGet(port: port, path: "/metrics"), status == 200 else { return false }
        return metricValue(body, "balmer_loop_leader") == 1
    }

    var isRunning: Bool { daemon.process.isRunning }

    /// Set before the scenario stops this instance on purpose (SIGKILL or SIGTERM).
    private let stopping = Mutex(false)

    func markStopping() { stopping.withLock { $0 = true } }

    /// How it ended when it ended without being asked to, else nil.
    var unexpectedExit: String? {
        guard !isRunning, !stopping.withLock({ $0 }) else { return nil }
        let how = daemon.process.terminationReason == .uncaughtSignal ? "signal" : "status"
        return "\(name) exited unexpectedly (\(how) \(daemon.process.terminationStatus)):\n\(logTail())"
    }

    /// Status of `/healthz`, nil when the listener does not answer.
    var health: Int? { httpGet(port: port, path: "/healthz")?.0 }

    /// The counters of the final "ingest stopped" line (nil before a clean stop).
    var finalCounters: (consumed: Int, stored: Int, rejected: Int, retried: Int, dropped: Int)? {
        guard let line = daemon.log.split(separator: "\n").last(where: { $0.contains("ingest stopped") }) else { return nil }
        func value(_ name: String) -> Int? {
            guard let range = line.range(of: name + "=") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        guard let consumed = value("consumed"), let stored = value("stored"), let rejected = value("rejected"),
              let retried = value("retried"), let dropped = value("dropped") else { return nil }
        return (consumed, stored, rejected, retried, dropped)
    }

    /// The last `characters` of the log, for failure messages.
    func logTail(_ characters: Int = 1500) -> String { String(daemon.log.suffix(characters)) }
}
