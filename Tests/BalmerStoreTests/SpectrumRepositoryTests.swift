import BalmerCore
@testable import BalmerStore
import Foundation
import Synchronization
import Testing

@Suite struct SpectrumRepositoryTests {
    @Test func upsertsAndReadsBack() async throws {
        try await TestDatabase.withStore { store, _ in
            let input = (0..<20).map { Fixtures.spectrum($0) }
            let ids = try await store.upsertSpectra(input)
            #expect(ids.count == 20)
            #expect(Set(ids).count == 20)
            #expect(try await store.spectrumCount() == 20)
            let back = try #require(try await store.spectrum(id: ids[7]))
            #expect(back.key == input[7].key)
            #expect(back.features == input[7].features)
            #expect(back.ra == input[7].ra && back.dec == input[7].dec && back.mjd == input[7].mjd)
            #expect(back.designation == input[7].designation && back.location == input[7].location)
            #expect(back.ingestedAt != nil)
            #expect(try await store.spectrumID(for: input[3].key) == ids[3])
            #expect(try await store.spectrumID(for: SpectrumKey(survey: "LAMOST", release: "DR9", key: "nope")) == nil)
            #expect(try await store.spectrum(id: 999_999) == nil)
            let bounds = try #require(try await store.spectrumIDBounds())
            #expect(bounds.lowerBound == ids.min() && bounds.upperBound == ids.max())
        }
    }

    @Test func replayChangesNothing() async throws {
        try await TestDatabase.withStore { store, db in
            let input = (0..<30).map { Fixtures.spectrum($0) }
            let ids = try await store.upsertSpectra(input)
            var changed = input
            changed[0].location = "/elsewhere.fits"
            // A replay, with an in-batch duplicate and a new key at the end.
            let again = try await store.upsertSpectra(changed + [input[5], Fixtures.spectrum(30)])
            #expect(Array(again.prefix(30)) == ids)
            #expect(again[30] == ids[5])
            #expect(try await store.spectrumCount() == 31)
            #expect(try await store.spectrum(id: ids[0])?.location == input[0].location)
            // Same key in another release is another spectrum.
            _ = try await store.upsertSpectra([Fixtures.spectrum(0, release: "DR10")])
            #expect(try await store.spectrumCount() == 32)
            _ = db
        }
    }

    @Test func rejectsBadFeatureVectors() async throws {
        try await TestDatabase.withStore { store, _ in
            var bad = Fixtures.spectrum(1)
            bad.features = [1, 2, 3]
            await #expect(throws: RepositoryError.badFeatureCount(3)) { _ = try await store.upsertSpectra([bad]) }
            let count = try await store.spectrumCount()
            #expect(count == 0)
        }
    }

    @Test func streamsFeatureBatchesThroughCopy() async throws {
        try await TestDatabase.withStore { store, _ in
            let input = (0..<103).map { Fixtures.spectrum($0) }
            let ids = try await store.upsertSpectra(input)
            let byID = Dictionary(uniqueKeysWithValues: zip(ids, input.map(\.features)))
            let collected = Mutex<[(Int64, [Float])]>([])
            let batches = Mutex<[Int]>([])
            let lo = ids.min()! + 2
            let hi = ids.max()! - 1
            try await store.forEachFeatureBatch(ids: lo...hi, batchSize: 10) { batch in
                batches.withLock { $0.append(batch.count) }
                collected.withLock { $0 += batch.map { ($0.id, $0.features) } }
            }
            let rows = collected.withLock { $0 }
            #expect(rows.count == 100)
            #expect(rows.map(\.0) == Array(lo...hi))
            #expect(rows.allSatisfy { byID[$0.0] == $0.1 })
            #expect(batches.withLock { $0 } == Array(repeating: 10, count: 10))
        }
    }

    @Test func concurrentWritersStoreEachKeyOnce() async throws {
        try await TestDatabase.withStore(maxConnections: 4) { store, _ in
            // Four writers with overlapping key ranges, in different orders.
            try await withThrowingTaskGroup(of: [Int64].self) { group in
                for w in 0..<4 {
                    group.addTask {
                        var batch = (w * 50..<(w * 50 + 150)).map { Fixtures.spectrum($0) }
                        if w % 2 == 1 { batch.reverse() }
                        var ids: [Int64] = []
                        for part in stride(from: 0, to: batch.count, by: 50) {
                            ids += try await store.upsertSpectra(Array(batch[part..<(part + 50)]))
                        }
                        return ids
                    }
                }
                for try await ids in group { #expect(ids.count == 150) }
            }
            #expect(try await store.spectrumCount() == 300)
            let ids = try await store.upsertSpectra((0..<300).map { Fixtures.spectrum($0) })
            #expect(Set(ids).count == 300)
        }
    }
}

@Suite struct ScoreRepositoryTests {
    @Test func replayedAndOrphanScores() async throws {
        try await TestDatabase.withStore { store, _ in
            let ids = try await store.upsertSpectra((0..<10).map { Fixtures.spectrum($0) })
            try await store.registerModel(Fixtures.model(1), weights: Data([1]))
            let scores = ids.enumerated().map {
                ScoreRecord(spectrumID: $0.element, modelVersion: 1, probabilities: Fixtures.probabilities($0.offset))
            }
            try await store.upsertScores(Array(scores.prefix(6)))
            // Overlapping replay (takes the ON CONFLICT path) plus new rows.
            var altered = scores
            altered[0].entropy = 99
            try await store.upsertScores(altered)
            #expect(try await store.scoreCount(modelVersion: 1) == 10)
            #expect(try await store.scores(spectrumID: ids[0]).first?.entropy == scores[0].entropy)
            #expect(try await store.scores(spectrumID: ids[9]) == [scores[9]])
            await #expect(throws: RepositoryError.self) {
                try await store.upsertScores([ScoreRecord(spectrumID: 999_999, modelVersion: 1, probabilities: [1, 0, 0])])
            }
            await #expect(throws: RepositoryError.self) {
                try await store.upsertScores([ScoreRecord(spectrumID: ids[0], modelVersion: 7, probabilities: [1, 0, 0])])
            }
            #expect(try await store.scoreCount(modelVersion: 7) == 0)
        }
    }
}
