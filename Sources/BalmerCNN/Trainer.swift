import Foundation
import Logging

/// Labelled training samples: `count` rows of `inputSize` floats and one class index per row.
public struct TrainingData: Sendable {
    /// `[count][inputSize]` preprocessed features.
    public var features: [Float]
    /// Class index per sample, in `0..<classes`.
    public var labels: [Int]
    public var count: Int { labels.count }

    public init(features: [Float], labels: [Int]) {
        self.features = features
        self.labels = labels
    }
}

/// What early stopping watches.
public enum Monitor: String, Sendable, Codable {
    /// Training loss (the paper's choice).
    case loss
    /// Validation loss (Keras's default); needs a validation split.
    case validationLoss = "val_loss"
}

/// Training settings. Defaults follow the paper's active-learning loop and Keras.
public struct TrainingOptions: Sendable {
    /// Maximum epochs (default 100).
    public var epochs = 100
    /// Mini-batch size (default 32, Keras's default).
    public var batchSize = 32
    /// Seed for the validation split, shuffling and dropout (default 0).
    public var seed: UInt64 = 0
    /// Fraction of samples held out for validation, stratified by class (default 0.1; 0 = none).
    public var validationSplit = 0.1
    /// Epochs without improvement before stopping (default 10).
    public var patience = 10
    /// Minimum decrease of the monitored loss that counts as improvement (default 1e-4).
    public var minDelta = 1e-4
    /// Monitored quantity (default validation loss; falls back to training loss without validation).
    public var monitor: Monitor = .validationLoss
    /// Adam settings (Keras defaults).
    public var adam = AdamOptions()
    /// Optional loss weight per class (Keras `class_weight`), `classes` values.
    public var classWeights: [Float]?
    /// Threads for OpenBLAS and the engine's loops (default all processors).
    public var threads = ComputeThreads.default

    public init() {}
}

/// Metrics of one finished epoch, reported to the progress callback.
public struct EpochReport: Sendable {
    /// 1-based epoch number and the maximum.
    public var epoch: Int, epochs: Int
    /// Mean training loss and accuracy (with dropout active) over the epoch.
    public var loss: Double, accuracy: Double
    /// Validation loss and accuracy, nil without validation data.
    public var validationLoss: Double?, validationAccuracy: Double?
    /// Wall time of the epoch in seconds.
    public var seconds: Double
    /// Whether the monitored loss improved by at least `minDelta`; the best epoch so far.
    public var improved: Bool, bestEpoch: Int
}

/// Summary of a training run, stored in model files.
public struct TrainingSummary: Sendable, Equatable, Codable {
    public var epochsRun: Int
    public var bestEpoch: Int
    public var stoppedEarly: Bool
    public var monitor: Monitor
    public var bestMonitored: Double
    public var trainingSamples: Int
    public var validationSamples: Int
    public var batchSize: Int
    public var seed: UInt64
    public var loss: Double
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var seconds: Double
}

/// Mini-batch training with Adam, seeded shuffling, a stratified validation split and early
/// stopping with best-weight restore. Synchronous and CPU-bound: run it on your own thread.
public enum Trainer {
    /// Trains `model` (fresh, or a loaded one for a warm start) on `data`.
    ///
    /// Returns the model with the best weights (by the monitored loss) and `info.training` set;
    /// `info.parent` is left as given. Deterministic for a given seed and thread count.
    public static func train(_ model: CNNModel, on data: TrainingData, options: TrainingOptions,
                             logger: Logger = Logger(label: "balmer.cnn"),
                             progress: (EpochReport) -> Void = { _ in }) throws(CNNError) -> CNNModel {
        try train(model, on: data, options: options, logger: logger, progress: progress, deferDenseGradient: true)
    }

