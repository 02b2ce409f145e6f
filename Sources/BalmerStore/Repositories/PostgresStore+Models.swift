public import BalmerCore
public import Foundation

extension PostgresStore: ModelRepository, IterationRepository {
    private static let modelsLock = AdvisoryLockKey(name: "balmer.models")

    public func registerModel(_ model: ModelRecord, weights: Data) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let counts = String(decoding: try encoder.encode(model.trainingCounts), as: UTF8.self)
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                INSERT INTO models (version, parent, created_at, training_counts, metrics, weights, sha256, status)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (version) DO NOTHING
                """, [Int32(model.version), model.parent.map { Int32($0) }, model.createdAt,
                      PostgresValue.jsonb(counts), PostgresValue.jsonb(model.metricsJSON), weights, model.sha256,
                      model.status.rawValue])
        }
    }

    static let modelColumns = "version, parent, created_at, training_counts, metrics, sha256, status"

    static func model(_ row: PostgresRow) throws -> ModelRecord {
        let counts: String = try row.decode(3)
        return ModelRecord(
            version: try row.decode(0), parent: try row.decode(1), createdAt: try row.decode(2),
            trainingCounts: try JSONDecoder().decode([String: Int].self, from: Data(counts.utf8)),
            metricsJSON: try row.decode(4), sha256: try row.decode(5),
            status: try Decode.enumValue(row, 6, as: ModelStatus.self))
    }

    public func model(version: Int) async throws -> ModelRecord? {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("SELECT \(Self.modelColumns) FROM models WHERE version = $1", [version]).first.map(Self.model)
        }
    }

    public func modelWeights(version: Int) async throws -> Data? {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("SELECT weights FROM models WHERE version = $1", [version]).first?.decode(0, as: Data.self)
        }
    }

    public func activeModel() async throws -> ModelRecord? {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("SELECT \(Self.modelColumns) FROM models WHERE status = 'active'").first.map(Self.model)
        }
    }

    public func activateModel(version: Int) async throws {
        try await pool.transaction(retries: 1) { c in try await Self.activate(version: version, on: c) }
    }

    /// ``activateModel(version:)`` inside the caller's transaction on `c`.
    static func activate(version: Int, on c: PostgresConnection) async throws {
        try await c.transactionAdvisoryLock(Self.modelsLock)
        guard try await !c.query("SELECT 1 FROM models WHERE version = $1", [version]).rows.isEmpty else {
            throw RepositoryError.notFound("model \(version)")
        }
        try await c.query(
            "UPDATE models SET status = 'retired' WHERE status = 'active' AND version <> $1", [version])
        try await c.query("UPDATE models SET status = 'active' WHERE version = $1", [version])
    }

    public func setModelStatus(version: Int, status: ModelStatus) async throws {
        if status == .active { return try await activateModel(version: version) }
        try await pool.transaction(retries: 1) { c in
            try await c.transactionAdvisoryLock(Self.modelsLock)
            let updated = try await c.query(
                "UPDATE models SET status = $2 WHERE version = $1", [version, status.rawValue]
            ).affectedRows
            if updated == 0 { throw RepositoryError.notFound("model \(version)") }
        }
    }

    public func models() async throws -> [ModelRecord] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("SELECT \(Self.modelColumns) FROM models ORDER BY version").rows.map(Self.model)
        }
    }

    // MARK: iterations

    public func saveIteration(_ it: IterationRecord) async throws {
        try await saveIteration(it, fence: nil)
    }

    /// Inserts or updates an iteration; with a `fence`, only while that leader still holds its lock.
    public func saveIteration(_ it: IterationRecord, fence: LeaderFence?) async throws {
        try await fencedWrite(fence) { c in
            try await c.query("""
                INSERT INTO iterations (iteration, model_version, labels_used, queried, precision_estimate,
                    precision_lower_bound, precision_sample_size, started_at, finished_at, converged)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (iteration) DO UPDATE SET
                    model_version = EXCLUDED.model_version, labels_used = EXCLUDED.labels_used,
                    queried = EXCLUDED.queried, precision_estimate = EXCLUDED.precision_estimate,
                    precision_lower_bound = EXCLUDED.precision_lower_bound,
                    precision_sample_size = EXCLUDED.precision_sample_size, started_at = EXCLUDED.started_at,
                    finished_at = EXCLUDED.finished_at, converged = EXCLUDED.converged
                """, [Int32(it.iteration), Int32(it.modelVersion), Int32(it.labelsUsed), Int32(it.queried),
                      it.precisionEstimate, it.precisionLowerBound, Int32(it.precisionSampleSize), it.startedAt,
                      it.finishedAt, it.converged])
        }
    }

    public func iterations() async throws -> [IterationRecord] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT iteration, model_version, labels_used, queried, precision_estimate, precision_lower_bound,
                       precision_sample_size, started_at, finished_at, converged
                FROM iterations ORDER BY iteration
                """
            ).rows.map { r in
                IterationRecord(
                    iteration: try r.decode(0), modelVersion: try r.decode(1), labelsUsed: try r.decode(2),
                    queried: try r.decode(3), precisionEstimate: try r.decode(4), precisionLowerBound: try r.decode(5),
                    precisionSampleSize: try r.decode(6), startedAt: try r.decode(7), finishedAt: try r.decode(8),
                    converged: try r.decode(9))
            }
        }
    }
}
