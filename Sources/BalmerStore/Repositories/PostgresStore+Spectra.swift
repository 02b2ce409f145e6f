public import BalmerCore
import Foundation

extension PostgresStore: SpectrumRepository {
    static let spectraStage = """
        CREATE TEMP TABLE IF NOT EXISTS spectra_stage (
            ord integer, survey text COLLATE "C", release text COLLATE "C", key text COLLATE "C",
            ra double precision, dec double precision,
            mjd double precision, designation text, location text, features bytea
        ) ON COMMIT DELETE ROWS
        """

    public func upsertSpectra(_ spectra: [SpectrumRecord]) async throws -> [SpectrumRecord.ID] {
        guard !spectra.isEmpty else { return [] }
        if let bad = spectra.first(where: { $0.features.count != SpectrumRecord.featureCount }) {
            throw RepositoryError.badFeatureCount(bad.features.count)
        }
        return try await pool.transaction { c in
            try await c.query(Self.spectraStage)
            try await c.copyIn("COPY spectra_stage FROM STDIN (FORMAT binary)") { writer in
                var e = BinaryCopyEncoder()
                for (i, s) in spectra.enumerated() {
                    e.beginRow(fields: 10)
                    e.int32(Int32(i))
                    e.text(s.key.survey)
                    e.text(s.key.release)
                    e.text(s.key.key)
                    e.float64(s.ra)
                    e.float64(s.dec)
                    e.float64(s.mjd)
                    e.text(s.designation)
                    e.text(s.location)
                    e.littleEndianFloats(s.features)
                    if e.bytes.count >= 1 << 20 { try await writer.send(e.take()) }
                }
                e.finish()
                try await writer.send(e.take())
            }
            // Natural-key order gives concurrent writers the same lock order (no deadlocks).
            // Fast path: a plain INSERT (new spectra, the common case); a replay or a race with
            // another writer raises unique_violation, and the batch retries with ON CONFLICT.
            try await Self.insertOptimistically(c, fast: """
                INSERT INTO spectra (survey, release, key, ra, dec, mjd, designation, location, features)
                SELECT survey, release, key, ra, dec, mjd, designation, location, features
                FROM spectra_stage ORDER BY survey, release, key
                """, safe: """
                INSERT INTO spectra (survey, release, key, ra, dec, mjd, designation, location, features)
                SELECT DISTINCT ON (survey, release, key)
                       survey, release, key, ra, dec, mjd, designation, location, features
                FROM spectra_stage ORDER BY survey, release, key, ord
                ON CONFLICT (survey, release, key) DO NOTHING
                """)
            let rows = try await c.query("""
                SELECT s.id FROM spectra_stage st
                JOIN spectra s ON s.survey = st.survey AND s.release = st.release AND s.key = st.key
                ORDER BY st.ord
                """).rows
            return try rows.map { try $0.decode(0, as: Int64.self) }
        }
    }

    /// Runs `fast` under a savepoint; on unique_violation rolls back to it and runs `safe`.
    static func insertOptimistically(_ c: PostgresConnection, fast: String, safe: String) async throws {
        try await c.query("SAVEPOINT balmer_fast_insert")
        do {
            try await c.query(fast)
            try await c.query("RELEASE SAVEPOINT balmer_fast_insert")
        } catch let error as PostgresError where error.sqlState == PostgresError.uniqueViolation {
            try await c.query("ROLLBACK TO SAVEPOINT balmer_fast_insert")
            try await c.query(safe)
        }
    }

    static let spectrumColumns =
        "id, survey, release, key, ra, dec, mjd, designation, location, features, ingested_at"

    static func spectrum(_ row: PostgresRow) throws -> SpectrumRecord {
        SpectrumRecord(
            id: try row.decode(0), key: SpectrumKey(survey: try row.decode(1), release: try row.decode(2), key: try row.decode(3)),
            ra: try row.decode(4), dec: try row.decode(5), mjd: try row.decode(6), designation: try row.decode(7),
            location: try row.decode(8), features: try Decode.floatsLE(try row.decode(9)), ingestedAt: try row.decode(10))
    }

    public func spectrum(id: SpectrumRecord.ID) async throws -> SpectrumRecord? {
        try await pool.withConnection { c in
            try await c.query("SELECT \(Self.spectrumColumns) FROM spectra WHERE id = $1", [id]).first.map(Self.spectrum)
        }
    }

    public func spectrumID(for key: SpectrumKey) async throws -> SpectrumRecord.ID? {
        try await pool.withConnection { c in
            try await c.query(
                "SELECT id FROM spectra WHERE survey = $1 AND release = $2 AND key = $3",
                [key.survey, key.release, key.key]
            ).first?.decode(0, as: Int64.self)
        }
    }

    public func spectrumCount() async throws -> Int {
        try await pool.withConnection { c in
            try await c.query("SELECT count(*) FROM spectra").first!.decode(0, as: Int.self)
        }
    }

    public func spectrumIDBounds() async throws -> ClosedRange<SpectrumRecord.ID>? {
        try await pool.withConnection { c in
            let row = try await c.query("SELECT min(id), max(id) FROM spectra").first!
            guard let lo: Int64 = try row.decode(0), let hi: Int64 = try row.decode(1) else { return nil }
            return lo...hi
        }
    }

    public func forEachFeatureBatch(
        ids: ClosedRange<SpectrumRecord.ID>, batchSize: Int,
        _ body: @Sendable ([(id: SpectrumRecord.ID, features: [Float])]) async throws -> Void
    ) async throws {
        let size = max(batchSize, 1)
        try await pool.transaction { c in
            // COPY takes no parameters: the bounds travel as transaction-local settings.
            try await c.query(
                "SELECT set_config('balmer.first_id', $1, true), set_config('balmer.last_id', $2, true)",
                [String(ids.lowerBound), String(ids.upperBound)])
            var decoder = BinaryCopyDecoder()
            var batch: [(id: SpectrumRecord.ID, features: [Float])] = []
            batch.reserveCapacity(size)
            try await c.copyOut("""
                COPY (SELECT id, features FROM spectra
                      WHERE id BETWEEN current_setting('balmer.first_id')::bigint
                                   AND current_setting('balmer.last_id')::bigint
                      ORDER BY id) TO STDOUT (FORMAT binary)
                """) { chunk in
                var ready: [[(id: SpectrumRecord.ID, features: [Float])]] = []
                try decoder.feed(chunk) { row in
                    batch.append((try row.int64(0), try row.littleEndianFloats(1)))
                    if batch.count == size {
                        ready.append(batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                for b in ready { try await body(b) }
            }
            if !batch.isEmpty { try await body(batch) }
        }
    }
}
