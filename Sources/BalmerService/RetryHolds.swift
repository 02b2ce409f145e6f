import BalmerBus
import Synchronization

/// Retry-topic partitions paused until their head event is due: when a polled retry event is not
/// due yet, it is re-published (so its offset can be committed) and its partition stops fetching
/// until the earliest due time seen there (at most ``longest``), so a file missing for minutes
/// costs a few re-publications, not one per poll.
final class RetryHolds: Sendable {
    /// The longest a partition stays paused (the backoff's cap).
    static let longest: Int64 = 60_000

    /// Per held partition, when it is to be resumed (ms since 1970).
    private let wakes = Mutex<[KafkaPartition: Int64]>([:])

    /// Pauses `partition` of `consumer` until `wake` (ms since 1970, capped at `now + longest`);
    /// a partition already held keeps the earlier of the two wake times (an event re-published
    /// there meanwhile may be due sooner).
    func hold(_ partition: KafkaPartition, until wake: Int64, now: Int64, consumer: KafkaConsumer) {
        let requested = min(wake, now + Self.longest)
        guard requested > now else { return }
        let until = wakes.withLock { wakes -> Int64 in
            let until = min(wakes[partition] ?? .max, requested)
            wakes[partition] = until
            return until
        }
        consumer.pause([partition])
        Task { [self] in
            try? await Task.sleep(for: .milliseconds(max(0, until - now)))
            // Only the hold that set the current wake time resumes (a later one set another).
            let resume = wakes.withLock { wakes -> Bool in
                guard wakes[partition] == until else { return false }
                wakes[partition] = nil
                return true
            }
            if resume { consumer.resume([partition]) }
        }
    }

    /// Partitions paused now (for tests and logs).
    var held: Set<KafkaPartition> { wakes.withLock { Set($0.keys) } }
}
