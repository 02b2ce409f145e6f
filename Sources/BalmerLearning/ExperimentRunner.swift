import BalmerCNN
import BalmerCore
import Foundation
import Logging

/// The offline campaign: the paper's active learning with a simulated oracle on data in memory,
/// and the non-active baseline it is compared with (Appendix A).
public final class ExperimentRunner {
    /// The data of one experiment: the initial training set and the pool with its truth.
    public struct Data: Sendable {
        /// Initial training set, `count × 140` features scaled to [-1, 1], and class indices.
        public var trainFeatures: [Float]
        public var trainLabels: [Int]
        /// Pool features (`count × 140`), ids, true classes and optional group (plate) ids.
        public var poolFeatures: [Float]
        public var poolIDs: [String]
        public var poolTruth: [SpectrumClass]
        public var poolGroups: [Int]?
        /// What each pool spectrum really is, when the truth says (e.g. `M-dwarf+molecular-bands`):
        /// the baseline report counts its false positives by these.
        public var poolKinds: [String]?

        public init(trainFeatures: [Float], trainLabels: [Int], poolFeatures: [Float], poolIDs: [String],
                    poolTruth: [SpectrumClass], poolGroups: [Int]? = nil, poolKinds: [String]? = nil) {
            self.trainFeatures = trainFeatures
            self.trainLabels = trainLabels
            self.poolFeatures = poolFeatures
            self.poolIDs = poolIDs
            self.poolTruth = poolTruth
            self.poolGroups = poolGroups
            self.poolKinds = poolKinds
        }

        public var inputSize: Int { trainLabels.isEmpty ? 140 : trainFeatures.count / trainLabels.count }
    }

    public struct Settings: Sendable {
        public var campaign = CampaignConfig()
        public var strategy = QueryStrategy.entropy
        public var seed: UInt64 = 1
        public var threads = ProcessInfo.processInfo.activeProcessorCount
        /// Training inside the loop (the paper's speeded-up regime).
        public var loopTraining: TrainingOptions
        /// The long training after convergence and for the baseline.
        public var finalTraining: TrainingOptions
        public var smote = true
        public var oracleErrorRate = 0.0
        public var match = PrecisionEstimate.Match.exactClass
        /// At most this many queried spectra from one group per batch (nil: no guard).
        public var maxPerGroup: Int?
        public var baselineRuns = 3
        /// Random sample per predicted target class for the baseline's precision (paper: 100).
        public var baselineSample = 100
        /// The network; `nil` means the paper's architecture for the data's input length.
        public var architecture: Architecture?

        public init() {
            loopTraining = TrainingOptions()
            loopTraining.epochs = 15
            loopTraining.patience = 10
            loopTraining.minDelta = 1e-4
            loopTraining.batchSize = 64
            loopTraining.monitor = .loss
            finalTraining = TrainingOptions()
            finalTraining.epochs = 60
            finalTraining.patience = 100
            finalTraining.minDelta = 1e-5
            finalTraining.batchSize = 64
            finalTraining.monitor = .loss
        }
    }

    /// One iteration of the active loop, with the truth the simulation knows.
    public struct IterationReport: Sendable, Codable, Equatable {
        public var iteration: Int
        public var labelled: Int
        public var predictedSingle: Int
        public var predictedDouble: Int
        public var precisionEstimate: Double?
        public var precisionTLower: Double?
        public var precisionClopperPearsonLower: Double?
        public var truePrecision: Double
        public var trueRecall: Double
        public var trainingSeconds: Double
        public var epochs: Int
    }

    public struct BaselineRun: Sendable, Codable, Equatable {
        public var run: Int
        public var precisionSingle: Double?
        public var precisionDouble: Double?
        public var predictedSingle: Int
        public var predictedDouble: Int
        /// Precision over every prediction of the class, from the truth (the simulation knows it).
        public var truePrecisionSingle: Double?
        public var truePrecisionDouble: Double?
        /// The commonest kinds (``Data/poolKinds``) among spectra predicted as targets that are not
        /// targets, most frequent first (at most 5); empty when the kinds are unknown.
        public var falsePositiveKinds: [KindCount]
    }

