import Foundation
import Testing
@testable import BalmerCore

@Suite struct RecordsInMemoryStoreTests {
    static func spectrum(_ i: Int) -> SpectrumRecord {
        SpectrumRecord(
            key: SpectrumKey(survey: "LAMOST", release: "DR9", key: "k\(i)"), ra: Double(i), dec: Double(-i),
            location: "/f\(i).fits", features: [Float](repeating: Float(i) / 100, count: SpectrumRecord.featureCount))
    }

    @Test func scoreDerivesPredictionAndEntropy() {
        let s = ScoreRecord(spectrumID: 1, modelVersion: 1, probabilities: [0.2, 0.7, 0.1])
        #expect(s.predicted == .double)
        let h = -(0.2 * log(0.2) + 0.7 * log(0.7) + 0.1 * log(0.1))
        #expect(abs(Double(s.entropy) - h) < 1e-6)
        #expect(ScoreRecord.entropy(of: [1, 0, 0]) == 0)
        #expect(abs(Double(ScoreRecord.entropy(of: [1.0 / 3, 1.0 / 3, 1.0 / 3])) - log(3.0)) < 1e-6)
    }

    @Test func recordFromMetadata() {
        let meta = SpectrumMetadata(designation: "J1", ra: 10, dec: 20, mjd: 55000, survey: "SDSS", release: "DR17")
        let r = SpectrumRecord(key: "1-2-3", metadata: meta, location: "/x.fits", features: [])
        #expect(r.key == SpectrumKey(survey: "SDSS", release: "DR17", key: "1-2-3"))
        #expect(r.ra == 10 && r.dec == 20 && r.mjd == 55000 && r.designation == "J1")
    }

    @Test func upsertsAreIdempotentAndIdsFollowKeyOrder() async throws {
        let store = InMemoryStore()
        let ids = try await store.upsertSpectra([Self.spectrum(2), Self.spectrum(1), Self.spectrum(2)])
        #expect(ids[0] == ids[2])
        #expect(ids[1] < ids[0])  // "k1" < "k2"
        var changed = Self.spectrum(1)
        changed.location = "/moved.fits"
        #expect(try await store.upsertSpectra([changed]) == [ids[1]])
        #expect(await store.spectrum(id: ids[1])?.location == "/f1.fits")
        #expect(await store.spectrumCount() == 2)
        await #expect(throws: RepositoryError.badFeatureCount(1)) {
            var bad = Self.spectrum(3)
            bad.features = [0]
            _ = try await store.upsertSpectra([bad])
        }
        await #expect(throws: RepositoryError.self) {
            try await store.upsertScores([ScoreRecord(spectrumID: ids[0], modelVersion: 9, probabilities: [1, 0, 0])])
        }
    }

    @Test func poolQueryAndPrecisionSample() async throws {
        let store = InMemoryStore()
        let ids = try await store.upsertSpectra((0..<10).map(Self.spectrum))
        await store.registerModel(ModelRecord(version: 1, sha256: String(repeating: "a", count: 64)), weights: Data())
        // Entropy grows with i; spectra 0–4 predicted single, 5–9 other.
        try await store.upsertScores(ids.enumerated().map { i, id in
            let margin = Float(i) / 20
            let p: [Float] = i < 5 ? [0.9 - margin, 0.05 + margin / 2, 0.05 + margin / 2]
                                   : [0.05 + margin / 2, 0.05 + margin / 2, 0.9 - margin]
            return ScoreRecord(spectrumID: id, modelVersion: 1, probabilities: p)
        })
        try await store.upsertLabels([LabelRecord(spectrumID: ids[9], label: .other, labeller: "a", source: .query, taskID: "t")])
        try await store.upsertTasks([TaskRecord(id: "t8", batchID: "b", iteration: 0, kind: .query, spectrumID: ids[8],
                                                modelVersion: 1, probabilities: [], entropy: 0)])
        let top = await store.mostUncertain(modelVersion: 1, limit: 3).map(\.spectrumID)
        // 8 has an open task and 9 a query label; the rest rank by entropy.
        var expected: [(Int64, Float)] = []
        for i in 0..<8 { expected.append((ids[i], await store.scores(spectrumID: ids[i])[0].entropy)) }
        expected.sort { $0.1 > $1.1 }
        #expect(top == expected.prefix(3).map(\.0))
        #expect(top.first == ids[7])
        let sample = await store.unlabelledPredictedTargets(modelVersion: 1, limit: 10)
        #expect(Set(sample.map(\.spectrumID)) == Set(ids[0..<5]))
    }

    @Test func modelsChunksAndCandidates() async throws {
        let store = InMemoryStore()
        let ids = try await store.upsertSpectra((0..<25).map(Self.spectrum))
        for v in 1...2 { await store.registerModel(ModelRecord(version: v, sha256: String(repeating: "b", count: 64)), weights: Data([UInt8(v)])) }
        try await store.activateModel(version: 1)
        try await store.activateModel(version: 2)
        #expect(await store.models().map(\.status) == [.retired, .active])
        #expect(await store.modelWeights(version: 2) == Data([2]))
        await #expect(throws: RepositoryError.notFound("model 3")) { try await store.activateModel(version: 3) }

        #expect(await store.planRescore(modelVersion: 2, chunkSize: 10) == 3)
        #expect(await store.planRescore(modelVersion: 2, chunkSize: 1) == 3)
        let a = await store.claimRescoreChunk(modelVersion: 2, worker: "a", staleAfter: 60)
        let b = await store.claimRescoreChunk(modelVersion: 2, worker: "b", staleAfter: 60)
        #expect(a?.chunk == 0 && b?.chunk == 1 && a?.lastID == ids.min()! + 9)
        await store.completeRescoreChunk(modelVersion: 2, chunk: 0)
        #expect(await store.remainingRescoreChunks(modelVersion: 2) == 2)
        // A claim older than staleAfter can be taken over.
        let c = await store.claimRescoreChunk(modelVersion: 2, worker: "c", staleAfter: -1)
        #expect(c?.chunk == 1 && c?.worker == "c")

        try await store.upsertScores(ids.map { ScoreRecord(spectrumID: $0, modelVersion: 2, probabilities: [0.6, 0.3, 0.1]) })
        try await store.upsertLabels([LabelRecord(spectrumID: ids[0], label: .other, labeller: "x", source: .query)])
        #expect(await store.candidates(CandidateQuery()).count == 24)
        #expect(await store.candidates(CandidateQuery(minProbability: 0.7)).isEmpty)
        #expect(await store.candidates(CandidateQuery(spectrumClass: .double)).isEmpty)
        #expect(await store.candidates(CandidateQuery(limit: 5)).count == 5)
    }
}
