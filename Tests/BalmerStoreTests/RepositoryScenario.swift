import BalmerCore
import Foundation

/// One learning-loop scenario run against any store; the result uses natural keys only, so the
/// PostgreSQL store and the in-memory store can be compared.
struct RepositoryScenario {
    struct Outcome: Equatable {
        var spectra: Int
        var scoresModel2: Int
        var activeVersion: Int?
        var statuses: [ModelStatus]
        var weights: Data?
        var mostUncertain: [String]
        var mostUncertainEntropies: [Float]
        var targetSample: Set<String>
        var trainingLabels: Int
        var labelsSince: Int
        var openTasks: [String]
        var openQueryTasks: [String]
        var answered: TaskStatus?
        var iterations: [IterationRecord]
        var rejects: Int
        var rejectsFromBus: Int
        var candidates: [String]
        var doubleCandidates: [String]
        var confidentCandidates: [String]
        var model1Candidates: Int
        var chunks: Int
        var claimed: [Int]
        var remaining: Int
    }

    static let t0 = Date(timeIntervalSince1970: 1_760_000_000)

    static func run(_ store: some BalmerRepositories) async throws -> Outcome {
        let input = (0..<30).map { Fixtures.spectrum($0) }
        let ids = try await store.upsertSpectra(input)
        let keyOf = Dictionary(uniqueKeysWithValues: zip(ids, input.map(\.key.key)))
        let id = { (i: Int) in ids[i] }

        try await store.registerModel(Fixtures.model(1), weights: Data([1, 2, 3]))
        try await store.registerModel(Fixtures.model(2, parent: 1), weights: Data(repeating: 9, count: 1000))
        try await store.registerModel(Fixtures.model(2), weights: Data([0]))  // replay: ignored
        try await store.activateModel(version: 1)
        try await store.activateModel(version: 2)

        let scores2 = (0..<30).map { ScoreRecord(spectrumID: id($0), modelVersion: 2, probabilities: Fixtures.probabilities($0)) }
        try await store.upsertScores(scores2)
        try await store.upsertScores(scores2)  // replay
        try await store.upsertScores((0..<10).map {
            ScoreRecord(spectrumID: id($0), modelVersion: 1, probabilities: [0.1, 0.8, 0.1])
        })

        // Spectrum 0 (predicted single) labelled other; 2 (predicted other) labelled double;
        // 4 has a precision label; 1 an initial label.
        let labels = [
            LabelRecord(spectrumID: id(0), label: .other, labeller: "ana", source: .query, taskID: "t0", labelledAt: t0),
            LabelRecord(spectrumID: id(2), label: .double, labeller: "ana", source: .query, taskID: "t2",
                        labelledAt: t0.addingTimeInterval(10), comment: "clear double peak"),
            LabelRecord(spectrumID: id(4), label: .single, labeller: "bo", source: .precision, taskID: "p4",
                        labelledAt: t0.addingTimeInterval(20)),
            LabelRecord(spectrumID: id(1), label: .single, labeller: "dataset", source: .initial,
                        labelledAt: t0.addingTimeInterval(-100)),
        ]
        try await store.upsertLabels(labels)
        try await store.upsertLabels(labels)  // replay

        let tasks = [
            TaskRecord(id: "t5", batchID: "b1", iteration: 1, kind: .query, spectrumID: id(5), modelVersion: 2,
                       probabilities: Fixtures.probabilities(5), entropy: 1, createdAt: t0),
            TaskRecord(id: "t6", batchID: "b1", iteration: 1, kind: .query, spectrumID: id(6), modelVersion: 2,
                       probabilities: Fixtures.probabilities(6), entropy: 1, createdAt: t0.addingTimeInterval(1)),
            TaskRecord(id: "p7", batchID: "b2", iteration: 1, kind: .precision, spectrumID: id(7), modelVersion: 2,
                       probabilities: Fixtures.probabilities(7), entropy: 1, createdAt: t0.addingTimeInterval(2)),
        ]
        try await store.upsertTasks(tasks)
        try await store.upsertTasks(tasks)
        _ = try await store.markTaskAnswered(id: "t6", at: t0.addingTimeInterval(60))
        _ = try await store.markTaskAnswered(id: "t6", at: t0.addingTimeInterval(99))  // idempotent

        var it = IterationRecord(iteration: 0, modelVersion: 1, labelsUsed: 100, queried: 100, startedAt: t0)
        try await store.saveIteration(it)
        it.finishedAt = t0.addingTimeInterval(3600)
        it.precisionEstimate = 0.85
        it.precisionLowerBound = 0.71
        it.precisionSampleSize = 30
        try await store.saveIteration(it)
        try await store.saveIteration(IterationRecord(iteration: 1, modelVersion: 2, startedAt: t0.addingTimeInterval(7200)))

        let rejects = [
            RejectRecord(source: "balmer.spectra", key: "k1", reason: "bad-json", payload: Data([0xff, 0xfe, 0x00]), rejectedAt: t0),
            RejectRecord(source: "balmer.spectra", key: "k1", reason: "bad-json", payload: Data([0x01]), rejectedAt: t0),
            RejectRecord(source: "ingest", key: "obs9", reason: "window-not-covered", payload: Data("{}".utf8), rejectedAt: t0),
        ]
        try await store.recordRejects(rejects)
        try await store.recordRejects(rejects)

        let chunks = try await store.planRescore(modelVersion: 2, chunkSize: 8)
        _ = try await store.planRescore(modelVersion: 2, chunkSize: 3)  // already planned
        var claimed: [Int] = []
        while let c = try await store.claimRescoreChunk(modelVersion: 2, worker: "w", staleAfter: 600) {
            claimed.append(c.chunk)
            if c.chunk % 2 == 0 { try await store.completeRescoreChunk(modelVersion: 2, chunk: c.chunk) }
        }

        let uncertain = try await store.mostUncertain(modelVersion: 2, limit: 8)
        let sample = try await store.unlabelledPredictedTargets(modelVersion: 2, limit: 100)
        let models = try await store.models()
        return Outcome(
            spectra: try await store.spectrumCount(),
            scoresModel2: try await store.scoreCount(modelVersion: 2),
            activeVersion: try await store.activeModel()?.version,
            statuses: models.map(\.status),
            weights: try await store.modelWeights(version: 2),
            mostUncertain: uncertain.map { keyOf[$0.spectrumID]! },
            mostUncertainEntropies: uncertain.map(\.entropy),
            targetSample: Set(sample.map { keyOf[$0.spectrumID]! }),
            trainingLabels: try await store.labels(sources: [.initial, .query]).count,
            labelsSince: try await store.labelCount(sources: [.query, .precision], since: t0),
            openTasks: try await store.openTasks(kind: nil).map(\.id),
            openQueryTasks: try await store.openTasks(kind: .query).map(\.id),
            answered: try await store.task(id: "t6")?.status,
            iterations: try await store.iterations(),
            rejects: try await store.rejectCount(source: nil),
            rejectsFromBus: try await store.rejectCount(source: "balmer.spectra"),
            candidates: try await store.candidates(CandidateQuery()).map { $0.key.key },
            doubleCandidates: try await store.candidates(CandidateQuery(spectrumClass: .double)).map { $0.key.key },
            confidentCandidates: try await store.candidates(CandidateQuery(minProbability: 0.75)).map { $0.key.key },
            model1Candidates: try await store.candidates(CandidateQuery(modelVersion: 1)).count,
            chunks: chunks,
            claimed: claimed,
            remaining: try await store.remainingRescoreChunks(modelVersion: 2))
    }
}
