/// `balmer.spectra`: a new spectrum file is available. Key: `spectrumID`.
///
/// JSON (schema 1): `{"schema":1,"spectrum_id":…,"survey":"LAMOST","release":"DR9",
/// "location":"/data/…fits.gz","ra":…,"dec":…,"mjd":…,"designation":…}`; the last four optional.
public struct SpectrumEvent: BalmerEvent, Hashable {
    public static let topic = BalmerTopic.spectra
    public static let schemaVersion = 1

    /// Survey-unique spectrum id (e.g. the file name without extension).
    public var spectrumID: String
    /// Survey name, e.g. `LAMOST`, `SDSS`.
    public var survey: String
    /// Data release, e.g. `DR9`.
    public var release: String
    /// Path or `file://` URI of the FITS file.
    public var location: String
    /// Right ascension in degrees [0, 360].
    public var ra: Double?
    /// Declination in degrees [-90, 90].
    public var dec: Double?
    /// Modified Julian date of the observation.
    public var mjd: Double?
    /// Survey designation, e.g. `J052000.00+300000.0`.
    public var designation: String?

    public init(spectrumID: String, survey: String, release: String, location: String,
                ra: Double? = nil, dec: Double? = nil, mjd: Double? = nil, designation: String? = nil) {
        self.spectrumID = spectrumID
        self.survey = survey
        self.release = release
        self.location = location
        self.ra = ra
        self.dec = dec
        self.mjd = mjd
        self.designation = designation
    }

    public var key: String { spectrumID }

    enum CodingKeys: String, CodingKey {
        case spectrumID = "spectrum_id", survey, release, location, ra, dec, mjd, designation
    }

    public func validate(_ check: inout EventValidator) {
        check.identifier(spectrumID, "spectrum_id")
        check.identifier(survey, "survey")
        check.identifier(release, "release")
        check.text(location, "location", required: true)
        check.position(ra: ra, dec: dec)
        check.number(mjd, "mjd", in: 0...100_000)
        if let designation { check.identifier(designation, "designation") }
    }
}
