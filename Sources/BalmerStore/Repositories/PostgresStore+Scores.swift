public import BalmerCore
import Foundation

extension PostgresStore: ScoreRepository {
    public func upsertScores(_ scores: [ScoreRecord]) async throws {
        guard !scores.isEmpty else { return }
        // Distinct (spectrum, model) pairs, first occurrence wins, in primary-key order.
        var seen = Set<[Int64]>()
        let unique = scores.filter { seen.insert([$0.spectrumID, Int64($0.modelVersion)]).inserted }
            .sorted { ($0.spectrumID, $0.modelVersion) < ($1.spectrumID, $1.modelVersion) }
        let spectrumIDs = Array(Set(unique.map(\.spectrumID)))
        let versions = Array(Set(unique.map { Int64($0.modelVersion) }))
        try await pool.transaction(retries: 1) { c in
            // The foreign-key checks, once per batch instead of per row.
            let knownModels: Int = try await c.query(
                "SELECT count(*) FROM models WHERE version = ANY ($1)", [PostgresValue.int64Array(versions)]
            ).first!.decode(0)
            let knownSpectra: Int = try await c.query(
                "SELECT count(*) FROM spectra WHERE id = ANY ($1)", [PostgresValue.int64Array(spectrumIDs)]
            ).first!.decode(0)
            guard knownModels == versions.count, knownSpectra == spectrumIDs.count else {
                throw RepositoryError.notFound("\(spectrumIDs.count - knownSpectra) spectra, \(versions.count - knownModels) models")
            }
            try await c.query("SAVEPOINT balmer_fast_insert")
            do {
                try await Self.copyScores(c, staged: false, unique)
                try await c.query("RELEASE SAVEPOINT balmer_fast_insert")
                return
            } catch let error as PostgresError where error.sqlState == PostgresError.uniqueViolation {
                try await c.query("ROLLBACK TO SAVEPOINT balmer_fast_insert")
            }
            // A replay: stage, then insert what is new.
            try await c.query("""
                CREATE TEMP TABLE IF NOT EXISTS scores_stage (
                    spectrum_id bigint, model_version integer, probabilities real[], predicted text, entropy real
                ) ON COMMIT DELETE ROWS
                """)
            try await Self.copyScores(c, staged: true, unique)
            try await c.query("""
                INSERT INTO scores (spectrum_id, model_version, probabilities, predicted, entropy)
                SELECT spectrum_id, model_version, probabilities, predicted, entropy
                FROM scores_stage ORDER BY spectrum_id, model_version
                ON CONFLICT (spectrum_id, model_version) DO NOTHING
                """)
        }
    }

    private static func copyScores(_ c: PostgresConnection, staged: Bool, _ scores: [ScoreRecord]) async throws {
        let sql = !staged
            ? "COPY scores (spectrum_id, model_version, probabilities, predicted, entropy) FROM STDIN (FORMAT binary)"
            : "COPY scores_stage (spectrum_id, model_version, probabilities, predicted, entropy) FROM STDIN (FORMAT binary)"
        try await c.copyIn(sql) { writer in
            var e = BinaryCopyEncoder()
            for s in scores {
                e.beginRow(fields: 5)
                e.int64(s.spectrumID)
                e.int32(Int32(s.modelVersion))
                e.float32Array(s.probabilities)
                e.text(s.predicted.rawValue)
                e.float32(s.entropy)
                if e.bytes.count >= 1 << 20 { try await writer.send(e.take()) }
            }
            e.finish()
            try await writer.send(e.take())
        }
    }

    static let scoreColumns = "sc.spectrum_id, sc.model_version, sc.probabilities, sc.predicted, sc.entropy"

    static func score(_ row: PostgresRow) throws -> ScoreRecord {
        ScoreRecord(
            spectrumID: try row.decode(0), modelVersion: try row.decode(1), probabilities: try row.decode(2),
            predicted: try Decode.enumValue(row, 3, as: SpectrumClass.self), entropy: try row.decode(4))
    }

    public func scores(spectrumID: SpectrumRecord.ID) async throws -> [ScoreRecord] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query(
                "SELECT \(Self.scoreColumns) FROM scores sc WHERE sc.spectrum_id = $1 ORDER BY sc.model_version",
                [spectrumID]
            ).rows.map(Self.score)
        }
    }

    public func scoreCount(modelVersion: Int) async throws -> Int {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("SELECT count(*) FROM scores WHERE model_version = $1", [modelVersion]).first!.decode(0)
        }
    }

    public func mostUncertain(modelVersion: Int, limit: Int) async throws -> [ScoreRecord] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT \(Self.scoreColumns) FROM scores sc
                WHERE sc.model_version = $1
                  AND NOT EXISTS (SELECT 1 FROM labels l
                                  WHERE l.spectrum_id = sc.spectrum_id AND l.source <> 'precision')
                  AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.spectrum_id = sc.spectrum_id AND t.status = 'open')
                ORDER BY sc.entropy DESC, sc.spectrum_id
                LIMIT $2
                """, [modelVersion, max(limit, 0)]
            ).rows.map(Self.score)
        }
    }

    public func unlabelledPredictedTargets(modelVersion: Int, limit: Int) async throws -> [ScoreRecord] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                SELECT \(Self.scoreColumns) FROM scores sc
                WHERE sc.model_version = $1 AND sc.predicted IN ('single', 'double')
                  AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.spectrum_id = sc.spectrum_id)
                ORDER BY random()
                LIMIT $2
                """, [modelVersion, max(limit, 0)]
            ).rows.map(Self.score)
        }
    }
}
