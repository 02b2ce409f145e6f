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
