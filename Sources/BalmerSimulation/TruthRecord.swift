import BalmerCore

/// What the simulator put into one file: the ground truth a simulated oracle answers with.
public struct TruthRecord: Sendable, Equatable, Hashable {
    /// Base name of the spectrum file, e.g. `spec-55919-B5591903_sp01-001.fits`.
    public var file: String
    /// The class a careful human would give: ``SpectrumClass/single``, ``SpectrumClass/double``
    /// or ``SpectrumClass/other``.
    public var label: SpectrumClass
    /// What the object is: a spectral type (`B`, `A`, `G`, `M-dwarf`…), an emitter kind (`Be`,
    /// `T Tauri`, `dMe`, `shell`, `CV`, `emission-in-absorption`) or `galaxy` / `qso`.
    public var subtype: String
    /// Signal-to-noise ratio per pixel of the continuum at 6564 Å (observed frame).
    public var snr: Double
    /// Radial velocity in km/s (stars, within ±700); for galaxies and QSOs the recession velocity c·z.
    public var radialVelocity: Double
    /// Survey defects and confounders present, e.g. `cosmic-ray`, `dead-pixels`, `arm-join`,
    /// `sky-residual`, `molecular-bands`, `low-snr`, `redshifted-line` (see ``Artefact``).
    public var artefacts: [String]

    public init(
        file: String, label: SpectrumClass, subtype: String, snr: Double, radialVelocity: Double,
        artefacts: [String] = []
    ) {
        self.file = file
        self.label = label
        self.subtype = subtype
        self.snr = snr
        self.radialVelocity = radialVelocity
        self.artefacts = artefacts
    }
}

/// The defects and confounders a survey spectrum may carry (the `artefacts` column of `truth.csv`).
public enum Artefact: String, Sendable, CaseIterable, Hashable {
    /// One or a few very high pixels (some inside the H-alpha window), not flagged in ivar.
    case cosmicRay = "cosmic-ray"
    /// Runs of pixels with zero flux and ivar = 0.
    case deadPixels = "dead-pixels"
    /// A flux step where the blue and red arms were joined (≈ 5700–5900 Å LAMOST, ≈ 5900–6100 Å SDSS).
    case armJoin = "arm-join"
    /// Residuals of night-sky lines ([O I] 5577/6300/6363, Na D, OH lines around H-alpha).
    case skyResidual = "sky-residual"
    /// TiO/CaH band heads of a cool star (6158, 6651, 6715, 7054 Å…) shaping the window.
    case molecularBands = "molecular-bands"
    /// Signal-to-noise ratio 2–5.
    case lowSNR = "low-snr"
    /// A galaxy or QSO line redshifted into 6519–6732 Å.
    case redshiftedLine = "redshifted-line"
}
