public import BalmerCore
import Foundation

extension PostgresStore: RejectRepository, RescoreChunkRepository {
    public func recordRejects(_ rejects: [RejectRecord]) async throws {
        guard !rejects.isEmpty else { return }
        try await pool.transaction(retries: 1) { c in
            for r in rejects.map(\.storable) {
                try await c.query("""
                    INSERT INTO rejects (source, key, reason, payload, rejected_at) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (source, key, reason, payload_md5) DO NOTHING
                    """, [r.source, r.key, r.reason, r.payload, r.rejectedAt])
            }
        }
    }

    public func rejectCount(source: String?) async throws -> Int {
        try await pool.withConnection(retries: 1) { c in
            try await c.query(
                "SELECT count(*) FROM rejects WHERE $1::text IS NULL OR source = $1", [source]
            ).first!.decode(0)
        }
    }

    public func recentRejects(limit: Int) async throws -> [RejectRecord] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query(
                "SELECT source, key, reason, payload, rejected_at FROM rejects ORDER BY rejected_at DESC, id DESC LIMIT $1",
                [max(limit, 0)]
            ).rows.map { r in
                RejectRecord(
                    source: try r.decode(0), key: try r.decode(1), reason: try r.decode(2), payload: try r.decode(3),
                    rejectedAt: try r.decode(4))
            }
        }
    }

    // MARK: rescoring chunks

    public func planRescore(modelVersion: Int, chunkSize: Int) async throws -> Int {
        try await pool.transaction(retries: 1) { c in
            try await c.transactionAdvisoryLock(.rescorePlanner)
            let existing: Int = try await c.query(
                "SELECT count(*) FROM rescore_chunks WHERE model_version = $1", [modelVersion]
            ).first!.decode(0)
            if existing > 0 { return existing }
            return try await c.query("""
                INSERT INTO rescore_chunks (model_version, chunk, first_id, last_id)
                SELECT $1, g, b.lo + g * $2, least(b.lo + (g + 1) * $2 - 1, b.hi)
                FROM (SELECT min(id) AS lo, max(id) AS hi FROM spectra) b,
                     generate_series(0, (b.hi - b.lo) / $2) g
                WHERE b.lo IS NOT NULL
                """, [Int32(modelVersion), Int64(max(chunkSize, 1))]
            ).affectedRows
        }
    }

    public func claimRescoreChunk(modelVersion: Int, worker: String, staleAfter: TimeInterval) async throws
        -> RescoreChunk?
    {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                UPDATE rescore_chunks SET status = 'claimed', worker = $2, claimed_at = now()
                WHERE (model_version, chunk) = (
                    SELECT model_version, chunk FROM rescore_chunks
                    WHERE model_version = $1
                      AND (status = 'pending' OR (status = 'claimed' AND claimed_at < now() - make_interval(secs => $3)))
                    ORDER BY chunk LIMIT 1
                    FOR UPDATE SKIP LOCKED)
                RETURNING model_version, chunk, first_id, last_id, status, worker
                """, [Int32(modelVersion), worker, staleAfter]
            ).first.map { r in
                RescoreChunk(
                    modelVersion: try r.decode(0), chunk: try r.decode(1), firstID: try r.decode(2),
                    lastID: try r.decode(3), status: try Decode.enumValue(r, 4, as: RescoreChunk.Status.self),
                    worker: try r.decode(5))
            }
        }
    }

    public func completeRescoreChunk(modelVersion: Int, chunk: Int) async throws {
        try await pool.withConnection(retries: 1) { c in
            try await c.query(
                "UPDATE rescore_chunks SET status = 'done', done_at = now() WHERE model_version = $1 AND chunk = $2",
                [Int32(modelVersion), Int32(chunk)])
        }
    }

    public func remainingRescoreChunks(modelVersion: Int) async throws -> Int {
        try await pool.withConnection(retries: 1) { c in
            try await c.query(
                "SELECT count(*) FROM rescore_chunks WHERE model_version = $1 AND status <> 'done'", [modelVersion]
            ).first!.decode(0)
        }
    }
}
