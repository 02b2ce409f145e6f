public import BalmerCore
import Foundation

extension PostgresStore: CandidateRepository {
    public func candidates(_ q: CandidateQuery) async throws -> [CandidateRecord] {
        try await pool.withConnection(retries: 1) { c in
            try await c.query("""
                WITH m AS (
                    SELECT coalesce($1::integer, (SELECT version FROM ranking_model)) AS version
                ), rows AS (
                    SELECT s.id, s.survey, s.release, s.key, s.designation, s.ra, s.dec, s.mjd, s.location,
                           sc.model_version, sc.probabilities, sc.predicted, sc.entropy,
                           o.label, last.labeller, last.source,
                           coalesce(o.label, sc.predicted) AS final_class
                    FROM m
                    JOIN scores sc ON sc.model_version = m.version
                    JOIN spectra s ON s.id = sc.spectrum_id
                    LEFT JOIN oracle_labels o ON o.spectrum_id = sc.spectrum_id
                    LEFT JOIN LATERAL (
                        SELECT labeller, source FROM labels
                        WHERE labels.spectrum_id = sc.spectrum_id AND labels.source <> 'initial'
                        ORDER BY labelled_at DESC, source, labeller LIMIT 1
                    ) last ON o.spectrum_id IS NOT NULL
                    WHERE NOT EXISTS (SELECT 1 FROM labels i WHERE i.spectrum_id = sc.spectrum_id AND i.source = 'initial')
                ), ranked AS (
                    SELECT rows.*,
                           probabilities[array_position(ARRAY['single', 'double', 'other'], final_class)] AS p_final
                    FROM rows
                    WHERE final_class IN ('single', 'double')
                      AND ($2::text IS NULL OR final_class = $2)
                )
                SELECT id, survey, release, key, designation, ra, dec, mjd, location, model_version, probabilities,
                       predicted, entropy, label, labeller, source
                FROM ranked
                WHERE label IS NOT NULL OR p_final >= $3
                ORDER BY p_final DESC NULLS LAST, id
                LIMIT $4
                """, [q.modelVersion.map { Int32($0) }, q.spectrumClass?.rawValue, q.minProbability, q.limit.map { Int64($0) }]
            ).rows.map { r in
                CandidateRecord(
                    spectrumID: try r.decode(0),
                    key: SpectrumKey(survey: try r.decode(1), release: try r.decode(2), key: try r.decode(3)),
                    designation: try r.decode(4), ra: try r.decode(5), dec: try r.decode(6), mjd: try r.decode(7),
                    location: try r.decode(8), modelVersion: try r.decode(9), probabilities: try r.decode(10),
                    predicted: try Decode.enumValue(r, 11, as: SpectrumClass.self), entropy: try r.decode(12),
                    label: try Decode.optionalEnum(r, 13, as: SpectrumClass.self), labeller: try r.decode(14),
                    labelSource: try Decode.optionalEnum(r, 15, as: LabelSource.self))
            }
        }
    }
}
