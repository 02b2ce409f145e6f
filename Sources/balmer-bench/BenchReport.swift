import Foundation

/// One benchmark figure; printed in a table, then as one JSON object per line.
struct BenchMeasurement: Encodable {
    var bench: String
    var metric: String
    var value: Double
    var unit: String
    /// How the figure was obtained when that is not obvious (e.g. extrapolated); omitted when nil.
    var note: String?
}

/// Collects measurements and prints them the way every Balmer benchmark does.
struct BenchReport {
    private(set) var measurements: [BenchMeasurement] = []

    mutating func add(_ bench: String, _ metric: String, _ value: Double, _ unit: String, note: String? = nil) {
        measurements.append(BenchMeasurement(bench: bench, metric: metric, value: value, unit: unit, note: note))
    }

    func print() {
        let width = max(10, measurements.map(\.metric.count).max() ?? 0)
        Swift.print("metric".padding(toLength: width, withPad: " ", startingAt: 0) + "  value         unit")
        for m in measurements {
            let value = String(format: "%12.2f", m.value)
            Swift.print(m.metric.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(value)  \(m.unit)"
                + (m.note.map { "  (\($0))" } ?? ""))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for m in measurements {
            if let data = try? encoder.encode(m) { Swift.print(String(decoding: data, as: UTF8.self)) }
        }
    }
}

/// Monotonic seconds since an arbitrary origin.
func monotonicSeconds() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}

/// User + system CPU seconds this process has used so far (all threads).
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return user + system
}
