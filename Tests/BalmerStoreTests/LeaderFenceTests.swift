import BalmerCore
@testable import BalmerStore
import Foundation
import Testing

/// Leader-only writes carry a ``LeaderFence`` checked in the write's own transaction.
@Suite struct LeaderFenceTests {
    /// Leader A acquires; its session is terminated; B acquires. A's fenced writes are refused
    /// (nothing written), B's go through, and unfenced writes are unaffected.
    @Test func deadLeadersWritesAreRefused() async throws {
        try await TestDatabase.withStore { store, db in
            let key = AdvisoryLockKey(name: TestDatabase.uniqueName("fence"))
            let config = PostgresConfiguration(url: db.url)
            let a = AdvisoryLeader(key: key, configuration: config)
            let b = AdvisoryLeader(key: key, configuration: config)
            #expect(try await a.tryAcquire())
            let fenceA = try #require(await a.fence())
            #expect(fenceA.key == key)
            let ids = try await store.upsertSpectra([Fixtures.spectrum(1), Fixtures.spectrum(2)])
            try await store.registerModel(Fixtures.model(1), weights: Data([1]))
            try await store.registerModel(Fixtures.model(2), weights: Data([2]))
            // While A holds the lock its fenced writes succeed.
            try await store.saveIteration(IterationRecord(iteration: 0, modelVersion: 1, startedAt: Date()), fence: fenceA)
            try await store.promoteModel(version: 1, decision: "by A", fence: fenceA)
            #expect(try await store.iterations().count == 1)

            let admin = try await db.adminConnection()
            try await admin.query("SELECT pg_terminate_backend($1::integer)", [fenceA.backendPID])
            #expect(try await Poll.until { try await b.tryAcquire() })
            let fenceB = try #require(await b.fence())
            #expect(fenceB.backendPID != fenceA.backendPID)

            // A still believes it leads until it next checks its session: its writes are refused.
            let task = TaskRecord(id: "t-a", batchID: "b", iteration: 1, kind: .query, spectrumID: ids[0], modelVersion: 1,
                                  probabilities: [0.4, 0.3, 0.3], entropy: 1)
            await #expect(throws: LeaderFence.Lost.self) {
                try await store.saveIteration(IterationRecord(iteration: 1, modelVersion: 2, startedAt: Date()), fence: fenceA)
            }
            await #expect(throws: LeaderFence.Lost.self) { try await store.upsertTasks([task], fence: fenceA) }
            await #expect(throws: LeaderFence.Lost.self) { try await store.markTasksPublished(["t-a"], fence: fenceA) }
            await #expect(throws: LeaderFence.Lost.self) { try await store.promoteModel(version: 2, decision: "by A", fence: fenceA) }
            await #expect(throws: LeaderFence.Lost.self) { try await store.markConverged(iteration: 0, fence: fenceA) }
            await #expect(throws: LeaderFence.Lost.self) { try await store.setFinalModel(1, finished: false, fence: fenceA) }
            let campaign = try await store.campaign()
            #expect(campaign.convergedAt == nil && campaign.finalModel == nil)
            #expect(try await store.iterations().map(\.iteration) == [0])
            #expect(try await store.activeModel()?.version == 1)
            #expect(try await store.unpublishedTasks().isEmpty)

            // B's fenced writes go through.
            try await store.upsertTasks([task], fence: fenceB)
            try await store.promoteModel(version: 2, decision: "by B", fence: fenceB)
            #expect(try await store.activeModel()?.version == 2)
            #expect(try await store.unpublishedTasks().map(\.id) == ["t-a"])
            #expect(try await !a.tryAcquire())
            #expect(await a.fence() == nil)
            await b.resign()
        }
    }
}

/// Polls `condition` every 50 ms for up to 5 s.
enum Poll {
    static func until(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await condition()
    }
}
