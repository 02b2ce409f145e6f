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
    /// Emission of ionised gas in the fibre (an H II region or diffuse gas in the Galactic plane)
    /// that sky subtraction left: narrow H-alpha with [N II] 6548/6583 and [S II] 6716/6731 Å at
    /// the gas's velocity, not the star's. The star's class is unchanged by it.
    case nebular
}
