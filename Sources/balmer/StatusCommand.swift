import ArgumentParser
import BalmerService
import BalmerStore
import Foundation

/// `balmer status`: where the active-learning campaign stands.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Campaign state, models, precision per iteration, tasks, conflicts, rescoring and counts.",
        discussion: """
            Reads the store only. Consumer lag of the balmerd groups is not shown: reading another \
            group's committed offsets and the topics' high watermarks needs an admin API BalmerBus \
            does not offer yet (see `kafka-consumer-groups --describe --group balmerd`).
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Precision threshold marked on the chart (default: loop.threshold from --config or BALMER_LOOP_THRESHOLD, else 0.8).")
    var threshold: Double?
    @Option(help: "Bootstrap servers (accepted; consumer lag is not available yet, see the discussion).") var brokers: String?
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        if let threshold, !(0...1).contains(threshold) {
            throw ValidationError("--threshold must be within 0...1")
        }
    }

    /// `--threshold`, else balmerd's `loop.threshold` (configuration file or environment), else 0.8.
    func resolvedThreshold() throws -> Double {
        if let threshold { return threshold }
        do {
            let config = try ConfigReader(arguments: database.config.map { ["--config", $0] } ?? [])
            let value = try config.double("loop.threshold", default: 0.8)
            guard (0...1).contains(value) else { throw ConfigReader.Error("loop.threshold must be within 0...1") }
            return value
        } catch {
            throw CLIFailure(2, "\(error)")
        }
    }

    func run() async throws {
        let threshold = try resolvedThreshold()
        let status = try await ModelStore.run(database, migrate: false) { store in try await StatusReport.read(store) }
        let brokers = brokers ?? ProcessInfo.processInfo.environment["BALMER_KAFKA_BROKERS"]
        let lagNote = brokers?.isEmpty == false
            ? "consumer lag not available: BalmerBus has no admin API for group offsets and watermarks yet"
            : nil
        if json {
            var object = status.object(threshold: threshold)
            object["consumer_lag"] = NSNull()
            if let lagNote { object["consumer_lag_note"] = lagNote }
            print(ModelJSON.text(object))
        } else {
            print(status.text(threshold: threshold))
            if let lagNote { print("kafka: \(lagNote)") }
        }
    }
}

/// Everything `balmer status` shows, read in one go.
struct StatusReport: Sendable {
    var campaign: CampaignRow?
    var active: ModelEntry?
    var ranking: Int?
    var iterations: [IterationStatus]
    var tasks: (open: Int, answeredBy: [String: Int])
    var counts: OperationsCounts
    var rescore: (done: Int, total: Int)?

    static func read(_ store: PostgresStore) async throws -> StatusReport {
        let active = try await store.activeEntry()
        var rescore: (done: Int, total: Int)?
        if let active { rescore = try await store.rescoreProgress(modelVersion: active.version) }
        return StatusReport(
            campaign: try await store.existingCampaign(), active: active, ranking: try await store.rankingModel(),
            iterations: try await store.iterationStatuses(), tasks: try await store.taskSummary(),
            counts: try await store.operationsCounts(), rescore: rescore)
    }

    var campaignState: String {
        guard let campaign else { return "not started" }
        if campaign.finishedAt != nil { return "finished" }
        if campaign.finalModel != nil { return "final model rescoring" }
        if campaign.convergedAt != nil { return "converged" }
        return "running"
    }

    // MARK: JSON

    func object(threshold: Double) -> [String: Any] {
        let campaignObject: Any = campaign.map { c -> [String: Any] in
            ["state": campaignState, "started": ModelJSON.date(c.startedAt), "converged": ModelJSON.date(c.convergedAt),
             "converged_iteration": c.convergedIteration ?? NSNull(), "final_model": c.finalModel ?? NSNull(),
             "finished": ModelJSON.date(c.finishedAt)]
        } ?? ["state": campaignState] as [String: Any]
        let activeObject: Any = active.map { a -> [String: Any] in
            ["version": a.version, "kind": a.kind.rawValue, "parent": a.record.parent ?? NSNull(),
             "promoted": ModelJSON.date(a.promotedAt), "rescored": ModelJSON.date(a.rescoredAt), "decision": a.decision ?? NSNull()]
        } ?? NSNull()
        let rescoring: Any = active.map { a -> [String: Any] in
            ["model": a.version, "chunks_done": rescore?.done ?? 0, "chunks_total": rescore?.total ?? 0,
             "complete": a.rescoredAt != nil]
        } ?? NSNull()
        func optional(_ v: Double?) -> Any { v ?? NSNull() }
        return [
            "campaign": campaignObject,
            "active_model": activeObject,
            "ranking_model": ranking ?? NSNull(),
            "current_iteration": iterations.last?.iteration ?? NSNull(),
            "threshold": threshold,
            "iterations": iterations.map { i -> [String: Any] in
                ["iteration": i.iteration, "model_version": i.modelVersion, "labels_used": i.labelsUsed,
                 "precision_estimate": optional(i.precisionEstimate), "t_lower_bound": optional(i.tLowerBound),
                 "cp_lower_bound": optional(i.clopperPearsonLowerBound), "precision_sample_size": i.precisionSampleSize,
                 "precision_correct": i.precisionCorrect ?? NSNull(), "converged": i.converged,
                 "started": ModelJSON.date(i.startedAt), "finished": ModelJSON.date(i.finishedAt),
                 "query_tasks": i.tasks.queryAsked, "query_answered": i.tasks.queryAnswered,
                 "precision_tasks": i.tasks.precisionAsked, "precision_answered": i.tasks.precisionAnswered]
            },
            "tasks": ["open": tasks.open, "answered_by": tasks.answeredBy] as [String: Any],
            "unresolved_conflicts": counts.unresolvedConflicts,
            "rescoring": rescoring,
            "counts": ["spectra": counts.spectra, "scores": counts.scores, "active_model_scores": counts.activeModelScores,
                       "rejects": counts.rejects, "initial_labels": counts.initialLabels, "oracle_labels": counts.oracleLabels],
        ]
    }

    // MARK: text

    func text(threshold: Double) -> String {
        var out: [String] = []
        var campaignLine = "campaign: \(campaignState)"
        if let c = campaign {
            campaignLine += ", started \(ModelListing.short(c.startedAt))"
            if let at = c.convergedAt { campaignLine += ", converged \(ModelListing.short(at)) at iteration \(c.convergedIteration.map(String.init) ?? "?")" }
            if let final = c.finalModel { campaignLine += ", final model \(final)" }
            if let at = c.finishedAt { campaignLine += ", finished \(ModelListing.short(at))" }
        }
        out.append(campaignLine)
        if let a = active {
            var line = "active model: \(a.version) (\(a.kind.rawValue)\(a.record.parent.map { ", parent \($0)" } ?? ""))"
            line += ", promoted \(ModelListing.short(a.promotedAt))"
            if let a = a.rescoredAt {
                line += ", pool rescored \(ModelListing.short(a))"
            } else if let r = rescore {
                line += ", rescoring \(r.done)/\(r.total) chunks" + (r.total > 0 ? " (\(r.done * 100 / r.total) %)" : " (not planned yet)")
            }
            out.append(line)
            if let d = a.decision { out.append("  decision: \(d)") }
        } else {
            out.append("active model: none (train one with `balmer train --database`)")
        }
        out.append("ranking model: \(ranking.map(String.init) ?? "none")")
        out.append("iteration: \(iterations.last.map { String($0.iteration) } ?? "none yet")")
        if !iterations.isEmpty {
            out.append(StatusChart.lines(iterations, threshold: threshold))
        }
        let by = tasks.answeredBy.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        out.append("tasks: \(tasks.open) open; answered per labeller: \(by.isEmpty ? "none" : by)")
        out.append("label conflicts: \(counts.unresolvedConflicts) unresolved" + (counts.unresolvedConflicts > 0 ? " (see `balmer labels conflicts`)" : ""))
        out.append("store: \(counts.spectra) spectra, \(counts.scores) scores (\(counts.activeModelScores) by the active model), "
                   + "\(counts.rejects) rejects, \(counts.initialLabels) initial and \(counts.oracleLabels) oracle labels")
        return out.joined(separator: "\n")
    }
}

/// The precision chart of `balmer status`: one bar per iteration over [0, 1].
enum StatusChart {
    /// Characters for the range 0…1.
    static let width = 40

    /// A header and one line per iteration: `#` up to the t lower bound, `=` from it to the
    /// estimate, `.` beyond, `|` at the threshold; then the numbers and labels used.
    static func lines(_ iterations: [IterationStatus], threshold: Double) -> String {
        var out = ["precision per iteration (# t lower bound, = estimate, | threshold \(String(format: "%.2f", threshold)))"]
        let mark = min(width - 1, max(0, Int((threshold * Double(width)).rounded())))
        for i in iterations {
            var cells = [Character](repeating: ".", count: width)
            var numbers = "not estimated yet"
            if let p = i.precisionEstimate {
                let lower = max(0, min(p, i.tLowerBound ?? p))
                let filled = Int((p * Double(width)).rounded())
                let solid = Int((lower * Double(width)).rounded())
                for k in 0..<min(filled, width) { cells[k] = k < solid ? "#" : "=" }
                numbers = String(format: "%.2f", p) + (i.tLowerBound.map { String(format: " (t ≥ %.2f", $0) } ?? " (")
                numbers += ", \(i.precisionCorrect.map { "\($0)/" } ?? "n=")\(i.precisionSampleSize))"
            } else if i.tasks.precisionAsked > 0 {
                numbers = "sample \(i.tasks.precisionAnswered)/\(i.tasks.precisionAsked) answered"
            }
            cells[mark] = "|"
            let label = String(format: "%3d", i.iteration)
            out.append("  it\(label) [\(String(cells))] \(numbers)  labels \(i.labelsUsed), queried \(i.tasks.queryAnswered)/\(i.tasks.queryAsked)"
                       + (i.converged ? "  converged" : ""))
        }
        return out.joined(separator: "\n")
    }
}
