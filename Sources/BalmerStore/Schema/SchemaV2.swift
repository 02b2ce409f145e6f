/// The `candidates` view: for the active model, every scored spectrum whose latest label (any
/// source), else prediction, is a target class; with per-class probabilities and the label.
enum SchemaV2 {
    static let sql = """
        CREATE VIEW candidates AS
        SELECT s.id AS spectrum_id, s.survey, s.release, s.key, s.designation, s.ra, s.dec, s.mjd,
               s.location, sc.model_version, sc.probabilities,
               sc.probabilities[1] AS p_single, sc.probabilities[2] AS p_double,
               sc.probabilities[3] AS p_other, sc.predicted, sc.entropy,
               l.label, l.labeller, l.source AS label_source,
               coalesce(l.label, sc.predicted) AS final_class
        FROM scores sc
        JOIN models m ON m.version = sc.model_version AND m.status = 'active'
        JOIN spectra s ON s.id = sc.spectrum_id
        LEFT JOIN LATERAL (
            SELECT label, labeller, source FROM labels
            WHERE labels.spectrum_id = sc.spectrum_id
            ORDER BY labelled_at DESC, source, labeller LIMIT 1
        ) l ON true
        WHERE coalesce(l.label, sc.predicted) IN ('single', 'double');
        """
}
