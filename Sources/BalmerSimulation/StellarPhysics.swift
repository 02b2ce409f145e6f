import Foundation

/// Stellar atmospheres reduced to what shapes a low-resolution spectrum: line strengths and widths
/// as functions of effective temperature, gravity, rotation and metallicity.
enum StellarPhysics {
    /// H-alpha absorption equivalent width (Å) of a dwarf against T_eff (K): maximal near A2.
    static let hAlphaWidthTable: [(Double, Double)] = [
        (2800, 0.3), (3800, 0.6), (4500, 1.0), (5200, 1.6), (5800, 2.6), (6500, 4.5), (7400, 8),
        (8500, 11), (9500, 13), (10_500, 11), (13_000, 8), (18_000, 5), (25_000, 3.5), (35_000, 2.5),
        (45_000, 2),
    ]

    /// Metal-line strength relative to a solar-type dwarf against T_eff.
    static let metalTable: [(Double, Double)] = [
        (2800, 1.6), (3500, 2.0), (4200, 2.0), (5000, 1.5), (5800, 1.0), (6500, 0.6), (7500, 0.3),
        (9000, 0.08), (12_000, 0.0),
    ]

    /// Piecewise-linear interpolation in a table sorted by x, clamped at both ends.
    static func interpolate(_ table: [(Double, Double)], _ x: Double) -> Double {
        if x <= table[0].0 { return table[0].1 }
        for k in 1..<table.count where x <= table[k].0 {
            let (x0, y0) = table[k - 1]
            let (x1, y1) = table[k]
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
        }
        return table[table.count - 1].1
    }

    /// Photospheric absorption lines of a star.
    /// - Parameters:
    ///   - teff: effective temperature, K; `logg`: log surface gravity (cgs);
    ///   - vsini: projected rotation, km/s; `feh`: metallicity, dex;
    ///   - veiling: extra continuum (0 = none) that dilutes every absorption line, as in T Tauri stars.
    static func absorptionLines(
        teff: Double, logg: Double, vsini: Double, feh: Double, veiling: Double = 0, rng: inout SeededGenerator
    ) -> [LineComponent] {
        var lines: [LineComponent] = []
        lines.reserveCapacity(48)
        let dilution = 1 / (1 + veiling)
        // H-alpha and the Balmer series: a Gaussian core and Lorentzian (Stark) wings.
        let ew = interpolate(hAlphaWidthTable, teff) * rng.uniform(0.85, 1.15) * dilution
        let gravity = pow(10, 0.35 * (logg - 4.0))
        let wingFraction: Double = teff >= 7000 ? 0.75 : (teff >= 6000 ? 0.45 : 0.25)
        let gamma = (teff >= 7000 ? rng.uniform(5, 9) : (teff >= 6000 ? rng.uniform(2.5, 4) : rng.uniform(1, 2))) * gravity
        let rotationSigma = max(0.25, LineList.hAlpha * vsini / speedOfLight / 1.8)
        for (lambda, scale) in [(LineList.hAlpha, 1.0)] + LineList.balmerSeries {
            let s = lambda / LineList.hAlpha
            let coreEW = (1 - wingFraction) * ew * scale
            var sigma = max(rotationSigma * s, 0.35 * s)
            // Saturate the core: at most 85 % deep at infinite resolution.
            if coreEW / (sigma * (2 * Double.pi).squareRoot()) > 0.85 { sigma = coreEW / (0.85 * (2 * Double.pi).squareRoot()) }
            lines.append(LineComponent(lambda: lambda, width: sigma, amplitude: coreEW / (sigma * (2 * Double.pi).squareRoot()), layer: .absorption))
            let wingEW = wingFraction * ew * scale
            let g = gamma * s
            lines.append(LineComponent(lambda: lambda, width: g, amplitude: wingEW / (Double.pi * g), shape: .lorentzian, layer: .absorption))
        }
        // He I in hot stars (peak near 20 000 K).
        if teff > 10_000 {
            let strength = 0.7 * exp(-pow(log(teff / 20_000) / 0.45, 2)) * dilution
            for (lambda, scale) in LineList.heliumI {
                let sigma = max(lambda * vsini / speedOfLight / 1.8, 0.4)
                let ewHe = strength * scale
                lines.append(LineComponent(lambda: lambda, width: sigma, amplitude: ewHe / (sigma * 2.5066), layer: .absorption))
            }
        }
        // Si II in late B / early A stars.
        if teff > 8500 && teff < 15_000 {
            for lambda in LineList.siliconII {
                let sigma = max(lambda * vsini / speedOfLight / 1.8, 0.3)
                lines.append(LineComponent(lambda: lambda, width: sigma, amplitude: 0.3 * dilution / (sigma * 2.5066), layer: .absorption))
            }
        }
        // Metals, Ca II H&K and the G band.
        let metal = interpolate(metalTable, teff) * pow(10, 0.7 * feh) * dilution
        if metal > 0.005 {
            for (lambda, ew0) in LineList.metals {
                let sigma = max(lambda * vsini / speedOfLight / 1.8, 0.12)
                let ewLine = ew0 * metal * rng.uniform(0.8, 1.2)
                lines.append(LineComponent(lambda: lambda, width: sigma, amplitude: min(0.9, ewLine / (sigma * 2.5066)), layer: .absorption))
            }
            lines.append(LineComponent(lambda: 4305, width: 8, amplitude: min(0.5, 0.25 * metal), layer: .absorption))
        }
        let hk = min(1.5, metal + (teff < 10_000 ? 0.08 : 0.02)) * dilution
        for (lambda, ew0) in LineList.calciumHK {
            let sigma = max(lambda * vsini / speedOfLight / 1.8, 2.0)
            lines.append(LineComponent(lambda: lambda, width: sigma, amplitude: min(0.9, ew0 * hk / (sigma * 2.5066)), layer: .absorption))
        }
        return lines
    }

    /// TiO/CaH bands of a cool star; empty above ≈ 4100 K.
    static func molecularBands(teff: Double, rng: inout SeededGenerator) -> [BandHead] {
        let strength = min(1, max(0, (4100 - teff) / 900))
        guard strength > 0.02 else { return [] }
        return LineList.molecularBands.map {
            BandHead(head: $0.head, depth: min(0.92, $0.depth * strength * rng.uniform(1.0, 1.6)), length: $0.length * rng.uniform(0.8, 1.2))
        }
    }

    /// MK-like subclass for the pipeline header, e.g. `G5`, `A2V`, `dM3`.
    static func subclass(teff: Double, dwarf: Bool) -> String {
        let ranges: [(String, Double, Double)] = [
            ("O", 30_000, 50_000), ("B", 10_000, 30_000), ("A", 7400, 10_000), ("F", 6000, 7400), ("G", 5200, 6000),
            ("K", 3900, 5200), ("M", 2300, 3900),
        ]
        for (letter, lo, hi) in ranges where teff >= lo || letter == "M" {
            let digit = max(0, min(9, Int(10 * (hi - teff) / (hi - lo))))
            switch letter {
            case "M": return dwarf ? "dM\(digit)" : "gM\(digit)"
            case "O", "B", "A": return "\(letter)\(digit)V"
            default: return "\(letter)\(digit)"
            }
        }
        return "Non"
    }
}
