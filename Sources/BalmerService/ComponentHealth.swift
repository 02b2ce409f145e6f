import Foundation
import Metrics
import Synchronization

/// The health of balmerd's long-running parts (ingest, label ingestion, the campaign loop), as
/// `/healthz` and the systemd watchdog see it.
///
/// Each part calls ``beat(_:)`` whenever its loop turns (also while it backs off from a transient
/// failure: it is alive, waiting), ``failed(_:reason:)`` when a step fails and ``succeeded(_:)``
/// when one works again, and ``busy(_:_:)`` around a step that legitimately takes minutes (a
/// training). A part is
/// - *stalled* when it has not turned within its allowance and is not busy: the watchdog stops
///   being fed (systemd restarts the daemon) and `/healthz` answers 503;
/// - *degraded* when its last ``degradedAfter`` steps in a row failed: `/healthz` answers 503 with
///   the reason, the watchdog is still fed (a restart does not bring a database back).
public final class ComponentHealth: Sendable {
    /// The parts, in the order `/healthz` lists them.
    public enum Part: String, Sendable, CaseIterable {
        case ingest, labels, loop
    }

    /// What `/healthz` reports for one part.
    public struct Status: Sendable, Equatable {
        public var part: Part
        public var state: State
        /// Why it is degraded, stalled or busy (empty when ok).
        public var reason: String
    }

    public enum State: String, Sendable {
        case ok, busy, degraded, stalled
    }

    private struct Entry {
        var lastBeat: Double
        var failuresInARow = 0
        var lastError = ""
        var busyWith: String?
    }

    /// Consecutive failed steps after which a part is degraded.
    public let degradedAfter: Int
    /// Per part, the seconds without a turn after which it is stalled (when not busy).
    public let allowances: [Part: Double]
    private let entries: Mutex<[Part: Entry]>
    private let clock: @Sendable () -> Double
    private let gauges: [Part: Gauge]
    private let failures: [Part: Counter]

    /// - Parameters:
    ///   - allowances: the parts this daemon runs (label ingestion and the loop only with
    ///     `loop.enabled`), each with the seconds it may go without a turn before it is stalled.
    ///   - clock: seconds since some origin (tests pass their own).
    public init(allowances: [Part: Double], degradedAfter: Int = 3,
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.degradedAfter = degradedAfter
        self.allowances = allowances
        self.clock = clock
        let now = clock()
        let parts = Part.allCases.filter { allowances[$0] != nil }
        entries = Mutex(Dictionary(uniqueKeysWithValues: parts.map { ($0, Entry(lastBeat: now)) }))
        gauges = Dictionary(uniqueKeysWithValues: parts.map {
            ($0, Gauge(label: "balmer_component_healthy", dimensions: [("component", $0.rawValue)]))
        })
        failures = Dictionary(uniqueKeysWithValues: parts.map {
            ($0, Counter(label: "balmer_component_step_failures_total", dimensions: [("component", $0.rawValue)]))
        })
    }

    /// The part's loop turned.
    public func beat(_ part: Part) {
        let now = clock()
        entries.withLock { $0[part]?.lastBeat = now }
    }

    /// A step of `part` failed with `reason` (one line; the part goes on retrying).
    public func failed(_ part: Part, reason: String) {
        let now = clock()
        entries.withLock {
            $0[part]?.lastBeat = now
            $0[part]?.failuresInARow += 1
            $0[part]?.lastError = String(reason.prefix { $0 != "\n" }.prefix(300))
        }
        failures[part]?.increment()
    }

    /// A step of `part` worked.
    public func succeeded(_ part: Part) {
        let now = clock()
        entries.withLock {
            $0[part]?.lastBeat = now
            $0[part]?.failuresInARow = 0
            $0[part]?.lastError = ""
        }
    }

    /// Runs `body` with `part` marked busy with `what` (not stalled however long it takes).
    public func busy<T>(_ part: Part, _ what: String, _ body: () async throws -> T) async rethrows -> T {
        entries.withLock { $0[part]?.busyWith = what }
        defer {
            let now = clock()
            entries.withLock {
                $0[part]?.busyWith = nil
                $0[part]?.lastBeat = now
            }
        }
        return try await body()
    }

    /// Every part's state now.
    public var statuses: [Status] {
        let now = clock()
        let snapshot = entries.withLock { $0 }
        return Part.allCases.compactMap { part in
            guard let e = snapshot[part] else { return nil }
            let status: Status
            if let what = e.busyWith {
                status = Status(part: part, state: .busy, reason: what)
            } else if now - e.lastBeat > allowances[part, default: 30] {
                status = Status(part: part, state: .stalled, reason: "no progress for \(Int(now - e.lastBeat)) s")
            } else if e.failuresInARow >= degradedAfter {
                status = Status(part: part, state: .degraded, reason: "\(e.failuresInARow) failed steps in a row: \(e.lastError)")
            } else {
                status = Status(part: part, state: .ok, reason: "")
            }
            gauges[part]?.record(status.state == .ok || status.state == .busy ? 1 : 0)
            return status
        }
    }

    /// Whether every part is ok or busy.
    public var isHealthy: Bool { statuses.allSatisfy { $0.state == .ok || $0.state == .busy } }

    /// Whether no part is stalled (what feeds the systemd watchdog).
    public var isAlive: Bool { statuses.allSatisfy { $0.state != .stalled } }

    /// The `/healthz` body: one line per part, e.g. `loop degraded: 3 failed steps in a row: …`.
    public var report: String {
        statuses.map { $0.reason.isEmpty ? "\($0.part.rawValue) \($0.state.rawValue)" : "\($0.part.rawValue) \($0.state.rawValue): \($0.reason)" }
            .joined(separator: "\n") + "\n"
    }
}
