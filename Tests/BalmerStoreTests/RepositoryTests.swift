import BalmerCore
@testable import BalmerStore
import Foundation
import Testing

@Suite struct RepositoryTests {
    @Test func scenarioMatchesInMemoryStore() async throws {
        let memory = try await RepositoryScenario.run(InMemoryStore())
        let postgres = try await TestDatabase.withStore { store, _ in try await RepositoryScenario.run(store) }
        #expect(postgres == memory)

        // And the outcome itself is what the scenario implies.
        #expect(postgres.spectra == 30)
        #expect(postgres.scoresModel2 == 30)
        #expect(postgres.activeVersion == 2)
        #expect(postgres.statuses == [.retired, .active])
        #expect(postgres.weights == Data(repeating: 9, count: 1000))
        #expect(postgres.mostUncertain.count == 8)
        #expect(postgres.mostUncertainEntropies == postgres.mostUncertainEntropies.sorted(by: >))
        for excluded in ["obs0", "obs2", "obs1", "obs5"] { #expect(!postgres.mostUncertain.contains(excluded)) }
        // Precision labels do not remove a spectrum from the pool: obs4 ranks with its peers.
        let obs4Entropy = ScoreRecord.entropy(of: Fixtures.probabilities(4))
        #expect(postgres.mostUncertain.contains("obs4") == (obs4Entropy >= postgres.mostUncertainEntropies.last!))
        // Predicted targets (i % 3 != 2) without any label.
        let expectedSample = Set((0..<30).filter { $0 % 3 != 2 && ![0, 1, 2, 4].contains($0) }.map { "obs\($0)" })
        #expect(postgres.targetSample == expectedSample)
        #expect(postgres.trainingLabels == 3)
        #expect(postgres.labelsSince == 2)
        #expect(postgres.openTasks == ["t5", "p7"])
        #expect(postgres.openQueryTasks == ["t5"])
        #expect(postgres.answered == .answered)
        #expect(postgres.iterations.count == 2)
        #expect(postgres.iterations.first?.precisionLowerBound == 0.71)
        #expect(postgres.rejects == 3)
        #expect(postgres.rejectsFromBus == 2)
        #expect(!postgres.candidates.contains("obs0"))
        #expect(postgres.candidates.contains("obs2"))
        // + obs2, obs4 (oracle-labelled targets); obs1 has an initial label: training set, not pool.
        #expect(!postgres.candidates.contains("obs1"))
        #expect(postgres.candidates.count == expectedSample.count + 2)
        #expect(postgres.doubleCandidates.allSatisfy { k in Int(k.dropFirst(3)).map { $0 % 3 == 1 || $0 == 2 } == true })
        #expect(postgres.confidentCandidates.count < postgres.candidates.count)
        #expect(postgres.model1Candidates == 8)  // obs0 is labelled other, obs1 is in the initial set
        #expect(postgres.chunks == 4)
        #expect(postgres.claimed == [0, 1, 2, 3])
        #expect(postgres.remaining == 2)
    }

    @Test func recordsRoundTrip() async throws {
        try await TestDatabase.withStore { store, _ in
            let ids = try await store.upsertSpectra([Fixtures.spectrum(1)])
            let model = Fixtures.model(3)
            try await store.registerModel(model, weights: Data([7]))
            let back = try #require(try await store.model(version: 3))
            #expect(back.trainingCounts == model.trainingCounts)
            #expect(back.sha256 == model.sha256 && back.parent == nil && back.status == .candidate)
            #expect(abs(back.createdAt.timeIntervalSince(model.createdAt)) < 1e-5)
            let metrics = try JSONSerialization.jsonObject(with: Data(back.metricsJSON.utf8)) as? [String: Double]
            #expect(metrics == ["accuracy": 0.9])
            try await store.setModelStatus(version: 3, status: .rejected)
            #expect(try await store.model(version: 3)?.status == .rejected)
            await #expect(throws: RepositoryError.notFound("model 99")) { try await store.activateModel(version: 99) }

            let label = LabelRecord(spectrumID: ids[0], label: .double, labeller: "ana", source: .query, taskID: "t1",
                                    labelledAt: Date(timeIntervalSince1970: 1_760_000_000.5), comment: "ok")
            try await store.upsertLabels([label])
            #expect(try await store.labels(spectrumID: ids[0]) == [label])

            let reject = RejectRecord(source: "s", key: "", reason: "r", payload: Data([0, 0xff]),
                                      rejectedAt: Date(timeIntervalSince1970: 1_760_000_000.25))
            try await store.recordRejects([reject])
            #expect(try await store.recentRejects(limit: 5) == [reject])

            let task = TaskRecord(id: "t1", batchID: "b", iteration: 2, kind: .precision, spectrumID: ids[0],
                                  modelVersion: 3, probabilities: [0.2, 0.3, 0.5], entropy: 1.03,
                                  createdAt: Date(timeIntervalSince1970: 1_760_000_001))
            try await store.upsertTasks([task])
            #expect(try await store.task(id: "t1") == task)
            #expect(try await store.markTaskAnswered(id: "nope", at: Date()) == false)
        }
    }

    @Test func concurrentClaimersNeverShareAChunk() async throws {
        try await TestDatabase.withStore(maxConnections: 4) { store, _ in
            _ = try await store.upsertSpectra((0..<100).map { Fixtures.spectrum($0) })
            try await store.registerModel(Fixtures.model(1), weights: Data([1]))
            #expect(try await store.planRescore(modelVersion: 1, chunkSize: 5) == 20)
            let claims = try await withThrowingTaskGroup(of: [Int].self) { group in
                for w in 0..<4 {
                    group.addTask {
                        var mine: [Int] = []
                        while let c = try await store.claimRescoreChunk(modelVersion: 1, worker: "w\(w)", staleAfter: 600) {
                            #expect(c.worker == "w\(w)")
                            mine.append(c.chunk)
                            try await store.completeRescoreChunk(modelVersion: 1, chunk: c.chunk)
                        }
                        return mine
                    }
                }
                var all: [Int] = []
                for try await m in group { all += m }
                return all
            }
            #expect(claims.sorted() == Array(0..<20))
            #expect(try await store.remainingRescoreChunks(modelVersion: 1) == 0)
        }
    }
}

@Suite struct RescoringFlowTests {
    /// The rescoring loop every instance runs after a promotion: claim a chunk, stream its
    /// vectors, score them, store the scores, mark the chunk done.
    @Test func twoWorkersRescoreThePoolOnce() async throws {
        try await TestDatabase.withStore(maxConnections: 4) { store, _ in
            let ids = try await store.upsertSpectra((0..<230).map { Fixtures.spectrum($0) })
            try await store.registerModel(Fixtures.model(1), weights: Data([1]))
            try await store.registerModel(Fixtures.model(2, parent: 1), weights: Data([2]))
            try await store.activateModel(version: 2)
            #expect(try await store.planRescore(modelVersion: 2, chunkSize: 50) == 5)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<2 {
                    group.addTask {
                        while let chunk = try await store.claimRescoreChunk(modelVersion: 2, worker: "w\(w)", staleAfter: 600) {
                            try await store.forEachFeatureBatch(ids: chunk.firstID...chunk.lastID, batchSize: 16) { batch in
                                // A stand-in model: probabilities from the first two features.
                                let scores = batch.map { row in
                                    let a = (row.features[0] + 1) / 4, b = (row.features[1] + 1) / 4
                                    return ScoreRecord(spectrumID: row.id, modelVersion: 2, probabilities: [a, b, 1 - a - b])
                                }
                                try await store.upsertScores(scores)
                            }
                            try await store.completeRescoreChunk(modelVersion: 2, chunk: chunk.chunk)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.remainingRescoreChunks(modelVersion: 2) == 0)
            #expect(try await store.scoreCount(modelVersion: 2) == ids.count)
            let f = Fixtures.features(17)
            let expected: [Float] = [(f[0] + 1) / 4, (f[1] + 1) / 4, 1 - (f[0] + 1) / 4 - (f[1] + 1) / 4]
            #expect(try await store.scores(spectrumID: ids[17]).first?.probabilities == expected)
        }
    }
}
