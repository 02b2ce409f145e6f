import Foundation

/// Turns a ``Spectrum`` into the classifier's feature vector, or says why it cannot.
///
/// Steps (the paper's): air → vacuum when the file is in air; optional Gaussian blur in native
/// pixels; linear interpolation (numpy `interp` semantics) onto ``PreprocessingConfig/grid`` using
/// the good pixels only; per-spectrum min–max scaling onto [-1, 1]. Only the pixels around the
/// window are touched, so the cost does not grow with the spectrum's length.
public struct Preprocessor: Sendable {
    public let config: PreprocessingConfig
    private let grid: [Double]

    public init(config: PreprocessingConfig = .survey) {
        self.config = config
        self.grid = config.grid
    }

    /// The feature vector (`config.points` values) or the reason for rejecting the spectrum.
    public func features(of spectrum: Spectrum) -> Result<[Float], PreprocessingReject> {
        let lambda = spectrum.wavelength
        let flux = spectrum.flux
        let n = lambda.count
        guard n >= 2, flux.count == n, spectrum.inverseVariance.map({ $0.count == n }) ?? true else {
            return .failure(PreprocessingReject(.badWavelengths,
                "\(n) wavelengths for \(flux.count) flux values"))
        }
        let toVacuum = spectrum.frame == .air && config.convertAirToVacuum
        func vacuum(_ w: Double) -> Double { toVacuum ? AirVacuum.vacuum(fromAir: w) : w }
        guard lambda[0].isFinite, lambda[n - 1].isFinite, lambda[n - 1] > lambda[0] else {
            return .failure(PreprocessingReject(.badWavelengths, "wavelengths are not finite and increasing"))
        }
        let first = vacuum(lambda[0])
        let last = vacuum(lambda[n - 1])
        guard first <= config.windowStart, last >= config.windowEnd else {
            return .failure(PreprocessingReject(.noCoverage, String(
                format: "covers %.1f–%.1f Å, window is %.1f–%.1f Å", first, last, config.windowStart, config.windowEnd)))
        }

        // Native pixel range that brackets the window: lo ≤ window start, hi ≥ window end.
        let startNative = toVacuum ? AirVacuum.air(fromVacuum: config.windowStart) : config.windowStart
        let endNative = toVacuum ? AirVacuum.air(fromVacuum: config.windowEnd) : config.windowEnd
        let lo = max(0, Self.lastIndex(in: lambda, notAbove: startNative) - 1)
        let hi = min(n - 1, Self.lastIndex(in: lambda, notAbove: endNative) + 2)

        var wave = [Double](repeating: 0, count: hi - lo + 1)
        for i in lo...hi {
            let w = lambda[i]
            guard w.isFinite, i == lo || w > lambda[i - 1] else {
                return .failure(PreprocessingReject(.badWavelengths, "wavelengths are not increasing near pixel \(i)"))
            }
            wave[i - lo] = vacuum(w)
        }
        let values = config.blurSigma.map { Self.blurred(flux, sigma: $0, from: lo, to: hi) } ?? Array(flux[lo...hi])

        // Good pixels: finite flux and, where the layout has it, inverse variance > 0.
        var goodWave = [Double]()
        var goodFlux = [Double]()
        goodWave.reserveCapacity(wave.count)
        goodFlux.reserveCapacity(wave.count)
        var inWindow = 0
        var badInWindow = 0
        var nonFiniteInWindow = 0
        for k in 0..<wave.count {
            let ivarOK = spectrum.inverseVariance.map { $0[lo + k] > 0 } ?? true
            let finite = values[k].isFinite
            let inside = wave[k] >= config.windowStart && wave[k] <= config.windowEnd
            if inside {
                inWindow += 1
                if !finite { nonFiniteInWindow += 1 }
                if !(finite && ivarOK) { badInWindow += 1 }
            }
            if finite && ivarOK {
                goodWave.append(wave[k])
                goodFlux.append(values[k])
            }
        }
        let allowed = config.maxBadPixelFraction * Double(max(inWindow, 1))
        if Double(nonFiniteInWindow) > allowed {
            return .failure(PreprocessingReject(.nonFinite,
                "\(nonFiniteInWindow) of \(inWindow) pixels in the window are NaN or infinite"))
        }
        if Double(badInWindow) > allowed || goodWave.count < 2 {
            return .failure(PreprocessingReject(.tooManyBadPixels, String(
                format: "%d of %d pixels in the window are bad (limit %.0f %%)",
                badInWindow, inWindow, config.maxBadPixelFraction * 100)))
        }

        var out = Self.interpolate(grid, xp: goodWave, fp: goodFlux)
        // A range whose reciprocal overflows (subnormal) cannot be scaled: as flat as none.
        guard let lowest = out.min(), let highest = out.max(), highest > lowest, (2 / (highest - lowest)).isFinite else {
            return .failure(PreprocessingReject(.flatFlux, "flux is constant over the window"))
        }
        if config.scale, !FeatureScaling.minMax(&out) {
            return .failure(PreprocessingReject(.nonFinite, "flux range over the window is not finite"))
        }
        return .success(out)
    }

    /// Index of the last element ≤ `value` in increasing `values` (0 when none).
    static func lastIndex(in values: [Double], notAbove value: Double) -> Int {
        var low = 0
        var high = values.count - 1
        guard values[high] > value else { return high }
        while high - low > 1 {
            let mid = (low + high) / 2
            if values[mid] <= value { low = mid } else { high = mid }
        }
        return low
    }

    /// Gaussian blur of `flux[from...to]` with σ in pixels, kernel truncated at 4σ (radius
    /// `Int(4σ + 0.5)`), neighbours beyond the array's ends clamped to its end values.
    static func blurred(_ flux: [Double], sigma: Double, from: Int, to: Int) -> [Double] {
        guard sigma > 0 else { return Array(flux[from...to]) }
        let radius = Int(4 * sigma + 0.5)
        var kernel = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let total = kernel.reduce(0, +)
        for k in kernel.indices { kernel[k] /= total }
        let last = flux.count - 1
        return (from...to).map { i in
            var sum = 0.0
            for (k, weight) in kernel.enumerated() {
                let j = min(max(i + k - radius, 0), last)
                sum += weight * flux[j]
            }
            return sum
        }
    }

    /// numpy `interp(x, xp, fp)` for increasing `x` and `xp`: linear inside, end values outside.
    static func interpolate(_ x: [Double], xp: [Double], fp: [Double]) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        var j = 0
        let last = xp.count - 1
        for (i, value) in x.enumerated() {
            if value <= xp[0] {
                out[i] = Float(fp[0])
                continue
            }
            if value >= xp[last] {
                out[i] = Float(fp[last])
                continue
            }
            while xp[j + 1] < value { j += 1 }
            let t = (value - xp[j]) / (xp[j + 1] - xp[j])
            out[i] = Float(fp[j] + t * (fp[j + 1] - fp[j]))
        }
        return out
    }
}
