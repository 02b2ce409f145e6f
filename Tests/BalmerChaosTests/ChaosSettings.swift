import BalmerDaemonTestSupport
import Foundation

/// The matrix's size and paths, from the environment that `ops/chaos` sets.
struct ChaosSettings: Sendable {
    /// Events published over the whole matrix (`BALMER_CHAOS_EVENTS`, default 3500; `ops/chaos --full`: 100 000).
    let totalEvents: Int
    /// Where to write the outcome table too (`BALMER_CHAOS_REPORT`), if set.
    let reportPath: String?
    /// The suite's own PostgreSQL (restarted by a scenario).
    let postgres: ChaosPostgres

    /// The scenarios to run (`BALMER_CHAOS_ONLY`: comma-separated case names, e.g. `brokerDown,sigkill`); default all.
    let faults: [ChaosFault]

    static let defaultEvents = 3500

    init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let text = environment["BALMER_CHAOS_EVENTS"] ?? ""
        if text.isEmpty {
            totalEvents = Self.defaultEvents
        } else {
            guard let n = Int(text), n >= ChaosFault.streamFaults.count * 50 else {
                throw DaemonHarness.ConfigError("BALMER_CHAOS_EVENTS must be a number ≥ \(ChaosFault.streamFaults.count * 50), got \(text)")
            }
            totalEvents = n
        }
        let only = (environment["BALMER_CHAOS_ONLY"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        faults = only.isEmpty ? ChaosFault.allCases : ChaosFault.allCases.filter { only.contains("\($0)") }
        guard Set(only).isSubset(of: ChaosFault.allCases.map { "\($0)" }), !faults.isEmpty else {
            throw DaemonHarness.ConfigError("BALMER_CHAOS_ONLY names unknown faults: \(only); known: \(ChaosFault.allCases.map { "\($0)" })")
        }
        reportPath = environment["BALMER_CHAOS_REPORT"].flatMap { $0.isEmpty ? nil : $0 }
        postgres = try ChaosPostgres(environment: environment)
    }

    /// Events of one stream scenario (the total shared evenly; the last takes the remainder). The
    /// campaign row publishes a simulated release of its own instead.
    func events(for fault: ChaosFault) -> Int {
        let all = ChaosFault.streamFaults
        let share = totalEvents / all.count
        return fault == all.last ? totalEvents - share * (all.count - 1) : share
    }

    /// A full-size run (≥ 50 000 events) holds the brokers down 30 s, a reduced one 10 s.
    var brokerDownSeconds: Int { totalEvents >= 50_000 ? 30 : 10 }

    /// Distinct FITS files the events point at (many events share one file under different ids).
    var fileCount: Int { min(300, max(60, totalEvents / 300)) }
}
