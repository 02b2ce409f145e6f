/// Campaign history.
public protocol IterationRepository: Sendable {
    /// Inserts or replaces the record of an iteration (an iteration is updated as it proceeds).
    func saveIteration(_ iteration: IterationRecord) async throws
    /// All iterations in order.
    func iterations() async throws -> [IterationRecord]
}
