import BalmerBus
import BalmerFITS
import Foundation

/// Transient file failures: instead of a reject, the event is re-published to the retry topic
/// (`ingest.retry-topic`, consumed by balmerd too) with its attempt count and due time in Kafka
/// headers (``RetryInfo``). The re-publication is awaited before `prepare` returns, so the
/// original offset, committed only after the batch is stored, is never committed before the
/// retry event is durable. A re-published event counts as consumed and `retried`:
/// consumed = stored + rejected + retried + dropped.
extension IngestPipeline {
    var retryPolicy: TransientRetryPolicy {
        TransientRetryPolicy(missingGraceMilliseconds: Int64(configuration.ingest.missingGraceSeconds) * 1000,
                             maxAttempts: configuration.ingest.retryMaxAttempts)
    }

    static var nowMilliseconds: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// The events of `valid` that are due now. Retry events not yet due are re-published as they
    /// are (counted as retried) and their partition is paused until the earliest due time there
    /// (``RetryHolds``). When no event of the batch is due, waits first for the earliest due
    /// time, at most `ingest.batch-timeout-ms`.
    func dueEvents(_ valid: [(KafkaMessage, SpectrumEvent)], batch out: inout PreparedBatch) async throws
        -> [(KafkaMessage, SpectrumEvent)] {
        let infos = valid.map { RetryInfo(message: $0.0) }
        var now = Self.nowMilliseconds
        let pending = infos.compactMap { $0?.dueMilliseconds }.filter { $0 > now }
        if pending.count == valid.count, let earliest = pending.min() {
            let wait = min(earliest - now, Int64(configuration.ingest.batchTimeoutMilliseconds))
            if wait > 0 { try? await Task.sleep(for: .milliseconds(wait)) }
            now = Self.nowMilliseconds
        }
        var due: [(KafkaMessage, SpectrumEvent)] = []
        var later: [(KafkaMessage, RetryInfo)] = []
        for (item, info) in zip(valid, infos) {
            if let info, info.dueMilliseconds > now { later.append((item.0, info)) } else { due.append(item) }
        }
        try await republish(later, batch: &out)
        for (partition, items) in Dictionary(grouping: later, by: { $0.0.topicPartition }) {
            let wake = items.map(\.1.dueMilliseconds).min() ?? now
            retryHolds.hold(partition, until: wake, now: now, consumer: consumer)
        }
        return due
    }

    /// Re-publishes each message with its retry state to the retry topic and waits for every
    /// delivery (retrying until it succeeds or a stop is requested).
    func republish(_ items: [(KafkaMessage, RetryInfo)], batch out: inout PreparedBatch) async throws {
        guard !items.isEmpty else { return }
        let topic = configuration.ingest.retryTopic
        let producer = self.producer
        try await retrying("send retry events") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (message, info) in items {
                    let headers = info.headers(replacingIn: message)
                    group.addTask { _ = try await producer.send(topic: topic, key: message.key, value: message.value, headers: headers) }
                }
                try await group.waitForAll()
            }
        }
        out.retried += items.count
        for (message, info) in items where info.attempt > 0 {
            logger.debug("file retry scheduled", metadata: [
                "key": "\(message.keyString ?? "")", "attempt": "\(info.attempt)", "code": "\(info.code)",
                "due.in.ms": "\(info.dueMilliseconds - Self.nowMilliseconds)",
            ])
        }
    }
}
