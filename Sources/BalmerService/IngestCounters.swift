import Synchronization

/// Running totals of the ingest pipeline (since start). consumed = stored + rejected + retried +
/// dropped, where retried counts events re-published to the retry topic (their file failed
/// transiently) and dropped counts events of revoked partitions left to their next owner.
public final class IngestCounters: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var consumed = 0
        public var stored = 0
        public var rejected = 0
        public var retried = 0
        public var dropped = 0
        public var batches = 0
        /// Seconds spent in batches from poll to commit, summed.
        public var batchSeconds = 0.0
        /// Seconds spent in the CNN, summed, and spectra scored.
        public var cnnSeconds = 0.0
        public var scored = 0
        /// Seconds spent decoding events and reading + preprocessing files, summed.
        public var extractSeconds = 0.0
        /// Seconds spent in the PostgreSQL transaction (and dead letters), summed.
        public var storeSeconds = 0.0
        /// Seconds spent committing offsets, summed.
        public var commitSeconds = 0.0
        /// Latency of the last batch (poll → commit) in seconds.
        public var lastBatchSeconds = 0.0
        /// Event-to-commit latencies in seconds of the most recent events (at most 200 000).
        public var latencies: [Double] = []

        mutating func recordLatencies(_ values: [Double]) {
            latencies += values
            if latencies.count > 200_000 { latencies.removeFirst(latencies.count - 100_000) }
        }
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public func update(_ body: (inout Snapshot) -> Void) { state.withLock { body(&$0) } }

    public var snapshot: Snapshot { state.withLock { $0 } }
}
