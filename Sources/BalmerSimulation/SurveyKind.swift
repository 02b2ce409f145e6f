import BalmerCore

/// The surveys the simulator imitates. The raw value is the `--kind` spelling of `balmer simulate`.
public enum SurveyKind: String, Sendable, CaseIterable {
    /// LAMOST DR2–DR5 (pipeline 2.7.5): 5-row image, vacuum log-linear grid, R ≈ 1800.
    case lamostDR2 = "lamost-dr2"
    /// LAMOST DR9+ (`DATA_V = 'LAMOST DR9'`): `COADD` table, vacuum log-linear grid, R ≈ 1800.
    case lamostDR9 = "lamost-dr9"
    /// Ondřejov CCD700 IRAF 1-D: linear air grid, 1997 px of 0.2567 Å from ≈ 6253–6265 Å, R ≈ 13 000, ADU.
    case ccd700
    /// SDSS `spec-PLATE-MJD-FIBER`: vacuum log-linear grid from log λ ≈ 3.55, R ≈ 2000, 1e-17 erg/s/cm²/Å.
    case sdss

    /// The on-disk layout a file of this kind is written in.
    public var layout: SpectrumLayout {
        switch self {
        case .lamostDR2: .lamostDR2
        case .lamostDR9: .lamostDR9
        case .ccd700: .ondrejovIRAF
        case .sdss: .sdssSpec
        }
    }

    /// Whether this kind is a survey pool (artefacts, galaxies, QSOs) rather than clean training data.
    public var isSurvey: Bool { self != .ccd700 }

    /// Resolving power λ/Δλ (FWHM) of the instrument.
    public var resolvingPower: Double {
        switch self {
        case .lamostDR2, .lamostDR9: 1800
        case .ccd700: 13_000
        case .sdss: 2000
        }
    }

    /// The default class mix: ``ClassMix/ondrejov`` for CCD700, ``ClassMix/survey`` otherwise.
    public var defaultMix: ClassMix { self == .ccd700 ? .ondrejov : .survey }
}
