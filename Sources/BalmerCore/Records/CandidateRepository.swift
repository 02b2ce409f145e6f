/// The final candidates for astronomers.
public protocol CandidateRepository: Sendable {
    /// Candidates of a model (default: active): spectra whose label, else prediction, is a target.
    /// Ordered by probability of the final class, descending, then spectrum id.
    func candidates(_ query: CandidateQuery) async throws -> [CandidateRecord]
}
