import BalmerCore
import BalmerStore
import Foundation
import Testing

/// The loop's repository API on PostgreSQL: answers, conflicts, training sets, lineage, rollback.
@Suite struct CampaignStoreTests {
    /// Two pool spectra tasked, one initial spectrum; returns their ids.
    private func seed(_ store: PostgresStore) async throws -> (pool: [Int64], initial: Int64) {
        let ids = try await store.upsertSpectra((0..<4).map { Fixtures.spectrum($0) }
            + [Fixtures.spectrum(9, survey: "ondrejov", release: "initial")])
        try await store.upsertLabels([LabelRecord(spectrumID: ids[4], label: .single, labeller: "dataset", source: .initial)])
        _ = try await store.registerTrainedModel(parent: nil, createdAt: Date(), trainingCounts: ["single": 1], metricsJSON: "{}",
                                                 sha256: String(repeating: "a", count: 64), weights: Data([1]), kind: .initial,
                                                 iteration: 0, oracleLabels: 0)
        try await store.promoteModel(version: 1, decision: "initial")
        try await store.upsertScores(ids.map { ScoreRecord(spectrumID: $0, modelVersion: 1, probabilities: [0.6, 0.1, 0.3]) })
        try await store.upsertTasks([
            TaskRecord(id: "q0", batchID: "b", iteration: 0, kind: .query, spectrumID: ids[0], modelVersion: 1, probabilities: [0.6, 0.1, 0.3], entropy: 0.9),
            TaskRecord(id: "q1", batchID: "b", iteration: 0, kind: .query, spectrumID: ids[1], modelVersion: 1, probabilities: [0.6, 0.1, 0.3], entropy: 0.9),
            TaskRecord(id: "q1b", batchID: "b", iteration: 0, kind: .query, spectrumID: ids[1], modelVersion: 1, probabilities: [0.6, 0.1, 0.3], entropy: 0.9),
            TaskRecord(id: "p2", batchID: "p", iteration: 0, kind: .precision, spectrumID: ids[2], modelVersion: 1, probabilities: [0.6, 0.1, 0.3], entropy: 0.9),
        ])
        return (Array(ids[0..<4]), ids[4])
    }

