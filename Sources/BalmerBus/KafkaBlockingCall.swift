import Foundation

/// Runs a blocking librdkafka call (metadata, admin requests, synchronous commits) on a thread of
/// its own, so that waiting for the cluster never holds a thread of Swift's cooperative pool.
enum KafkaBlockingCall {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(KafkaError) -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { () throws(KafkaError) in try body() }.mapError { $0 as Error })
            }
        }
    }
}
