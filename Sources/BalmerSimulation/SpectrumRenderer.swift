import BalmerCore
import Foundation

/// Turns a ``SimulatedObject`` into pixels on a ``SimulationGrid``.
///
/// Noiseless model: F = C·[B·max(f, 1 − A) + E]·max(f, 1 − S), with C the calibrated continuum,
/// B molecular and telluric bands, A photospheric absorption, E emission, S shell absorption and
/// f = 0.02 a floor. Sky residuals are added, then Gaussian noise σ = √(max(F, 0.02 C₆₅₆₄)·C₆₅₆₄)/(S/N)
/// (photon-like, so σ = C/(S/N) on the continuum at 6564 Å; worse at the grid ends for surveys),
/// then cosmic rays and dead pixels.
struct SpectrumRenderer {
    /// Flux floor (relative) under deep absorption.
    static let floor = 0.02

    let kind: SurveyKind

    struct Output {
        var flux: [Double]
        var inverseVariance: [Double]?
        /// Continuum (with bands) at 6564 Å, the S/N reference.
        var referenceLevel: Double
    }

    /// Renders `object` on `grid`; `noise == false` gives the noiseless model (and no cosmic rays /
    /// dead pixels), for tests.
    func render(_ object: SimulatedObject, on grid: SimulationGrid, noise: Bool, rng: inout SeededGenerator) -> Output {
        let n = grid.count
        let lambda = grid.wavelength
        let survey = kind.isSurvey
        let lo = lambda[0]
        let hi = lambda[n - 1]
        let toFrame: (Double) -> Double = { grid.observed(vacuum: $0) }

        // Continuum with calibration and extinction: smooth, so computed exactly every
        // `stride` pixels (and at the last pixel) and interpolated linearly in between.
        let ref = 6564.0
        let refIndex = grid.nearestIndex(ref)
        let z = object.redshift
        let mid = 0.5 * (lo + hi)
        let half = 0.5 * (hi - lo)
        func smoothContinuum(_ l: Double) -> Double {
            let shape = Self.continuumShape(object.continuum, at: l / (1 + z))
            var logCal = -object.extinction * (ref / l - 1)
            let c = object.calibration
            if c.count >= 4 {
                let x = (l - mid) / half
                let x2 = x * x
                logCal += c[0] * x + c[1] * 0.5 * (3 * x2 - 1) + c[2] * 0.5 * (5 * x2 * x - 3 * x)
                    + c[3] * 0.125 * (35 * x2 * x2 - 30 * x2 + 3)
            }
            return shape * exp(logCal)
        }
        var cont = Self.interpolated(count: n, stride: 8) { smoothContinuum(lambda[$0]) }
        let norm = object.fluxLevel / cont[refIndex]
        for i in 0..<n { cont[i] *= norm }

        // Lines.
        var absorb = [Double](repeating: 0, count: n)
        var emit = [Double](repeating: 0, count: n)
        var shell = [Double](repeating: 0, count: n)
        for line in object.lines {
            let centreGuess = toFrame(line.lambda * (line.shifted ? 1 + z : 1))
            guard centreGuess > lo - 500, centreGuess < hi + 500 else { continue }
            let obs = line.observed(
                redshift: z, instrumentalSigma: grid.instrumentalSigma(at: centreGuess), toFrame: toFrame)
            let range = grid.indices(from: obs.centre - obs.reach, to: obs.centre + obs.reach)
            guard !range.isEmpty else { continue }
            switch line.layer {
            case .absorption: Self.accumulate(obs, lambda, range, into: &absorb)
            case .emission: Self.accumulate(obs, lambda, range, into: &emit)
            case .shell: Self.accumulate(obs, lambda, range, into: &shell)
            }
        }

        // Bands (molecular bands shift with the star, telluric ones do not).
        var band = [Double](repeating: 1, count: n)
        for b in object.bands {
            applyBand(b, head: toFrame(b.head * (1 + z)), grid: grid, into: &band)
        }
        for b in object.telluric {
            applyBand(b, head: toFrame(b.head), grid: grid, into: &band)
        }

        // Noiseless flux.
        var flux = [Double](unsafeUninitializedCapacity: n) { buffer, initialized in
            for i in 0..<n {
                let photosphere = band[i] * max(Self.floor, 1 - absorb[i]) + emit[i]
                buffer[i] = cont[i] * photosphere * max(Self.floor, 1 - shell[i])
            }
            initialized = n
        }
        let referenceLevel = cont[refIndex] * band[refIndex]

        // Arm join: a calibration step redwards of the join.
        if let join = object.plan.armJoin {
            let start = grid.lowerIndex(join.lambda)
            if start < n { for i in start..<n { flux[i] *= join.factor } }
        }
        // Sky residuals and nebular lines: unresolved lines at instrumental width, in units of the
        // reference level.
        for sky in object.plan.skyLines + object.plan.nebularLines {
            let centre = toFrame(sky.lambda)
            let sigma = grid.instrumentalSigma(at: centre)
            let range = grid.indices(from: centre - 5 * sigma, to: centre + 5 * sigma)
            for i in range {
                let x = (lambda[i] - centre) / sigma
                flux[i] += sky.height * referenceLevel * exp(-0.5 * x * x)
            }
        }
        guard noise else {
            return Output(flux: flux, inverseVariance: kind == .ccd700 ? nil : [Double](repeating: 1, count: n),
                          referenceLevel: referenceLevel)
        }

        // Noise.
        let snr = object.snr
        let minFlux = 0.02 * referenceLevel
        // Survey detectors are noisier at both ends of the range.
        let edge = survey
            ? Self.interpolated(count: n, stride: 8) { 1 + 2 * exp(-(lambda[$0] - lo) / 120) + 1.5 * exp((lambda[$0] - hi) / 150) }
            : [Double](repeating: 1, count: n)
        var ivar = [Double](repeating: 0, count: survey ? n : 0)
        flux.withUnsafeMutableBufferPointer { f in
            edge.withUnsafeBufferPointer { e in
                if survey {
                    ivar.withUnsafeMutableBufferPointer { iv in
                        for i in 0..<n {
                            let sigma = (max(f[i], minFlux) * referenceLevel).squareRoot() / snr * e[i]
                            iv[i] = 1 / (sigma * sigma)
                            f[i] += sigma * rng.gaussian()
                        }
                    }
                } else {
                    for i in 0..<n {
                        f[i] += (max(f[i], minFlux) * referenceLevel).squareRoot() / snr * rng.gaussian()
                    }
                }
            }
        }

        // Cosmic rays: not flagged in ivar.
        for hit in object.plan.cosmicRays {
            let start = grid.nearestIndex(toFrame(hit.lambda))
            for k in 0..<hit.pixels where start + k < n {
                let shape = k == 0 ? 1.0 : 0.45
                flux[start + k] += hit.height * referenceLevel * shape
            }
        }
        // Dead pixels: zero flux and zero ivar.
        for run in object.plan.deadRuns {
            let start = grid.nearestIndex(toFrame(run.lambda))
            for k in 0..<run.pixels where start + k < n {
                flux[start + k] = 0
                if survey { ivar[start + k] = 0 }
            }
        }
        return Output(flux: flux, inverseVariance: survey ? ivar : nil, referenceLevel: referenceLevel)
    }

