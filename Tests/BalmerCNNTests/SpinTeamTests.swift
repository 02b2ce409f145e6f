import Foundation
import Testing
@testable import BalmerCNN

/// The spinning thread team of tiny-batch inference: every member runs every job, barriers
/// order the phases, sleeping helpers wake, and stop() ends them.
@Suite struct SpinTeamTests {
    /// Each member writes its slot in one phase and, after the barrier, reads every slot: a
    /// barrier that let a member through early would show a stale value.
    @Test(arguments: [2, 3])
    func barriersOrderPhases(size: Int) {
        let team = SpinTeam(size: size)
        defer { team.stop() }
        let slots = UnsafeMutablePointer<Int>.allocate(capacity: size)
        slots.initialize(repeating: -1, count: size)
        defer { slots.deallocate() }
        let seen = UnsafeMutablePointer<Int>.allocate(capacity: size)  // wrong reads, per member
        seen.initialize(repeating: 0, count: size)
        defer { seen.deallocate() }
        let ran = UnsafeMutablePointer<Int>.allocate(capacity: size)
        ran.initialize(repeating: 0, count: size)
        defer { ran.deallocate() }
        let jobs = 500, phases = 6
        for job in 0..<jobs {
            team.run { member in
                ran[member.rank] += 1
                for phase in 0..<phases {
                    let value = job * phases + phase
                    slots[member.rank] = value
                    member.sync()
                    for r in 0..<member.size where slots[r] != value { seen[member.rank] += 1 }
                    member.sync()
                }
            }
        }
        #expect((0..<size).map { seen[$0] } == Array(repeating: 0, count: size))
        #expect((0..<size).map { ran[$0] } == Array(repeating: jobs, count: size))
    }

    /// Helpers that have gone to sleep (idle longer than the spin window) wake for the next job.
    @Test func sleepingHelpersWake() {
        let team = SpinTeam(size: 2)
        defer { team.stop() }
        let ranks = UnsafeMutablePointer<Int>.allocate(capacity: 2)
        ranks.initialize(repeating: 0, count: 2)
        defer { ranks.deallocate() }
        for _ in 0..<5 {
            Thread.sleep(forTimeInterval: Double(SpinTeam.idleSpin) / 1e9 * 10)
            team.run { member in ranks[member.rank] += 1 }
        }
        #expect(ranks[0] == 5 && ranks[1] == 5)
    }

    /// A team of one runs the job on the caller; stop() twice is harmless.
    @Test func singleMemberAndRepeatedStop() {
        let team = SpinTeam(size: 1)
        var ranks: [Int] = []
        team.run { member in ranks.append(member.rank); member.sync() }
        #expect(ranks == [0])
        team.stop()
        team.stop()
        let pair = SpinTeam(size: 2)
        pair.stop()
        pair.stop()
    }
}
