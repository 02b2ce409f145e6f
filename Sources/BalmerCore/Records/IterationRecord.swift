import Foundation

/// One iteration of the active-learning campaign. Natural key: ``iteration``.
public struct IterationRecord: Sendable, Hashable, Codable {
    /// 0-based iteration number.
    public var iteration: Int
    /// The model trained (or used) in this iteration.
    public var modelVersion: Int
    /// Labels the model was trained on (initial + query).
    public var labelsUsed: Int
    /// Query tasks published in this iteration.
    public var queried: Int
    /// Precision estimate from the precision sample, in [0, 1], if measured.
    public var precisionEstimate: Double?
    /// One-sided 95 % Student-t lower bound of the precision, if measured.
    public var precisionLowerBound: Double?
    /// Size of the precision sample (30 by default).
    public var precisionSampleSize: Int
    public var startedAt: Date
    public var finishedAt: Date?
    /// Whether the stop rule fired at the end of this iteration.
    public var converged: Bool

    public init(
        iteration: Int, modelVersion: Int, labelsUsed: Int = 0, queried: Int = 0,
        precisionEstimate: Double? = nil, precisionLowerBound: Double? = nil, precisionSampleSize: Int = 0,
        startedAt: Date = Date(), finishedAt: Date? = nil, converged: Bool = false
    ) {
        self.iteration = iteration
        self.modelVersion = modelVersion
        self.labelsUsed = labelsUsed
        self.queried = queried
        self.precisionEstimate = precisionEstimate
        self.precisionLowerBound = precisionLowerBound
        self.precisionSampleSize = precisionSampleSize
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.converged = converged
    }
}
