/// One kind of fault of the matrix: each is a scenario of its own, `mixed` chains several in one stream.
enum ChaosFault: String, CaseIterable, Sendable {
    /// Every mock broker down for a while (10 s reduced, 30 s full), then up again.
    case brokerDown = "broker down/up"
    /// Request errors on Produce, Fetch, OffsetCommit and Heartbeat, and a 150 ms round trip.
    case requestErrors = "request errors + rtt"
    /// `pg_ctl restart -m fast` of the suite's own PostgreSQL mid-batch.
    case postgresRestart = "postgres restart"
    /// SIGKILL of instance B mid-batch; B restarted after.
    case sigkill = "sigkill + restart"
    /// SIGTERM of instance B mid-batch: drains, exits 0; A takes over.
    case sigterm = "sigterm drain"
    /// Every other event published twice (half under another key, so on another partition), all shuffled.
    case duplicates = "duplicate + reordered"
    /// Duplicates and reordering, then broker down, request errors, PostgreSQL restart and SIGKILL in one stream.
    case mixed = "mixed"

    /// Whether the stream holds duplicated, shuffled events.
    var duplicatesEvents: Bool { self == .duplicates || self == .mixed }

    /// Whether an instance is killed without a final counter line.
    var killsAnInstance: Bool { self == .sigkill || self == .mixed }
}
