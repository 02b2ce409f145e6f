import BalmerCore
import Foundation

/// The experiment's written results: `summary.json`, per-iteration and baseline tables (CSV and
/// Markdown) and a precision-per-iteration plot (SVG, like the paper's Fig. 5).
public struct ExperimentReport: Sendable {
    /// `nil` when active learning was skipped (`--iterations 0`).
    public var active: ExperimentRunner.ActiveResult?
    public var baseline: [ExperimentRunner.BaselineRun]
    /// Free-form facts about the run (sizes, seed, timings) stored under `setup` in the summary.
    public var setup: [String: String]

    public init(active: ExperimentRunner.ActiveResult?, baseline: [ExperimentRunner.BaselineRun], setup: [String: String]) {
        self.active = active
        self.baseline = baseline
        self.setup = setup
    }

    /// The files ``write(to:)`` creates.
    public static let files = ["summary.json", "iterations.csv", "baseline.csv", "tables.md", "precision.svg"]

    /// Writes every file into `directory` (created if needed).
    public func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try summaryJSON().write(to: URL(fileURLWithPath: directory + "/summary.json"))
        try iterationsCSV.write(toFile: directory + "/iterations.csv", atomically: true, encoding: .utf8)
        try baselineCSV.write(toFile: directory + "/baseline.csv", atomically: true, encoding: .utf8)
        try markdown.write(toFile: directory + "/tables.md", atomically: true, encoding: .utf8)
        try precisionPlotSVG.write(toFile: directory + "/precision.svg", atomically: true, encoding: .utf8)
    }

    public func summaryJSON() throws -> Data {
        func value(_ x: Double?) -> Any { x.map { $0 as Any } ?? NSNull() }
        let iterations: [[String: Any]] = (active?.iterations ?? []).map {
            ["iteration": $0.iteration, "labelled": $0.labelled, "predicted_single": $0.predictedSingle,
             "predicted_double": $0.predictedDouble, "precision_estimate": value($0.precisionEstimate),
             "precision_t_lower": value($0.precisionTLower), "precision_cp_lower": value($0.precisionClopperPearsonLower),
             "true_precision": $0.truePrecision, "true_recall": $0.trueRecall,
             "training_seconds": $0.trainingSeconds, "epochs": $0.epochs]
        }
        let runs: [[String: Any]] = baseline.map {
            ["run": $0.run, "precision_single": value($0.precisionSingle), "precision_double": value($0.precisionDouble),
             "predicted_single": $0.predictedSingle, "predicted_double": $0.predictedDouble,
             "true_precision_single": value($0.truePrecisionSingle), "true_precision_double": value($0.truePrecisionDouble),
             "false_positive_kinds": $0.falsePositiveKinds.map { ["kind": $0.kind, "count": $0.count] }]
        }
        let activeSummary: Any = active.map { active in
            [
                "iterations": iterations,
                "converged_at": active.convergedAt.map { $0 as Any } ?? NSNull(),
                "final": ["true_precision": active.finalTruePrecision, "true_recall": active.finalTrueRecall,
                          "candidates": active.candidates],
            ] as [String: Any]
        } ?? NSNull()
        let summary: [String: Any] = ["setup": setup, "active": activeSummary, "baseline": ["runs": runs]]
        return try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
    }

    private static func percent(_ x: Double?) -> String { x.map { String(format: "%.1f", $0 * 100) } ?? "" }

    public var iterationsCSV: String {
        var lines = ["iteration,labelled,predicted_single,predicted_double,precision_estimate,precision_t_lower,precision_cp_lower,true_precision,true_recall,training_seconds,epochs"]
        for i in active?.iterations ?? [] {
            lines.append([String(i.iteration), String(i.labelled), String(i.predictedSingle), String(i.predictedDouble),
                          i.precisionEstimate.map { String($0) } ?? "", i.precisionTLower.map { String($0) } ?? "",
                          i.precisionClopperPearsonLower.map { String($0) } ?? "", String(i.truePrecision),
                          String(i.trueRecall), String(format: "%.1f", i.trainingSeconds), String(i.epochs)].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public var baselineCSV: String {
        var lines = ["run,precision_single,precision_double,predicted_single,predicted_double,true_precision_single,true_precision_double,false_positive_kinds"]
        func text(_ x: Double?) -> String { x.map { String($0) } ?? "" }
        for r in baseline {
            let kinds = CSVField.escaped(r.falsePositiveKinds.map { "\($0.kind):\($0.count)" }.joined(separator: " "))
            lines.append("\(r.run),\(text(r.precisionSingle)),\(text(r.precisionDouble)),\(r.predictedSingle),\(r.predictedDouble),\(text(r.truePrecisionSingle)),\(text(r.truePrecisionDouble)),\(kinds)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Both tables in Markdown, percentages with one decimal.
    public var markdown: String {
        guard let active else { return "## Active learning\n\nSkipped (--iterations 0).\n" + baselineMarkdown }
        var text = "## Active learning\n\n| iteration | labelled | predicted single | predicted double | estimated precision % | t lower % | CP lower % | true precision % | true recall % |\n|---|---|---|---|---|---|---|---|---|\n"
        for i in active.iterations {
            text += "| \(i.iteration) | \(i.labelled) | \(i.predictedSingle) | \(i.predictedDouble) | \(Self.percent(i.precisionEstimate)) | \(Self.percent(i.precisionTLower)) | \(Self.percent(i.precisionClopperPearsonLower)) | \(Self.percent(i.truePrecision)) | \(Self.percent(i.trueRecall)) |\n"
        }
        text += "\nConverged at iteration: \(active.convergedAt.map(String.init) ?? "no")\n"
        text += "Final candidates: \(active.candidates), true precision \(Self.percent(active.finalTruePrecision)) %, true recall \(Self.percent(active.finalTrueRecall)) %\n"
        return text + baselineMarkdown
    }

    private var baselineMarkdown: String {
        var text = "\n## Non-active baseline\n\n| run | precision single % (predicted) | precision double % (predicted) | true precision single % | true precision double % |\n|---|---|---|---|---|\n"
        for r in baseline {
            text += "| \(r.run) | \(Self.percent(r.precisionSingle)) (\(r.predictedSingle)) | \(Self.percent(r.precisionDouble)) (\(r.predictedDouble)) | \(Self.percent(r.truePrecisionSingle)) | \(Self.percent(r.truePrecisionDouble)) |\n"
        }
        for r in baseline where !r.falsePositiveKinds.isEmpty {
            text += "\nRun \(r.run) mistook for emitters: " + r.falsePositiveKinds.map { "\($0.kind) \($0.count)" }.joined(separator: ", ") + "\n"
        }
        return text
    }

    /// Estimated precision per iteration with its Student-t lower bound, the true precision and
    /// the stop threshold, as an SVG line chart (600 × 360).
    public var precisionPlotSVG: String {
        let active = active ?? ExperimentRunner.ActiveResult(iterations: [], convergedAt: nil, finalTruePrecision: 0,
                                                              finalTrueRecall: 0, candidates: 0)
        let width = 600.0, height = 360.0, left = 60.0, right = 20.0, top = 30.0, bottom = 50.0
        let count = max(active.iterations.count - 1, 1)
        func x(_ i: Int) -> Double { left + (width - left - right) * Double(i) / Double(count) }
        func y(_ p: Double) -> Double { top + (height - top - bottom) * (1 - min(max(p, 0), 1)) }
        func path(_ points: [(Int, Double)]) -> String {
            points.enumerated().map { "\($0.offset == 0 ? "M" : "L")\(String(format: "%.1f %.1f", x($0.element.0), y($0.element.1)))" }
                .joined(separator: " ")
        }
        let estimates = active.iterations.compactMap { i in i.precisionEstimate.map { (i.iteration, $0) } }
        let lower = active.iterations.compactMap { i in i.precisionTLower.map { (i.iteration, $0) } }
        let truth = active.iterations.map { ($0.iteration, $0.truePrecision) }
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(width / 2)" y="18" text-anchor="middle">Precision per active-learning iteration</text>

        """
        for tick in stride(from: 0.0, through: 1.0, by: 0.2) {
            svg += "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(y(tick))\" y2=\"\(y(tick))\" stroke=\"#ddd\"/>"
            svg += "<text x=\"\(left - 8)\" y=\"\(y(tick) + 4)\" text-anchor=\"end\">\(Int(tick * 100)) %</text>\n"
        }
        for i in active.iterations.map(\.iteration) {
            svg += "<text x=\"\(x(i))\" y=\"\(height - bottom + 18)\" text-anchor=\"middle\">\(i)</text>\n"
        }
        svg += "<text x=\"\(width / 2)\" y=\"\(height - 10)\" text-anchor=\"middle\">iteration</text>\n"
        svg += "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(y(0.8))\" y2=\"\(y(0.8))\" stroke=\"#999\" stroke-dasharray=\"6 4\"/>\n"
        if !lower.isEmpty { svg += "<path d=\"\(path(lower))\" fill=\"none\" stroke=\"#7aa6d6\" stroke-dasharray=\"3 3\"/>\n" }
        if !estimates.isEmpty { svg += "<path d=\"\(path(estimates))\" fill=\"none\" stroke=\"#1f5fa8\" stroke-width=\"2\"/>\n" }
        for (i, p) in estimates { svg += "<circle cx=\"\(x(i))\" cy=\"\(y(p))\" r=\"3\" fill=\"#1f5fa8\"/>\n" }
        if !truth.isEmpty { svg += "<path d=\"\(path(truth))\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.5\"/>\n" }
        svg += """
        <g transform="translate(\(left + 10), \(top + 10))">
        <line x1="0" x2="20" y1="0" y2="0" stroke="#1f5fa8" stroke-width="2"/><text x="26" y="4">estimated (sample of 30)</text>
        <line x1="0" x2="20" y1="16" y2="16" stroke="#7aa6d6" stroke-dasharray="3 3"/><text x="26" y="20">one-sided 95 % t lower bound</text>
        <line x1="0" x2="20" y1="32" y2="32" stroke="#c0392b" stroke-width="1.5"/><text x="26" y="36">true precision of the candidates</text>
        </g>
        </svg>

        """
        return svg
    }
}
