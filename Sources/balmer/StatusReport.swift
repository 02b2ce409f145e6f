import BalmerStore
import Foundation

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
