import BalmerCore

/// One simulated spectrum and its ground truth; `truth.file == spectrum.metadata.fileName`.
public struct SimulatedSpectrum: Sendable {
    /// Wavelengths in Å in the layout's frame (vacuum for LAMOST/SDSS, air for CCD700), flux in
    /// the survey's units, inverse variance (`nil` for CCD700, 0 = bad pixel) and metadata.
    public var spectrum: Spectrum
    /// What was put in.
    public var truth: TruthRecord

    public init(spectrum: Spectrum, truth: TruthRecord) {
        self.spectrum = spectrum
        self.truth = truth
    }
}