    /// A kind of pool spectrum and how many of them.
    public struct KindCount: Sendable, Codable, Equatable {
        public var kind: String
        public var count: Int
    }

    public struct ActiveResult: Sendable, Codable {
        public var iterations: [IterationReport]
        public var convergedAt: Int?
        public var finalTruePrecision: Double
        public var finalTrueRecall: Double
        public var candidates: Int
    }

    /// Progress of the experiment: iteration, phase, and the epoch report while training.
    public enum ProgressEvent: Sendable {
        case training(iteration: Int, final: Bool, samples: Int)
        case epoch(EpochReport)
        case iterationDone(IterationReport)
        case baseline(run: Int)
    }

    let data: Data
    let settings: Settings
    let logger: Logger
    let progress: (ProgressEvent) -> Void
    let oracle: SimulatedOracle

    public init(data: Data, settings: Settings, logger: Logger = Logger(label: "balmer.experiment"),
                progress: @escaping (ProgressEvent) -> Void = { _ in }) {
        precondition(data.poolIDs.count == data.poolTruth.count, "one truth per pool spectrum")
        self.data = data
        self.settings = settings
        self.logger = logger
        self.progress = progress
        oracle = SimulatedOracle(
            truth: Dictionary(zip(data.poolIDs, data.poolTruth), uniquingKeysWith: { first, _ in first }),
            errorRate: settings.oracleErrorRate, seed: settings.seed)
    }

    // MARK: - Active learning

    public func runActive() throws -> (result: ActiveResult, model: CNNModel) {
        var campaign = Campaign(config: settings.campaign)
        var generator = SeededGenerator(seed: settings.seed, stream: 0xAC71)
        var queryLabels: [Int: SpectrumClass] = [:]      // pool index → oracle label (trained on)
        var precisionLabels: [Int: SpectrumClass] = [:]  // never trained on
        var models: [String: CNNModel] = [:]
        var predictions: [SpectrumClass] = []
        var uncertainty: [Double] = []
        var reports: [IterationReport] = []
        var lastTraining: (seconds: Double, epochs: Int) = (0, 0)
        var currentSample: [Int] = []
        var finalModel: CNNModel?

        var pending = try campaign.handle(.start)
        while let action = pending.first {
            pending.removeFirst()
            switch action {
            case .train(let iteration, let warmStart, let final):
                // The previous iteration is complete (the oracle answers at once): report it.
                if let last = campaign.iterations.last, reports.count < campaign.iterations.count {
                    let report = iterationReport(index: last.index, campaign: campaign, labels: queryLabels,
                                                 predictions: predictions, training: lastTraining)
                    reports.append(report)
                    progress(.iterationDone(report))
                }
                let start = Date()
                let model = try train(iteration: iteration, warmStart: warmStart.flatMap { models[$0] },
                                      final: final, labels: queryLabels)
                lastTraining = (Date().timeIntervalSince(start), model.info.training?.epochsRun ?? 0)
                let name = "m\(iteration)"
                models[name] = model
                if final { finalModel = model }
                pending += try campaign.handle(.trained(model: name))

            case .score(let name):
                let scored = try score(models[name]!)
                predictions = scored.classes
                uncertainty = scored.uncertainty
                pending += try campaign.handle(.scored(model: name))

            case .select(_, let query, let precision):
                let labelled = Set(queryLabels.keys)
                let queried = TopKSelection.select(
                    k: query, scores: uncertainty, eligible: { !labelled.contains($0) },
                    groups: settings.maxPerGroup == nil ? nil : data.poolGroups, maxPerGroup: settings.maxPerGroup)
                let queriedSet = Set(queried)
                currentSample = RandomSample.indices(
                    precision, of: predictions.count,
                    eligible: { predictions[$0].isTarget && !labelled.contains($0) && !queriedSet.contains($0) },
                    generator: &generator)
                pending += try campaign.handle(.selected(query: queried.count, precision: currentSample.count))
                // The simulated oracle answers at once: precision sample first, then the queries.
                for i in currentSample { precisionLabels[i] = oracle.label(data.poolIDs[i]) }
                if !currentSample.isEmpty {
                    pending += try campaign.handle(.precisionLabelled(count: currentSample.count))
                }
                for i in queried { queryLabels[i] = oracle.label(data.poolIDs[i]) }
                if !queried.isEmpty { pending += try campaign.handle(.queryLabelled(count: queried.count)) }
                pending.removeAll { $0 == .awaitLabels }

            case .estimatePrecision:
                let correct = currentSample.filter { i in
                    guard let label = precisionLabels[i] else { return false }
                    return settings.match == .exactClass ? label == predictions[i] : label.isTarget
                }.count
                let estimate = PrecisionEstimate(correct: correct, sampleSize: currentSample.count)
                pending += try campaign.handle(.precisionEstimated(estimate))
                pending.removeAll { $0 == .awaitLabels }

            case .awaitLabels:
                continue

            case .finish:
                break
            }
        }
        guard let finalModel else { throw CNNError.invalidInput("the campaign ended without a final model") }
        let (precision, recall, count) = truth(predictions: predictions, labels: queryLabels.merging(precisionLabels) { a, _ in a })
        let convergedAt = campaign.converged
            ? campaign.iterations.lastIndex { $0.precision.map { $0.estimate >= settings.campaign.stopRule.threshold } ?? false }
            : nil
        return (ActiveResult(iterations: reports, convergedAt: convergedAt, finalTruePrecision: precision,
                             finalTrueRecall: recall, candidates: count), finalModel)
    }

