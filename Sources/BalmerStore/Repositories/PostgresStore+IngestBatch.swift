public import BalmerCore
import Foundation

/// One micro-batch of the ingest pipeline, ready to store.
public struct IngestBatch: Sendable {
    /// Spectra with their feature vectors (``SpectrumRecord/featureCount`` floats each).
    public var spectra: [SpectrumRecord]
    /// Softmax probabilities per spectrum, in ``SpectrumClass/allCases`` order (same count as `spectra`).
    public var probabilities: [[Float]]
    /// The model that produced `probabilities` (must be registered).
    public var modelVersion: Int
    /// Refused events and files.
    public var rejects: [RejectRecord]

    public init(spectra: [SpectrumRecord], probabilities: [[Float]], modelVersion: Int, rejects: [RejectRecord]) {
        self.spectra = spectra
        self.probabilities = probabilities
        self.modelVersion = modelVersion
        self.rejects = rejects
    }
}

extension PostgresStore {
    /// Stores a whole micro-batch in ONE transaction: spectra (upsert on the natural key), their
    /// scores by `modelVersion` (upsert on (spectrum, model)), and the rejects (deduplicated on
    /// their natural key; payloads capped, see ``RejectRecord/storable``). Replaying a batch
    /// changes nothing, so at-least-once delivery stores each spectrum once. Returns the spectrum
    /// ids in `spectra` order.
    @discardableResult
    public func storeIngestBatch(_ batch: IngestBatch) async throws -> [SpectrumRecord.ID] {
        precondition(batch.spectra.count == batch.probabilities.count, "one probability vector per spectrum")
        if let bad = batch.spectra.first(where: { $0.features.count != SpectrumRecord.featureCount }) {
            throw RepositoryError.badFeatureCount(bad.features.count)
        }
        guard !batch.spectra.isEmpty || !batch.rejects.isEmpty else { return [] }
        let spectra = batch.spectra
        var seen = Set<SpectrumKey>()
        let unique = spectra.indices.filter { seen.insert(spectra[$0].key).inserted }
            .sorted { Self.keyPrecedes(spectra[$0].key, spectra[$1].key) }
        return try await pool.transaction(retries: 1) { c in
            var ids: [SpectrumRecord.ID] = []
            if !unique.isEmpty {
                ids = try await Self.insertSpectraOnce(c, spectra, order: unique)
                var done = Set<SpectrumRecord.ID>()
                var rows: [(Int64, [Float])] = []
                for (i, id) in ids.enumerated() where done.insert(id).inserted { rows.append((id, batch.probabilities[i])) }
                rows.sort { $0.0 < $1.0 }
                try await Self.insertScoresOnce(c, rows, modelVersion: batch.modelVersion)
            }
            for r in batch.rejects.map(\.storable) {
                try await c.query("""
                    INSERT INTO rejects (source, key, reason, payload, rejected_at) VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (source, key, reason, payload_md5) DO NOTHING
                    """, [r.source, r.key, r.reason, r.payload, r.rejectedAt])
            }
            return ids
        }
    }

    /// COPY straight into `spectra` under a savepoint; on a replay (unique_violation) the
    /// staging path with `ON CONFLICT DO NOTHING`.
    static func insertSpectraOnce(
        _ c: PostgresConnection, _ spectra: [SpectrumRecord], order: [Int]
    ) async throws -> [SpectrumRecord.ID] {
        try await c.query("SAVEPOINT balmer_ingest_spectra")
        do {
            let ids = try await c.query(
                "SELECT nextval(pg_get_serial_sequence('spectra', 'id')) FROM generate_series(1, $1)", [order.count]
            ).rows.map { try $0.decode(0, as: Int64.self) }
            try await c.copyIn("""
                COPY spectra (id, survey, release, key, ra, dec, mjd, designation, location, features)
                FROM STDIN (FORMAT binary)
                """) { writer in
                var e = BinaryCopyEncoder()
                for (n, i) in order.enumerated() {
                    e.beginRow(fields: 10)
                    e.int64(ids[n])
                    encodeSpectrumFields(spectra[i], into: &e)
                    if e.bytes.count >= 1 << 20 { try await writer.send(e.take()) }
                }
                e.finish()
                try await writer.send(e.take())
            }
            try await c.query("RELEASE SAVEPOINT balmer_ingest_spectra")
            var idOf: [SpectrumKey: Int64] = [:]
            for (n, i) in order.enumerated() { idOf[spectra[i].key] = ids[n] }
            return spectra.map { idOf[$0.key]! }
        } catch let error as PostgresError where error.sqlState == PostgresError.uniqueViolation {
            try await c.query("ROLLBACK TO SAVEPOINT balmer_ingest_spectra")
        }
        return try await upsertThroughStage(c, spectra, order: order)
    }

    /// COPY straight into `scores` under a savepoint; on a replay through a staging table.
    static func insertScoresOnce(_ c: PostgresConnection, _ rows: [(Int64, [Float])], modelVersion: Int) async throws {
        func copy(_ table: String) async throws {
            try await c.copyIn(
                "COPY \(table) (spectrum_id, model_version, probabilities, predicted, entropy) FROM STDIN (FORMAT binary)"
            ) { writer in
                var e = BinaryCopyEncoder()
                for (id, p) in rows {
                    let score = ScoreRecord(spectrumID: id, modelVersion: modelVersion, probabilities: p)
                    e.beginRow(fields: 5)
                    e.int64(id)
                    e.int32(Int32(modelVersion))
                    e.float32Array(p)
                    e.text(score.predicted.rawValue)
                    e.float32(score.entropy)
                    if e.bytes.count >= 1 << 20 { try await writer.send(e.take()) }
                }
                e.finish()
                try await writer.send(e.take())
            }
        }
        try await c.query("SAVEPOINT balmer_ingest_scores")
        do {
            try await copy("scores")
            try await c.query("RELEASE SAVEPOINT balmer_ingest_scores")
            return
        } catch let error as PostgresError where error.sqlState == PostgresError.uniqueViolation {
            try await c.query("ROLLBACK TO SAVEPOINT balmer_ingest_scores")
        }
        try await c.query("""
            CREATE TEMP TABLE IF NOT EXISTS ingest_scores_stage (
                spectrum_id bigint, model_version integer, probabilities real[], predicted text, entropy real
            ) ON COMMIT DELETE ROWS
            """)
        try await copy("ingest_scores_stage")
        try await c.query("""
            INSERT INTO scores (spectrum_id, model_version, probabilities, predicted, entropy)
            SELECT spectrum_id, model_version, probabilities, predicted, entropy
            FROM ingest_scores_stage ORDER BY spectrum_id, model_version
            ON CONFLICT (spectrum_id, model_version) DO NOTHING
            """)
    }
}
