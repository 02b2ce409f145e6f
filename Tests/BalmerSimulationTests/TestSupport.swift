import BalmerCore
import Foundation

@testable import BalmerSimulation

/// Measurements on generated spectra, shared by the tests.
enum Measure {
    static let c = 299_792.458

    /// Observed H-alpha centre (Å) in the spectrum's frame for a radial velocity (km/s).
    static func hAlphaCentre(_ spectrum: Spectrum, radialVelocity: Double) -> Double {
        let vac = AirVacuum.hAlphaVacuum * (1 + radialVelocity / c)
        return spectrum.frame == .air ? AirVacuum.air(fromVacuum: vac) : vac
    }

    /// Indices of usable pixels (ivar > 0 when present) with wavelength in [lo, hi].
    static func pixels(_ s: Spectrum, _ lo: Double, _ hi: Double) -> [Int] {
        s.wavelength.indices.filter { i in
            s.wavelength[i] >= lo && s.wavelength[i] <= hi && (s.inverseVariance.map { $0[i] > 0 } ?? true)
        }
    }

    static func median(_ values: [Double]) -> Double {
        let v = values.sorted()
        guard !v.isEmpty else { return .nan }
        return v.count % 2 == 1 ? v[v.count / 2] : 0.5 * (v[v.count / 2 - 1] + v[v.count / 2])
    }

    /// Local continuum: median flux 50–80 Å either side of `centre`.
    static func sidebandContinuum(_ s: Spectrum, centre: Double) -> Double {
        let idx = pixels(s, centre - 80, centre - 50) + pixels(s, centre + 50, centre + 74)
        return median(idx.map { s.flux[$0] })
    }

    /// Three-pixel running means of usable pixels within `halfWidth` Å of `centre`.
    static func smoothed(_ s: Spectrum, centre: Double, halfWidth: Double) -> [Double] {
        let idx = pixels(s, centre - halfWidth, centre + halfWidth)
        guard idx.count >= 3 else { return [] }
        return (1..<(idx.count - 1)).map { (s.flux[idx[$0 - 1]] + s.flux[idx[$0]] + s.flux[idx[$0 + 1]]) / 3 }
    }

    /// Robust per-pixel noise of a flux stretch: 1.4826 · MAD of first differences / √2.
    static func noise(_ s: Spectrum, _ lo: Double, _ hi: Double) -> Double {
        let idx = pixels(s, lo, hi)
        let d = (1..<idx.count).map { s.flux[idx[$0]] - s.flux[idx[$0 - 1]] }
        let m = median(d)
        return 1.4826 * median(d.map { abs($0 - m) }) / 2.0.squareRoot()
    }

    /// Binomial bounds (±`sigmas` σ) around `p·n`.
    static func binomialBounds(n: Int, p: Double, sigmas: Double = 4.5) -> ClosedRange<Double> {
        let mean = Double(n) * p
        let sd = (Double(n) * p * (1 - p)).squareRoot()
        return max(0, mean - sigmas * sd - 1)...(mean + sigmas * sd + 1)
    }
}
