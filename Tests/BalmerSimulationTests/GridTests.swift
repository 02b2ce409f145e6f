import BalmerCore
import Foundation
import Testing

@testable import BalmerSimulation

@Suite struct GridTests {
    @Test(arguments: [SurveyKind.lamostDR2, .lamostDR9])
    func lamostGridMatchesTheRealLayout(kind: SurveyKind) {
        let sim = SurveySimulator(kind: kind, seed: 1)
        var counts: Set<Int> = []
        for i in 0..<40 {
            let s = sim.spectrum(at: i).spectrum
            let w = s.wavelength
            counts.insert(w.count)
            #expect(s.frame == .vacuum && s.layout == kind.layout)
            #expect((3890...3909).contains(w.count))
            #expect(abs(w[0] - 3699.99) < 0.01)
            let lastLog: Double = 3.5682 + 1e-4 * Double(w.count - 1)
            let lastError: Double = abs(log10(w[w.count - 1]) - lastLog)
            #expect(lastError < 1e-12)
            #expect(abs(log10(w[1000] / w[999]) - 1e-4) < 1e-12)
            #expect(s.inverseVariance?.count == w.count && s.flux.count == w.count)
            let finite = s.flux.allSatisfy { $0.isFinite }
            #expect(finite)
            // Exactly 140 pixels fall in the classifier window.
            #expect(w.filter { $0 >= 6519 && $0 <= 6732 }.count == 140)
        }
        #expect(counts.count > 1, "pixel count should vary like real files")
    }

    @Test func ccd700GridMatchesTheRealLayout() {
        let sim = SurveySimulator(kind: .ccd700, seed: 1)
        for i in 0..<20 {
            let s = sim.spectrum(at: i).spectrum
            let w = s.wavelength
            #expect(s.frame == .air && s.layout == .ondrejovIRAF)
            #expect(w.count == 1997 && s.flux.count == 1997)
            #expect((6253...6265).contains(w[0]))
            #expect(abs((w[1996] - w[0]) / 1996 - 0.2567) < 1e-9)
            #expect(s.inverseVariance == nil)
            // ADU-like levels: thousands, not normalised.
            let level = Measure.median(s.flux)
            #expect(level > 500 && level < 100_000)
            // The window converted to vacuum stays covered.
            #expect(AirVacuum.vacuum(fromAir: w[0]) < 6519 && AirVacuum.vacuum(fromAir: w[1996]) > 6732)
        }
    }

    @Test func sdssGridMatchesTheRealLayout() {
        let sim = SurveySimulator(kind: .sdss, seed: 1)
        for i in 0..<20 {
            let s = sim.spectrum(at: i).spectrum
            let w = s.wavelength
            #expect(s.frame == .vacuum && s.layout == .sdssSpec)
            let logStart = log10(w[0])
            #expect(logStart >= 3.5500 - 1e-9 && logStart <= 3.5530 + 1e-9)
            #expect(abs((logStart * 1e4).rounded() - logStart * 1e4) < 1e-6)
            #expect(abs(log10(w[w.count - 1] / w[0]) - 1e-4 * Double(w.count - 1)) < 1e-9)
            #expect(w[w.count - 1] > 9000)
        }
    }
}
