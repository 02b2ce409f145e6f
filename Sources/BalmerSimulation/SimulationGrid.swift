import BalmerCore
import Foundation

/// The pixel grid of one simulated spectrum: wavelengths in Å in the survey's frame, increasing.
struct SimulationGrid: Sendable {
    /// Wavelength of each pixel, Å, in ``frame``.
    var wavelength: [Double]
    /// Air for CCD700, vacuum otherwise.
    var frame: WavelengthFrame
    /// Resolving power λ/FWHM.
    var resolvingPower: Double

    /// LAMOST: log10 λ₀ = 3.5682, 1e-4 dex per pixel (λ₀ = 3699.99 Å), vacuum.
    static let lamostLogLambda0 = 3.5682
    /// Log-linear step of LAMOST and SDSS, dex.
    static let logStep = 1e-4
    /// Pixel counts seen in real LAMOST files: 3890…3909.
    static let lamostPixelRange = 3890...3909
    /// CCD700: 1997 pixels of 0.2567 Å, first pixel between 6253 and 6265 Å (air).
    static let ccd700Pixels = 1997
    static let ccd700Step = 0.2567
    static let ccd700StartRange = 6253.0...6265.0
    /// SDSS: log10 λ₀ = 3.5500 + k·1e-4 with k in 0…30, 4600…4650 pixels (BOSS-like, to ≈ 10 300 Å).
    static let sdssLogLambda0 = 3.5500
    static let sdssStartSteps = 0...30
    static let sdssPixelRange = 4600...4650

    /// The longest LAMOST grid, computed once.
    private static let lamostFull: [Double] = (0..<lamostPixelRange.upperBound).map {
        pow(10, lamostLogLambda0 + logStep * Double($0))
    }
    /// The longest SDSS grid from log λ = 3.5500, computed once.
    private static let sdssFull: [Double] = (0..<(sdssStartSteps.upperBound + sdssPixelRange.upperBound)).map {
        pow(10, sdssLogLambda0 + logStep * Double($0))
    }

    /// The grid of a spectrum of `kind`; draws its pixel count / start from `rng`.
    static func make(kind: SurveyKind, rng: inout SeededGenerator) -> SimulationGrid {
        switch kind {
        case .lamostDR2, .lamostDR9:
            let n = rng.int(lamostPixelRange)
            return SimulationGrid(wavelength: Array(lamostFull[0..<n]), frame: .vacuum, resolvingPower: kind.resolvingPower)
        case .sdss:
            let k = rng.int(sdssStartSteps)
            let n = rng.int(sdssPixelRange)
            return SimulationGrid(wavelength: Array(sdssFull[k..<(k + n)]), frame: .vacuum, resolvingPower: kind.resolvingPower)
        case .ccd700:
            // Start rounded to 1e-4 Å like an IRAF CRVAL1.
            let start = (rng.uniform(ccd700StartRange.lowerBound, ccd700StartRange.upperBound) * 1e4).rounded() / 1e4
            let lambda = (0..<ccd700Pixels).map { start + ccd700Step * Double($0) }
            return SimulationGrid(wavelength: lambda, frame: .air, resolvingPower: kind.resolvingPower)
        }
    }

    /// Number of pixels.
    var count: Int { wavelength.count }

    /// Gaussian σ (Å) of the instrumental profile at `lambda` (FWHM = λ/R).
    @inline(__always)
    func instrumentalSigma(at lambda: Double) -> Double { lambda / (resolvingPower * 2.354_820_045) }

    /// Where a vacuum wavelength lands on this grid (converted to air for air grids).
    @inline(__always)
    func observed(vacuum lambda: Double) -> Double {
        frame == .air ? AirVacuum.air(fromVacuum: lambda) : lambda
    }

    /// The first pixel index whose wavelength is ≥ `lambda` (`count` when none).
    func lowerIndex(_ lambda: Double) -> Int {
        var lo = 0
        var hi = wavelength.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if wavelength[mid] < lambda { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Pixel indices with wavelengths in [lo, hi].
    func indices(from lo: Double, to hi: Double) -> Range<Int> {
        let a = lowerIndex(lo)
        let b = lowerIndex(hi.nextUp)
        return a..<max(a, b)
    }

    /// The index of the pixel nearest to `lambda`, clamped to the grid.
    func nearestIndex(_ lambda: Double) -> Int {
        let i = lowerIndex(lambda)
        if i >= count { return count - 1 }
        if i > 0 && lambda - wavelength[i - 1] < wavelength[i] - lambda { return i - 1 }
        return i
    }
}
