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
