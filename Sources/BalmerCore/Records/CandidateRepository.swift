/// The final candidates for astronomers.
public protocol CandidateRepository: Sendable {
    /// Candidates of a model (default: the ranking model — the active one once its rescoring is
    /// complete): pool spectra (no initial label) whose usable oracle label, else prediction, is a
    /// target. The usable label is an explicit resolution, else the only class the labellers gave,
    /// else a strict majority; an unresolved conflict falls back to the prediction.
    /// Ordered by probability of the final class, descending, then spectrum id.
    func candidates(_ query: CandidateQuery) async throws -> [CandidateRecord]
}
