import BalmerCore
import Foundation

/// Galaxies and QSOs: the `other` objects whose redshifted lines can land in the H-alpha window.
extension ObjectSampler {
    func galaxy(rng: inout SeededGenerator) -> SimulatedObject {
        let inWindow = rng.chance(0.6)
        let z: Double
        if inWindow {
            let line = rng.pick(zip(LineList.galaxyWindowLines, [0.45, 0.25, 0.1, 0.2]).map { ($0, $1) })
            // H-alpha itself only beyond every stellar velocity (≥ 6600 Å).
            let target = line == LineList.hAlpha ? rng.uniform(6600, 6725) : windowTarget(rng: &rng)
            z = target / line - 1
        } else {
            z = rng.uniform(0.02, 0.3)
        }
        let sigmaV = rng.uniform(50, 200)
        let passive = !inWindow && rng.chance(0.3)
        var lines: [LineComponent] = []
        // Old-population absorption (K-giant-like, broadened by the velocity dispersion).
        for line in StellarPhysics.absorptionLines(teff: 4900, logg: 2.8, vsini: 1.8 * sigmaV, feh: 0, rng: &rng) {
            var l = line
            l.amplitude *= 0.6
            lines.append(l)
        }
        var hasWindowLine = false
        if !passive {
            let haEW = rng.logUniform(5, 100)
            let excitation = rng.logUniform(0.3, 8)
            for (lambda, ratio) in LineList.galaxyEmission {
                var r = ratio * rng.uniform(0.6, 1.5)
                if lambda == 5008.24 || lambda == 4960.30 { r *= excitation }
                let sigma = max(0.5, lambda * sigmaV / speedOfLight)
                let ew = haEW * r
                lines.append(LineComponent(lambda: lambda, width: sigma, amplitude: ew / (sigma * 2.5066), layer: .emission))
                if Self.window.contains(lambda * (1 + z)) && ew >= 2 { hasWindowLine = true }
            }
        }
        var object = SimulatedObject(
            label: .other, subtype: "galaxy", artefacts: hasWindowLine ? [.redshiftedLine] : [],
            continuum: .galaxy(youngFraction: rng.uniform(0, 0.6)), extinction: rng.uniform(0, 0.5),
            calibration: calibration(rng: &rng), fluxLevel: fluxLevel(rng: &rng) * 0.3, redshift: z, lines: lines,
            bands: [], telluric: telluric(rng: &rng), snr: rng.logUniform(4, 30), plan: ArtefactPlan(),
            pipelineClass: "GALAXY", pipelineSubclass: kind == .sdss ? (passive ? "" : "STARFORMING") : "Non")
        if rng.chance(0.1) { object.pipelineClass = "Unknown" }
        return object
    }

    /// Where a redshifted galaxy/QSO line is put inside the window: anywhere in 6525–6725 Å except
    /// 6540–6590 Å, where stellar H-alpha lies for |RV| ≤ 700 km/s (so position still tells them apart).
    func windowTarget(rng: inout SeededGenerator) -> Double {
        let x = rng.uniform(0, 150)
        return x < 15 ? 6525 + x : 6590 + (x - 15)
    }

    func qso(rng: inout SeededGenerator) -> SimulatedObject {
        let z: Double
        if rng.chance(0.7) {
            let line = rng.pick(zip(LineList.qsoWindowLines, [0.4, 0.25, 0.15, 0.2]).map { ($0, $1) })
            z = windowTarget(rng: &rng) / line - 1
        } else {
            z = rng.uniform(0.3, 3.5)
        }
        let fwhm = rng.uniform(2500, 8000)
        var lines: [LineComponent] = []
        var hasWindowLine = false
        for (lambda, ew) in LineList.qsoBroad {
            let sigma = lambda * fwhm / speedOfLight / 2.3548
            let e = ew * rng.uniform(0.5, 1.5)
            lines.append(LineComponent(lambda: lambda, width: sigma, amplitude: e / (sigma * 2.5066), layer: .emission))
            if Self.window.contains(lambda * (1 + z)) { hasWindowLine = true }
        }
        let narrow = max(0.5, 5008.24 * 300 / speedOfLight)
        lines.append(LineComponent(lambda: 5008.24, width: narrow, amplitude: rng.uniform(5, 30) / (narrow * 2.5066), layer: .emission))
        return SimulatedObject(
            label: .other, subtype: "qso", artefacts: hasWindowLine ? [.redshiftedLine] : [],
            continuum: .qso(slope: rng.uniform(1.0, 2.0)), extinction: 0, calibration: calibration(rng: &rng),
            fluxLevel: fluxLevel(rng: &rng) * 0.2, redshift: z, lines: lines, bands: [], telluric: telluric(rng: &rng),
            snr: rng.logUniform(4, 30), plan: ArtefactPlan(), pipelineClass: rng.chance(0.85) ? "QSO" : "Unknown",
            pipelineSubclass: kind == .sdss ? "BROADLINE" : "Non")
    }
}
