/// A row of the `candidates` view: a spectrum the active model predicts as a target, or one an
/// oracle labelled as a target, with its score and latest label.
public struct CandidateRecord: Sendable, Hashable, Codable {
    public var spectrumID: SpectrumRecord.ID
    public var key: SpectrumKey
    public var designation: String?
    /// Degrees (J2000).
    public var ra: Double?
    /// Degrees (J2000).
    public var dec: Double?
    public var mjd: Double?
    public var location: String
    public var modelVersion: Int
    /// Probabilities in ``SpectrumClass/allCases`` order.
    public var probabilities: [Float]
    public var predicted: SpectrumClass
    /// Entropy in nats.
    public var entropy: Float
    /// Latest oracle label, if any, and who gave it.
    public var label: SpectrumClass?
    public var labeller: String?
    public var labelSource: LabelSource?

    public init(
        spectrumID: SpectrumRecord.ID, key: SpectrumKey, designation: String? = nil, ra: Double? = nil,
        dec: Double? = nil, mjd: Double? = nil, location: String, modelVersion: Int, probabilities: [Float],
        predicted: SpectrumClass, entropy: Float, label: SpectrumClass? = nil, labeller: String? = nil,
        labelSource: LabelSource? = nil
    ) {
        self.spectrumID = spectrumID
        self.key = key
        self.designation = designation
        self.ra = ra
        self.dec = dec
        self.mjd = mjd
        self.location = location
        self.modelVersion = modelVersion
        self.probabilities = probabilities
        self.predicted = predicted
        self.entropy = entropy
        self.label = label
        self.labeller = labeller
        self.labelSource = labelSource
    }

    /// The class the campaign reports: the oracle's label when there is one, else the prediction.
    public var finalClass: SpectrumClass { label ?? predicted }
}

/// Filters for ``CandidateRepository/candidates(_:)``.
public struct CandidateQuery: Sendable, Hashable {
    /// Only this final class (label, else prediction); `nil` = every target class.
    public var spectrumClass: SpectrumClass?
    /// Minimum probability of the final class (labelled rows always pass). Default 0.
    public var minProbability: Float
    /// Model version; `nil` = the active model.
    public var modelVersion: Int?
    /// At most this many rows, highest probability first; `nil` = all.
    public var limit: Int?

    public init(
        spectrumClass: SpectrumClass? = nil, minProbability: Float = 0, modelVersion: Int? = nil, limit: Int? = nil
    ) {
        self.spectrumClass = spectrumClass
        self.minProbability = minProbability
        self.modelVersion = modelVersion
        self.limit = limit
    }
}
