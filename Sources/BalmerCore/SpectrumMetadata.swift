/// What a file says about its object and observation. Every field is optional: layouts differ.
public struct SpectrumMetadata: Sendable, Codable, Equatable, Hashable {
    /// Survey designation, e.g. `LAMOST J111021.94+274358.6`.
    public var designation: String?
    /// Right ascension in degrees (J2000).
    public var ra: Double?
    /// Declination in degrees (J2000).
    public var dec: Double?
    /// Modified Julian date of the observation.
    public var mjd: Double?
    /// Observation date as written in the file (`DATE-OBS`).
    public var date: String?
    /// Pipeline class, e.g. `STAR`, `GALAXY`, `QSO`.
    public var objectClass: String?
    /// Pipeline subclass, e.g. `G5`, `A1IV`.
    public var subclass: String?
    /// Signal-to-noise ratio in the red (r band) where known.
    public var snr: Double?
    /// Survey name: `LAMOST`, `SDSS`, `Ondrejov`.
    public var survey: String?
    /// Data release or pipeline version (`DATA_V`, else `VERSPIPE`/`VERS2D`).
    public var release: String?
    /// Object name (`OBJECT`), where the file has one.
    public var objectName: String?
    /// Base name of the file.
    public var fileName: String?

    public init(
        designation: String? = nil, ra: Double? = nil, dec: Double? = nil, mjd: Double? = nil,
        date: String? = nil, objectClass: String? = nil, subclass: String? = nil, snr: Double? = nil,
        survey: String? = nil, release: String? = nil, objectName: String? = nil, fileName: String? = nil
    ) {
        self.designation = designation
        self.ra = ra
        self.dec = dec
        self.mjd = mjd
        self.date = date
        self.objectClass = objectClass
        self.subclass = subclass
        self.snr = snr
        self.survey = survey
        self.release = release
        self.objectName = objectName
        self.fileName = fileName
    }
}