    /// As above; `deferDenseGradient` false forms every gradient in the workers' backward passes
    /// (the reference the deferred dense gradient is tested against).
    static func train(_ model: CNNModel, on data: TrainingData, options: TrainingOptions, logger: Logger,
                      progress: (EpochReport) -> Void, deferDenseGradient: Bool) throws(CNNError) -> CNNModel {
        let a = model.architecture
        let size = a.inputSize, k = a.classes
        guard data.count > 0, data.features.count == data.count * size else {
            throw .invalidInput("expected \(data.count) × \(size) features, got \(data.features.count)")
        }
        if let bad = data.labels.first(where: { $0 < 0 || $0 >= k }) {
            throw .invalidInput("label \(bad) outside 0..<\(k)")
        }
        if let w = options.classWeights, w.count != k || w.contains(where: { !($0 >= 0) }) {
            throw .invalidInput("class weights must be \(k) non-negative values")
        }
        guard options.batchSize > 0, options.epochs > 0, options.patience > 0 else {
            throw .invalidInput("batch size, epochs and patience must be positive")
        }
        guard options.validationSplit >= 0, options.validationSplit < 1 else {
            throw .invalidInput("validation split must be in [0, 1)")
        }
        let threads = max(1, options.threads)
        BLASThreads.set(threads)
        let (trainIdx, valIdx) = split(labels: data.labels, classes: k, fraction: options.validationSplit,
                                      seed: options.seed)
        guard !trainIdx.isEmpty else { throw .invalidInput("no training samples left after the validation split") }
        let monitor: Monitor = valIdx.isEmpty ? .loss : options.monitor
        logger.info("training", metadata: [
            "samples": "\(trainIdx.count)", "validation": "\(valIdx.count)", "batch": "\(options.batchSize)",
            "threads": "\(threads)", "parameters": "\(model.parameters.count)", "monitor": "\(monitor.rawValue)",
        ])

        var model = model
        let batch = min(options.batchSize, trainIdx.count)
        // Data-parallel steps: each worker runs forward and backward on its share of the
        // mini-batch with single-threaded BLAS into its own gradient buffer; Adam sums them.
        let workers = max(1, min(threads, batch))
        let share = (batch + workers - 1) / workers
        let workspaces = (0..<workers).map { _ in Workspace(plan: model.plan, capacity: share, training: true) }
        let evalWs = valIdx.isEmpty ? nil : Workspace(plan: model.plan, capacity: 256, training: false, workers: threads)
        let count = model.parameters.count
        let gradientBuffers = UnsafeMutablePointer<Float>.allocate(capacity: workers * count)
        defer { gradientBuffers.deallocate() }
        let workerLoss = UnsafeMutablePointer<Double>.allocate(capacity: workers)
        let workerCorrect = UnsafeMutablePointer<Int>.allocate(capacity: workers)
        defer { workerLoss.deallocate(); workerCorrect.deallocate() }
        let gradientPointers = (0..<workers).map { UnsafePointer(gradientBuffers + $0 * count) }
        var adam = Adam(count: count, options: options.adam)
        // The conv weights for Balmer's kernel, packed again before every step's forward pass,
        // and flipped for the input gradients of the backward pass (two 1.5 MB copies for the
        // paper's network, ~2 % of a step at batch 32).
        let packed = PackedWeights(plan: model.plan, backward: true)
        // The largest dense layer's weight gradient is formed inside Adam's step.
        let deferredLayer = deferDenseGradient ? DeferredWeightGradient.layer(in: model.plan) : nil
        var shuffler = SeededGenerator.derived(seed: options.seed, stream: 1)
        var order = trainIdx
        var best = Double.infinity, bestEpoch = 0, wait = 0
        var bestParameters = model.parameters
        var last: EpochReport?
        var step: UInt64 = 0
        let start = Date()
        var stoppedEarly = false
        let weighted = options.classWeights != nil
        let classWeights = options.classWeights

        for epoch in 1...options.epochs {
            let epochStart = Date()
            order.shuffle(using: &shuffler)
            var lossSum = 0.0, correct = 0
            var offset = 0
            while offset < order.count {
                let n = min(batch, order.count - offset)
                step += 1
                let stepSeed = step
                let parts = min(workers, n)
                BLASThreads.set(1)
                data.features.withUnsafeBufferPointer { f in
                    data.labels.withUnsafeBufferPointer { labels in
                        order.withUnsafeBufferPointer { order in
                            model.parameters.withUnsafeBufferPointer { p in
                                packed?.pack(p.baseAddress!)
                                ParallelLoop.chunks(parts, threads: parts) { range, _ in
                                    for w in range {
                                        let ws = workspaces[w]
                                        let mine = ParallelLoop.range(of: w, count: n, chunks: parts)
                                        for (slot, i) in mine.enumerated() {
                                            let s = order[offset + i]
                                            ws.setInput(slot: slot, from: f.baseAddress! + s * size)
                                            ws.labels[slot] = Int32(labels[s])
                                            ws.sampleWeights[slot] = classWeights?[labels[s]] ?? 1
                                        }
                                        var rng = SeededGenerator.derived(seed: options.seed, stream: 1000 + stepSeed &* 64 + UInt64(w))
                                        let g = gradientBuffers + w * count
                                        Network.forward(ws, parameters: p.baseAddress!, batch: mine.count, rng: &rng, threads: 1,
                                                        packed: packed)
                                        workerLoss[w] = Network.loss(ws, batch: mine.count, weighted: weighted, normaliser: n)
                                        workerCorrect[w] = countCorrect(ws, batch: mine.count, classes: k)
                                        Network.backward(ws, parameters: p.baseAddress!, gradients: g, batch: mine.count,
                                                         threads: 1, deferring: deferredLayer, packed: packed)
                                    }
                                }
                            }
                        }
                    }
                }
                let deferred = deferredLayer.map { deferredGradient(layer: $0, plan: model.plan, workspaces: workspaces,
                                                                     samples: n, parts: parts) }
                model.parameters.withUnsafeMutableBufferPointer { p in
                    adam.update(parameters: p.baseAddress!, gradients: Array(gradientPointers.prefix(parts)), threads: threads,
                                deferred: deferred)
                }
                for w in 0..<parts { lossSum += workerLoss[w] * Double(n); correct += workerCorrect[w] }
                offset += n
            }
            BLASThreads.set(threads)
            let loss = lossSum / Double(order.count)
            var valLoss: Double?, valAcc: Double?
            if let evalWs {
                let (l, acc) = evaluate(model, workspace: evalWs, data: data, indices: valIdx, threads: threads, packed: packed)
                valLoss = l; valAcc = acc
            }
            let monitored = monitor == .loss ? loss : valLoss!
            let improved = monitored < best - options.minDelta
            if improved {
                best = monitored; bestEpoch = epoch; wait = 0
                bestParameters = model.parameters
            } else {
                wait += 1
            }
            let report = EpochReport(
                epoch: epoch, epochs: options.epochs, loss: loss, accuracy: Double(correct) / Double(order.count),
                validationLoss: valLoss, validationAccuracy: valAcc,
                seconds: Date().timeIntervalSince(epochStart), improved: improved, bestEpoch: bestEpoch)
            last = report
            progress(report)
            guard loss.isFinite else { throw .invalidInput("training diverged (loss \(loss)) at epoch \(epoch)") }
            if wait >= options.patience {
                stoppedEarly = epoch < options.epochs
                break
            }
        }
        model.parameters = bestParameters
        var bestValLoss: Double?, bestValAcc: Double?
        if let evalWs {
            let (l, acc) = evaluate(model, workspace: evalWs, data: data, indices: valIdx, threads: threads, packed: packed)
            bestValLoss = l; bestValAcc = acc
        }
        model.info.training = TrainingSummary(
            epochsRun: last?.epoch ?? 0, bestEpoch: bestEpoch, stoppedEarly: stoppedEarly, monitor: monitor,
            bestMonitored: best, trainingSamples: trainIdx.count, validationSamples: valIdx.count,
            batchSize: options.batchSize, seed: options.seed, loss: last?.loss ?? .nan,
            validationLoss: bestValLoss, validationAccuracy: bestValAcc,
            seconds: Date().timeIntervalSince(start))
        logger.info("trained", metadata: [
            "epochs": "\(last?.epoch ?? 0)", "best_epoch": "\(bestEpoch)", "best": "\(best)",
        ])
        return model
    }

