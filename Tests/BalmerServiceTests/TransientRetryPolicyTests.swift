import BalmerBus
import BalmerFITS
import Foundation
import Testing
@testable import BalmerService

/// When a transiently failing file is retried and when it is given up; the retry state's headers.
@Suite struct TransientRetryPolicyTests {
    let policy = TransientRetryPolicy(missingGraceMilliseconds: 600_000, maxAttempts: 5)
    let missing = FITSError(.missing, "no such file (open)")
    let eio = FITSError(.unreadableTransient, "read: Input/output error")

    @Test func missingFilesBackOffDoublingUpToTheCapThenGiveUpAfterTheGrace() throws {
        var previous: RetryInfo?
        var now: Int64 = 1_000_000
        var delays: [Int64] = []
        while true {
            switch policy.decide(previous: previous, failure: missing, now: now) {
            case .retry(let info):
                #expect(info.attempt == (previous?.attempt ?? 0) + 1)
                #expect(info.firstSeenMilliseconds == 1_000_000)
                #expect(info.code == "missing")
                delays.append(info.dueMilliseconds - now)
                previous = info
                now = info.dueMilliseconds
            case .giveUp(let reason):
                #expect(now - 1_000_000 > 600_000)
                #expect(reason.contains("missing: no such file"))
                #expect(reason.contains("after \(previous!.attempt + 1) attempts"), "\(reason)")
                #expect(Array(delays.prefix(8)) == [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000])
                // The last retry lands just after the grace, not a whole backoff later.
                #expect(now == 1_000_000 + 600_001)
                return
            }
            #expect(delays.count < 100)
        }
    }

    @Test func ioErrorsGiveUpAfterMaxAttempts() {
        var previous: RetryInfo?
        for attempt in 1...4 {
            guard case .retry(let info) = policy.decide(previous: previous, failure: eio, now: 5000 * Int64(attempt)) else {
                Issue.record("attempt \(attempt) was given up")
                return
            }
            #expect(info.code == "unreadable-transient")
            previous = info
        }
        guard case .giveUp(let reason) = policy.decide(previous: previous, failure: eio, now: 30_000) else {
            Issue.record("attempt 5 was retried")
            return
        }
        #expect(reason.contains("after 5 attempts"))
    }

    @Test func permanentFailuresAreNeverRetried() {
        let truncated = FITSError(.truncated, "cut")
        #expect(policy.decide(previous: nil, failure: truncated, now: 0) == .giveUp(reason: truncated.description))
        let later = RetryInfo(attempt: 3, dueMilliseconds: 0, firstSeenMilliseconds: 0, code: "missing")
        guard case .giveUp(let reason) = policy.decide(previous: later, failure: truncated, now: 9000) else {
            Issue.record("a truncated file was retried")
            return
        }
        #expect(reason.hasPrefix("truncated: cut (after 4 attempts"))
        for kind in [FITSError.Kind.outsideDataRoots, .notRegularFile, .tooLarge, .notFITS] {
            if case .retry = policy.decide(previous: nil, failure: FITSError(kind, "x"), now: 0) { Issue.record("\(kind) retried") }
        }
    }

    @Test func aZeroGraceRejectsMissingFilesAtOnce() {
        let strict = TransientRetryPolicy(missingGraceMilliseconds: 0, maxAttempts: 5)
        let first = strict.decide(previous: nil, failure: missing, now: 100)
        // The first attempt is at elapsed 0 ≤ grace: one retry, due right after.
        guard case .retry(let info) = first else { Issue.record("no retry"); return }
        #expect(info.dueMilliseconds == 101)
        #expect(strict.decide(previous: info, failure: missing, now: 101) != first)
        if case .retry = strict.decide(previous: info, failure: missing, now: 101) { Issue.record("retried past the grace") }
    }

    @Test func retryStateRoundTripsThroughHeadersAndKeepsOtherHeaders() throws {
        let info = RetryInfo(attempt: 3, dueMilliseconds: 1_765_000_000_123, firstSeenMilliseconds: 1_765_000_000_000, code: "missing")
        let original = KafkaMessage(topic: "balmer.spectra", partition: 0, offset: 7, key: Array("k".utf8), value: [1, 2],
                                    headers: [KafkaHeader(name: "content-type", string: "application/json"),
                                              KafkaHeader(name: RetryInfo.attemptHeader, string: "1")])
        let headers = info.headers(replacingIn: original)
        #expect(headers.filter { $0.name == RetryInfo.attemptHeader }.count == 1)
        #expect(headers.first?.name == "content-type")
        var retried = original
        retried.headers = headers
        #expect(RetryInfo(message: retried) == info)
        #expect(RetryInfo(message: KafkaMessage(topic: "t", partition: 0, offset: 0, key: nil, value: [])) == nil)
        var garbled = original
        garbled.headers = [KafkaHeader(name: RetryInfo.attemptHeader, string: "x"), KafkaHeader(name: RetryInfo.dueHeader, string: "1"),
                           KafkaHeader(name: RetryInfo.firstSeenHeader, string: "1")]
        #expect(RetryInfo(message: garbled) == nil)
    }
}
