import BalmerCore
import Foundation
import Testing

@testable import BalmerSimulation

@Suite struct LineProfileTests {
    /// Height of the strongest (3-pixel mean) excursion above and below the local continuum within
    /// ±30 Å of the expected H-alpha centre, in units of the 3-pixel-mean noise.
    func excursions(_ s: SimulatedSpectrum) -> (up: Double, down: Double)? {
        let centre = Measure.hAlphaCentre(s.spectrum, radialVelocity: s.truth.radialVelocity)
        let continuum = Measure.sidebandContinuum(s.spectrum, centre: centre)
        let values = Measure.smoothed(s.spectrum, centre: centre, halfWidth: 30)
        guard continuum > 0, !values.isEmpty else { return nil }
        let sigma = continuum / s.truth.snr / 3.0.squareRoot()
        return ((values.max()! - continuum) / sigma, (continuum - values.min()!) / sigma)
    }

    @Test(arguments: [SurveyKind.lamostDR9, .ccd700, .sdss])
    func emittersRiseAboveAndAbsorbersDipBelowTheContinuum(kind: SurveyKind) throws {
        let sim = SurveySimulator(kind: kind, seed: 17, mix: ClassMix(single: 0.3, double: 0.2, other: 0.5))
        var emitters = 0, emittersUp = 0, absorbers = 0, absorbersDown = 0
        for i in 0..<260 {
            let s = sim.spectrum(at: i)
            guard let e = excursions(s) else { continue }
            if s.truth.label.isTarget {
                emitters += 1
                if e.up > 2.5 { emittersUp += 1 }
            } else if ["O", "B", "A", "F", "G"].contains(s.truth.subtype) && s.truth.snr >= 20
                && s.truth.artefacts.isEmpty {
                absorbers += 1
                if e.down > 2.5 && e.up < e.down { absorbersDown += 1 }
            }
        }
        #expect(emitters >= 60 && absorbers >= 30)
        #expect(Double(emittersUp) >= 0.97 * Double(emitters), "\(emittersUp) of \(emitters) emitters above continuum")
        #expect(Double(absorbersDown) >= 0.97 * Double(absorbers), "\(absorbersDown) of \(absorbers) absorbers below")
    }

    /// Double-peak emitters show two maxima with a dip between them in the noiseless LAMOST model.
    @Test func doublesHaveTwoPeaks() {
        let sim = SurveySimulator(kind: .lamostDR9, seed: 23, mix: ClassMix(single: 0, double: 1, other: 0))
        var twoPeaked = 0
        let n = 80
        for i in 0..<n {
            let (w, f, object) = sim.noiselessFlux(at: i)
            let vac = AirVacuum.hAlphaVacuum * (1 + object.redshift)
            let idx = w.indices.filter { abs(w[$0] - vac) <= 30 }
            let side = w.indices.filter { abs(w[$0] - vac) >= 50 && abs(w[$0] - vac) <= 75 }
            let continuum = Measure.median(side.map { f[$0] })
            let v = idx.map { f[$0] / continuum }
            let peaks = (1..<(v.count - 1)).filter { v[$0] > v[$0 - 1] && v[$0] >= v[$0 + 1] && v[$0] > 1.02 }
            guard peaks.count >= 2 else { continue }
            let top = peaks.sorted { v[$0] > v[$1] }.prefix(2).sorted()
            let dip = v[top[0]...top[1]].min()!
            if min(v[top[0]], v[top[1]]) - dip > 0.01 { twoPeaked += 1 }
        }
        #expect(Double(twoPeaked) >= 0.95 * Double(n), "\(twoPeaked) of \(n)")
    }

    /// The H-alpha minimum of a clean star moves by λ·v/c (converted to air on air grids).
    @Test(arguments: [SurveyKind.lamostDR2, .ccd700, .sdss])
    func radialVelocityShiftsTheLineCentre(kind: SurveyKind) {
        for v in [-650.0, -120, 0, 35, 480, 700] {
            var rng = SeededGenerator(seed: 1, stream: 9, index: 0)
            let grid = SimulationGrid.make(kind: kind, rng: &rng)
            let object = SimulatedObject(
                label: .other, subtype: "A", artefacts: [], continuum: .star(teff: 9000), extinction: 0,
                calibration: [0, 0, 0, 0], fluxLevel: 1000, redshift: v / Measure.c,
                lines: [
                    LineComponent(lambda: AirVacuum.hAlphaVacuum, width: 1.2, amplitude: 0.5, layer: .absorption),
                    LineComponent(lambda: AirVacuum.hAlphaVacuum, width: 6, amplitude: 0.2, shape: .lorentzian, layer: .absorption),
                ],
                bands: [], telluric: [], snr: 100, plan: ArtefactPlan(), pipelineClass: "STAR", pipelineSubclass: "A0V")
            let out = SpectrumRenderer(kind: kind).render(object, on: grid, noise: false, rng: &rng)
            let w = grid.wavelength
            let f = out.flux
            // Divide out the continuum, then fit a parabola through the minimum and its neighbours.
            let flat = SpectrumRenderer(kind: kind).render(
                { var o = object; o.lines = []; return o }(), on: grid, noise: false, rng: &rng).flux
            let r = zip(f, flat).map { $0 / $1 }
            let k = r.indices.min { r[$0] < r[$1] }!
            let (a, b, c) = (r[k - 1], r[k], r[k + 1])
            let offset = 0.5 * (a - c) / (a - 2 * b + c)
            let measured = w[k] + offset * (w[k + 1] - w[k - 1]) / 2
            let vac = AirVacuum.hAlphaVacuum * (1 + v / Measure.c)
            let expected = kind == .ccd700 ? AirVacuum.air(fromVacuum: vac) : vac
            #expect(abs(measured - expected) < (kind == .ccd700 ? 0.02 : 0.08), "v=\(v) measured \(measured) expected \(expected)")
        }
    }

    /// On the public path, measured H-alpha minima of hot, bright stars follow the true RVs.
    @Test func surveyStarsFollowTheirRadialVelocity() {
        let sim = SurveySimulator(kind: .lamostDR9, seed: 31)
        var errors: [Double] = []
        var speeds: [Double] = []
        var i = 0
        while errors.count < 40 && i < 3000 {
            defer { i += 1 }
            let t = sim.truth(at: i)
            guard ["A", "B", "F"].contains(t.subtype), t.snr >= 30, t.artefacts.isEmpty else { continue }
            let s = sim.spectrum(at: i).spectrum
            let idx = Measure.pixels(s, 6564.61 - 25, 6564.61 + 25)
            let k = idx.min { s.flux[$0] < s.flux[$1] }!
            let expected = Measure.hAlphaCentre(s, radialVelocity: t.radialVelocity)
            errors.append(abs(s.wavelength[k] - expected))
            speeds.append(abs(t.radialVelocity))
        }
        #expect(errors.count >= 20)
        // Pixels are 1.5 Å wide: the minimum pixel lies within ≈ 1 pixel of the shifted centre.
        #expect(Measure.median(errors) < 1.0)
        #expect(speeds.contains { $0 > 50 })
    }
}
