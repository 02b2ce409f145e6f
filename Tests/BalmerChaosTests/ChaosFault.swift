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
    /// Every class of hostile event and file mixed into the stream (``ChaosPoison``), then a good part.
    case poisonStorm = "poison storm"
    /// Events for files that appear only seconds after them (a copy still running), and FIFOs.
    case lateFiles = "late files + fifo"
    /// Instance b reaches PostgreSQL through a proxy that black-holes the path for 8 s, then
    /// (a second cut) resets every connection.
    case networkCut = "network cut to postgres"
    /// A whole campaign with the loop and a labeller: PostgreSQL down during label ingestion and
    /// during a stop, the leader killed mid-rescore, network cuts (``ChaosCampaign``).
    case campaign = "campaign: pg down, leader kill, net cut"

    /// The faults struck at a stream of spectrum events (all but the campaign).
    static var streamFaults: [ChaosFault] { allCases.filter { $0 != .campaign } }

    /// Whether the stream holds duplicated, shuffled events.
    var duplicatesEvents: Bool { self == .duplicates || self == .mixed }

    /// Whether an instance is killed without a final counter line.
    var killsAnInstance: Bool { self == .sigkill || self == .mixed || self == .campaign }
}
