import Testing
@testable import BalmerCore

@Suite struct FeatureScalingTests {
    @Test func mapsExtremesToMinusOneAndOne() {
        var v: [Float] = [3, 5, 4, 7]
        #expect(FeatureScaling.minMax(&v))
        #expect(v == [-1, 0, -0.5, 1])
    }

    @Test func refusesFlatAndNonFinite() {
        var flat: [Float] = [2, 2, 2]
        #expect(!FeatureScaling.minMax(&flat))
        #expect(flat == [2, 2, 2])
        var nan: [Float] = [1, .nan, 3]
        #expect(!FeatureScaling.minMax(&nan))
        var empty: [Float] = []
        #expect(!FeatureScaling.minMax(&empty))
    }

    /// Found by the FITS fuzzer: a range below 2 / Float.greatestFiniteMagnitude (subnormal) made
    /// the scale infinite and every feature inf or NaN.
    @Test func refusesARangeTooSmallToScale() {
        var tiny: [Float] = [0, Float.leastNonzeroMagnitude, 3 * Float.leastNonzeroMagnitude]
        #expect(!FeatureScaling.minMax(&tiny))
        #expect(tiny == [0, Float.leastNonzeroMagnitude, 3 * Float.leastNonzeroMagnitude])
        var small: [Float] = [1e-30, 2e-30, 3e-30]
        #expect(FeatureScaling.minMax(&small))
        #expect(small.allSatisfy { $0.isFinite && abs($0) <= 1 } && small.first == -1 && small.last == 1)
    }
}
