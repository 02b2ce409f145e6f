extension KafkaConsumer {
    /// The consumer's messages as an async sequence of non-empty micro-batches: each element is
    /// what `poll(max:timeout:)` returned (at most `max` messages, waiting at most `timeout` for
    /// `max` to accumulate). The sequence ends once the consumer is closed or the task cancelled.
    public func batches(max: Int, timeout: Duration) -> KafkaMessageBatches {
        KafkaMessageBatches(consumer: self, max: max, timeout: timeout)
    }
}

/// See `KafkaConsumer.batches(max:timeout:)`.
public struct KafkaMessageBatches: AsyncSequence, Sendable {
    public typealias Element = [KafkaMessage]
    let consumer: KafkaConsumer
    let max: Int
    let timeout: Duration

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer
        let max: Int
        let timeout: Duration

        public mutating func next() async -> [KafkaMessage]? {
            while !consumer.isClosed && !Task.isCancelled {
                let batch = await consumer.poll(max: max, timeout: timeout)
                if !batch.isEmpty { return batch }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(consumer: consumer, max: max, timeout: timeout)
    }
}
