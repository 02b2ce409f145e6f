public import BalmerCore
public import Foundation

/// The loop's bookkeeping: campaign row, model lineage and promotion, rescoring completion.
extension PostgresStore {
    /// The campaign row (created on first use).
    public func campaign() async throws -> CampaignRow {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("INSERT INTO campaign DEFAULT VALUES ON CONFLICT DO NOTHING")
            let r = try await c.query(
                "SELECT started_at, converged_at, converged_iteration, final_model, finished_at FROM campaign").first!
            return CampaignRow(startedAt: try r.decode(0), convergedAt: try r.decode(1), convergedIteration: try r.decode(2),
                               finalModel: try r.decode(3), finishedAt: try r.decode(4))
        }
    }

    /// Records convergence at `iteration` (first call wins); with a `fence`, only while that leader leads.
    public func markConverged(iteration: Int, fence: LeaderFence? = nil) async throws {
        _ = try await campaign()
        try await fencedWrite(fence) { c in
            try await c.query("""
                UPDATE campaign SET converged_at = coalesce(converged_at, now()),
                                    converged_iteration = coalesce(converged_iteration, $1)
                """, [Int32(iteration)])
        }
    }

    /// Records the final model; `finished` once its rescoring completed. With a `fence`, only while
    /// that leader leads.
    public func setFinalModel(_ version: Int, finished: Bool, fence: LeaderFence? = nil) async throws {
        _ = try await campaign()
        try await fencedWrite(fence) { c in
            try await c.query("""
                UPDATE campaign SET final_model = $1,
                    finished_at = CASE WHEN $2 THEN coalesce(finished_at, now()) ELSE NULL END
                """, [Int32(version), finished])
        }
    }

    static let entryColumns = "\(modelColumns), kind, iteration, oracle_labels, decision, promoted_at, rescored_at"

    static func entry(_ r: PostgresRow) throws -> ModelEntry {
        ModelEntry(record: try model(r), kind: try Decode.enumValue(r, 7, as: ModelKind.self), iteration: try r.decode(8),
                   oracleLabels: try r.decode(9), decision: try r.decode(10), promotedAt: try r.decode(11),
                   rescoredAt: try r.decode(12))
    }

    /// Every model with its lineage, oldest first.
    public func modelEntries() async throws -> [ModelEntry] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("SELECT \(Self.entryColumns) FROM models ORDER BY version").rows.map(Self.entry)
        }
    }

    /// One model with its lineage.
    public func modelEntry(version: Int) async throws -> ModelEntry? {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("SELECT \(Self.entryColumns) FROM models WHERE version = $1", [version]).first.map(Self.entry)
        }
    }

    /// The active model with its lineage.
    public func activeEntry() async throws -> ModelEntry? {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("SELECT \(Self.entryColumns) FROM models WHERE status = 'active'").first.map(Self.entry)
        }
    }

    /// Registers a trained model under the next free version (status `candidate`) with its
    /// lineage; returns the version. A model with the same weights (sha256) is not registered twice.
    public func registerTrainedModel(
        parent: Int?, createdAt: Date, trainingCounts: [String: Int], metricsJSON: String, sha256: String,
        weights: Data, kind: ModelKind, iteration: Int?, oracleLabels: Int
    ) async throws -> Int {
        if let existing = try await models().first(where: { $0.sha256 == sha256 }) { return existing.version }
        while true {
            let next = ((try await models().map(\.version).max()) ?? 0) + 1
            try await registerModel(
                ModelRecord(version: next, parent: parent, createdAt: createdAt, trainingCounts: trainingCounts,
                            metricsJSON: metricsJSON, sha256: sha256, status: .candidate),
                weights: weights)
            guard let stored = try await model(version: next), stored.sha256 == sha256 else { continue }  // lost a race
            try await pool.withConnection(retries: 1) { c in
                try await c.query(
                    "UPDATE models SET kind = $2, iteration = $3, oracle_labels = $4 WHERE version = $1",
                    [Int32(next), kind.rawValue, iteration.map { Int32($0) }, Int32(oracleLabels)])
            }
            return next
        }
    }

    /// Makes `version` the active model (the previous one retires), records why, and clears its
    /// rescoring mark so the pool is (re)scored with it.
    /// With a `fence`, only while that leader still holds its lock (checked in the same transaction).
    public func promoteModel(version: Int, decision: String, fence: LeaderFence? = nil) async throws {
        try await pool.transaction(retries: 1) { c in
            if let fence { try await c.requireLeadership(fence) }
            try await Self.activate(version: version, on: c)
            try await c.query(
                "UPDATE models SET promoted_at = now(), decision = $2, rescored_at = NULL WHERE version = $1",
                [Int32(version), decision])
        }
    }

    /// Marks a candidate model rejected (it is never used) with the reason.
    public func rejectModel(version: Int, decision: String) async throws {
        try await setModelStatus(version: version, status: .rejected)
        try await pool.withConnection(retries: 1) { c in
            try await c.query("UPDATE models SET decision = $2 WHERE version = $1", [Int32(version), decision])
        }
    }

    /// Rolls back the active model: the previously promoted model (its parent, else the newest
    /// earlier promotion) becomes active again; the rolled-back one is retired with `reason`.
    /// - Returns: (from, to) versions.
    public func rollbackModel(reason: String) async throws -> (from: Int, to: Int) {
        guard let active = try await activeEntry() else { throw RepositoryError.notFound("an active model to roll back") }
        let entries = try await modelEntries()
        // Never back to a rejected model or one rolled back before (rollbacks do not flip-flop).
        func eligible(_ e: ModelEntry) -> Bool {
            e.version != active.version && e.record.status != .rejected && !(e.decision?.hasPrefix("rolled back") ?? false)
        }
        let earlier = entries.filter {
            eligible($0) && $0.promotedAt != nil && ($0.promotedAt ?? .distantPast) <= (active.promotedAt ?? .distantFuture)
        }
        let target = entries.first { $0.version == active.record.parent && eligible($0) }
            ?? earlier.max { ($0.promotedAt ?? .distantPast) < ($1.promotedAt ?? .distantPast) }
        guard let target else { throw RepositoryError.notFound("a previously promoted model before \(active.version)") }
        try await promoteModel(version: target.version, decision: "restored by rollback of \(active.version)")
        try await pool.withConnection(retries: 1) { c in
            try await c.query("UPDATE models SET decision = $2 WHERE version = $1",
                              [Int32(active.version), "rolled back: \(reason)"])
        }
        return (active.version, target.version)
    }

    /// Records that the whole pool is scored by `version`.
    public func markRescored(version: Int) async throws {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("UPDATE models SET rescored_at = coalesce(rescored_at, now()) WHERE version = $1",
                              [Int32(version)])
        }
    }

    /// The model ranking queries use (see `SchemaV3`), if any.
    public func rankingModel() async throws -> Int? {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("SELECT version FROM ranking_model").first?.decode(0)
        }
    }

    /// Up to `limit` spectra without a score by `modelVersion` (the sweep after chunked rescoring).
    public func spectraMissingScores(modelVersion: Int, limit: Int) async throws
        -> [(id: SpectrumRecord.ID, features: [Float])]
    {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT s.id, s.features FROM spectra s
                WHERE NOT EXISTS (SELECT 1 FROM scores sc WHERE sc.spectrum_id = s.id AND sc.model_version = $1)
                ORDER BY s.id LIMIT $2
                """, [Int32(modelVersion), Int64(max(limit, 0))]
            ).rows.map { r in (id: try r.decode(0), features: try Decode.floatsLE(try r.decode(1))) }
        }
    }

    /// Rescoring progress of a model: chunks done and planned.
    public func rescoreProgress(modelVersion: Int) async throws -> (done: Int, total: Int) {
        try await pool.withConnection(retries: 1) { c in
            let r = try await c.query(
                "SELECT count(*) FILTER (WHERE status = 'done'), count(*) FROM rescore_chunks WHERE model_version = $1",
                [Int32(modelVersion)]).first!
            return (try r.decode(0), try r.decode(1))
        }
    }
}

extension PostgresStore {
    /// Records the precision sample's counts and Clopper–Pearson bound of an iteration (the point
    /// estimate and t bound go through ``saveIteration(_:)``).
    public func savePrecisionCounts(iteration: Int, correct: Int, clopperPearsonLower: Double,
                                    fence: LeaderFence? = nil) async throws {
        try await fencedWrite(fence) { c in
            try await c.query(
                "UPDATE iterations SET precision_correct = $2, precision_cp_lower = $3 WHERE iteration = $1",
                [Int32(iteration), Int32(correct), clopperPearsonLower])
        }
    }
}

extension PostgresStore {
    /// When the newest spectrum was stored, if any (the loop waits for a release to settle).
    public func latestIngestion() async throws -> Date? {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("SELECT max(ingested_at) FROM spectra").first?.decode(0)
        }
    }
}

extension PostgresStore {
    /// Pool spectra (no initial label) scored by `modelVersion`.
    public func poolScoreCount(modelVersion: Int) async throws -> Int {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT count(*) FROM scores sc WHERE sc.model_version = $1
                  AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.spectrum_id = sc.spectrum_id AND l.source = 'initial')
                """, [Int32(modelVersion)]).first!.decode(0)
        }
    }
}

extension PostgresStore {
    /// When the newest task whose batch id starts with `prefix` was created, if any.
    public func latestTaskCreation(batchPrefix prefix: String) async throws -> Date? {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("SELECT max(created_at) FROM tasks WHERE starts_with(batch_id, $1)", [prefix]).first?.decode(0)
        }
    }
}
