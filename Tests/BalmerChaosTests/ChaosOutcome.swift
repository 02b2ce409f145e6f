import Foundation

/// What one scenario of the matrix came to: one row of the table.
struct ChaosOutcome: Sendable {
    var fault: ChaosFault
    /// Messages published (with duplicates).
    var published = 0
    /// Distinct events (spectrum ids plus the malformed message).
    var unique = 0
    /// Rows in `spectra`, and how many of them are a second row for the same spectrum id.
    var stored = 0
    var duplicateRows = 0
    /// Distinct reject keys in `rejects`.
    var rejected = 0
    /// The instances' final `consumed=` counters, summed (instances killed with SIGKILL report none).
    var consumed = 0
    var seconds = 0.0
    /// Failed checks, in words; empty when the scenario passed.
    var problems: [String] = []

    var passed: Bool { problems.isEmpty }

    /// The fault × outcome table (one line per scenario, then the totals).
    static func table(_ outcomes: [ChaosOutcome]) -> String {
        let header = ["fault", "events", "unique", "stored", "rejected", "duplicates", "consumed", "time s", "result"]
        var rows = outcomes.map { o in
            [o.fault.rawValue, "\(o.published)", "\(o.unique)", "\(o.stored)", "\(o.rejected)", "\(o.duplicateRows)",
             "\(o.consumed)", String(format: "%.1f", o.seconds), o.passed ? "PASS" : "FAIL"]
        }
        let sum = { (f: (ChaosOutcome) -> Int) in "\(outcomes.map(f).reduce(0, +))" }
        rows.append(["total", sum(\.published), sum(\.unique), sum(\.stored), sum(\.rejected), sum(\.duplicateRows),
                     sum(\.consumed), String(format: "%.1f", outcomes.map(\.seconds).reduce(0, +)),
                     outcomes.allSatisfy(\.passed) ? "PASS" : "FAIL"])
        let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, cell in
                c == 0 ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
        }
        var text = line(header) + "\n" + line(widths.map { String(repeating: "-", count: $0) }) + "\n"
        for row in rows.dropLast() { text += line(row) + "\n" }
        text += line(widths.map { String(repeating: "-", count: $0) }) + "\n" + line(rows.last!) + "\n"
        for o in outcomes where !o.passed {
            text += "\n\(o.fault.rawValue) FAILED:\n" + o.problems.map { "  - " + $0 }.joined(separator: "\n") + "\n"
        }
        return text
    }
}
