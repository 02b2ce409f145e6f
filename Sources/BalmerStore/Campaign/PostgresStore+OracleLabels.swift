public import BalmerCore
import Foundation

/// Oracle answers, label conflicts, training sets and task bookkeeping for the loop.
extension PostgresStore {
    /// Stores an answer to a task, idempotently: the label's source is the task's kind; of one
    /// labeller's answers to a task the one received last (``OracleAnswer/received``, else the
    /// later client `time`) stands, so a later answer replaces the earlier one (an undo), a
    /// replayed older one changes nothing, and a redelivery changes nothing.
    public func recordOracleAnswer(_ a: OracleAnswer) async throws -> OracleAnswerOutcome {
        try await pool.transaction(retries: 1) { c in
            guard let task = try await c.query("SELECT spectrum_id, kind FROM tasks WHERE id = $1", [a.taskID]).first else {
                return .refused(code: "unknown-task", reason: "no task \(a.taskID.prefix(80))")
            }
            let spectrum: Int64 = try task.decode(0)
            let kind: String = try task.decode(1)
            guard a.spectrumID == String(spectrum) else {
                return .refused(code: "spectrum-mismatch",
                                reason: "task \(a.taskID.prefix(80)) is about spectrum \(spectrum), not \(a.spectrumID.prefix(40))")
            }
            // Of a labeller's answers to a task, the one balmerd read last stands: answers to a
            // task share a key, hence a partition, whose offsets are the receive order. A client
            // clock in the future cannot win, and a replay (old offsets) cannot undo a newer answer.
            // Answers without a position (older rows, callers outside the topic) compare client time;
            // across partitions (the topic was given more partitions since) the newer receipt stands.
            let written = try await c.query("""
                WITH previous AS (
                    SELECT label, comment FROM labels
                    WHERE spectrum_id = $1 AND labeller = $3 AND source = $4 AND task_id = $5
                )
                INSERT INTO labels (spectrum_id, label, labeller, source, task_id, labelled_at, comment,
                                    received_partition, received_offset, signature)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (spectrum_id, labeller, source, task_id) DO UPDATE
                    SET label = EXCLUDED.label, labelled_at = EXCLUDED.labelled_at, comment = EXCLUDED.comment,
                        received_partition = EXCLUDED.received_partition, received_offset = EXCLUDED.received_offset,
                        signature = EXCLUDED.signature, stored_at = now()
                    WHERE CASE
                        WHEN EXCLUDED.received_offset IS NULL OR labels.received_offset IS NULL
                            THEN EXCLUDED.labelled_at > labels.labelled_at
                        WHEN EXCLUDED.received_partition = labels.received_partition
                            THEN EXCLUDED.received_offset > labels.received_offset
                        ELSE true
                    END
                RETURNING (xmax = 0) AS inserted,
                          coalesce((SELECT (p.label, p.comment) IS DISTINCT FROM (labels.label, labels.comment)
                                    FROM previous p), true) AS changed
                """, [spectrum, a.label.rawValue, a.labeller, kind, a.taskID, a.time, a.comment,
                      a.received?.partition, a.received?.offset, a.signature])
            try await c.query(
                "UPDATE tasks SET status = 'answered', answered_at = $2 WHERE id = $1 AND status = 'open'",
                [a.taskID, a.time])
            guard let row = written.first else { return .unchanged }
            if try row.decode(0, as: Bool.self) { return .stored }
            // A newer copy of the same answer (sent twice) moves the position on and changes nothing.
            return try row.decode(1, as: Bool.self) ? .corrected : .unchanged
        }
    }

