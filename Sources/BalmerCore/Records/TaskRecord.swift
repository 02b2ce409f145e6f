import Foundation

/// Why a spectrum was sent to a labeller.
public enum TaskKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// Highest-entropy query: the answer is trained on.
    case query
    /// Random predicted target for the precision estimate: never trained on.
    case precision
}

/// Lifecycle of a labelling task.
public enum TaskStatus: String, Sendable, Codable, CaseIterable, Hashable {
    case open
    case answered
    case cancelled
}

/// A labelling task as published on `balmer.tasks`. Natural key: ``id``.
public struct TaskRecord: Sendable, Hashable, Codable {
    public var id: String
    /// Tasks published together (one query batch of 100, or one precision sample of 30).
    public var batchID: String
    /// Campaign iteration that created the task.
    public var iteration: Int
    public var kind: TaskKind
    public var spectrumID: SpectrumRecord.ID
    public var modelVersion: Int
    /// Probabilities in ``SpectrumClass/allCases`` order at the time of selection.
    public var probabilities: [Float]
    /// Entropy in nats at the time of selection.
    public var entropy: Float
    public var status: TaskStatus
    public var createdAt: Date
    public var answeredAt: Date?

    public init(
        id: String, batchID: String, iteration: Int, kind: TaskKind, spectrumID: SpectrumRecord.ID,
        modelVersion: Int, probabilities: [Float], entropy: Float, status: TaskStatus = .open,
        createdAt: Date = Date(), answeredAt: Date? = nil
    ) {
        self.id = id
        self.batchID = batchID
        self.iteration = iteration
        self.kind = kind
        self.spectrumID = spectrumID
        self.modelVersion = modelVersion
        self.probabilities = probabilities
        self.entropy = entropy
        self.status = status
        self.createdAt = createdAt
        self.answeredAt = answeredAt
    }
}
