import Foundation

/// An in-memory implementation of every repository, for unit tests of code that uses the store.
/// Semantics follow the PostgreSQL store (upserts on natural keys, ordering, filters), except
/// that timestamps keep full `Date` precision.
public actor InMemoryStore: BalmerRepositories {
    private var spectra: [SpectrumRecord] = []
    private var spectrumIndex: [SpectrumKey: Int] = [:]
    private var scoreTable: [ScoreKey: ScoreRecord] = [:]
    private var labelTable: [LabelRecord] = []
    private var labelKeys: Set<LabelKey> = []
    private var taskTable: [String: TaskRecord] = [:]
    private var modelTable: [Int: ModelRecord] = [:]
    private var weightTable: [Int: Data] = [:]
    private var iterationTable: [Int: IterationRecord] = [:]
    private var rejectTable: [RejectRecord] = []
    private var rejectKeys: Set<RejectKey> = []
    private var chunkTable: [Int: [RescoreChunk]] = [:]
    private var chunkClaims: [ChunkKey: Date] = [:]

    private struct ScoreKey: Hashable { var spectrum: Int64, model: Int }
    private struct LabelKey: Hashable { var spectrum: Int64, labeller: String, source: LabelSource, task: String }
    private struct RejectKey: Hashable { var source: String, key: String, reason: String, payload: Data }
    private struct ChunkKey: Hashable { var model: Int, chunk: Int }

    public init() {}

    // MARK: spectra

    public func upsertSpectra(_ records: [SpectrumRecord]) throws -> [SpectrumRecord.ID] {
        if let bad = records.first(where: { $0.features.count != SpectrumRecord.featureCount }) {
            throw RepositoryError.badFeatureCount(bad.features.count)
        }
        // Like the PostgreSQL store: new keys get ids in natural-key order, first occurrence wins.
        var firstOfKey: [SpectrumKey: SpectrumRecord] = [:]
        for r in records where spectrumIndex[r.key] == nil && firstOfKey[r.key] == nil { firstOfKey[r.key] = r }
        let newKeys = firstOfKey.keys.sorted { ($0.survey, $0.release, $0.key) < ($1.survey, $1.release, $1.key) }
        for key in newKeys {
            var stored = firstOfKey[key]!
            stored.id = Int64(spectra.count + 1)
            stored.ingestedAt = Date()
            spectrumIndex[key] = spectra.count
            spectra.append(stored)
        }
        return records.map { spectra[spectrumIndex[$0.key]!].id! }
    }

    public func spectrum(id: SpectrumRecord.ID) -> SpectrumRecord? {
        id >= 1 && id <= spectra.count ? spectra[Int(id) - 1] : nil
    }

    public func spectrumID(for key: SpectrumKey) -> SpectrumRecord.ID? {
        spectrumIndex[key].map { spectra[$0].id! }
    }

    public func spectrumCount() -> Int { spectra.count }

    public func spectrumIDBounds() -> ClosedRange<SpectrumRecord.ID>? {
        spectra.isEmpty ? nil : 1...Int64(spectra.count)
    }

    public func forEachFeatureBatch(
        ids: ClosedRange<SpectrumRecord.ID>, batchSize: Int,
        _ body: @Sendable ([(id: SpectrumRecord.ID, features: [Float])]) async throws -> Void
    ) async throws {
        let rows = spectra.filter { ids.contains($0.id!) }.map { (id: $0.id!, features: $0.features) }
        var start = 0
        while start < rows.count {
            let end = min(start + max(batchSize, 1), rows.count)
            try await body(Array(rows[start..<end]))
            start = end
        }
    }

    // MARK: scores

    public func upsertScores(_ scores: [ScoreRecord]) throws {
        for s in scores {
            guard spectrum(id: s.spectrumID) != nil, modelTable[s.modelVersion] != nil else {
                throw RepositoryError.notFound("spectrum \(s.spectrumID) or model \(s.modelVersion)")
            }
            let key = ScoreKey(spectrum: s.spectrumID, model: s.modelVersion)
            if scoreTable[key] == nil { scoreTable[key] = s }
        }
    }

    public func scores(spectrumID: SpectrumRecord.ID) -> [ScoreRecord] {
        scoreTable.values.filter { $0.spectrumID == spectrumID }.sorted { $0.modelVersion < $1.modelVersion }
    }

    public func scoreCount(modelVersion: Int) -> Int {
        scoreTable.values.count { $0.modelVersion == modelVersion }
    }

    public func mostUncertain(modelVersion: Int, limit: Int) -> [ScoreRecord] {
        let trained = Set(labelTable.filter { $0.source != .precision }.map(\.spectrumID))
        let tasked = Set(taskTable.values.filter { $0.status == .open }.map(\.spectrumID))
        return scoreTable.values
            .filter { $0.modelVersion == modelVersion && !trained.contains($0.spectrumID) && !tasked.contains($0.spectrumID) }
            .sorted { ($0.entropy, $1.spectrumID) > ($1.entropy, $0.spectrumID) }
            .prefix(max(limit, 0)).map { $0 }
    }

    public func unlabelledPredictedTargets(modelVersion: Int, limit: Int) -> [ScoreRecord] {
        let labelled = Set(labelTable.map(\.spectrumID))
        return scoreTable.values
            .filter { $0.modelVersion == modelVersion && $0.predicted.isTarget && !labelled.contains($0.spectrumID) }
            .shuffled().prefix(max(limit, 0)).map { $0 }
    }

    // MARK: labels

    public func upsertLabels(_ labels: [LabelRecord]) throws {
        for l in labels {
            guard spectrum(id: l.spectrumID) != nil else { throw RepositoryError.notFound("spectrum \(l.spectrumID)") }
            let key = LabelKey(spectrum: l.spectrumID, labeller: l.labeller, source: l.source, task: l.taskID ?? "")
            if labelKeys.insert(key).inserted { labelTable.append(l) }
        }
    }

    public func labels(spectrumID: SpectrumRecord.ID) -> [LabelRecord] {
        labelTable.filter { $0.spectrumID == spectrumID }.sorted { $0.labelledAt < $1.labelledAt }
    }

    public func labels(sources: Set<LabelSource>) -> [LabelRecord] {
        labelTable.filter { sources.contains($0.source) }.sorted { $0.labelledAt < $1.labelledAt }
    }

    public func labelCount(sources: Set<LabelSource>, since: Date?) -> Int {
        labelTable.count { label in sources.contains(label.source) && (since.map { label.labelledAt > $0 } ?? true) }
    }

    // MARK: tasks

    public func upsertTasks(_ tasks: [TaskRecord]) throws {
        for t in tasks where taskTable[t.id] == nil {
            guard spectrum(id: t.spectrumID) != nil else { throw RepositoryError.notFound("spectrum \(t.spectrumID)") }
            taskTable[t.id] = t
        }
    }

    public func task(id: String) -> TaskRecord? { taskTable[id] }

    public func openTasks(kind: TaskKind?) -> [TaskRecord] {
        taskTable.values.filter { $0.status == .open && (kind == nil || $0.kind == kind) }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func markTaskAnswered(id: String, at: Date) -> Bool {
        guard var t = taskTable[id] else { return false }
        if t.status == .open {
            t.status = .answered
            t.answeredAt = at
            taskTable[id] = t
        }
        return true
    }

    // MARK: models

    public func registerModel(_ model: ModelRecord, weights: Data) {
        guard modelTable[model.version] == nil else { return }
        modelTable[model.version] = model
        weightTable[model.version] = weights
    }

    public func model(version: Int) -> ModelRecord? { modelTable[version] }
    public func modelWeights(version: Int) -> Data? { weightTable[version] }
    public func activeModel() -> ModelRecord? { modelTable.values.first { $0.status == .active } }

    public func activateModel(version: Int) throws {
        guard modelTable[version] != nil else { throw RepositoryError.notFound("model \(version)") }
        for (v, m) in modelTable where m.status == .active && v != version { modelTable[v]!.status = .retired }
        modelTable[version]!.status = .active
    }

    public func setModelStatus(version: Int, status: ModelStatus) throws {
        guard modelTable[version] != nil else { throw RepositoryError.notFound("model \(version)") }
        if status == .active { return try activateModel(version: version) }
        modelTable[version]!.status = status
    }

    public func models() -> [ModelRecord] { modelTable.values.sorted { $0.version < $1.version } }

    // MARK: iterations

    public func saveIteration(_ iteration: IterationRecord) { iterationTable[iteration.iteration] = iteration }
    public func iterations() -> [IterationRecord] { iterationTable.values.sorted { $0.iteration < $1.iteration } }

    // MARK: rejects

    public func recordRejects(_ rejects: [RejectRecord]) {
        for r in rejects where rejectKeys.insert(RejectKey(source: r.source, key: r.key, reason: r.reason, payload: r.payload)).inserted {
            rejectTable.append(r)
        }
    }

    public func rejectCount(source: String?) -> Int {
        rejectTable.count { source == nil || $0.source == source }
    }

    public func recentRejects(limit: Int) -> [RejectRecord] {
        Array(rejectTable.sorted { $0.rejectedAt > $1.rejectedAt }.prefix(max(limit, 0)))
    }

    // MARK: rescore chunks

    public func planRescore(modelVersion: Int, chunkSize: Int) -> Int {
        if let existing = chunkTable[modelVersion] { return existing.count }
        guard let bounds = spectrumIDBounds() else { chunkTable[modelVersion] = []; return 0 }
        let size = Int64(max(chunkSize, 1))
        var chunks: [RescoreChunk] = []
        var first = bounds.lowerBound
        while first <= bounds.upperBound {
            let last = min(first + size - 1, bounds.upperBound)
            chunks.append(RescoreChunk(modelVersion: modelVersion, chunk: chunks.count, firstID: first, lastID: last))
            first = last + 1
        }
        chunkTable[modelVersion] = chunks
        return chunks.count
    }

    public func claimRescoreChunk(modelVersion: Int, worker: String, staleAfter: TimeInterval) -> RescoreChunk? {
        guard var chunks = chunkTable[modelVersion] else { return nil }
        let now = Date()
        for i in chunks.indices {
            let key = ChunkKey(model: modelVersion, chunk: chunks[i].chunk)
            let stale = chunks[i].status == .claimed && (chunkClaims[key].map { now.timeIntervalSince($0) > staleAfter } ?? true)
            if chunks[i].status == .pending || stale {
                chunks[i].status = .claimed
                chunks[i].worker = worker
                chunkClaims[key] = now
                chunkTable[modelVersion] = chunks
                return chunks[i]
            }
        }
        return nil
    }

    public func completeRescoreChunk(modelVersion: Int, chunk: Int) {
        guard let i = chunkTable[modelVersion]?.firstIndex(where: { $0.chunk == chunk }) else { return }
        chunkTable[modelVersion]![i].status = .done
    }

    public func remainingRescoreChunks(modelVersion: Int) -> Int {
        chunkTable[modelVersion]?.count { $0.status != .done } ?? 0
    }

    // MARK: candidates

    public func candidates(_ query: CandidateQuery) -> [CandidateRecord] {
        guard let version = query.modelVersion ?? activeModel()?.version else { return [] }
        var rows: [CandidateRecord] = []
        for score in scoreTable.values where score.modelVersion == version {
            let s = spectra[Int(score.spectrumID) - 1]
            let all = labels(spectrumID: score.spectrumID)
            guard !all.contains(where: { $0.source == .initial }) else { continue }
            let latest = all.last
            let row = CandidateRecord(
                spectrumID: score.spectrumID, key: s.key, designation: s.designation, ra: s.ra, dec: s.dec,
                mjd: s.mjd, location: s.location, modelVersion: version, probabilities: score.probabilities,
                predicted: score.predicted, entropy: score.entropy, label: Self.usableLabel(all),
                labeller: latest?.labeller, labelSource: latest?.source)
            let cls = row.finalClass
            guard cls.isTarget, query.spectrumClass == nil || query.spectrumClass == cls else { continue }
            guard row.label != nil || Self.probability(row) >= query.minProbability else { continue }
            rows.append(row)
        }
        rows.sort { (Self.probability($1), $0.spectrumID) < (Self.probability($0), $1.spectrumID) }
        return query.limit.map { Array(rows.prefix($0)) } ?? rows
    }

    /// The usable oracle label of a spectrum: the only class given, else a strict majority of
    /// labellers, else `nil` (a conflict). Mirrors the `oracle_labels` view (resolutions aside).
    static func usableLabel(_ labels: [LabelRecord]) -> SpectrumClass? {
        var voters: [SpectrumClass: Set<String>] = [:]
        for l in labels where l.source != .initial { voters[l.label, default: []].insert(l.labeller) }
        let counts = voters.mapValues(\.count)
        let total = counts.values.reduce(0, +)
        guard let top = counts.max(by: { ($0.value, $1.key.rawValue) < ($1.value, $0.key.rawValue) }) else { return nil }
        return counts.count == 1 || top.value * 2 > total ? top.key : nil
    }

    /// Probability of the row's final class.
    static func probability(_ row: CandidateRecord) -> Float {
        let i = row.finalClass.index
        return i < row.probabilities.count ? row.probabilities[i] : 0
    }
}
