import Foundation
import Testing
@testable import BalmerLearning

@Suite struct CampaignTests {
    static let config = CampaignConfig(batchSize: 100, precisionSampleSize: 30,
                                       stopRule: StopRule(threshold: 0.8, times: 2), maxIterations: 10)

    /// Drives one ordinary iteration from `trained` to the next `train` action.
    static func iterate(_ campaign: inout Campaign, model: String, correct: Int) throws -> [Campaign.Action] {
        #expect(try campaign.handle(.trained(model: model)) == [.score(model: model)])
        #expect(try campaign.handle(.scored(model: model)) == [.select(model: model, query: 100, precision: 30)])
        #expect(try campaign.handle(.selected(query: 100, precision: 30)) == [.awaitLabels])
        #expect(try campaign.handle(.queryLabelled(count: 60)) == [.awaitLabels])
        #expect(try campaign.handle(.precisionLabelled(count: 30)) == [.estimatePrecision(iteration: campaign.iteration)])
        let afterEstimate = try campaign.handle(.precisionEstimated(PrecisionEstimate(correct: correct, sampleSize: 30)))
        if case .train = afterEstimate.first { return afterEstimate }
        #expect(afterEstimate == [.awaitLabels])
        return try campaign.handle(.queryLabelled(count: 40))
    }

    @Test func runsToConvergenceAndAFinalTraining() throws {
        var campaign = Campaign(config: Self.config)
        #expect(try campaign.handle(.start) == [.train(iteration: 0, warmStart: nil, final: false)])
        #expect(try Self.iterate(&campaign, model: "m0", correct: 10) == [.train(iteration: 1, warmStart: "m0", final: false)])
        #expect(try Self.iterate(&campaign, model: "m1", correct: 27) == [.train(iteration: 2, warmStart: "m1", final: false)])
        // The second hit converges at once, without waiting for the rest of the query labels.
        #expect(try Self.iterate(&campaign, model: "m2", correct: 25) == [.train(iteration: 3, warmStart: "m2", final: true)])
        #expect(campaign.converged)
        #expect(try campaign.handle(.trained(model: "final")) == [.score(model: "final")])
        #expect(try campaign.handle(.scored(model: "final")) == [.finish(model: "final", converged: true)])
        #expect(campaign.phase == .finished(model: "final"))
        #expect(campaign.iterations.map(\.model) == ["m0", "m1", "m2"])
        #expect(campaign.estimates.map { ($0 * 30).rounded() } == [10, 27, 25])
    }

    @Test func stopsAtMaxIterationsWithoutConverging() throws {
        var campaign = Campaign(config: CampaignConfig(maxIterations: 2))
        _ = try campaign.handle(.start)
        _ = try Self.iterate(&campaign, model: "m0", correct: 0)
        #expect(try Self.iterate(&campaign, model: "m1", correct: 0) == [.train(iteration: 2, warmStart: "m1", final: true)])
        _ = try campaign.handle(.trained(model: "last"))
        #expect(try campaign.handle(.scored(model: "last")) == [.finish(model: "last", converged: false)])
    }

    @Test func emptyBatchEndsTheCampaign() throws {
        var campaign = Campaign(config: Self.config)
        _ = try campaign.handle(.start)
        _ = try campaign.handle(.trained(model: "m0"))
        _ = try campaign.handle(.scored(model: "m0"))
        #expect(try campaign.handle(.selected(query: 0, precision: 0)) == [.train(iteration: 1, warmStart: "m0", final: true)])
    }

    @Test func noPredictedTargetsSkipsTheEstimate() throws {
        var campaign = Campaign(config: Self.config)
        _ = try campaign.handle(.start)
        _ = try campaign.handle(.trained(model: "m0"))
        _ = try campaign.handle(.scored(model: "m0"))
        #expect(try campaign.handle(.selected(query: 100, precision: 0)) == [.awaitLabels])
        #expect(try campaign.handle(.queryLabelled(count: 100)) == [.train(iteration: 1, warmStart: "m0", final: false)])
        #expect(campaign.estimates.isEmpty)
    }

    @Test func unexpectedEventsAreRefused() throws {
        var campaign = Campaign(config: Self.config)
        #expect(throws: Campaign.CampaignError.self) { try campaign.handle(.trained(model: "m0")) }
        _ = try campaign.handle(.start)
        #expect(throws: Campaign.CampaignError.self) { try campaign.handle(.start) }
        _ = try campaign.handle(.trained(model: "m0"))
        #expect(throws: Campaign.CampaignError.self) { try campaign.handle(.scored(model: "other")) }
        #expect(campaign.phase == .scoring(model: "m0"))  // a refused event changes nothing
    }

    @Test func stateSurvivesPersistence() throws {
        var campaign = Campaign(config: Self.config)
        _ = try campaign.handle(.start)
        _ = try Self.iterate(&campaign, model: "m0", correct: 25)
        _ = try campaign.handle(.trained(model: "m1"))
        let data = try JSONEncoder().encode(campaign)
        var resumed = try JSONDecoder().decode(Campaign.self, from: data)
        #expect(resumed == campaign)
        #expect(try resumed.handle(.scored(model: "m1")) == [.select(model: "m1", query: 100, precision: 30)])
    }
}
