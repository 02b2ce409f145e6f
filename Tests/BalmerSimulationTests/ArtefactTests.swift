import BalmerCore
import Foundation
import Testing

@testable import BalmerSimulation

@Suite struct ArtefactTests {
    @Test(arguments: [SurveyKind.lamostDR2, .sdss])
    func artefactsAppearAtTheStatedRates(kind: SurveyKind) {
        let n = 4000
        let sim = SurveySimulator(kind: kind, seed: 77)
        var counts: [String: Int] = [:]
        for i in 0..<n { for a in sim.truth(at: i).artefacts { counts[a, default: 0] += 1 } }
        let rates: [(Artefact, Double)] = [
            (.cosmicRay, ObjectSampler.Rates.cosmicRay), (.deadPixels, ObjectSampler.Rates.deadPixels),
            (.armJoin, ObjectSampler.Rates.armJoin), (.skyResidual, ObjectSampler.Rates.skyResidual),
            (.lowSNR, ObjectSampler.Rates.lowSNR),
            // Stars only: galaxies and QSOs (4 % of the pool) carry no nebula.
            (.nebular, ObjectSampler.Rates.nebular * (1 - 0.04 * ClassMix.survey.other)),
        ]
        for (artefact, rate) in rates {
            #expect(rate >= 0.01 && rate <= 0.08, "a few per cent")
            let seen = Double(counts[artefact.rawValue] ?? 0)
            #expect(Measure.binomialBounds(n: n, p: rate).contains(seen), "\(artefact.rawValue): \(seen) of \(n)")
        }
        // Confounders from the objects themselves.
        #expect((counts[Artefact.molecularBands.rawValue] ?? 0) > n / 50)
        #expect((counts[Artefact.redshiftedLine.rawValue] ?? 0) > n / 200)
    }

    /// Each recorded artefact is really in the pixels.
    @Test func artefactsAreVisibleInThePixels() {
        let sim = SurveySimulator(kind: .lamostDR9, seed: 5)
        var checked: Set<String> = []
        var inWindowCosmics = 0
        for i in 0..<1200 {
            let t = sim.truth(at: i)
            let interesting = t.artefacts.contains { ["cosmic-ray", "dead-pixels", "arm-join", "sky-residual", "nebular"].contains($0) }
            guard interesting else { continue }
            let s = sim.spectrum(at: i).spectrum
            let (w, model, object) = sim.noiselessFlux(at: i)
            let ivar = s.inverseVariance!
            if t.artefacts.contains("dead-pixels") {
                let dead = s.flux.indices.filter { ivar[$0] == 0 && s.flux[$0] == 0 }
                #expect(dead.count >= 2)
                checked.insert("dead-pixels")
            }
            if t.artefacts.contains("cosmic-ray") {
                // A pixel far above the model and its noise, while ivar still vouches for it.
                let spikes = s.flux.indices.filter { ivar[$0] > 0 && (s.flux[$0] - model[$0]) * ivar[$0].squareRoot() > 8 }
                #expect(!spikes.isEmpty)
                if spikes.contains(where: { w[$0] >= 6519 && w[$0] <= 6732 }) { inWindowCosmics += 1 }
                checked.insert("cosmic-ray")
            }
            if let join = object.plan.armJoin {
                #expect(t.artefacts.contains("arm-join"))
                // The noiseless model jumps by the join factor across the join.
                let k = w.firstIndex { $0 >= join.lambda }!
                let jump = model[k] / model[k - 1]
                #expect(abs(jump - join.factor) < 0.05 * join.factor)
                checked.insert("arm-join")
            }
            if t.artefacts.contains("sky-residual") {
                let clean = { var o = object; o.plan.skyLines = []; return o }()
                var rng = SeededGenerator(seed: 0, stream: 0, index: 0)
                let grid = SimulationGrid(wavelength: w, frame: .vacuum, resolvingPower: 1800)
                let base = SpectrumRenderer(kind: .lamostDR9).render(clean, on: grid, noise: false, rng: &rng).flux
                let differs = zip(base, model).contains { abs($0 - $1) > 0.05 * abs($0) }
                #expect(differs)
                checked.insert("sky-residual")
            }
            if t.artefacts.contains("nebular") {
                // Narrow H-alpha and [N II] 6583 at the gas's velocity (within ±150 km/s of rest).
                let clean = { var o = object; o.plan.nebularLines = []; return o }()
                var rng = SeededGenerator(seed: 0, stream: 0, index: 0)
                let grid = SimulationGrid(wavelength: w, frame: .vacuum, resolvingPower: 1800)
                let base = SpectrumRenderer(kind: .lamostDR9).render(clean, on: grid, noise: false, rng: &rng).flux
                let near = w.indices.filter { abs(w[$0] - 6564.61) < 3.5 }
                #expect(near.contains { model[$0] - base[$0] > 0.04 * abs(base[$0]) })
                let lines = object.plan.nebularLines
                #expect(lines.count == 5 && abs(lines[0].lambda - 6564.61) < 3.3)
                // [N II] 6583 within 0.15–0.7 of H-alpha, 6548 a third of it.
                #expect(lines[2].height >= 0.15 * lines[0].height && lines[2].height <= 0.7 * lines[0].height)
                #expect(abs(lines[1].height * 3 - lines[2].height) < 1e-9)
                checked.insert("nebular")
            }
        }
        #expect(checked.count == 5, "checked \(checked)")
        #expect(inWindowCosmics >= 1)
    }

    /// M dwarfs' TiO head at 6651 Å makes a cliff inside the window; galaxies put lines there.
    @Test func confoundersShapeTheWindow() {
        let sim = SurveySimulator(kind: .lamostDR9, seed: 6, mix: ClassMix(single: 0, double: 0, other: 1))
        var mDwarfs = 0, galaxies = 0
        for i in 0..<1500 {
            let t = sim.truth(at: i)
            if t.subtype == "M-dwarf" && mDwarfs < 5 {
                let (w, f, object) = sim.noiselessFlux(at: i)
                let head = AirVacuum.vacuum(fromAir: 6651.3) * (1 + object.redshift)
                let before = Measure.median(w.indices.filter { w[$0] > head - 20 && w[$0] < head - 8 }.map { f[$0] })
                let after = Measure.median(w.indices.filter { w[$0] > head + 5 && w[$0] < head + 15 }.map { f[$0] })
                #expect(after < 0.97 * before)
                mDwarfs += 1
            }
            if t.subtype == "galaxy" && t.artefacts.contains("redshifted-line") && galaxies < 5 {
                let (w, f, _) = sim.noiselessFlux(at: i)
                let window = w.indices.filter { w[$0] >= 6519 && w[$0] <= 6732 }.map { f[$0] }
                #expect(window.max()! > 1.1 * Measure.median(window))
                galaxies += 1
            }
        }
        #expect(mDwarfs == 5 && galaxies == 5)
    }
}
