/// The campaign as a pure state machine: events in, actions out, no I/O.
///
/// Iteration i trains model i (model 0 on the initial set only), scores the pool with it, asks the
/// oracle for the `batchSize` most uncertain spectra and for a random sample of predicted targets,
/// estimates precision from that sample, and retrains (warm start) once enough query labels have
/// arrived. When the stop rule holds (or `maxIterations` is reached, or nothing is left to ask)
/// a final long training runs, its model scores the pool, and the campaign finishes.
/// The whole state is `Codable`, so a service can persist it and resume anywhere.
public struct Campaign: Sendable, Codable, Equatable {
    public enum Phase: Sendable, Codable, Equatable {
        case notStarted
        /// Waiting for model `iteration` to be trained.
        case training(iteration: Int)
        /// Waiting for the pool to be scored with `model`.
        case scoring(model: String)
        /// Waiting for the next batch (query + precision sample) to be chosen.
        case selecting(model: String)
        /// Waiting for the oracle's labels.
        case labelling(model: String)
        case finished(model: String)
    }

    public enum Event: Sendable, Equatable {
        case start
        case trained(model: String)
        case scored(model: String)
        /// The batch chosen: `query` spectra asked to label, `precision` in the precision sample.
        case selected(query: Int, precision: Int)
        case queryLabelled(count: Int)
        case precisionLabelled(count: Int)
        case precisionEstimated(PrecisionEstimate)
    }

    public enum Action: Sendable, Equatable {
        /// Train model `iteration` (warm-started from `warmStart` when given; `final` = the long training).
        case train(iteration: Int, warmStart: String?, final: Bool)
        case score(model: String)
        case select(model: String, query: Int, precision: Int)
        case awaitLabels
        /// Estimate precision from the labelled precision sample of this iteration.
        case estimatePrecision(iteration: Int)
        /// Publish the candidates of `model`; the campaign is over.
        case finish(model: String, converged: Bool)
    }

    public struct CampaignError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// What one iteration did.
    public struct Iteration: Sendable, Codable, Equatable {
        public var index: Int
        public var model: String
        public var queryAsked = 0
        public var queryLabelled = 0
        public var precisionAsked = 0
        public var precisionLabelled = 0
        public var precision: PrecisionEstimate?
    }

    public let config: CampaignConfig
    public private(set) var phase: Phase = .notStarted
    public private(set) var iterations: [Iteration] = []
    /// The iteration whose model is being trained or used.
    public private(set) var iteration = 0
    /// True once the final long training has been asked for.
    public private(set) var finalTraining = false
    public private(set) var converged = false

    public init(config: CampaignConfig = CampaignConfig()) {
        self.config = config
    }

    /// The precision estimates so far, one per iteration that had a sample.
    public var estimates: [Double] { iterations.compactMap { $0.precision?.estimate } }

    public mutating func handle(_ event: Event) throws -> [Action] {
        switch (phase, event) {
        case (.notStarted, .start):
            phase = .training(iteration: 0)
            return [.train(iteration: 0, warmStart: nil, final: false)]

        case (.training(let index), .trained(let model)):
            if !finalTraining { iterations.append(Iteration(index: index, model: model)) }
            phase = .scoring(model: model)
            return [.score(model: model)]

        case (.scoring(let model), .scored(let scoredModel)) where model == scoredModel:
            if finalTraining {
                phase = .finished(model: model)
                return [.finish(model: model, converged: converged)]
            }
            phase = .selecting(model: model)
            return [.select(model: model, query: config.batchSize, precision: config.precisionSampleSize)]

        case (.selecting(let model), .selected(let query, let precision)):
            iterations[iterations.count - 1].queryAsked = query
            iterations[iterations.count - 1].precisionAsked = precision
            phase = .labelling(model: model)
            if query == 0 && precision == 0 { return startFinalTraining() }  // nothing left to ask
            return [.awaitLabels]

        case (.labelling, .precisionLabelled(let count)):
            var current = iterations[iterations.count - 1]
            current.precisionLabelled = min(current.precisionAsked, current.precisionLabelled + count)
            iterations[iterations.count - 1] = current
            if current.precisionLabelled == current.precisionAsked, current.precision == nil {
                return [.estimatePrecision(iteration: iteration)]
            }
            return [.awaitLabels]

        case (.labelling, .precisionEstimated(let estimate)):
            iterations[iterations.count - 1].precision = estimate
            if config.stopRule.converged(estimates) {
                converged = true
                return startFinalTraining()
            }
            return retrainIfReady()

        case (.labelling, .queryLabelled(let count)):
            let current = iterations[iterations.count - 1]
            iterations[iterations.count - 1].queryLabelled = min(current.queryAsked, current.queryLabelled + count)
            return retrainIfReady()

        default:
            throw CampaignError(description: "event \(event) is not expected in phase \(phase)")
        }
    }

    /// Retrains once the iteration's precision is known (or it had no sample) and enough query
    /// labels arrived (or every query was answered).
    private mutating func retrainIfReady() -> [Action] {
        let current = iterations[iterations.count - 1]
        let precisionDone = current.precisionAsked == 0 || current.precision != nil
        let queriesDone = current.queryLabelled >= min(config.retrainAfter, current.queryAsked)
        guard precisionDone, queriesDone else { return [.awaitLabels] }
        if iteration + 1 >= config.maxIterations { return startFinalTraining() }
        iteration += 1
        phase = .training(iteration: iteration)
        return [.train(iteration: iteration, warmStart: current.model, final: false)]
    }

    private mutating func startFinalTraining() -> [Action] {
        finalTraining = true
        let warm = iterations.last?.model
        iteration += 1
        phase = .training(iteration: iteration)
        return [.train(iteration: iteration, warmStart: warm, final: true)]
    }
}
