import Foundation

/// `balmer.tasks`: a spectrum to be labelled by an oracle. Key: `taskID`.
///
/// Carries a compact copy of the spectrum so a labeller needs no database or FITS access.
public struct TaskEvent: BalmerEvent, Hashable {
    public static let topic = BalmerTopic.tasks
    public static let schemaVersion = 1

    /// Why the spectrum is asked: `query` (most uncertain) or `precision` (random predicted target).
    public enum Kind: String, Codable, Sendable, Hashable {
        case query, precision
    }

    /// A downsampled copy of the spectrum.
    public struct CompactSpectrum: Codable, Sendable, Hashable {
        /// Flux samples across the H-alpha window (e.g. the 140 model inputs), evenly spaced.
        public var halphaFlux: [Float]
        /// `[start, end]` of the H-alpha window in Å (vacuum).
        public var halphaRange: [Double]
        /// Flux of the whole spectrum, downsampled to a few hundred evenly spaced samples.
        public var fullFlux: [Float]
        /// `[start, end]` of the whole spectrum in Å.
        public var fullRange: [Double]

        public init(halphaFlux: [Float], halphaRange: [Double], fullFlux: [Float], fullRange: [Double]) {
            self.halphaFlux = halphaFlux
            self.halphaRange = halphaRange
            self.fullFlux = fullFlux
            self.fullRange = fullRange
        }

        enum CodingKeys: String, CodingKey {
            case halphaFlux = "halpha_flux", halphaRange = "halpha_range", fullFlux = "full_flux", fullRange = "full_range"
        }
    }

    public var taskID: String
    public var batchID: String
    /// Active-learning iteration, 0-based.
    public var iteration: Int
    public var kind: Kind
    public var spectrumID: String
    public var modelVersion: String
    /// Class name → probability; each in [0, 1], summing to 1 (±0.001).
    public var probabilities: [String: Double]
    /// Shannon entropy of `probabilities` in nats.
    public var entropy: Double
    public var ra: Double?
    public var dec: Double?
    /// Path or URI of the FITS file.
    public var location: String
    public var spectrum: CompactSpectrum
    /// Survey of the spectrum (e.g. `lamost`), when known: picks the survey's own spectrum page.
    public var survey: String?
    /// Data release (e.g. `dr9`), when known.
    public var release: String?
    /// The survey's own key of the spectrum (e.g. a LAMOST obsid or file stem), when known.
    public var surveyKey: String?
    /// Object designation (e.g. `J052834.45+285337.8`), when known.
    public var designation: String?
    /// Modified Julian date of the observation, when known.
    public var mjd: Double?
    /// Signal-to-noise ratio (e.g. LAMOST `SNRR`), when known.
    public var snr: Double?
    /// A magnitude of the object, when known.
    public var magnitude: Double?

    public init(taskID: String, batchID: String, iteration: Int, kind: Kind, spectrumID: String, modelVersion: String,
                probabilities: [String: Double], entropy: Double, ra: Double? = nil, dec: Double? = nil,
                location: String, spectrum: CompactSpectrum, survey: String? = nil, release: String? = nil,
                surveyKey: String? = nil, designation: String? = nil, mjd: Double? = nil, snr: Double? = nil,
                magnitude: Double? = nil) {
        self.taskID = taskID
        self.batchID = batchID
        self.iteration = iteration
        self.kind = kind
        self.spectrumID = spectrumID
        self.modelVersion = modelVersion
        self.probabilities = probabilities
        self.entropy = entropy
        self.ra = ra
        self.dec = dec
        self.location = location
        self.spectrum = spectrum
        self.survey = survey
        self.release = release
        self.surveyKey = surveyKey
        self.designation = designation
        self.mjd = mjd
        self.snr = snr
        self.magnitude = magnitude
    }

    public var key: String { taskID }

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id", batchID = "batch_id", iteration, kind, spectrumID = "spectrum_id"
        case modelVersion = "model_version", probabilities, entropy, ra, dec, location, spectrum
        case survey, release, surveyKey = "survey_key", designation, mjd, snr, magnitude
    }

    public func validate(_ check: inout EventValidator) {
        check.identifier(taskID, "task_id")
        check.identifier(batchID, "batch_id")
        check.number(Double(iteration), "iteration", in: 0...1_000_000)
        check.identifier(spectrumID, "spectrum_id")
        check.identifier(modelVersion, "model_version")
        check.map(probabilities, "probabilities")
        for (name, probability) in probabilities.sorted(by: { $0.key < $1.key }) {
            check.number(probability, "probabilities.\(name)", in: 0...1)
        }
        let sum = probabilities.values.reduce(0, +)
        if sum.isFinite && abs(sum - 1) > 1e-3 {
            check.fail(.invalidValue(field: "probabilities", reason: "sum to \(sum), not 1"))
        }
        let maximum = log(Double(max(probabilities.count, 1))) + 1e-6
        check.number(entropy, "entropy", in: 0...maximum)
        check.position(ra: ra, dec: dec)
        check.text(location, "location", required: true)
        check.samples(spectrum.halphaFlux, "spectrum.halpha_flux")
        check.wavelengthRange(spectrum.halphaRange, "spectrum.halpha_range")
        check.text(survey, "survey")
        check.text(release, "release")
        check.text(surveyKey, "survey_key")
        check.text(designation, "designation")
        check.number(mjd, "mjd", in: 0...1_000_000)
        check.number(snr, "snr", in: -1e6...1e9)
        check.number(magnitude, "magnitude", in: -30...50)
        check.samples(spectrum.fullFlux, "spectrum.full_flux")
        check.wavelengthRange(spectrum.fullRange, "spectrum.full_range")
    }
}
