import BalmerCore
import Foundation
import Testing

@testable import BalmerSimulation

@Suite struct NoiseTests {
    /// Noise measured near H-alpha matches the stated S/N, and ivar = 1/σ² matches the residuals.
    @Test(arguments: [SurveyKind.lamostDR2, .sdss, .ccd700])
    func noiseMatchesSignalToNoise(kind: SurveyKind) throws {
        let sim = SurveySimulator(kind: kind, seed: 12, mix: ClassMix(single: 0, double: 0, other: 1))
        var ratios: [Double] = []
        var chi2 = 0.0
        var pixels = 0
        var i = 0
        while ratios.count < 50 && i < 400 {
            defer { i += 1 }
            let t = sim.truth(at: i)
            guard ["F", "G", "K", "B", "A"].contains(t.subtype), t.artefacts.isEmpty else { continue }
            let s = sim.spectrum(at: i).spectrum
            let level = Measure.median(Measure.pixels(s, 6420, 6500).map { s.flux[$0] })
            ratios.append(Measure.noise(s, 6420, 6500) / level * t.snr)
            if let ivar = s.inverseVariance {
                let model = sim.noiselessFlux(at: i).flux
                for p in Measure.pixels(s, 6000, 7000) {
                    let r = s.flux[p] - model[p]
                    chi2 += r * r * ivar[p]
                    pixels += 1
                }
            }
        }
        #expect(ratios.count >= 30)
        let m = Measure.median(ratios)
        #expect(m > 0.88 && m < 1.12, "measured noise / expected = \(m)")
        if kind != .ccd700 {
            let reduced = chi2 / Double(pixels)
            #expect(reduced > 0.97 && reduced < 1.03, "χ²/pixel = \(reduced)")
        }
    }

    @Test func lowSignalToNoiseIsLow() {
        let sim = SurveySimulator(kind: .lamostDR9, seed: 14)
        var found = 0
        for i in 0..<1500 where sim.truth(at: i).artefacts.contains("low-snr") {
            let t = sim.truth(at: i)
            #expect(t.snr >= 2 && t.snr <= 5)
            found += 1
        }
        #expect(found > 20)
    }
}
