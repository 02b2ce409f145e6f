/// Server-side order of oracle answers, and their signatures.
///
/// - `labels.received_partition`, `labels.received_offset`: where balmerd read the answer in the
///   labels topic (NULL for labels that did not come through it: the initial set, answers stored
///   before this migration). Of one labeller's answers to a task, the one read last stands
///   (``PostgresStore/recordOracleAnswer(_:)``); `labelled_at` (the labeller's clock) stays as
///   information and decides only between answers without a position.
/// - `labels.signature`: the labeller's Ed25519 signature (base64) as it arrived, so an answer
///   can be attributed later with the roster's public key.
enum SchemaV4Labels {
    static let sql = """
        ALTER TABLE labels
            ADD COLUMN received_partition integer,
            ADD COLUMN received_offset    bigint,
            ADD COLUMN signature          text,
            ADD CONSTRAINT labels_received_position CHECK ((received_partition IS NULL) = (received_offset IS NULL));
        COMMENT ON COLUMN labels.received_offset IS
            'offset in the labels topic (partition received_partition) balmerd read the answer at; the latest read answer of a labeller to a task stands';
        COMMENT ON COLUMN labels.labelled_at IS
            'when the labeller says the label was given (their clock: information, not order, for answers with a received position)';
        COMMENT ON COLUMN labels.signature IS 'the labeller''s Ed25519 signature of the answer (base64), when signed';
        """
}
