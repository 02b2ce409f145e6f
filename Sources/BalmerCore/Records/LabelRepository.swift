import Foundation

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
