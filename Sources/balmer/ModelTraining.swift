import BalmerCNN
import BalmerCore
import BalmerService
import BalmerStore
import Foundation
import Logging

/// `balmer train --database`: trains on the store's training set with balmerd's training
/// function, registers the model with its lineage, and promotes it when asked or when no model
/// is active.
struct ModelTraining {
    let command: TrainCommand

    /// What the store holds before training.
    private struct Start: Sendable {
        var examples: [TrainingExample]
        var active: ModelEntry?
        var warm: CNNModel?
        var registryEmpty: Bool
    }

    func run() async throws {
        let fresh = command.fresh
        let start = try await ModelStore.run(command.store, migrate: true) { store -> Start in
            let examples = try await store.trainingSet()
            let active = try await store.activeEntry()
            var warm: CNNModel?
            if let active, !fresh {
                guard let weights = try await store.modelWeights(version: active.version) else {
                    throw CLIFailure(1, "the active model \(active.version) has no weights in the store")
                }
                let model = try CNNModel(safetensors: [UInt8](weights), path: "models/\(active.version)")
                guard model.sha256 == active.record.sha256 else {
                    throw CLIFailure(1, "model \(active.version) weights do not match their registered sha256")
                }
                warm = model
            }
            return Start(examples: examples, active: active, warm: warm, registryEmpty: try await store.models().isEmpty)
        }
        guard !start.examples.isEmpty else {
            throw CLIFailure(2, "the store has no labelled spectra: import the initial set with `balmer labels import` first")
        }
        if let warm = start.warm, warm.architecture.inputSize != SpectrumRecord.featureCount {
            throw CLIFailure(2, "the active model takes \(warm.architecture.inputSize) points, the store's features have \(SpectrumRecord.featureCount): use --fresh")
        }

        var options = StoreTraining.Options()
        options.maxEpochs = command.epochs ?? 50
        options.patience = command.patience
        options.minDelta = command.minDelta
        options.batchSize = command.batchSize
        options.holdoutFraction = command.holdout
        options.smote = !command.noSMOTE
        options.seed = command.seed
        options.threads = command.threads ?? ProcessInfo.processInfo.environment["BALMER_THREADS"].flatMap(Int.init)
            ?? ComputeThreads.default
        let (training, heldOut) = StoreTraining.split(start.examples, holdoutFraction: options.holdoutFraction, seed: options.seed)
        guard !training.isEmpty else { throw CLIFailure(2, "every labelled spectrum is held out: lower --holdout") }
        let oracle = training.filter(\.fromOracle).count
        let kind: ModelKind = start.registryEmpty ? .initial : .loop
        FileHandle.standardError.write(Data("""
            balmer train: \(training.count) training spectra (\(oracle) oracle), \(heldOut.count) held out, \
            \(start.warm == nil ? "fresh weights" : "warm start from model \(start.active!.version)"), kind \(kind.rawValue)

            """.utf8))

        let logger: Logger = {
            var logger = Logger(label: "balmer.train") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = .warning
            return logger
        }()
        let warm = start.warm
        let settings = options
        let began = ContinuousClock.now
        let trained: (model: CNNModel, accuracy: Double?, parentAccuracy: Double?)
        do {
            trained = try await ComputeThread.run {
                let model = try StoreTraining.train(training, warmStart: warm, options: settings, logger: logger) { report in
                    FileHandle.standardError.write(Data((TrainCommand.progressLine(report) + "\n").utf8))
                }
                return (model, try StoreTraining.accuracy(of: model, on: heldOut, threads: settings.threads),
                        try warm.flatMap { try StoreTraining.accuracy(of: $0, on: heldOut, threads: settings.threads) })
            }
        } catch let error as CNNError {
            throw CLIFailure(1, error.description)
        }
        let (model, accuracy, parentAccuracy) = trained
        let seconds = (ContinuousClock.now - began) / .milliseconds(1) / 1000

        var metrics: [String: Any] = ["training_seconds": seconds, "oracle_labels": oracle, "heldout_examples": heldOut.count,
                                      "source": "balmer train --database"]
        metrics["heldout_accuracy"] = accuracy
        metrics["parent_heldout_accuracy"] = parentAccuracy
        if let t = model.info.training {
            metrics["epochs"] = t.epochsRun
            metrics["loss"] = t.loss
            metrics["val_loss"] = t.validationLoss
            metrics["val_accuracy"] = t.validationAccuracy
        }
        if let out = command.out {
            do { try model.write(to: out) } catch { throw CLIFailure(1, "cannot write \(out): \(error)") }
        }

        let promote = command.promote || start.active == nil
        let who = ModelStore.operatorName
        let accuracyText = accuracy.map { String(format: "held-out accuracy %.3f", $0) } ?? "no held-out set"
        let entry = try await ModelStore.run(command.store, migrate: false) { store -> ModelEntry in
            let version = try await store.registerTrainedModel(
                parent: start.active?.version, createdAt: model.info.created, trainingCounts: StoreTraining.counts(training),
                metricsJSON: ModelJSON.text(metrics), sha256: model.sha256, weights: Data(model.safetensorsBytes()),
                kind: kind, iteration: nil, oracleLabels: oracle)
            if promote, try await store.activeEntry()?.version != version {
                try await store.promoteModel(version: version, decision: "promoted by \(who) via balmer train (\(accuracyText))")
            }
            guard let entry = try await store.modelEntry(version: version) else { throw CLIFailure(1, "model \(version) vanished") }
            return entry
        }
        let s = model.info.training
        var summary = "model \(entry.version) (\(entry.kind.rawValue)"
        summary += start.active.map { ", parent \($0.version)" } ?? ""
        summary += "): \(s?.epochsRun ?? 0) epochs, \(training.count) spectra, \(accuracyText)"
        if let parentAccuracy { summary += String(format: " (parent %.3f)", parentAccuracy) }
        summary += String(format: ", %.1f s", seconds)
        summary += entry.record.status == .active ? "; active" : "; registered as \(entry.record.status.rawValue): promote with `balmer model promote \(entry.version)`"
        print(summary)
        if promote && entry.record.status == .active { await command.announce.announce(entry) }
    }
}