    /// `f` evaluated at every `stride`-th index and at the last one, linearly interpolated between.
    static func interpolated(count n: Int, stride: Int, _ f: (Int) -> Double) -> [Double] {
        var out = [Double](repeating: 0, count: n)
        var start = 0
        var valueStart = f(0)
        while start < n - 1 {
            let end = min(start + stride, n - 1)
            let valueEnd = f(end)
            let step = (valueEnd - valueStart) / Double(end - start)
            for k in 0..<(end - start) { out[start + k] = valueStart + step * Double(k) }
            start = end
            valueStart = valueEnd
        }
        out[n - 1] = valueStart
        return out
    }

    @inline(__always)
    private static func accumulate(_ line: ObservedLine, _ lambda: [Double], _ range: Range<Int>, into target: inout [Double]) {
        lambda.withUnsafeBufferPointer { l in
            target.withUnsafeMutableBufferPointer { t in
                for i in range { t[i] += line.value(at: l[i]) }
            }
        }
    }

    /// Multiplies a band (sharp head smoothed by the instrument, exponential decay to the red) into `band`.
    private func applyBand(_ b: BandHead, head: Double, grid: SimulationGrid, into band: inout [Double]) {
        let w = grid.instrumentalSigma(at: head)
        let range = grid.indices(from: head - 8 * w, to: head + 8 * b.length)
        for i in range {
            let d = grid.wavelength[i] - head
            let edge = 1 / (1 + exp(-d / w))
            band[i] *= 1 - b.depth * edge * exp(-max(0, d) / b.length)
        }
    }

    /// The continuum shape at rest wavelength `lambda` (Å), not normalised.
    @inline(__always)
    static func continuumShape(_ model: ContinuumModel, at lambda: Double) -> Double {
        switch model {
        case .star(let teff):
            return planck(lambda, teff)
        case .galaxy(let young):
            let old = planck(lambda, 4600) / planck(6564, 4600)
            let hot = planck(lambda, 9500) / planck(6564, 9500)
            let breakDepth = 0.45 * (1 - young)
            return ((1 - young) * old + young * hot) * (1 - breakDepth / (1 + exp((lambda - 4000) / 25)))
        case .qso(let slope):
            return pow(lambda / 6564, -slope)
        }
    }

    /// Planck's B_λ up to a constant: λ⁻⁵ / (exp(hc/λkT) − 1), λ in Å, T in K.
    @inline(__always)
    static func planck(_ lambda: Double, _ teff: Double) -> Double {
        let x = 1.438_776_9e8 / (lambda * teff)
        let l = lambda * 1e-4
        return 1 / (l * l * l * l * l * expm1(x))
    }
}
