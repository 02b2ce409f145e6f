public import Foundation

/// One iteration as `balmer status` shows it: the stored estimate and its task counts.
public struct IterationStatus: Sendable, Equatable {
    public var iteration: Int
    public var modelVersion: Int
    /// Labels the iteration's model was trained on (initial + oracle).
    public var labelsUsed: Int
    public var precisionEstimate: Double?
    /// One-sided 95 % Student-t lower bound.
    public var tLowerBound: Double?
    /// One-sided 95 % Clopper–Pearson lower bound.
    public var clopperPearsonLowerBound: Double?
    /// Usable answers of the precision sample, and how many confirmed the prediction.
    public var precisionSampleSize: Int
    public var precisionCorrect: Int?
    public var converged: Bool
    public var startedAt: Date
    public var finishedAt: Date?
    public var tasks: IterationTasks
}

/// Counts for `balmer status`, read without writing anything.
public struct OperationsCounts: Sendable, Equatable {
    public var spectra = 0
    /// Scores by any model.
    public var scores = 0
    /// Scores by the active model (0 without one).
    public var activeModelScores = 0
    public var rejects = 0
    /// Labels of the initial set.
    public var initialLabels = 0
    /// Oracle (query and precision) labels, every labeller's answer counted.
    public var oracleLabels = 0
    /// Spectra whose labellers disagree and that no resolution or majority settles.
    public var unresolvedConflicts = 0
}

/// Read-only queries for the operators' CLI.
extension PostgresStore {
    /// The campaign row when the loop has started one, without creating it (unlike ``campaign()``).
    public func existingCampaign() async throws -> CampaignRow? {
        try await pool.withConnection(retries: 1) { c in
            try await c.query(
                "SELECT started_at, converged_at, converged_iteration, final_model, finished_at FROM campaign"
            ).first.map { r in
                CampaignRow(startedAt: try r.decode(0), convergedAt: try r.decode(1), convergedIteration: try r.decode(2),
                            finalModel: try r.decode(3), finishedAt: try r.decode(4))
            }
        }
    }

    /// Every iteration with its precision estimate, bounds and task counts, oldest first.
    public func iterationStatuses() async throws -> [IterationStatus] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT i.iteration, i.model_version, i.labels_used, i.precision_estimate, i.precision_lower_bound,
                       i.precision_cp_lower, i.precision_sample_size, i.precision_correct, i.converged,
                       i.started_at, i.finished_at,
                       count(t.id) FILTER (WHERE t.kind = 'query'),
                       count(t.id) FILTER (WHERE t.kind = 'query' AND t.status = 'answered'),
                       count(t.id) FILTER (WHERE t.kind = 'precision'),
                       count(t.id) FILTER (WHERE t.kind = 'precision' AND t.status = 'answered')
                FROM iterations i LEFT JOIN tasks t ON t.iteration = i.iteration
                GROUP BY i.iteration ORDER BY i.iteration
                """
            ).rows.map { r in
                IterationStatus(
                    iteration: try r.decode(0), modelVersion: try r.decode(1), labelsUsed: try r.decode(2),
                    precisionEstimate: try r.decode(3), tLowerBound: try r.decode(4), clopperPearsonLowerBound: try r.decode(5),
                    precisionSampleSize: try r.decode(6), precisionCorrect: try r.decode(7), converged: try r.decode(8),
                    startedAt: try r.decode(9), finishedAt: try r.decode(10),
                    tasks: IterationTasks(queryAsked: try r.decode(11), queryAnswered: try r.decode(12),
                                          precisionAsked: try r.decode(13), precisionAnswered: try r.decode(14)))
            }
        }
    }

    /// Spectra, scores, rejects, labels and unresolved conflicts, in one round trip.
    public func operationsCounts() async throws -> OperationsCounts {
        try await pool.withConnection(retries: 1) { c in
            let r = try await c.query("""
                SELECT (SELECT count(*) FROM spectra), (SELECT count(*) FROM scores),
                       (SELECT count(*) FROM scores WHERE model_version = (SELECT version FROM models WHERE status = 'active')),
                       (SELECT count(*) FROM rejects),
                       (SELECT count(*) FROM labels WHERE source = 'initial'),
                       (SELECT count(*) FROM labels WHERE source <> 'initial'),
                       (SELECT count(*) FROM oracle_labels WHERE disagreement AND label IS NULL)
                """).first!
            return OperationsCounts(spectra: try r.decode(0), scores: try r.decode(1), activeModelScores: try r.decode(2),
                                    rejects: try r.decode(3), initialLabels: try r.decode(4), oracleLabels: try r.decode(5),
                                    unresolvedConflicts: try r.decode(6))
        }
    }
}
