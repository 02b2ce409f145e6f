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
        // Distinct keys (first occurrence wins) in natural-key order: the order in which every
        // writer takes its index locks, so concurrent writers cannot deadlock.
        var seen = Set<SpectrumKey>()
        let unique = spectra.indices.filter { seen.insert(spectra[$0].key).inserted }
            .sorted { Self.keyPrecedes(spectra[$0].key, spectra[$1].key) }
        return try await pool.transaction(retries: 1) { c in
            // Fast path (new spectra, the common case): take ids from the sequence and COPY
            // straight into the table. A replay, or a race with another writer on the same
            // key, raises unique_violation; the batch then goes through a staging table and
            // INSERT … ON CONFLICT DO NOTHING.
            try await c.query("SAVEPOINT balmer_fast_insert")
            do {
                let ids = try await c.query(
                    "SELECT nextval(pg_get_serial_sequence('spectra', 'id')) FROM generate_series(1, $1)",
                    [unique.count]
                ).rows.map { try $0.decode(0, as: Int64.self) }
                try await c.copyIn("""
                    COPY spectra (id, survey, release, key, ra, dec, mjd, designation, location, features)
                    FROM STDIN (FORMAT binary)
                    """) { writer in
                    var e = BinaryCopyEncoder()
                    for (n, i) in unique.enumerated() {
                        e.beginRow(fields: 10)
                        e.int64(ids[n])
                        Self.encodeSpectrumFields(spectra[i], into: &e)
                        if e.bytes.count >= 1 << 20 { try await writer.send(e.take()) }
                    }
                    e.finish()
                    try await writer.send(e.take())
                }
                try await c.query("RELEASE SAVEPOINT balmer_fast_insert")
                var idOf: [SpectrumKey: Int64] = [:]
                idOf.reserveCapacity(unique.count)
                for (n, i) in unique.enumerated() { idOf[spectra[i].key] = ids[n] }
                return spectra.map { idOf[$0.key]! }
            } catch let error as PostgresError where error.sqlState == PostgresError.uniqueViolation {
                try await c.query("ROLLBACK TO SAVEPOINT balmer_fast_insert")
            }
            return try await Self.upsertThroughStage(c, spectra, order: unique)
        }
    }

    /// Bytewise UTF-8 order of (survey, release, key): PostgreSQL's "C" collation.
    static func keyPrecedes(_ a: SpectrumKey, _ b: SpectrumKey) -> Bool {
        if a.survey != b.survey { return a.survey.utf8.lexicographicallyPrecedes(b.survey.utf8) }
        if a.release != b.release { return a.release.utf8.lexicographicallyPrecedes(b.release.utf8) }
        return a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
    }

    /// The nine fields after `id`, in table order.
    static func encodeSpectrumFields(_ s: SpectrumRecord, into e: inout BinaryCopyEncoder) {
        e.text(s.key.survey)
        e.text(s.key.release)
        e.text(s.key.key)
        e.float64(s.ra)
        e.float64(s.dec)
        e.float64(s.mjd)
        e.text(s.designation)
        e.text(s.location)
        e.littleEndianFloats(s.features)
    }

    /// The replay-safe path: COPY into a staging table, insert what is new, look every id up.
    static func upsertThroughStage(
        _ c: PostgresConnection, _ spectra: [SpectrumRecord], order: [Int]
    ) async throws -> [SpectrumRecord.ID] {
        try await c.query(spectraStage)
        try await c.copyIn("COPY spectra_stage FROM STDIN (FORMAT binary)") { writer in
            var e = BinaryCopyEncoder()
            for (n, i) in order.enumerated() {
                e.beginRow(fields: 10)
                e.int32(Int32(n))
                encodeSpectrumFields(spectra[i], into: &e)
                if e.bytes.count >= 1 << 20 { try await writer.send(e.take()) }
            }
            e.finish()
            try await writer.send(e.take())
        }
        try await c.query("""
            INSERT INTO spectra (survey, release, key, ra, dec, mjd, designation, location, features)
            SELECT survey, release, key, ra, dec, mjd, designation, location, features
            FROM spectra_stage ORDER BY ord
            ON CONFLICT (survey, release, key) DO NOTHING
            """)
        var idOf: [SpectrumKey: Int64] = [:]
        for row in try await c.query("""
            SELECT s.id, s.survey, s.release, s.key FROM spectra_stage st
            JOIN spectra s ON s.survey = st.survey AND s.release = st.release AND s.key = st.key
            """).rows {
            idOf[SpectrumKey(survey: try row.decode(1), release: try row.decode(2), key: try row.decode(3))] = try row.decode(0)
        }
        return try spectra.map {
            guard let id = idOf[$0.key] else { throw RepositoryError.notFound("spectrum \($0.key)") }
            return id
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
        try await pool.withConnection(retries: 1) { c in
            try await c.query("SELECT \(Self.spectrumColumns) FROM spectra WHERE id = $1", [id]).first.map(Self.spectrum)
        }
    }

    public func spectrumID(for key: SpectrumKey) async throws -> SpectrumRecord.ID? {
        try await pool.withConnection(retries: 1) { c in
            try await c.query(
                "SELECT id FROM spectra WHERE survey = $1 AND release = $2 AND key = $3",
                [key.survey, key.release, key.key]
            ).first?.decode(0, as: Int64.self)
        }
    }

    public func spectrumCount() async throws -> Int {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("SELECT count(*) FROM spectra").first!.decode(0, as: Int.self)
        }
    }

    public func spectrumIDBounds() async throws -> ClosedRange<SpectrumRecord.ID>? {
        try await pool.withConnection(retries: 1) { c in
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
        // No retry: batches already handed to `body` would be delivered twice.
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
