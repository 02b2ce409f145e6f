/// Settings of an active-learning campaign. Defaults are the paper's.
public struct CampaignConfig: Sendable, Codable, Equatable {
    /// Spectra queried per iteration (default 100).
    public var batchSize: Int
    /// Random predicted targets labelled per iteration to estimate precision (default 30).
    public var precisionSampleSize: Int
    /// New query labels needed before retraining (default: the batch size).
    public var retrainAfter: Int
    /// When the campaign has converged.
    public var stopRule: StopRule
    /// Iterations after which the campaign ends even without converging (default 20).
    public var maxIterations: Int

    public init(
        batchSize: Int = 100, precisionSampleSize: Int = 30, retrainAfter: Int? = nil,
        stopRule: StopRule = StopRule(), maxIterations: Int = 20
    ) {
        self.batchSize = batchSize
        self.precisionSampleSize = precisionSampleSize
        self.retrainAfter = retrainAfter ?? batchSize
        self.stopRule = stopRule
        self.maxIterations = maxIterations
    }
}
