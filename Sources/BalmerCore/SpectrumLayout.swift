/// The on-disk layouts Balmer reads. Detected from the file's structure, never from its name.
public enum SpectrumLayout: String, Sendable, Codable, CaseIterable, Hashable {
    /// LAMOST DR1 (pipeline v2.6): 5-row image, row 3 is normalised flux; λ from COEFF0/COEFF1.
    case lamostDR1 = "lamost-dr1"
    /// LAMOST DR2–DR5 (pipeline v2.7): 5-row image, row 3 is the vacuum wavelength.
    case lamostDR2 = "lamost-dr2"
    /// LAMOST DR9+ (pipeline v2.9): `COADD` binary table with one row of vector columns.
    case lamostDR9 = "lamost-dr9"
    /// Ondřejov CCD700 IRAF 1-D image, linear air wavelengths.
    case ondrejovIRAF = "ondrejov-iraf"
    /// Ondřejov CCD700 VO (SSAP) table with `spectral` and `flux` columns, air wavelengths.
    case ondrejovVOTable = "ondrejov-votable"
    /// SDSS DR8+ `spec-` file: `COADD` table, one row per pixel, `loglam`.
    case sdssSpec = "sdss-spec"
    /// SDSS DR1–DR7 `spSpec` file: 4-row image, λ from COEFF0/COEFF1.
    case sdssSpSpec = "sdss-spspec"

    /// The wavelength frame the layout stores.
    public var frame: WavelengthFrame {
        switch self {
        case .ondrejovIRAF, .ondrejovVOTable: .air
        default: .vacuum
        }
    }

    /// The survey the layout belongs to.
    public var survey: String {
        switch self {
        case .lamostDR1, .lamostDR2, .lamostDR9: "LAMOST"
        case .ondrejovIRAF, .ondrejovVOTable: "Ondrejov"
        case .sdssSpec, .sdssSpSpec: "SDSS"
        }
    }
}

/// Whether wavelengths are measured in standard air or in vacuum.
public enum WavelengthFrame: String, Sendable, Codable, Hashable {
    case air
    case vacuum
}
