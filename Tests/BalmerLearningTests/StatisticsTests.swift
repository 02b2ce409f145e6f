import Testing
@testable import BalmerLearning

/// Reference values computed with scipy.stats 1.17 (t.ppf, t.cdf, beta.ppf, special.betainc).
@Suite struct StatisticsTests {
    @Test func incompleteBetaMatchesScipy() {
        #expect(abs(Statistics.incompleteBeta(0.3, 2.5, 3.5) - 0.29675298929566646) < 1e-10)
        #expect(Statistics.incompleteBeta(0, 2, 3) == 0)
        #expect(Statistics.incompleteBeta(1, 2, 3) == 1)
    }

    @Test func studentTMatchesScipy() {
        #expect(abs(Statistics.studentTQuantile(0.95, dof: 29) - 1.6991270265334972) < 1e-8)
        #expect(abs(Statistics.studentTQuantile(0.95, dof: 9) - 1.833112932656237) < 1e-8)
        #expect(abs(Statistics.studentTCDF(1.5, dof: 4) - 0.896) < 1e-9)
        #expect(abs(Statistics.studentTCDF(-1.5, dof: 4) - 0.104) < 1e-9)
    }

    @Test func betaQuantileMatchesScipy() {
        #expect(abs(Statistics.betaQuantile(0.05, 24, 7) - 0.6429908854383468) < 1e-9)
        #expect(abs(Statistics.betaQuantile(0.05, 30, 1) - 0.9049661471446958) < 1e-9)
        #expect(abs(Statistics.betaQuantile(0.05, 1, 30) - 0.0017083156444657344) < 1e-9)
    }
}

@Suite struct PrecisionEstimateTests {
    @Test func boundsForTwentyFourOfThirty() {
        let e = PrecisionEstimate(correct: 24, sampleSize: 30)
        #expect(e.estimate == 0.8)
        #expect(abs(e.studentTLower - 0.6737920128808375) < 1e-8)
        #expect(abs(e.clopperPearsonLower - 0.6429908854383468) < 1e-8)
    }

    @Test func extremes() {
        let all = PrecisionEstimate(correct: 30, sampleSize: 30)
        #expect(all.studentTLower == 1)  // no spread in the sample
        #expect(abs(all.clopperPearsonLower - 0.9049661471446958) < 1e-8)
        let none = PrecisionEstimate(correct: 0, sampleSize: 30)
        #expect(none.estimate == 0 && none.studentTLower == 0 && none.clopperPearsonLower == 0)
    }
}
