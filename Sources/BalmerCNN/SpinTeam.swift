import Foundation
import Synchronization
internal import CConvKernel

/// A fixed team of threads for short, latency-bound jobs split into phases (a batch-1 forward
/// pass: one phase per layer, each well under a millisecond).
///
/// GCD's `concurrentPerform` wakes a sleeping worker for every call, which on this project's
/// VMs costs tens of microseconds, as much as a layer's work. Here the helpers are the team's own
/// threads: between jobs they spin on a generation counter for ``idleSpin`` and then sleep on a
/// condition, and inside a job the members meet at a spinning barrier (``Member/sync()``) that
/// yields the processor after a few thousand spins, so an oversubscribed machine does not stall.
///
/// `run` is not reentrant and must be called from one thread at a time (the owner's); the
/// caller is member 0. Call ``stop()`` before dropping the team (its helpers hold it).
final class SpinTeam: @unchecked Sendable {
    /// One member's view of a job: its rank and the barrier.
    struct Member {
        fileprivate let team: SpinTeam
        /// 0 (the caller of ``SpinTeam/run(_:)``) … `size − 1`.
        let rank: Int
        /// Members in the team.
        var size: Int { team.size }
        /// Waits until every member has reached this point as often as this one.
        func sync() { team.barrier(rank) }
    }

    /// Threads in the team, the caller of ``run(_:)`` included.
    let size: Int
    /// How long a helper spins for the next job before it sleeps.
    static let idleSpin: UInt64 = 200_000  // ns
    /// Spins at a barrier before each wait also yields the processor.
    static let barrierSpins = 4096

    /// Bumped once per job (and by ``stop()``); helpers wait for it to change.
    private let generation = Atomic<Int>(0)
    /// Barrier arrivals since the team started; never reset, so a member still reading it after
    /// the last barrier of a job cannot be confused by the next job.
    private let arrived = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    /// Per member: barriers passed since the team started (each member writes only its own).
    private let passed: UnsafeMutablePointer<Int>
    private let sleep = NSCondition()
    /// The current job; written by the caller before the generation bump (release), read by
    /// the helpers after seeing it (acquire).
    private var job: ((Member) -> Void)?
    private let exited = Atomic<Int>(0)

    init(size: Int) {
        self.size = max(1, size)
        passed = .allocate(capacity: self.size)
        passed.initialize(repeating: 0, count: self.size)
        for rank in 1..<self.size {
            let thread = Thread { [self] in helperLoop(rank: rank) }
            thread.stackSize = 1 << 20
            thread.name = "balmer-team-\(rank)"
            thread.start()
        }
    }

    deinit { passed.deallocate() }

    /// Runs `body` on every member (the caller as member 0) and returns when all have finished.
    func run(_ body: @escaping (Member) -> Void) {
        precondition(!stopping.load(ordering: .relaxed), "SpinTeam.run after stop()")
        guard size > 1 else {
            body(Member(team: self, rank: 0))
            return
        }
        job = body
        generation.wrappingAdd(1, ordering: .releasing)
        wakeSleepers()
        body(Member(team: self, rank: 0))
        barrier(0)
    }

    /// Ends the helpers and waits for them to exit. The team cannot run jobs afterwards.
    func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        generation.wrappingAdd(1, ordering: .releasing)
        wakeSleepers()
        while exited.load(ordering: .acquiring) < size - 1 { sched_yield() }
        job = nil
    }

    private func wakeSleepers() {
        sleep.lock()
        sleep.broadcast()
        sleep.unlock()
    }

    fileprivate func barrier(_ rank: Int) {
        passed[rank] += 1
        let target = passed[rank] * size
        arrived.wrappingAdd(1, ordering: .acquiringAndReleasing)
        var spins = 0
        while arrived.load(ordering: .acquiring) < target {
            spins += 1
            if spins < Self.barrierSpins {
                balmer_cpu_relax()
            } else {
                spins = 0
                sched_yield()
            }
        }
    }

    private func helperLoop(rank: Int) {
        var seen = 0
        while true {
            var current = generation.load(ordering: .acquiring)
            if current == seen {
                let start = DispatchTime.now().uptimeNanoseconds
                var spins = 0
                while current == seen {
                    balmer_cpu_relax()
                    spins += 1
                    if spins & 255 == 0, DispatchTime.now().uptimeNanoseconds - start > Self.idleSpin {
                        sleep.lock()
                        while generation.load(ordering: .acquiring) == seen { sleep.wait() }
                        sleep.unlock()
                    }
                    current = generation.load(ordering: .acquiring)
                }
            }
            seen = current
            if stopping.load(ordering: .acquiring) {
                exited.wrappingAdd(1, ordering: .releasing)
                return
            }
            let body = job!
            body(Member(team: self, rank: rank))
            barrier(rank)
        }
    }
}
