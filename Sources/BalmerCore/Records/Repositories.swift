import Foundation

// The store's interfaces, one protocol per record kind. `PostgresStore` (BalmerStore) and
// `InMemoryStore` implement all of them; method names are distinct so one type can conform to all.

/// Spectra and their feature vectors.
public protocol SpectrumRepository: Sendable {
    /// Stores spectra by natural key; a key already stored is left as it is.
    /// New keys of one batch get increasing ids in natural-key order (survey, release, key) —
    /// the order concurrent writers lock in; the first occurrence of a key in a batch wins.
    /// - Returns: the store's id for each input, in input order (existing ids for replays).
    func upsertSpectra(_ spectra: [SpectrumRecord]) async throws -> [SpectrumRecord.ID]
    /// The spectrum with this id, with its features.
    func spectrum(id: SpectrumRecord.ID) async throws -> SpectrumRecord?
    /// The id stored under a natural key.
    func spectrumID(for key: SpectrumKey) async throws -> SpectrumRecord.ID?
    /// Number of stored spectra.
    func spectrumCount() async throws -> Int
    /// Smallest and largest stored id, or `nil` when empty.
    func spectrumIDBounds() async throws -> ClosedRange<SpectrumRecord.ID>?
    /// Streams `(id, features)` for every spectrum with an id in `ids`, in id order, in batches
    /// of at most `batchSize` (default 4096). This is the rescoring read path.
    func forEachFeatureBatch(
        ids: ClosedRange<SpectrumRecord.ID>, batchSize: Int,
        _ body: @Sendable ([(id: SpectrumRecord.ID, features: [Float])]) async throws -> Void
    ) async throws
}

/// Model scores, ranking and sampling for the learning loop.
public protocol ScoreRepository: Sendable {
    /// Stores scores keyed by (spectrum, model); a pair already stored is left as it is.
    /// Throws ``RepositoryError/notFound(_:)`` (storing nothing) if a spectrum or model is unknown.
    func upsertScores(_ scores: [ScoreRecord]) async throws
    /// Every score of one spectrum, by model version.
    func scores(spectrumID: SpectrumRecord.ID) async throws -> [ScoreRecord]
    /// Number of scores a model has.
    func scoreCount(modelVersion: Int) async throws -> Int
    /// The pool query: the `limit` highest-entropy scores of a model among spectra with no
    /// `initial` or `query` label and no open task; ties broken by spectrum id.
    func mostUncertain(modelVersion: Int, limit: Int) async throws -> [ScoreRecord]
    /// Scores of spectra the model predicts as targets (`single`/`double`) that carry no label,
    /// in a random order (precision sampling draws from this).
    func unlabelledPredictedTargets(modelVersion: Int, limit: Int) async throws -> [ScoreRecord]
}

/// Labels from the initial set and from oracles.
public protocol LabelRepository: Sendable {
    /// Stores labels keyed by (spectrum, labeller, source, task); replays change nothing.
    func upsertLabels(_ labels: [LabelRecord]) async throws
    /// Labels of one spectrum, oldest first.
    func labels(spectrumID: SpectrumRecord.ID) async throws -> [LabelRecord]
    /// Every label from the given sources, oldest first.
    func labels(sources: Set<LabelSource>) async throws -> [LabelRecord]
    /// Number of labels from the given sources labelled after `since` (all when `nil`).
    func labelCount(sources: Set<LabelSource>, since: Date?) async throws -> Int
}

/// Labelling tasks.
public protocol TaskRepository: Sendable {
    /// Stores tasks keyed by id; replays change nothing.
    func upsertTasks(_ tasks: [TaskRecord]) async throws
    func task(id: String) async throws -> TaskRecord?
    /// Open tasks, optionally of one kind, oldest first.
    func openTasks(kind: TaskKind?) async throws -> [TaskRecord]
    /// Marks a task answered (idempotent). Returns `false` when no such task exists.
    func markTaskAnswered(id: String, at: Date) async throws -> Bool
}

/// The model registry.
public protocol ModelRepository: Sendable {
    /// Registers a model with its weights; a version already stored is left as it is.
    func registerModel(_ model: ModelRecord, weights: Data) async throws
    func model(version: Int) async throws -> ModelRecord?
    /// The weights blob of a model.
    func modelWeights(version: Int) async throws -> Data?
    /// The active model, if any.
    func activeModel() async throws -> ModelRecord?
    /// Makes `version` the only active model, retiring the previous one, atomically.
    func activateModel(version: Int) async throws
    /// Sets a model's status (use ``activateModel(version:)`` to activate).
    func setModelStatus(version: Int, status: ModelStatus) async throws
    /// All models by version.
    func models() async throws -> [ModelRecord]
}

/// Campaign history.
public protocol IterationRepository: Sendable {
    /// Inserts or replaces the record of an iteration (an iteration is updated as it proceeds).
    func saveIteration(_ iteration: IterationRecord) async throws
    /// All iterations in order.
    func iterations() async throws -> [IterationRecord]
}

/// Rejected events and spectra.
public protocol RejectRepository: Sendable {
    /// Stores rejects; replays change nothing.
    func recordRejects(_ rejects: [RejectRecord]) async throws
    /// Number of rejects, optionally from one source.
    func rejectCount(source: String?) async throws -> Int
    /// The most recent rejects first.
    func recentRejects(limit: Int) async throws -> [RejectRecord]
}

/// Chunks of the pool to rescore after a model is promoted.
public protocol RescoreChunkRepository: Sendable {
    /// Splits the current id range into chunks of `chunkSize` ids for `modelVersion`.
    /// Idempotent: a model that already has chunks keeps them. Returns the number of chunks.
    func planRescore(modelVersion: Int, chunkSize: Int) async throws -> Int
    /// Claims one pending chunk (or one claimed longer than `staleAfter` seconds ago) for
    /// `worker`; concurrent claimers never receive the same chunk.
    func claimRescoreChunk(modelVersion: Int, worker: String, staleAfter: TimeInterval) async throws -> RescoreChunk?
    /// Marks a chunk done.
    func completeRescoreChunk(modelVersion: Int, chunk: Int) async throws
    /// Chunks not yet done.
    func remainingRescoreChunks(modelVersion: Int) async throws -> Int
}

/// The final candidates for astronomers.
public protocol CandidateRepository: Sendable {
    /// Candidates of a model (default: active): spectra whose label, else prediction, is a target.
    /// Ordered by probability of the final class, descending, then spectrum id.
    func candidates(_ query: CandidateQuery) async throws -> [CandidateRecord]
}

/// Everything the store offers.
public typealias BalmerRepositories = SpectrumRepository & ScoreRepository & LabelRepository & TaskRepository
    & ModelRepository & IterationRepository & RejectRepository & RescoreChunkRepository & CandidateRepository

/// Errors a repository raises for invalid requests (not for I/O).
public enum RepositoryError: Error, Equatable, CustomStringConvertible {
    /// A feature vector does not have ``SpectrumRecord/featureCount`` values.
    case badFeatureCount(Int)
    /// The referenced record does not exist.
    case notFound(String)

    public var description: String {
        switch self {
        case .badFeatureCount(let n): "feature vector has \(n) values, expected \(SpectrumRecord.featureCount)"
        case .notFound(let what): "not found: \(what)"
        }
    }
}
