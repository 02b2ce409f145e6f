import BalmerCore

/// The campaign's result: pool spectra predicted as targets plus spectra the oracle labelled as
/// targets; oracle-labelled non-targets are excluded whatever the prediction.
public enum CandidateSet {
    /// One candidate with the class it is listed under (the oracle's label when there is one).
    public struct Candidate: Sendable, Equatable {
        public var index: Int
        public var spectrumClass: SpectrumClass
        public var labelled: Bool
    }

    /// - Parameters:
    ///   - predicted: the predicted class of every pool spectrum.
    ///   - labels: oracle labels by pool index (query labels; precision-sample labels may be
    ///     included too: they are never trained on, but they are true).
    public static func build(predicted: [SpectrumClass], labels: [Int: SpectrumClass]) -> [Candidate] {
        predicted.indices.compactMap { i in
            if let label = labels[i] {
                return label.isTarget ? Candidate(index: i, spectrumClass: label, labelled: true) : nil
            }
            return predicted[i].isTarget ? Candidate(index: i, spectrumClass: predicted[i], labelled: false) : nil
        }
    }
}
