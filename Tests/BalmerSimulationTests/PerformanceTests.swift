import BalmerCore
import Foundation
import Testing

@testable import BalmerSimulation

@Suite struct PerformanceTests {
    /// A loose sanity bound that cannot flake in a debug build on a loaded machine; the real figure
    /// is measured with a release build.
    @Test func twoHundredSpectraInUnderTwentySeconds() {
        let sim = SurveySimulator(kind: .lamostDR9, seed: 1)
        let clock = ContinuousClock()
        var total = 0.0
        let elapsed = clock.measure {
            for i in 0..<200 { total += sim.spectrum(at: i).spectrum.flux[100] }
        }
        #expect(total.isFinite)
        #expect(elapsed < .seconds(20))
    }
}