    @Test func answersAreIdempotentCorrectionsWinAndConflictsWaitForResolution() async throws {
        try await TestDatabase.withStore { store, _ in
            let (pool, initial) = try await seed(store)
            let t0 = Date(timeIntervalSince1970: 1_800_000_000)
            func answer(_ task: String, _ spectrum: Int64, _ label: SpectrumClass, _ who: String, _ dt: Double) -> OracleAnswer {
                OracleAnswer(taskID: task, spectrumID: String(spectrum), label: label, labeller: who, time: t0.addingTimeInterval(dt))
            }
            // A correction arriving before the original answer wins; redeliveries change nothing.
            #expect(try await store.recordOracleAnswer(answer("q0", pool[0], .double, "ana", 10)) == .stored)
            #expect(try await store.recordOracleAnswer(answer("q0", pool[0], .other, "ana", 0)) == .unchanged)
            #expect(try await store.recordOracleAnswer(answer("q0", pool[0], .double, "ana", 10)) == .unchanged)
            #expect(try await store.recordOracleAnswer(answer("q0", pool[0], .single, "ana", 20)) == .corrected)
            #expect(try await store.labels(spectrumID: pool[0]).map(\.label) == [.single])
            // Refusals carry a reason.
            #expect(try await store.recordOracleAnswer(answer("nope", pool[0], .single, "ana", 0)) == .refused(code: "unknown-task", reason: "no task nope"))
            if case .refused(let code, _) = try await store.recordOracleAnswer(answer("q0", pool[1], .single, "ana", 30)) {
                #expect(code == "spectrum-mismatch")
            } else { Issue.record("a mismatching spectrum id was accepted") }
            // Two labellers disagree on spectrum 1: a conflict, not trained on until resolved.
            _ = try await store.recordOracleAnswer(answer("q1", pool[1], .single, "ana", 1))
            _ = try await store.recordOracleAnswer(answer("q1b", pool[1], .other, "bo", 2))
            #expect(try await store.labelConflicts(unresolvedOnly: true).map(\.spectrumID) == [pool[1]])
            var training = try await store.trainingSet()
            #expect(Set(training.map(\.spectrumID)) == [initial, pool[0]])
            #expect(training.first { $0.spectrumID == pool[0] }?.fromOracle == true)
            #expect(try await store.trainableOracleLabelCount() == 1)
            try await store.resolveLabel(spectrumID: pool[1], label: .other, by: "chief", note: "noise spike")
            #expect(try await store.labelConflicts(unresolvedOnly: true).isEmpty)
            #expect(try await store.labelConflicts().first?.resolvedBy == "chief")
            training = try await store.trainingSet()
            #expect(training.first { $0.spectrumID == pool[1] }?.label == .other)
            // Precision answers are never trained on, and close the sample.
            _ = try await store.recordOracleAnswer(answer("p2", pool[2], .single, "ana", 3))
            #expect(try await store.trainableOracleLabelCount() == 2)
            #expect(try await store.untrainedOracleLabels(limit: 10).map(\.spectrumID) == [pool[2]])
            #expect(try await store.precisionSample(iteration: 0).map(\.label) == [.single])
            let tasks = try await store.iterationTasks(iteration: 0)
            #expect(tasks.queryAsked == 3 && tasks.queryAnswered == 3 && tasks.precisionAsked == 1 && tasks.precisionAnswered == 1)
            // Candidates: oracle targets and predicted targets of the pool; never the initial set.
            let candidates = try await store.candidates(CandidateQuery()).map(\.spectrumID)
            #expect(!candidates.contains(initial))
            #expect(candidates.contains(pool[0]) && candidates.contains(pool[2]) && candidates.contains(pool[3]))
            #expect(!candidates.contains(pool[1]))  // resolved as other
            // The census of predicted targets: every pool spectrum the model calls a target, with
            // its usable label (resolved, answered or none yet); never the initial set.
            let census = try await store.predictedTargets(modelVersion: 1)
            #expect(census.map(\.spectrumID) == pool)
            #expect(census.map(\.label) == [.single, .other, .single, nil])
            #expect(census.allSatisfy { $0.predicted == .single })
            #expect(try await store.predictedTargets(modelVersion: 2).isEmpty)
        }
    }

