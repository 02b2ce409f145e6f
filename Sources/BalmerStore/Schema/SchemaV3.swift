/// The active-learning loop: model lineage and rescoring state, label corrections and conflict
/// resolution, task publication, the campaign row, and candidates ranked by the newest model
/// whose rescoring of the whole pool is complete.
///
/// - `oracle_labels`: one row per spectrum with oracle (query or precision) labels: the vote
///   tally, whether labellers disagree, and the usable label — an explicit resolution, else the
///   only class given, else a strict majority, else NULL (an unresolved conflict, not trained on).
/// - `training_labels`: what a retraining uses: the initial set plus usable labels of queried
///   spectra (precision-sample labels are never trained on).
/// - `ranking_model`: the active model once its rescoring finished, else the newest model whose
///   rescoring did, else the active model.
/// - `candidates`: pool spectra (no initial label) whose usable oracle label, else prediction
///   under the ranking model, is a target class.
enum SchemaV3 {
    static let sql = """
        ALTER TABLE models
            ADD COLUMN kind          text NOT NULL DEFAULT 'file' CHECK (kind IN ('file', 'initial', 'loop', 'final')),
            ADD COLUMN iteration     integer,
            ADD COLUMN oracle_labels integer NOT NULL DEFAULT 0,
            ADD COLUMN decision      text,
            ADD COLUMN promoted_at   timestamptz,
            ADD COLUMN rescored_at   timestamptz;
        COMMENT ON COLUMN models.oracle_labels IS 'usable oracle labels the model was trained on (the retraining trigger counts new ones)';
        COMMENT ON COLUMN models.decision IS 'why the model was promoted, rejected by the gate, or rolled back';

        ALTER TABLE labels ADD COLUMN stored_at timestamptz NOT NULL DEFAULT now();
        ALTER TABLE tasks ADD COLUMN published_at timestamptz;
        CREATE INDEX tasks_iteration ON tasks (iteration, kind);
        CREATE INDEX tasks_spectrum ON tasks (spectrum_id);
        CREATE INDEX labels_spectrum ON labels (spectrum_id);

        ALTER TABLE iterations
            ADD COLUMN precision_correct  integer,
            ADD COLUMN precision_cp_lower double precision;

        CREATE TABLE label_resolutions (
            spectrum_id bigint PRIMARY KEY REFERENCES spectra (id),
            label       text NOT NULL CHECK (label IN ('single', 'double', 'other')),
            resolved_by text NOT NULL,
            resolved_at timestamptz NOT NULL DEFAULT now(),
            note        text
        );

        CREATE TABLE campaign (
            id                  boolean PRIMARY KEY DEFAULT true CHECK (id),
            started_at          timestamptz NOT NULL DEFAULT now(),
            converged_at        timestamptz,
            converged_iteration integer,
            final_model         integer REFERENCES models (version),
            finished_at         timestamptz
        );

        CREATE VIEW oracle_labels AS
        WITH votes AS (
            SELECT spectrum_id, label, count(DISTINCT labeller)::integer AS n, bool_or(source = 'query') AS queried
            FROM labels WHERE source IN ('query', 'precision')
            GROUP BY spectrum_id, label
        ), per AS (
            SELECT spectrum_id, count(*)::integer AS classes, sum(n)::integer AS votes, max(n) AS top_n,
                   (array_agg(label ORDER BY n DESC, label))[1] AS top, bool_or(queried) AS queried,
                   jsonb_object_agg(label, n) AS tally
            FROM votes GROUP BY spectrum_id
        )
        SELECT p.spectrum_id, p.votes, p.tally, p.queried, p.classes > 1 AS disagreement,
               r.label AS resolved_label, r.resolved_by,
               coalesce(r.label, CASE WHEN p.classes = 1 OR p.top_n * 2 > p.votes THEN p.top END) AS label
        FROM per p LEFT JOIN label_resolutions r USING (spectrum_id);

        CREATE VIEW training_labels AS
        SELECT DISTINCT ON (spectrum_id) spectrum_id, label, 'initial'::text AS origin
        FROM labels WHERE source = 'initial'
        UNION ALL
        SELECT o.spectrum_id, o.label, 'oracle'::text
        FROM oracle_labels o
        WHERE o.queried AND o.label IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM labels i WHERE i.spectrum_id = o.spectrum_id AND i.source = 'initial');

        CREATE VIEW ranking_model AS
        SELECT coalesce(
            (SELECT version FROM models WHERE status = 'active' AND rescored_at IS NOT NULL),
            (SELECT version FROM models WHERE rescored_at IS NOT NULL AND status <> 'rejected'
             ORDER BY rescored_at DESC, version DESC LIMIT 1),
            (SELECT version FROM models WHERE status = 'active')) AS version;

        DROP VIEW candidates;
        CREATE VIEW candidates AS
        SELECT s.id AS spectrum_id, s.survey, s.release, s.key, s.designation, s.ra, s.dec, s.mjd,
               s.location, sc.model_version, sc.probabilities,
               sc.probabilities[1] AS p_single, sc.probabilities[2] AS p_double,
               sc.probabilities[3] AS p_other, sc.predicted, sc.entropy,
               o.label, last.labeller, last.source AS label_source,
               coalesce(o.label, sc.predicted) AS final_class
        FROM ranking_model m
        JOIN scores sc ON sc.model_version = m.version
        JOIN spectra s ON s.id = sc.spectrum_id
        LEFT JOIN oracle_labels o ON o.spectrum_id = sc.spectrum_id
        LEFT JOIN LATERAL (
            SELECT labeller, source FROM labels
            WHERE labels.spectrum_id = sc.spectrum_id AND labels.source <> 'initial'
            ORDER BY labelled_at DESC, source, labeller LIMIT 1
        ) last ON o.spectrum_id IS NOT NULL
        WHERE coalesce(o.label, sc.predicted) IN ('single', 'double')
          AND NOT EXISTS (SELECT 1 FROM labels i WHERE i.spectrum_id = sc.spectrum_id AND i.source = 'initial');
        """
}
