import BalmerBus
import BalmerFITS
import Foundation

/// When a file that failed transiently is tried again, and when it is given up.
///
/// A missing file (ENOENT) is retried until `missingGraceMilliseconds` after its first attempt;
/// EIO, ESTALE, EAGAIN, EINTR, EACCES and EPERM until `maxAttempts` attempts or the same grace.
/// The delay doubles from `initialDelayMilliseconds` up to `maxDelayMilliseconds`; the last
/// attempt of a missing file falls just after the grace, so it is rejected soon after it.
struct TransientRetryPolicy: Sendable, Equatable {
    var missingGraceMilliseconds: Int64
    var maxAttempts: Int
    var initialDelayMilliseconds: Int64 = 1000
    var maxDelayMilliseconds: Int64 = 60_000

    enum Decision: Sendable, Equatable {
        /// Re-publish with this state.
        case retry(RetryInfo)
        /// Reject now, with this one-line reason (it names the attempts made).
        case giveUp(reason: String)
    }

    /// What to do after attempt `(previous?.attempt ?? 0) + 1` failed with `failure` at `now` (ms).
    func decide(previous: RetryInfo?, failure: FITSError, now: Int64) -> Decision {
        let first = min(previous?.firstSeenMilliseconds ?? now, now)
        let attempt = (previous?.attempt ?? 0) + 1
        let elapsed = now - first
        let outOfAttempts = failure.kind != .missing && attempt >= maxAttempts
        guard failure.isTransient, elapsed <= missingGraceMilliseconds, !outOfAttempts else {
            return .giveUp(reason: Self.reason(failure, attempts: attempt, elapsedMilliseconds: elapsed))
        }
        let delay = min(maxDelayMilliseconds, initialDelayMilliseconds << Int64(min(attempt - 1, 20)))
        // The last attempt of a missing file just after the grace (not a whole backoff later).
        let due = failure.kind == .missing ? min(now + delay, first + missingGraceMilliseconds + 1) : now + delay
        return .retry(RetryInfo(attempt: attempt, dueMilliseconds: due, firstSeenMilliseconds: first,
                                code: failure.kind.rawValue))
    }

    /// `failure`'s description, with the attempts when there was more than one.
    static func reason(_ failure: FITSError, attempts: Int, elapsedMilliseconds: Int64) -> String {
        guard attempts > 1 else { return failure.description }
        let seconds = Double(elapsedMilliseconds) / 1000
        return "\(failure.description) (after \(attempts) attempts over \(String(format: "%.1f", seconds)) s)"
    }
}