    /// Spectra whose labellers disagree (only unresolved ones when `unresolvedOnly`).
    public func labelConflicts(unresolvedOnly: Bool = false) async throws -> [LabelConflict] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT o.spectrum_id, s.survey, s.release, s.key, o.tally::text, o.label, o.resolved_by
                FROM oracle_labels o JOIN spectra s ON s.id = o.spectrum_id
                WHERE o.disagreement AND (NOT $1 OR o.label IS NULL)
                ORDER BY o.spectrum_id
                """, [unresolvedOnly]
            ).rows.map { r in
                let tally: String = try r.decode(4)
                return LabelConflict(
                    spectrumID: try r.decode(0),
                    key: SpectrumKey(survey: try r.decode(1), release: try r.decode(2), key: try r.decode(3)),
                    tally: try JSONDecoder().decode([String: Int].self, from: Data(tally.utf8)),
                    label: try Decode.optionalEnum(r, 5, as: SpectrumClass.self), resolvedBy: try r.decode(6))
            }
        }
    }

    /// Decides a spectrum's label explicitly (overrides the labellers' votes; a later call replaces it).
    public func resolveLabel(spectrumID: SpectrumRecord.ID, label: SpectrumClass, by: String, note: String?) async throws {
        try await pool.withConnection(retries: 1) { c in
            guard try await !c.query("SELECT 1 FROM spectra WHERE id = $1", [spectrumID]).rows.isEmpty else {
                throw RepositoryError.notFound("spectrum \(spectrumID)")
            }
            try await c.query("""
                INSERT INTO label_resolutions (spectrum_id, label, resolved_by, note) VALUES ($1, $2, $3, $4)
                ON CONFLICT (spectrum_id) DO UPDATE
                    SET label = EXCLUDED.label, resolved_by = EXCLUDED.resolved_by, note = EXCLUDED.note, resolved_at = now()
                """, [spectrumID, label.rawValue, by, note])
        }
    }

    /// The training set: initial labels plus usable labels of queried spectra, with features.
    public func trainingSet() async throws -> [TrainingExample] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT t.spectrum_id, s.features, t.label, t.origin = 'oracle'
                FROM training_labels t JOIN spectra s ON s.id = t.spectrum_id
                ORDER BY t.spectrum_id
                """
            ).rows.map { r in
                TrainingExample(spectrumID: try r.decode(0), features: try Decode.floatsLE(try r.decode(1)),
                                label: try Decode.enumValue(r, 2, as: SpectrumClass.self), fromOracle: try r.decode(3))
            }
        }
    }

    /// Usable oracle labels a retraining would use (the trigger compares it with the newest model's).
    public func trainableOracleLabelCount() async throws -> Int {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("SELECT count(*) FROM training_labels WHERE origin = 'oracle'").first!.decode(0)
        }
    }

    /// Labelled spectra never trained on (precision-sample answers), newest first, with features:
    /// an honest check of a model on the survey's own domain.
    public func untrainedOracleLabels(limit: Int) async throws -> [TrainingExample] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT o.spectrum_id, s.features, o.label FROM oracle_labels o JOIN spectra s ON s.id = o.spectrum_id
                WHERE NOT o.queried AND o.label IS NOT NULL
                ORDER BY o.spectrum_id DESC LIMIT $1
                """, [Int64(max(limit, 0))]
            ).rows.map { r in
                TrainingExample(spectrumID: try r.decode(0), features: try Decode.floatsLE(try r.decode(1)),
                                label: try Decode.enumValue(r, 2, as: SpectrumClass.self), fromOracle: true)
            }
        }
    }

    /// Task counts of an iteration.
    public func iterationTasks(iteration: Int) async throws -> IterationTasks {
        try await pool.withConnection(retries: 1) { c in
            let r = try await c.query("""
                SELECT count(*) FILTER (WHERE kind = 'query'),
                       count(*) FILTER (WHERE kind = 'query' AND status = 'answered'),
                       count(*) FILTER (WHERE kind = 'precision'),
                       count(*) FILTER (WHERE kind = 'precision' AND status = 'answered')
                FROM tasks WHERE iteration = $1
                """, [Int32(iteration)]).first!
            return IterationTasks(queryAsked: try r.decode(0), queryAnswered: try r.decode(1),
                                  precisionAsked: try r.decode(2), precisionAnswered: try r.decode(3))
        }
    }

    /// The precision sample of an iteration: each spectrum's prediction when it was chosen and its usable label.
    public func precisionSample(iteration: Int) async throws -> [PrecisionSampleRow] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT t.spectrum_id, sc.predicted, o.label
                FROM tasks t
                JOIN scores sc ON sc.spectrum_id = t.spectrum_id AND sc.model_version = t.model_version
                LEFT JOIN oracle_labels o ON o.spectrum_id = t.spectrum_id
                WHERE t.iteration = $1 AND t.kind = 'precision'
                ORDER BY t.spectrum_id
                """, [Int32(iteration)]
            ).rows.map { r in
                PrecisionSampleRow(spectrumID: try r.decode(0), predicted: try Decode.enumValue(r, 1, as: SpectrumClass.self),
                                   label: try Decode.optionalEnum(r, 2, as: SpectrumClass.self))
            }
        }
    }

    /// Every pool spectrum (not in the initial set) that `modelVersion` predicts as a target, with
    /// its usable oracle label if it has one: the census of the predicted targets, used when fewer
    /// unlabelled ones are left than a precision sample needs.
    public func predictedTargets(modelVersion: Int) async throws -> [PrecisionSampleRow] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT sc.spectrum_id, sc.predicted, o.label
                FROM scores sc
                LEFT JOIN oracle_labels o ON o.spectrum_id = sc.spectrum_id
                WHERE sc.model_version = $1 AND sc.predicted IN ('single', 'double')
                  AND NOT EXISTS (SELECT 1 FROM labels i WHERE i.spectrum_id = sc.spectrum_id AND i.source = 'initial')
                ORDER BY sc.spectrum_id
                """, [Int32(modelVersion)]
            ).rows.map { r in
                PrecisionSampleRow(spectrumID: try r.decode(0), predicted: try Decode.enumValue(r, 1, as: SpectrumClass.self),
                                   label: try Decode.optionalEnum(r, 2, as: SpectrumClass.self))
            }
        }
    }

    /// Pool spectra to query under `modelVersion`: highest entropy first, never tasked, without a
    /// trained-on label, not in the initial set; with their file location (for the diversity guard).
    /// With `ingestedAfter`, only spectra stored after that time (newcomers after a campaign).
    public func queryCandidates(modelVersion: Int, limit: Int, ingestedAfter: Date? = nil) async throws
        -> [(score: ScoreRecord, location: String)]
    {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT sc.spectrum_id, sc.model_version, sc.probabilities, sc.predicted, sc.entropy, s.location
                FROM scores sc JOIN spectra s ON s.id = sc.spectrum_id
                WHERE sc.model_version = $1 AND ($3::timestamptz IS NULL OR s.ingested_at > $3)
                  AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.spectrum_id = sc.spectrum_id AND l.source <> 'precision')
                  AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.spectrum_id = sc.spectrum_id
                                  AND (t.kind = 'query' OR t.status = 'open'))
                ORDER BY sc.entropy DESC, sc.spectrum_id
                LIMIT $2
                """, [Int32(modelVersion), Int64(max(limit, 0)), ingestedAfter]
            ).rows.map { r in (score: try Self.score(r), location: try r.decode(5)) }
        }
    }

    /// All pool spectra predicted as targets by `modelVersion`, not labelled and not tasked: what
    /// the precision sample is drawn from (the caller draws with its own seeded generator).
    public func precisionCandidates(modelVersion: Int) async throws -> [ScoreRecord] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT \(Self.scoreColumns) FROM scores sc
                WHERE sc.model_version = $1 AND sc.predicted IN ('single', 'double')
                  AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.spectrum_id = sc.spectrum_id)
                  AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.spectrum_id = sc.spectrum_id AND t.status = 'open')
                ORDER BY sc.spectrum_id
                """, [Int32(modelVersion)]
            ).rows.map(Self.score)
        }
    }

    /// Tasks stored but not yet confirmed published (published after a crash on restart).
    public func unpublishedTasks() async throws -> [TaskRecord] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query(
                "SELECT \(Self.taskColumns) FROM tasks WHERE published_at IS NULL ORDER BY created_at, id"
            ).rows.map(Self.task)
        }
    }

    /// Records that the tasks' delivery to the topic was confirmed.
    public func markTasksPublished(_ ids: [String], fence: LeaderFence? = nil) async throws {
        guard !ids.isEmpty else { return }
        try await fencedWrite(fence) { c in
            try await c.query("UPDATE tasks SET published_at = now() WHERE id = ANY ($1) AND published_at IS NULL",
                              [PostgresValue.textArray(ids)])
        }
    }

    /// Answered tasks per labeller, and tasks still open.
    public func taskSummary() async throws -> (open: Int, answeredBy: [String: Int]) {
        try await pool.withConnection(retries: 1) { c in
            let open: Int = try await c.query("SELECT count(*) FROM tasks WHERE status = 'open'").first!.decode(0)
            var by: [String: Int] = [:]
            for r in try await c.query("""
                SELECT labeller, count(DISTINCT task_id) FROM labels WHERE source <> 'initial' GROUP BY labeller
                """).rows {
                by[try r.decode(0)] = try r.decode(1)
            }
            return (open, by)
        }
    }
}
