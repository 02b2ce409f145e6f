import BalmerCore

/// The preprocessing presets of `--domain`.
enum LabelsImportDomain: String, Sendable {
    /// The paper's training domain: CCD700 spectra, air→vacuum, blur σ = 7 px.
    case ccd700
    /// Survey spectra (LAMOST, SDSS): no blur.
    case survey

    var config: PreprocessingConfig { self == .ccd700 ? .ccd700 : .survey }

    /// The preset for a detected layout: Ondřejov files are the training domain.
    static func forLayout(_ layout: SpectrumLayout) -> LabelsImportDomain {
        layout.survey == "Ondrejov" ? .ccd700 : .survey
    }
}
