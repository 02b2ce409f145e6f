/// How a spectrum becomes a feature vector. Defaults are the paper's.
public struct PreprocessingConfig: Sendable, Equatable, Codable {
    /// Start of the window in Å (vacuum). Default 6519.
    public var windowStart: Double
    /// End of the window in Å (vacuum). Default 6732.
    public var windowEnd: Double
    /// Number of evenly spaced points over the window, both ends included. Default 140.
    public var points: Int
    /// Gaussian blur σ in native pixels before resampling; `nil` for none. σ = 7 turns CCD700
    /// spectra into LAMOST-like ones. The kernel is truncated at 4σ; edges are clamped.
    public var blurSigma: Double?
    /// Convert air wavelengths to vacuum (files in air only). Default true.
    public var convertAirToVacuum: Bool
    /// Largest fraction of bad pixels (inverse variance 0, or non-finite flux) allowed inside the
    /// window. Bad pixels are left out of the interpolation. Default 0.2.
    public var maxBadPixelFraction: Double
    /// Min–max scale the vector to [-1, 1]. Default true; false keeps the file's flux units
    /// (as the published Ondřejov dataset CSV does).
    public var scale: Bool

    public init(
        windowStart: Double = 6519, windowEnd: Double = 6732, points: Int = 140, blurSigma: Double? = nil,
        convertAirToVacuum: Bool = true, maxBadPixelFraction: Double = 0.2, scale: Bool = true
    ) {
        self.windowStart = windowStart
        self.windowEnd = windowEnd
        self.points = points
        self.blurSigma = blurSigma
        self.convertAirToVacuum = convertAirToVacuum
        self.maxBadPixelFraction = maxBadPixelFraction
        self.scale = scale
    }

    /// The paper's setup for survey spectra (LAMOST, SDSS): no blur.
    public static let survey = PreprocessingConfig()
    /// The paper's setup for CCD700 training spectra: blur σ = 7 px.
    public static let ccd700 = PreprocessingConfig(blurSigma: 7)

    /// The wavelengths of the output points (Å, vacuum), as numpy's `linspace(start, end, points)`.
    public var grid: [Double] {
        guard points > 1 else { return [windowStart] }
        let step = (windowEnd - windowStart) / Double(points - 1)
        return (0..<points).map { $0 == points - 1 ? windowEnd : windowStart + Double($0) * step }
    }
}
