/// Rejected events and spectra.
public protocol RejectRepository: Sendable {
    /// Stores rejects; replays change nothing.
    func recordRejects(_ rejects: [RejectRecord]) async throws
    /// Number of rejects, optionally from one source.
    func rejectCount(source: String?) async throws -> Int
    /// The most recent rejects first.
    func recentRejects(limit: Int) async throws -> [RejectRecord]
}