    private func iterationReport(index: Int, campaign: Campaign, labels: [Int: SpectrumClass],
                                 predictions: [SpectrumClass],
                                 training: (seconds: Double, epochs: Int)) -> IterationReport {
        let estimate = campaign.iterations[index].precision
        let (precision, recall, _) = truth(predictions: predictions, labels: labels)
        return IterationReport(
            iteration: index, labelled: labels.count,
            predictedSingle: predictions.filter { $0 == .single }.count,
            predictedDouble: predictions.filter { $0 == .double }.count,
            precisionEstimate: estimate?.estimate, precisionTLower: estimate?.studentTLower,
            precisionClopperPearsonLower: estimate?.clopperPearsonLower,
            truePrecision: precision, trueRecall: recall, trainingSeconds: training.seconds, epochs: training.epochs)
    }

    /// True precision (candidate class equals the truth) and recall (true targets among the
    /// candidates) of the candidate set built from `predictions` and oracle `labels`.
    func truth(predictions: [SpectrumClass], labels: [Int: SpectrumClass]) -> (precision: Double, recall: Double, count: Int) {
        let candidates = CandidateSet.build(predicted: predictions, labels: labels)
        let correct = candidates.filter { data.poolTruth[$0.index] == $0.spectrumClass }.count
        let found = candidates.filter { data.poolTruth[$0.index].isTarget }.count
        let targets = data.poolTruth.filter(\.isTarget).count
        return (candidates.isEmpty ? 0 : Double(correct) / Double(candidates.count),
                targets == 0 ? 0 : Double(found) / Double(targets), candidates.count)
    }

    // MARK: - Baseline

