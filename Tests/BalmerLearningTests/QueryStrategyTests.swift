import BalmerCore
import Foundation
import Testing
@testable import BalmerLearning

@Suite struct QueryStrategyTests {
    @Test func scores() {
        #expect(abs(QueryStrategy.entropy.score([1.0 / 3, 1.0 / 3, 1.0 / 3] as [Float]) - log(3)) < 1e-6)
        #expect(QueryStrategy.entropy.score([1, 0, 0] as [Float]) == 0)
        #expect(abs(QueryStrategy.margin.score([0.5, 0.3, 0.2] as [Float]) - 0.8) < 1e-6)
        #expect(abs(QueryStrategy.leastConfidence.score([0.5, 0.3, 0.2] as [Float]) - 0.5) < 1e-6)
        #expect(QueryStrategy.random.score([1, 0, 0] as [Float], randomDraw: 0.25) == 0.25)
    }

    @Test func topKMatchesAFullSort() {
        var generator = SeededGenerator(seed: 11)
        let scores = (0..<5000).map { _ in (generator.unit() * 100).rounded() }  // many ties
        let eligible: (Int) -> Bool = { $0 % 3 != 0 }
        let expected = scores.indices.filter(eligible)
            .sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        #expect(TopKSelection.select(k: 100, scores: scores, eligible: eligible) == Array(expected.prefix(100)))
        #expect(TopKSelection.select(k: 10_000, scores: scores, eligible: eligible) == expected)
        #expect(TopKSelection.select(k: 0, scores: scores).isEmpty)
    }

    @Test func diversityGuardCapsEachGroup() {
        // Group 0 (a bad plate) holds the 50 most uncertain spectra.
        let scores = (0..<200).map { $0 < 50 ? 10.0 + Double($0) : Double($0 % 10) }
        let groups = (0..<200).map { $0 < 50 ? 0 : 1 + $0 % 7 }
        let chosen = TopKSelection.select(k: 20, scores: scores, groups: groups, maxPerGroup: 3)
        #expect(chosen.count == 20)
        let perGroup = Dictionary(grouping: chosen, by: { groups[$0] }).mapValues(\.count)
        #expect(perGroup.values.allSatisfy { $0 <= 3 })
        #expect(Array(chosen.prefix(3)) == [49, 48, 47])
    }

    @Test func nanScoresAreNeverChosen() {
        #expect(TopKSelection.select(k: 2, scores: [.nan, 1, .nan, 0]) == [1, 3])
    }
}

@Suite struct SamplingAndRulesTests {
    @Test func randomSampleIsDistinctEligibleAndSeeded() {
        var a = SeededGenerator(seed: 3)
        var b = SeededGenerator(seed: 3)
        let first = RandomSample.indices(30, of: 1000, eligible: { $0 % 2 == 0 }, generator: &a)
        #expect(first == RandomSample.indices(30, of: 1000, eligible: { $0 % 2 == 0 }, generator: &b))
        #expect(Set(first).count == 30 && first.allSatisfy { $0 % 2 == 0 && $0 < 1000 })
        #expect(RandomSample.indices(30, of: 10, generator: &a).sorted() == Array(0..<10))
    }

    @Test func randomSampleIsUniform() {
        var generator = SeededGenerator(seed: 5)
        var hits = [Int](repeating: 0, count: 10)
        for _ in 0..<3000 { for i in RandomSample.indices(3, of: 10, generator: &generator) { hits[i] += 1 } }
        #expect(hits.allSatisfy { abs($0 - 900) < 120 })  // expected 900 each, σ ≈ 25
    }

    @Test func stopRuleCountsHitsNotRuns() {
        let rule = StopRule(threshold: 0.8, times: 3)
        #expect(!rule.converged([0.9, 0.5, 0.85]))
        #expect(rule.converged([0.9, 0.5, 0.85, 0.2, 0.8]))
        #expect(rule.hits([0.79, 0.8]) == 1)
    }

    @Test func candidatesFollowLabelsOverPredictions() {
        let predicted: [SpectrumClass] = [.single, .other, .double, .single, .other]
        let labels: [Int: SpectrumClass] = [0: .other, 1: .double, 3: .single]
        let candidates = CandidateSet.build(predicted: predicted, labels: labels)
        #expect(candidates.map(\.index) == [1, 2, 3])
        #expect(candidates.map(\.spectrumClass) == [.double, .double, .single])
        #expect(candidates.map(\.labelled) == [true, false, true])
    }

    @Test func oracleErrsAtItsRateAndRepeatsItself() {
        let truth = Dictionary(uniqueKeysWithValues: (0..<4000).map { ("s\($0)", SpectrumClass.allCases[$0 % 3]) })
        let perfect = SimulatedOracle(truth: truth)
        #expect(truth.allSatisfy { perfect.label($0.key) == $0.value })
        let noisy = SimulatedOracle(truth: truth, errorRate: 0.1, seed: 2)
        let wrong = truth.filter { noisy.label($0.key) != $0.value }.count
        #expect(abs(wrong - 400) < 80)
        #expect(truth.keys.allSatisfy { noisy.label($0) == noisy.label($0) })
        #expect(noisy.label("unknown") == nil)
    }
}