    /// Answers read from the labels topic stand in the order balmerd read them (partition and
    /// offset), not by the labeller's clock; answers without a place keep the clock rule.
    @Test func answersStandInReceiveOrderNotByClientClock() async throws {
        try await TestDatabase.withStore { store, _ in
            let (pool, _) = try await seed(store)
            let t0 = Date(timeIntervalSince1970: 1_800_000_000)
            func answer(_ task: String, _ spectrum: Int64, _ label: SpectrumClass, _ dt: Double, at position: (Int32, Int64)?,
                        comment: String? = nil) -> OracleAnswer {
                OracleAnswer(taskID: task, spectrumID: String(spectrum), label: label, labeller: "ana", time: t0.addingTimeInterval(dt),
                             comment: comment, received: position.map { LabelPosition(partition: $0.0, offset: $0.1) },
                             signature: "sig-\(label.rawValue)-\(dt)")
            }
            func stored(_ task: String) async throws -> (label: String, offset: Int64?, signature: String?, time: Date)? {
                try await store.pool.withConnection { c in
                    try await c.query("SELECT label, received_offset, signature, labelled_at FROM labels WHERE task_id = $1", [task])
                        .first.map { (try $0.decode(0), try $0.decode(1), try $0.decode(2), try $0.decode(3)) }
                }
            }
            // A clock an hour ahead does not make the first answer stand: the one read later does.
            #expect(try await store.recordOracleAnswer(answer("q0", pool[0], .double, 3600, at: (0, 5))) == .stored)
            #expect(try await store.recordOracleAnswer(answer("q0", pool[0], .single, 0, at: (0, 7))) == .corrected)
            var row = try #require(try await stored("q0"))
            #expect(row.label == "single" && row.offset == 7 && row.signature == "sig-single-0.0" && row.time == t0)
            // A replay (reset offsets) reads the old answer at its old offset: no change; a redelivery neither.
            #expect(try await store.recordOracleAnswer(answer("q0", pool[0], .double, 3600, at: (0, 5))) == .unchanged)
            #expect(try await store.recordOracleAnswer(answer("q0", pool[0], .single, 0, at: (0, 7))) == .unchanged)
            // The same answer sent again moves the place on without a change, so a replay of what
            // came between cannot win either.
            #expect(try await store.recordOracleAnswer(answer("q0", pool[0], .single, 0, at: (0, 9))) == .unchanged)
            #expect(try await store.recordOracleAnswer(answer("q0", pool[0], .other, 7200, at: (0, 8))) == .unchanged)
            row = try #require(try await stored("q0"))
            #expect(row.label == "single" && row.offset == 9)
            // A changed comment alone is a correction.
            #expect(try await store.recordOracleAnswer(answer("q0", pool[0], .single, -60, at: (0, 12), comment: "faint")) == .corrected)
            // The topic got more partitions since: the answer read now stands.
            #expect(try await store.recordOracleAnswer(answer("q0", pool[0], .other, -120, at: (2, 0))) == .corrected)
            #expect(try await store.labels(spectrumID: pool[0]).map(\.label) == [.other])

            // A label stored without a place (before migration 4): the clock decides against it, then the places.
            #expect(try await store.recordOracleAnswer(answer("q1", pool[1], .single, 10, at: nil)) == .stored)
            #expect(try await store.recordOracleAnswer(answer("q1", pool[1], .double, 5, at: (1, 3))) == .unchanged)
            #expect(try await store.recordOracleAnswer(answer("q1", pool[1], .double, 20, at: (1, 3))) == .corrected)
            #expect(try await store.recordOracleAnswer(answer("q1", pool[1], .other, 30, at: (1, 2))) == .unchanged)
            #expect(try await stored("q1")?.label == "double")
        }
    }

    @Test func lineagePromotionAndRollbackNeverFlipFlop() async throws {
        try await TestDatabase.withStore { store, _ in
            _ = try await seed(store)
            var versions: [Int] = [1]
            for i in 2...3 {
                let v = try await store.registerTrainedModel(
                    parent: versions.last, createdAt: Date(), trainingCounts: [:], metricsJSON: #"{"heldout_accuracy": 0.9}"#,
                    sha256: String(repeating: String(i), count: 64), weights: Data([UInt8(i)]), kind: .loop, iteration: i - 1,
                    oracleLabels: 10 * i)
                try await store.promoteModel(version: v, decision: "promoted \(i)")
                try await store.markRescored(version: v)
                versions.append(v)
            }
            #expect(versions == [1, 2, 3])
            // The same weights register once.
            #expect(try await store.registerTrainedModel(
                parent: 3, createdAt: Date(), trainingCounts: [:], metricsJSON: "{}", sha256: String(repeating: "3", count: 64),
                weights: Data([3]), kind: .loop, iteration: 9, oracleLabels: 0) == 3)
            #expect(try await store.rankingModel() == 3)
            let entries = try await store.modelEntries()
            #expect(entries.map(\.record.parent) == [nil, 1, 2])
            #expect(entries.map(\.kind) == [.initial, .loop, .loop])
            #expect(try await store.rollbackModel(reason: "bad") == (from: 3, to: 2))
            // v2's pool scores are incomplete again (spectra may have arrived): ranking stays on a complete model.
            #expect(try await store.activeEntry()?.rescoredAt == nil)
            #expect(try await store.rollbackModel(reason: "worse") == (from: 2, to: 1))
            await #expect(throws: RepositoryError.self) { try await store.rollbackModel(reason: "again") }
            #expect(try await store.activeModel()?.version == 1)
            #expect(try await store.modelEntry(version: 3)?.decision == "rolled back: bad")
        }
    }
}
