/// Why a spectrum yields no feature vector. Recorded with the spectrum, never silently dropped.
public struct PreprocessingReject: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// The spectrum does not cover the whole window.
        case noCoverage = "no-coverage"
        /// Wavelengths are not finite or not increasing.
        case badWavelengths = "bad-wavelengths"
        /// Flux values in the window are NaN or infinite beyond what the bad-pixel rule allows.
        case nonFinite = "non-finite"
        /// The flux is constant (e.g. all zero) over the window.
        case flatFlux = "flat-flux"
        /// Too many pixels in the window are flagged bad.
        case tooManyBadPixels = "bad-pixels"
    }

    public var kind: Kind
    /// One readable line with the numbers behind the decision.
    public var reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var description: String { "\(kind.rawValue): \(reason)" }
}