    /// Dense layer `layer`'s weight gradient over a step of `samples` samples split over the first
    /// `parts` workspaces (as the step split them), from each workspace's layer input and
    /// masked output gradient.
    static func deferredGradient(layer index: Int, plan: NetworkPlan, workspaces: [Workspace], samples: Int,
                                 parts: Int) -> DeferredWeightGradient {
        let layer = plan.layers[index], pad = plan.pad
        return DeferredWeightGradient(
            weightOffset: layer.weightOffset, features: layer.input.features, units: layer.output.channels,
            inStride: layer.input.stride(pad: pad),
            parts: (0..<parts).map { w in
                let ws = workspaces[w]
                return .init(input: UnsafePointer(ws.activations[index] + layer.input.offset(pad: pad)),
                             dOutput: UnsafePointer(ws.gradients[index + 1]),
                             samples: ParallelLoop.range(of: w, count: samples, chunks: parts).count)
            })
    }

    /// Mean unweighted cross-entropy and accuracy of `model` on `indices` of `data`.
    public static func evaluate(_ model: CNNModel, on data: TrainingData, indices: [Int]? = nil,
                                threads: Int = ComputeThreads.default) -> (loss: Double, accuracy: Double) {
        let ws = Workspace(plan: model.plan, capacity: 256, training: false, workers: threads)
        return evaluate(model, workspace: ws, data: data, indices: indices ?? Array(0..<data.count), threads: threads,
                        packed: PackedWeights(plan: model.plan))
    }

