/// Precision of the predicted targets, estimated from a labelled random sample of them.
public struct PrecisionEstimate: Sendable, Codable, Equatable {
    /// Sample size.
    public var sampleSize: Int
    /// Spectra in the sample whose label matched the prediction.
    public var correct: Int
    /// correct / sampleSize.
    public var estimate: Double
    /// One-sided lower bound from Student's t: p̂ − t(confidence, n−1)·s/√n with s the sample
    /// standard deviation of the 0/1 outcomes (as the paper's authors computed it), clamped at 0.
    public var studentTLower: Double
    /// One-sided Clopper–Pearson (exact binomial) lower bound.
    public var clopperPearsonLower: Double
    /// Confidence of both bounds, default 0.95.
    public var confidence: Double

    /// Estimates precision from `correct` successes in `sampleSize` labelled predictions.
    public init(correct: Int, sampleSize: Int, confidence: Double = 0.95) {
        precondition(sampleSize > 0 && correct >= 0 && correct <= sampleSize)
        self.sampleSize = sampleSize
        self.correct = correct
        self.confidence = confidence
        let n = Double(sampleSize)
        let p = Double(correct) / n
        estimate = p
        if sampleSize > 1 {
            let variance = (Double(correct) * (1 - p) * (1 - p) + Double(sampleSize - correct) * p * p) / (n - 1)
            let t = Statistics.studentTQuantile(confidence, dof: n - 1)
            studentTLower = max(0, p - t * variance.squareRoot() / n.squareRoot())
        } else {
            studentTLower = 0
        }
        clopperPearsonLower = correct == 0 ? 0
            : Statistics.betaQuantile(1 - confidence, Double(correct), Double(sampleSize - correct + 1))
    }

    /// Whether a labelled spectrum counts as a correct prediction.
    public enum Match: String, Sendable, Codable {
        /// The label equals the predicted class (the paper's comparison).
        case exactClass = "exact"
        /// The label is a target class whenever the prediction is (single vs double not told apart).
        case anyTarget = "target"
    }
}
