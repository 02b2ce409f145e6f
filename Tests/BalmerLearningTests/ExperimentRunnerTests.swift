import BalmerCNN
import BalmerCore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import BalmerLearning

/// The offline loop on a small domain-shifted toy problem: the training set lacks a confounder
/// that the pool has, so only labels from the pool can teach the network to reject it.
@Suite struct ExperimentRunnerTests {
    static let length = 16

    /// An emission bump in the middle (targets), flat noise (other), and, in the pool only, a
    /// bump at the edge (a confounder labelled other).
    static func spectrum(_ kind: Int, _ generator: inout SeededGenerator) -> [Float] {
        (0..<length).map { j in
            let noise = Float(generator.unit() - 0.5) * 0.2
            switch kind {
            case 0: return (j == 7 || j == 8 ? 1 : 0) + noise          // single
            case 1: return (j == 5 || j == 10 ? 1 : 0) + noise         // double
            case 3: return (j == 2 || j == 3 ? 1 : 0) + noise          // confounder (other)
            default: return noise                                       // other
            }
        }
    }

    static func data() -> ExperimentRunner.Data {
        var generator = SeededGenerator(seed: 21)
        var train: [Float] = [], labels: [Int] = []
        for i in 0..<150 {
            let kind = i % 3  // single, double, other (no confounders)
            train += spectrum(kind == 2 ? 2 : kind, &generator)
            labels.append(kind == 2 ? SpectrumClass.other.index : kind == 0 ? SpectrumClass.single.index : SpectrumClass.double.index)
        }
        var pool: [Float] = [], ids: [String] = [], truth: [SpectrumClass] = []
        for i in 0..<600 {
            let kind = i % 20 == 0 ? 0 : i % 20 == 1 ? 1 : i % 4 == 0 ? 3 : 2
            pool += spectrum(kind, &generator)
            ids.append("p\(i)")
            truth.append(kind == 0 ? .single : kind == 1 ? .double : .other)
        }
        return ExperimentRunner.Data(trainFeatures: train, trainLabels: labels, poolFeatures: pool, poolIDs: ids,
                                     poolTruth: truth, poolGroups: (0..<600).map { $0 % 7 },
                                     poolKinds: (0..<600).map { i in i % 20 < 2 ? "emitter" : i % 4 == 0 ? "edge-bump" : "flat" })
    }

    static func settings() -> ExperimentRunner.Settings {
        var settings = ExperimentRunner.Settings()
        settings.architecture = Architecture(inputLength: length, layers: [
            .conv(kernel: 3, filters: 4), .maxPool(size: 2), .dense(units: 16),
        ], classes: 3)
        settings.campaign = CampaignConfig(batchSize: 30, precisionSampleSize: 10,
                                           stopRule: StopRule(threshold: 0.8, times: 2), maxIterations: 6)
        settings.loopTraining.epochs = 8
        settings.finalTraining.epochs = 8
        settings.loopTraining.batchSize = 32
        settings.finalTraining.batchSize = 32
        settings.threads = 2
        settings.baselineRuns = 2
        settings.baselineSample = 20
        settings.maxPerGroup = 10
        return settings
    }

    @Test func activeLoopRunsAndReportsEveryIteration() throws {
        var events: [ExperimentRunner.ProgressEvent] = []
        let runner = ExperimentRunner(data: Self.data(), settings: Self.settings(), progress: { events.append($0) })
        let (result, model) = try runner.runActive()
        #expect(!result.iterations.isEmpty && result.iterations.count <= 6)
        #expect(result.iterations.map(\.iteration) == Array(0..<result.iterations.count))
        // 30 new query labels per iteration, none of them asked twice.
        #expect(result.iterations.map(\.labelled) == result.iterations.indices.map { 30 * ($0 + 1) })
        #expect(result.iterations.allSatisfy { (0...1).contains($0.truePrecision) && (0...1).contains($0.trueRecall) })
        #expect(model.architecture.inputLength == Self.length)
        #expect(result.candidates > 0)
        if let convergedAt = result.convergedAt {
            #expect(StopRule(threshold: 0.8, times: 2).converged(result.iterations.prefix(convergedAt + 1).compactMap(\.precisionEstimate)))
        }
        #expect(events.contains { if case .iterationDone = $0 { true } else { false } })
    }

