import BalmerCNN
import BalmerCore
import BalmerLearning
import BalmerStore
import Foundation
import Logging

/// Training from the store's labels, shared by the daemon's loop and `balmer train --database`:
/// a deterministic hold-out of the initial labels for the promotion gate, SMOTE, warm start.
public enum StoreTraining {
    /// How to train.
    public struct Options: Sendable {
        public var maxEpochs = 50
        public var patience = 10
        public var minDelta = 1e-4
        public var batchSize = 32
        /// Share of the initial labels held out (never trained on) to compare models.
        public var holdoutFraction = 0.1
        public var smote = true
        public var seed: UInt64 = 1
        public var threads = ProcessInfo.processInfo.activeProcessorCount

        public init() {}
    }

    /// Splits `examples` into training and held-out sets. Only initial labels are held out (oracle
    /// labels are few and precious); membership depends on the spectrum id and seed alone, so the
    /// same spectra stay held out in every iteration.
    public static func split(_ examples: [TrainingExample], holdoutFraction: Double, seed: UInt64)
        -> (train: [TrainingExample], heldOut: [TrainingExample])
    {
        var train: [TrainingExample] = []
        var held: [TrainingExample] = []
        for e in examples {
            var g = SeededGenerator(seed: seed ^ 0x401D_0A7, stream: UInt64(bitPattern: e.spectrumID))
            if !e.fromOracle && g.unit() < holdoutFraction { held.append(e) } else { train.append(e) }
        }
        return (train, held)
    }

    /// Trains on `examples` (SMOTE-balanced when asked), from `warmStart` or a fresh paper network.
    /// Blocking: run it on a compute thread.
    public static func train(
        _ examples: [TrainingExample], warmStart: CNNModel?, options: Options, logger: Logger,
        progress: @escaping (EpochReport) -> Void = { _ in }
    ) throws -> CNNModel {
        guard let first = examples.first else { throw CNNError.invalidInput("no labelled spectra to train on") }
        let d = first.features.count
        var set = SMOTE.Dataset(features: examples.flatMap(\.features), labels: examples.map(\.label.index), dimension: d)
        if options.smote { set = SMOTE(seed: options.seed, threads: options.threads).balance(set) }
        let base = try warmStart ?? CNNModel(
            architecture: .paper(inputLength: d, classes: SpectrumClass.allCases.count), seed: options.seed,
            info: ModelInfo(classNames: SpectrumClass.allCases.map(\.rawValue)))
        var training = TrainingOptions()
        training.epochs = options.maxEpochs
        training.patience = options.patience
        training.minDelta = options.minDelta
        training.batchSize = options.batchSize
        training.seed = options.seed
        training.threads = options.threads
        var model = try Trainer.train(base, on: TrainingData(features: set.features, labels: set.labels),
                                      options: training, logger: logger, progress: progress)
        model.info.parent = warmStart?.sha256
        model.info.created = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        return model
    }

    /// Share of `examples` the model classifies as labelled; `nil` without examples. Blocking.
    public static func accuracy(of model: CNNModel, on examples: [TrainingExample], threads: Int) throws -> Double? {
        guard !examples.isEmpty else { return nil }
        let scoring = try ScoringModel(version: 0, model: model)
        let predictions = try Predictor(model: model, maxBatch: 256, threads: threads).predict(examples.flatMap(\.features))
        let correct = zip(predictions, examples).filter { p, e in
            scoring.outputIndex[e.label.index] == p.classIndex
        }.count
        return Double(correct) / Double(examples.count)
    }

    /// Examples per class name (before SMOTE).
    public static func counts(_ examples: [TrainingExample]) -> [String: Int] {
        Dictionary(grouping: examples, by: \.label.rawValue).mapValues(\.count)
    }
}