    /// Train once (long training) on the initial set, score the pool, estimate precision per
    /// target class from random samples of `baselineSample`; repeated `baselineRuns` times.
    public func runBaseline() throws -> [BaselineRun] {
        try (0..<settings.baselineRuns).map { run in
            progress(.baseline(run: run))
            var options = settings.finalTraining
            options.seed = settings.seed &+ UInt64(run) &* 7919
            let model = try fit(fresh: options.seed, warmStart: nil, options: options, labels: [:], iteration: -1 - run)
            let predictions = try score(model).classes
            var generator = SeededGenerator(seed: settings.seed, stream: 0xBA5E + UInt64(run))
            func precision(of target: SpectrumClass) -> Double? {
                let sample = RandomSample.indices(settings.baselineSample, of: predictions.count,
                                                  eligible: { predictions[$0] == target }, generator: &generator)
                guard !sample.isEmpty else { return nil }
                let correct = sample.filter { oracle.label(data.poolIDs[$0]) == target }.count
                return Double(correct) / Double(sample.count)
            }
            func truePrecision(of target: SpectrumClass) -> Double? {
                let predicted = predictions.indices.filter { predictions[$0] == target }
                guard !predicted.isEmpty else { return nil }
                return Double(predicted.filter { data.poolTruth[$0] == target }.count) / Double(predicted.count)
            }
            return BaselineRun(run: run + 1, precisionSingle: precision(of: .single), precisionDouble: precision(of: .double),
                               predictedSingle: predictions.filter { $0 == .single }.count,
                               predictedDouble: predictions.filter { $0 == .double }.count,
                               truePrecisionSingle: truePrecision(of: .single), truePrecisionDouble: truePrecision(of: .double),
                               falsePositiveKinds: falsePositiveKinds(predictions))
        }
    }

    /// The commonest kinds among predicted targets that are not targets.
    func falsePositiveKinds(_ predictions: [SpectrumClass], top: Int = 5) -> [KindCount] {
        guard let kinds = data.poolKinds, kinds.count == predictions.count else { return [] }
        var counts: [String: Int] = [:]
        for (index, predicted) in predictions.enumerated() where predicted.isTarget && !data.poolTruth[index].isTarget {
            counts[kinds[index], default: 0] += 1
        }
        return counts.map { KindCount(kind: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.kind < $1.kind }
            .prefix(top).map { $0 }
    }

    // MARK: - Training and scoring

    private func train(iteration: Int, warmStart: CNNModel?, final: Bool,
                       labels: [Int: SpectrumClass]) throws -> CNNModel {
        var options = final ? settings.finalTraining : settings.loopTraining
        options.seed = settings.seed &+ UInt64(iteration) &* 104_729
        return try fit(fresh: options.seed, warmStart: warmStart, options: options, labels: labels, iteration: iteration)
    }

    private func fit(fresh seed: UInt64, warmStart: CNNModel?, options: TrainingOptions,
                     labels: [Int: SpectrumClass], iteration: Int) throws -> CNNModel {
        let d = data.inputSize
        var features = data.trainFeatures
        var classes = data.trainLabels
        for (index, label) in labels.sorted(by: { $0.key < $1.key }) {
            features += data.poolFeatures[(index * d)..<(index * d + d)]
            classes.append(label.index)
        }
        var set = SMOTE.Dataset(features: features, labels: classes, dimension: d)
        if settings.smote {
            set = SMOTE(seed: seed, threads: settings.threads).balance(set)
        }
        progress(.training(iteration: iteration, final: options.patience >= 100, samples: set.count))
        let base = try warmStart ?? CNNModel(
            architecture: settings.architecture ?? .paper(inputLength: d, classes: SpectrumClass.allCases.count), seed: seed,
            info: ModelInfo(classNames: SpectrumClass.allCases.map(\.rawValue)))
        var options = options
        options.threads = settings.threads
        return try Trainer.train(base, on: TrainingData(features: set.features, labels: set.labels),
                                 options: options, logger: logger, progress: { [progress] in progress(.epoch($0)) })
    }

    /// Predicted class and uncertainty (by the strategy) of every pool spectrum.
    private func score(_ model: CNNModel) throws -> (classes: [SpectrumClass], uncertainty: [Double]) {
        let predictor = Predictor(model: model, maxBatch: 1024, threads: settings.threads)
        let predictions = try predictor.predict(data.poolFeatures)
        var generator = SeededGenerator(seed: settings.seed, stream: 0x5C0E)
        let classes = predictions.map { SpectrumClass.allCases[$0.classIndex] }
        let uncertainty = predictions.map { settings.strategy.score($0.probabilities, randomDraw: generator.unit()) }
        return (classes, uncertainty)
    }
}
