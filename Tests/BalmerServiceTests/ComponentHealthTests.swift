@testable import BalmerService
import Synchronization
import Testing

/// `/healthz`'s verdicts from the parts' beats, failures and busy steps, on a clock the test moves.
@Suite struct ComponentHealthTests {
    final class Clock: Sendable {
        let now = Mutex(1000.0)
        func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
        var read: @Sendable () -> Double { { [self] in now.withLock { $0 } } }
    }

    static func make(_ clock: Clock) -> ComponentHealth {
        ComponentHealth(allowances: [.ingest: 30, .labels: 30, .loop: 120], degradedAfter: 3, clock: clock.read)
    }

    @Test func freshPartsAreOk() {
        let health = Self.make(Clock())
        #expect(health.statuses.map(\.state) == [.ok, .ok, .ok])
        #expect(health.isHealthy && health.isAlive)
        #expect(health.report == "ingest ok\nlabels ok\nloop ok\n")
    }

    @Test func aPartWithoutTurnsStallsAfterItsAllowance() {
        let clock = Clock()
        let health = Self.make(clock)
        clock.advance(31)
        health.beat(.ingest)
        health.beat(.loop)
        let states = Dictionary(uniqueKeysWithValues: health.statuses.map { ($0.part, $0.state) })
        #expect(states == [.ingest: .ok, .labels: .stalled, .loop: .ok])
        #expect(!health.isAlive)
        #expect(health.report.contains("labels stalled: no progress for 31 s"))
        clock.advance(100)
        health.beat(.ingest)
        health.beat(.labels)
        #expect(health.isAlive, "the loop's allowance is 120 s")
    }

    @Test func failingEveryStepDegradesButKeepsTheWatchdogFed() {
        let clock = Clock()
        let health = Self.make(clock)
        health.failed(.loop, reason: "campaign step failed: permission denied for table iterations\nsecond line")
        health.failed(.loop, reason: "campaign step failed: permission denied for table iterations")
        #expect(health.isHealthy, "two failures in a row are not yet degraded")
        health.failed(.loop, reason: "campaign step failed: permission denied for table iterations")
        let loop = health.statuses.first { $0.part == .loop }
        #expect(loop?.state == .degraded)
        #expect(loop?.reason == "3 failed steps in a row: campaign step failed: permission denied for table iterations")
        #expect(!health.isHealthy)
        #expect(health.isAlive, "a degraded part still turns: the watchdog stays fed")
        clock.advance(200)
        health.beat(.ingest)
        health.beat(.labels)
        health.failed(.loop, reason: "again")
        #expect(health.isAlive)
        health.succeeded(.loop)
        #expect(health.isHealthy)
    }

    @Test func aBusyPartIsNeitherStalledNorDegraded() async {
        let clock = Clock()
        let health = Self.make(clock)
        let state = await health.busy(.loop, "training") { () async -> ComponentHealth.State? in
            clock.advance(3600)
            health.beat(.ingest)
            health.beat(.labels)
            return health.statuses.first { $0.part == .loop }?.state
        }
        #expect(state == .busy)
        #expect(health.statuses.first { $0.part == .loop }?.state == .ok, "leaving the busy step counts as a turn")
    }

    @Test func onlyConfiguredPartsAreReported() {
        let health = ComponentHealth(allowances: [.ingest: 30])
        #expect(health.statuses.map(\.part) == [.ingest])
        health.beat(.loop)  // not run here: ignored
        #expect(health.report == "ingest ok\n")
    }
}
