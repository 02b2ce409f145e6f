public import BalmerCore
import Foundation

extension PostgresStore: LabelRepository, TaskRepository {
    public func upsertLabels(_ labels: [LabelRecord]) async throws {
        guard !labels.isEmpty else { return }
        try await pool.transaction(retries: 1) { c in
            for l in labels {
                try await c.query("""
                    INSERT INTO labels (spectrum_id, label, labeller, source, task_id, labelled_at, comment)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    ON CONFLICT (spectrum_id, labeller, source, task_id) DO NOTHING
                    """, [l.spectrumID, l.label.rawValue, l.labeller, l.source.rawValue, l.taskID ?? "", l.labelledAt, l.comment])
            }
        }
    }

    static let labelColumns = "spectrum_id, label, labeller, source, task_id, labelled_at, comment"

    static func label(_ row: PostgresRow) throws -> LabelRecord {
        let task: String = try row.decode(4)
        return LabelRecord(
            spectrumID: try row.decode(0), label: try Decode.enumValue(row, 1, as: SpectrumClass.self),
            labeller: try row.decode(2), source: try Decode.enumValue(row, 3, as: LabelSource.self),
            taskID: task.isEmpty ? nil : task, labelledAt: try row.decode(5), comment: try row.decode(6))
    }

    public func labels(spectrumID: SpectrumRecord.ID) async throws -> [LabelRecord] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query(
                "SELECT \(Self.labelColumns) FROM labels WHERE spectrum_id = $1 ORDER BY labelled_at, source, labeller",
                [spectrumID]
            ).rows.map(Self.label)
        }
    }

    public func labels(sources: Set<LabelSource>) async throws -> [LabelRecord] {
        let names = PostgresValue.textArray(sources.map(\.rawValue).sorted())
        return try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT \(Self.labelColumns) FROM labels WHERE source = ANY ($1)
                ORDER BY labelled_at, spectrum_id, source, labeller
                """, [names]
            ).rows.map(Self.label)
        }
    }

    public func labelCount(sources: Set<LabelSource>, since: Date?) async throws -> Int {
        let names = PostgresValue.textArray(sources.map(\.rawValue).sorted())
        return try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT count(*) FROM labels
                WHERE source = ANY ($1) AND ($2::timestamptz IS NULL OR labelled_at > $2)
                """, [names, since]
            ).first!.decode(0)
        }
    }

    // MARK: tasks

    public func upsertTasks(_ tasks: [TaskRecord]) async throws {
        try await upsertTasks(tasks, fence: nil)
    }

    /// Stores new tasks (existing ids unchanged); with a `fence`, only while that leader still holds its lock.
    public func upsertTasks(_ tasks: [TaskRecord], fence: LeaderFence?) async throws {
        guard !tasks.isEmpty else { return }
        try await pool.transaction(retries: 1) { c in
            if let fence { try await c.requireLeadership(fence) }
            for t in tasks {
                try await c.query("""
                    INSERT INTO tasks (id, batch_id, iteration, kind, spectrum_id, model_version, probabilities,
                                       entropy, status, created_at, answered_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                    ON CONFLICT (id) DO NOTHING
                    """, [t.id, t.batchID, Int32(t.iteration), t.kind.rawValue, t.spectrumID, Int32(t.modelVersion),
                          t.probabilities, t.entropy, t.status.rawValue, t.createdAt, t.answeredAt])
            }
        }
    }

    static let taskColumns =
        "id, batch_id, iteration, kind, spectrum_id, model_version, probabilities, entropy, status, created_at, answered_at"

    static func task(_ row: PostgresRow) throws -> TaskRecord {
        TaskRecord(
            id: try row.decode(0), batchID: try row.decode(1), iteration: try row.decode(2),
            kind: try Decode.enumValue(row, 3, as: TaskKind.self), spectrumID: try row.decode(4),
            modelVersion: try row.decode(5), probabilities: try row.decode(6), entropy: try row.decode(7),
            status: try Decode.enumValue(row, 8, as: TaskStatus.self), createdAt: try row.decode(9),
            answeredAt: try row.decode(10))
    }

    public func task(id: String) async throws -> TaskRecord? {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("SELECT \(Self.taskColumns) FROM tasks WHERE id = $1", [id]).first.map(Self.task)
        }
    }

    public func openTasks(kind: TaskKind?) async throws -> [TaskRecord] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT \(Self.taskColumns) FROM tasks
                WHERE status = 'open' AND ($1::text IS NULL OR kind = $1)
                ORDER BY created_at, id
                """, [kind?.rawValue]
            ).rows.map(Self.task)
        }
    }

    public func markTaskAnswered(id: String, at: Date) async throws -> Bool {
        try await pool.withConnection(retries: 1) { c in
            try await c.query(
                "UPDATE tasks SET status = 'answered', answered_at = $2 WHERE id = $1 AND status = 'open'", [id, at])
            return try await c.query("SELECT EXISTS (SELECT 1 FROM tasks WHERE id = $1)", [id]).first!.decode(0)
        }
    }
}
