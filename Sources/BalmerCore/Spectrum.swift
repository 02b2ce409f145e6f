/// A 1-D spectrum as read from a file, before preprocessing.
///
/// `wavelength` is in Å in the file's own ``frame``, increasing; `flux` is in the file's units
/// (often relative). `inverseVariance`, when the layout has it, marks bad pixels with 0.
public struct Spectrum: Sendable {
    public var layout: SpectrumLayout
    public var frame: WavelengthFrame
    /// Wavelengths in Å, one per pixel, increasing.
    public var wavelength: [Double]
    /// Flux per pixel, same count as `wavelength`.
    public var flux: [Double]
    /// Inverse variance per pixel (0 = bad), or `nil` when the layout does not carry it.
    public var inverseVariance: [Double]?
    public var metadata: SpectrumMetadata

    public init(
        layout: SpectrumLayout, frame: WavelengthFrame, wavelength: [Double], flux: [Double],
        inverseVariance: [Double]? = nil, metadata: SpectrumMetadata = SpectrumMetadata()
    ) {
        self.layout = layout
        self.frame = frame
        self.wavelength = wavelength
        self.flux = flux
        self.inverseVariance = inverseVariance
        self.metadata = metadata
    }
}