    @Test func baselineEstimatesPrecisionPerTargetClass() throws {
        let runner = ExperimentRunner(data: Self.data(), settings: Self.settings())
        let runs = try runner.runBaseline()
        #expect(runs.map(\.run) == [1, 2])
        for run in runs {
            for precision in [run.precisionSingle, run.precisionDouble].compactMap({ $0 }) { #expect((0...1).contains(precision)) }
            // The truth-based precision and the false-positive kinds account for every predicted target.
            let truePositives = (run.truePrecisionSingle ?? 0) * Double(run.predictedSingle)
                + (run.truePrecisionDouble ?? 0) * Double(run.predictedDouble)
            let falsePositives = run.predictedSingle + run.predictedDouble - Int(truePositives.rounded())
            #expect(run.falsePositiveKinds.map(\.count).reduce(0, +) == falsePositives)
            #expect(run.falsePositiveKinds.allSatisfy { ["edge-bump", "flat"].contains($0.kind) && $0.count > 0 })
            #expect(run.falsePositiveKinds.map(\.count) == run.falsePositiveKinds.map(\.count).sorted(by: >))
        }
    }

    @Test func baselineOnlyReportSaysActiveLearningWasSkipped() throws {
        let run = ExperimentRunner.BaselineRun(
            run: 1, precisionSingle: 0.02, precisionDouble: 0.01, predictedSingle: 900, predictedDouble: 300,
            truePrecisionSingle: 0.03, truePrecisionDouble: nil,
            falsePositiveKinds: [.init(kind: "A+nebular", count: 700), .init(kind: "M-dwarf,odd", count: 100)])
        let report = ExperimentReport(active: nil, baseline: [run], setup: [:])
        #expect(report.markdown.contains("Skipped"))
        #expect(report.markdown.contains("Run 1 mistook for emitters: A+nebular 700, M-dwarf,odd 100"))
        #expect(report.baselineCSV.contains(",0.03,,\"A+nebular:700 M-dwarf,odd:100\"\n"))
        let summary = try JSONSerialization.jsonObject(with: report.summaryJSON()) as! [String: Any]
        #expect(summary["active"] is NSNull)
        let runs = try #require((summary["baseline"] as? [String: Any])?["runs"] as? [[String: Any]])
        #expect((runs.first?["false_positive_kinds"] as? [[String: Any]])?.first?["count"] as? Int == 700)
    }

    @Test func reportWritesTheDocumentedKeys() throws {
        let runner = ExperimentRunner(data: Self.data(), settings: Self.settings())
        let (active, _) = try runner.runActive()
        let report = ExperimentReport(active: active, baseline: [
            .init(run: 1, precisionSingle: 0.1, precisionDouble: nil, predictedSingle: 5, predictedDouble: 0,
                  truePrecisionSingle: 0.2, truePrecisionDouble: nil, falsePositiveKinds: []),
        ], setup: ["mode": "test"])
        let directory = NSTemporaryDirectory() + "balmer-report-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try report.write(to: directory)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/summary.json"))) as! [String: Any]
        let activeJSON = try #require(summary["active"] as? [String: Any])
        let iterations = try #require(activeJSON["iterations"] as? [[String: Any]])
        #expect(iterations.count == active.iterations.count)
        for key in ["labelled", "precision_estimate", "precision_t_lower", "true_precision", "true_recall"] {
            #expect(iterations.allSatisfy { $0.keys.contains(key) }, "\(key)")
        }
        #expect(activeJSON.keys.contains("converged_at"))
        let final = try #require(activeJSON["final"] as? [String: Any])
        #expect(final["true_precision"] is Double && final["true_recall"] is Double)
        let runs = try #require((summary["baseline"] as? [String: Any])?["runs"] as? [[String: Any]])
        #expect(runs.first?["precision_double"] is NSNull)
        let svg = try String(contentsOfFile: directory + "/precision.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("</svg>"))
        #expect(try XMLDocument(xmlString: svg).rootElement()?.name == "svg")
    }
}
