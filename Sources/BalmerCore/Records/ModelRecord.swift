import Foundation

/// Where a model stands in the registry. At most one model is ``active``.
public enum ModelStatus: String, Sendable, Codable, CaseIterable, Hashable {
    /// Trained, not yet validated or promoted.
    case candidate
    /// The model every instance scores with.
    case active
    /// Formerly active.
    case retired
    /// Failed validation.
    case rejected
}

/// A trained model in the registry (metadata; the weights blob is fetched separately because
/// it is megabytes). Natural key: ``version``.
public struct ModelRecord: Sendable, Hashable, Codable {
    /// Positive, increasing version number.
    public var version: Int
    /// The model this one was fine-tuned from, if any.
    public var parent: Int?
    public var createdAt: Date
    /// Training examples per class name (`single`, `double`, `other`), before SMOTE.
    public var trainingCounts: [String: Int]
    /// Validation metrics as a JSON object (free-form, stored as `jsonb`).
    public var metricsJSON: String
    /// Lower-case hex SHA-256 of the weights blob.
    public var sha256: String
    public var status: ModelStatus

    public init(
        version: Int, parent: Int? = nil, createdAt: Date = Date(), trainingCounts: [String: Int] = [:],
        metricsJSON: String = "{}", sha256: String, status: ModelStatus = .candidate
    ) {
        self.version = version
        self.parent = parent
        self.createdAt = createdAt
        self.trainingCounts = trainingCounts
        self.metricsJSON = metricsJSON
        self.sha256 = sha256
        self.status = status
    }
}
