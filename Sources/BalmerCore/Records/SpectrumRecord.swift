import Foundation

/// The natural key of a spectrum: the survey, its data release and the survey's own identifier
/// (e.g. LAMOST `obsid`, SDSS `plate-mjd-fiber`). Storing a spectrum twice under the same key
/// changes nothing.
public struct SpectrumKey: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Survey name: `LAMOST`, `SDSS`, `Ondrejov`, `synthetic`.
    public var survey: String
    /// Data release, e.g. `DR9`.
    public var release: String
    /// The survey's identifier of the spectrum within the release.
    public var key: String

    public init(survey: String, release: String, key: String) {
        self.survey = survey
        self.release = release
        self.key = key
    }

    public var description: String { "\(survey)/\(release)/\(key)" }
}

/// A preprocessed spectrum as the store keeps it: identity, sky position, where its file lives,
/// and the 140-point feature vector (so the archive can be rescored without touching FITS).
public struct SpectrumRecord: Sendable, Hashable, Codable {
    /// The store's surrogate identifier: positive and unique; ids of one batch increase, but the
    /// sequence hands out blocks per connection, so ids have gaps and interleave between writers.
    public typealias ID = Int64

    /// Length of ``features``: 140 points over 6519–6732 Å (vacuum), scaled to [-1, 1].
    public static let featureCount = 140

    /// Assigned by the store; `nil` for a record that has not been stored yet.
    public var id: ID?
    public var key: SpectrumKey
    /// Right ascension in degrees (J2000).
    public var ra: Double?
    /// Declination in degrees (J2000).
    public var dec: Double?
    /// Modified Julian date of the observation.
    public var mjd: Double?
    /// Survey designation, e.g. `LAMOST J111021.94+274358.6`.
    public var designation: String?
    /// Location of the FITS file: a path or a `file:` URI.
    public var location: String
    /// The feature vector, ``featureCount`` floats.
    public var features: [Float]
    /// When the store first received the spectrum; set by the store.
    public var ingestedAt: Date?

    public init(
        id: ID? = nil, key: SpectrumKey, ra: Double? = nil, dec: Double? = nil, mjd: Double? = nil,
        designation: String? = nil, location: String, features: [Float], ingestedAt: Date? = nil
    ) {
        self.id = id
        self.key = key
        self.ra = ra
        self.dec = dec
        self.mjd = mjd
        self.designation = designation
        self.location = location
        self.features = features
        self.ingestedAt = ingestedAt
    }

    /// Builds a record from a file's metadata (survey and release fall back to `"unknown"`).
    public init(key: String, metadata: SpectrumMetadata, location: String, features: [Float]) {
        self.init(
            key: SpectrumKey(
                survey: metadata.survey ?? "unknown", release: metadata.release ?? "unknown", key: key),
            ra: metadata.ra, dec: metadata.dec, mjd: metadata.mjd, designation: metadata.designation,
            location: location, features: features)
    }
}
