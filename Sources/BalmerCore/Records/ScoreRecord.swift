import Foundation

/// One model's verdict on one spectrum. Keyed by (spectrum, model version).
public struct ScoreRecord: Sendable, Hashable, Codable {
    public var spectrumID: SpectrumRecord.ID
    /// Version of the model that produced the score (see ``ModelRecord/version``).
    public var modelVersion: Int
    /// Softmax probabilities in ``SpectrumClass/allCases`` order (`single`, `double`, `other`).
    public var probabilities: [Float]
    /// The most probable class.
    public var predicted: SpectrumClass
    /// Shannon entropy H = −Σ p ln p of ``probabilities``, in nats.
    public var entropy: Float

    public init(
        spectrumID: SpectrumRecord.ID, modelVersion: Int, probabilities: [Float], predicted: SpectrumClass,
        entropy: Float
    ) {
        self.spectrumID = spectrumID
        self.modelVersion = modelVersion
        self.probabilities = probabilities
        self.predicted = predicted
        self.entropy = entropy
    }

    /// Builds a score from probabilities, deriving the predicted class (first maximum) and entropy.
    public init(spectrumID: SpectrumRecord.ID, modelVersion: Int, probabilities: [Float]) {
        var best = 0
        for i in probabilities.indices where probabilities[i] > probabilities[best] { best = i }
        let classes = SpectrumClass.allCases
        self.init(
            spectrumID: spectrumID, modelVersion: modelVersion, probabilities: probabilities,
            predicted: best < classes.count ? classes[best] : .other,
            entropy: ScoreRecord.entropy(of: probabilities))
    }

    /// H = −Σ p ln p in nats, skipping p ≤ 0.
    public static func entropy(of probabilities: [Float]) -> Float {
        var h: Float = 0
        for p in probabilities where p > 0 { h -= p * Float(Foundation.log(Double(p))) }
        return h
    }
}