    /// `packed`, when given, is (re)packed from the model's parameters and runs the convolutions.
    static func evaluate(_ model: CNNModel, workspace ws: Workspace, data: TrainingData, indices: [Int],
                         threads: Int, packed: PackedWeights? = nil) -> (loss: Double, accuracy: Double) {
        if let packed { model.parameters.withUnsafeBufferPointer { packed.pack($0.baseAddress!) } }
        let size = model.architecture.inputSize, k = model.architecture.classes
        var loss = 0.0, correct = 0, offset = 0
        var rng = SeededGenerator(seed: 0)
        while offset < indices.count {
            let n = min(ws.capacity, indices.count - offset)
            data.features.withUnsafeBufferPointer { f in
                for i in 0..<n { ws.setInput(slot: i, from: f.baseAddress! + indices[offset + i] * size) }
            }
            model.parameters.withUnsafeBufferPointer { p in
                Network.forward(ws, parameters: p.baseAddress!, batch: n, rng: &rng, threads: threads, packed: packed)
            }
            for i in 0..<n {
                let y = data.labels[indices[offset + i]]
                ws.labels[i] = Int32(y)
                loss -= log(Double(max(ws.probabilities[i * k + y], .leastNormalMagnitude)))
            }
            correct += countCorrect(ws, batch: n, classes: k)
            offset += n
        }
        return indices.isEmpty ? (.nan, .nan) : (loss / Double(indices.count), Double(correct) / Double(indices.count))
    }

    static func countCorrect(_ ws: Workspace, batch: Int, classes k: Int) -> Int {
        var correct = 0
        for i in 0..<batch {
            let p = ws.probabilities + i * k
            var best = 0
            for c in 1..<k where p[c] > p[best] { best = c }
            if best == Int(ws.labels[i]) { correct += 1 }
        }
        return correct
    }

    /// Stratified seeded split: from each class, `round(fraction × class count)` samples go to
    /// validation (at most all but one). Both index lists are sorted.
    static func split(labels: [Int], classes: Int, fraction: Double, seed: UInt64) -> (train: [Int], validation: [Int]) {
        guard fraction > 0 else { return (Array(labels.indices), []) }
        var rng = SeededGenerator.derived(seed: seed, stream: 0)
        var train: [Int] = [], validation: [Int] = []
        for c in 0..<classes {
            var idx = labels.indices.filter { labels[$0] == c }
            idx.shuffle(using: &rng)
            let v = min(Int((Double(idx.count) * fraction).rounded()), max(0, idx.count - 1))
            validation += idx.prefix(v)
            train += idx.dropFirst(v)
        }
        return (train.sorted(), validation.sorted())
    }
}
