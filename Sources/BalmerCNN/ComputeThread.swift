import Foundation

/// Runs blocking compute (training, large inference) on a dedicated thread, so async callers
/// never block Swift's cooperative pool.
public enum ComputeThread {
    /// Runs `body` on a new thread (8 MiB stack) and resumes the caller with its result.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}
