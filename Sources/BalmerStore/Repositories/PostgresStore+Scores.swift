public import BalmerCore
import Foundation

extension PostgresStore: ScoreRepository {
    public func upsertScores(_ scores: [ScoreRecord]) async throws {
        guard !scores.isEmpty else { return }
        try await pool.transaction { c in
            try await c.query("""
                CREATE TEMP TABLE IF NOT EXISTS scores_stage (
                    spectrum_id bigint, model_version integer, probabilities real[], predicted text, entropy real
                ) ON COMMIT DELETE ROWS
                """)
            try await c.copyIn("COPY scores_stage FROM STDIN (FORMAT binary)") { writer in
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
            // The foreign-key check, once per batch instead of per row.
            let orphan = try await c.query("""
                SELECT st.spectrum_id, st.model_version FROM scores_stage st
                WHERE NOT EXISTS (SELECT 1 FROM spectra s WHERE s.id = st.spectrum_id)
                   OR NOT EXISTS (SELECT 1 FROM models m WHERE m.version = st.model_version)
                LIMIT 1
                """).first
            if let orphan {
                let id: Int64 = try orphan.decode(0)
                let version: Int = try orphan.decode(1)
                throw RepositoryError.notFound("spectrum \(id) or model \(version)")
            }
            try await Self.insertOptimistically(c, fast: """
                INSERT INTO scores (spectrum_id, model_version, probabilities, predicted, entropy)
                SELECT spectrum_id, model_version, probabilities, predicted, entropy
                FROM scores_stage ORDER BY spectrum_id, model_version
                """, safe: """
                INSERT INTO scores (spectrum_id, model_version, probabilities, predicted, entropy)
                SELECT spectrum_id, model_version, probabilities, predicted, entropy
                FROM scores_stage ORDER BY spectrum_id, model_version
                ON CONFLICT (spectrum_id, model_version) DO NOTHING
                """)
        }
    }

    static let scoreColumns = "sc.spectrum_id, sc.model_version, sc.probabilities, sc.predicted, sc.entropy"

    static func score(_ row: PostgresRow) throws -> ScoreRecord {
        ScoreRecord(
            spectrumID: try row.decode(0), modelVersion: try row.decode(1), probabilities: try row.decode(2),
            predicted: try Decode.enumValue(row, 3, as: SpectrumClass.self), entropy: try row.decode(4))
    }

    public func scores(spectrumID: SpectrumRecord.ID) async throws -> [ScoreRecord] {
        try await pool.withConnection { c in
            try await c.query(
                "SELECT \(Self.scoreColumns) FROM scores sc WHERE sc.spectrum_id = $1 ORDER BY sc.model_version",
                [spectrumID]
            ).rows.map(Self.score)
        }
    }

    public func scoreCount(modelVersion: Int) async throws -> Int {
        try await pool.withConnection { c in
            try await c.query("SELECT count(*) FROM scores WHERE model_version = $1", [modelVersion]).first!.decode(0)
        }
    }

    public func mostUncertain(modelVersion: Int, limit: Int) async throws -> [ScoreRecord] {
        try await pool.withConnection { c in
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
        try await pool.withConnection { c in
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
