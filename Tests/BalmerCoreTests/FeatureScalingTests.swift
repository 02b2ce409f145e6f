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
}
