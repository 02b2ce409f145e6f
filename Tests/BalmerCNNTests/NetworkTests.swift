import Foundation
import Testing
@testable import BalmerCNN

/// The whole network: forward against the reference, gradients against finite differences,
/// learning a tiny set, determinism.
@Suite struct NetworkTests {
    /// A small net that exercises mixed kernels (pad 2), floor pooling, flatten, dropout.
    static let tiny = Architecture(
        inputLength: 12,
        layers: [.conv(kernel: 3, filters: 4), .conv(kernel: 5, filters: 3), .maxPool(size: 2),
                 .conv(kernel: 3, filters: 5), .maxPool(size: 4), .dense(units: 6), .dropout(rate: 0.5)],
        classes: 3)

    static func info(_ a: Architecture) -> ModelInfo {
        ModelInfo(classNames: (0..<a.classes).map { "c\($0)" }, created: Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test func planShapesAndParameterNames() throws {
        let tensors = try Architecture.paper().parameterTensors()
        #expect(tensors.map(\.name) == (1...6).flatMap { ["conv\($0).weight", "conv\($0).bias"] }
            + (1...3).flatMap { ["dense\($0).weight", "dense\($0).bias"] })
        #expect(tensors.first { $0.name == "conv3.weight" }?.shape == [3, 64, 128])
        #expect(tensors.first { $0.name == "dense1.weight" }?.shape == [17 * 256, 512])
        #expect(tensors.first { $0.name == "dense3.weight" }?.shape == [512, 3])
        let notation = Architecture.paper().notation
        #expect(try Architecture(notation: notation) == .paper())
        #expect(throws: CNNError.self) { try Architecture(notation: "input=140x1 fc-5 conv3-4 classes=3") }
        #expect(throws: CNNError.self) { try Architecture(inputLength: 4, layers: [.conv(kernel: 2, filters: 3)], classes: 2).parameterCount() }
    }

    @Test func forwardMatchesReference() throws {
        let model = try CNNModel(architecture: Self.tiny, seed: 5, info: Self.info(Self.tiny))
        let n = 5
        let x = TestData.random(n * 12, seed: 6)
        let p = try Predictor(model: model, maxBatch: 2, threads: 2).probabilities(x)
        let ref = Reference.probabilities(plan: model.plan, parameters: model.parameters.map(Double.init),
                                          input: x.map(Double.init), n: n)
        let (ok, worst) = TestData.close(p, ref, atol: 1e-6, rtol: 1e-5)
        #expect(ok, "max diff \(worst)")
    }

    @Test(arguments: [(1, 1), (3, 1), (7, 1), (1, 2), (3, 2)])
    func chunkedInferenceMatchesReference(chunk: Int, workers: Int) throws {
        let model = try CNNModel(architecture: Self.tiny, seed: 15, info: Self.info(Self.tiny))
        let n = 7
        let x = TestData.random(n * 12, seed: 16)
        let ws = Workspace(plan: model.plan, capacity: n, training: false, chunk: chunk, workers: workers)
        #expect(ws.chunk == chunk)
        var rng = SeededGenerator(seed: 0)
        for round in 0..<2 {   // the second round runs on dirty buffers
            let input = round == 0 ? x : x.reversed()
            input.withUnsafeBufferPointer { f in for i in 0..<n { ws.setInput(slot: i, from: f.baseAddress! + i * 12) } }
            model.parameters.withUnsafeBufferPointer { p in
                Network.forward(ws, parameters: p.baseAddress!, batch: n, rng: &rng, threads: 2)
            }
            let p = Array(UnsafeBufferPointer(start: ws.probabilities, count: n * 3))
            let ref = Reference.probabilities(plan: model.plan, parameters: model.parameters.map(Double.init),
                                              input: input.map(Double.init), n: n)
            let (ok, worst) = TestData.close(p, ref, atol: 1e-6, rtol: 1e-5)
            #expect(ok, "chunk \(chunk) workers \(workers) round \(round): max diff \(worst)")
        }
    }

    @Test func wholeNetworkGradientMatchesFiniteDifferences() throws {
        let model = try CNNModel(architecture: Self.tiny, seed: 8, info: Self.info(Self.tiny))
        let plan = model.plan, n = 4
        let x = TestData.random(n * 12, seed: 9)
        let labels = [0, 2, 1, 2]
        let ws = Workspace(plan: plan, capacity: n, training: true)
        x.withUnsafeBufferPointer { f in for i in 0..<n { ws.setInput(slot: i, from: f.baseAddress! + i * 12) } }
        for i in 0..<n { ws.labels[i] = Int32(labels[i]) }
        var grads = [Float](repeating: .nan, count: model.parameters.count)   // backward overwrites all
        var rng = SeededGenerator(seed: 10)
        let loss = model.parameters.withUnsafeBufferPointer { p in
            Network.forward(ws, parameters: p.baseAddress!, batch: n, rng: &rng, threads: 2)
            let l = Network.loss(ws, batch: n, weighted: false)
            Network.backward(ws, parameters: p.baseAddress!, gradients: &grads, batch: n, threads: 2)
            return l
        }
        let dropoutIndex = plan.layers.firstIndex { if case .dropout = $0.op { true } else { false } }!
        let mask = Array(UnsafeBufferPointer(start: ws.masks[dropoutIndex]!, count: n * 6)).map(Double.init)
        #expect(mask.contains(0) && mask.contains(2), "dropout active in the check")
        let pd = model.parameters.map(Double.init), xd = x.map(Double.init)
        let f = { (p: [Double]) in Reference.loss(plan: plan, parameters: p, input: xd, labels: labels, masks: [dropoutIndex: mask]) }
        #expect(abs(f(pd) - loss) < 1e-5)
        let numeric = Reference.numericGradient(pd, eps: 1e-5, f)
        let (ok, worst) = TestData.close(grads, numeric, atol: 2e-4, rtol: 2e-3)
        #expect(ok, "max diff \(worst)")
        #expect(grads.contains { $0 != 0 })
    }

    static func toyData(count: Int, length: Int, seed: UInt64) -> TrainingData {
        // Class 0: a bump at a random place; 1: a dip; 2: noise only.
        var rng = SeededGenerator(seed: seed)
        var features: [Float] = [], labels: [Int] = []
        for i in 0..<count {
            let c = i % 3
            let centre = Int(rng.next() % UInt64(length - 4)) + 2
            for l in 0..<length {
                var v = (rng.nextUnitFloat() - 0.5) * 0.3
                if c < 2, abs(l - centre) <= 1 { v += c == 0 ? 1 : -1 }
                features.append(v)
            }
            labels.append(c)
        }
        return TrainingData(features: features, labels: labels)
    }

    @Test func overfitsTinySet() throws {
        let a = Architecture(inputLength: 16, layers: [.conv(kernel: 3, filters: 8), .maxPool(size: 2),
                                                     .conv(kernel: 3, filters: 8), .maxPool(size: 2),
                                                     .dense(units: 16), .dropout(rate: 0.1)], classes: 3)
        let data = Self.toyData(count: 24, length: 16, seed: 3)
        var options = TrainingOptions()
        options.epochs = 150; options.batchSize = 8; options.validationSplit = 0; options.patience = 150
        options.adam.learningRate = 3e-3; options.threads = 2
        let model = try Trainer.train(try CNNModel(architecture: a, seed: 1, info: Self.info(a)), on: data, options: options)
        let (loss, accuracy) = Trainer.evaluate(model, on: data, threads: 2)
        #expect(accuracy == 1, "accuracy \(accuracy)")
        #expect(loss < 0.1, "loss \(loss)")
        #expect(model.info.training?.epochsRun == 150)
    }

    @Test func trainingIsDeterministicAndStopsEarlyRestoringBest() throws {
        let a = Architecture(inputLength: 16, layers: [.conv(kernel: 3, filters: 4), .maxPool(size: 2),
                                                     .dense(units: 8), .dropout(rate: 0.5)], classes: 3)
        let data = Self.toyData(count: 60, length: 16, seed: 4)
        var options = TrainingOptions()
        options.epochs = 40; options.batchSize = 7; options.validationSplit = 0.25
        options.patience = 3; options.minDelta = 0.05; options.seed = 99; options.threads = 2
        options.classWeights = [1, 2, 0.5]
        var reports: [[EpochReport]] = [[], []]
        var models: [CNNModel] = []
        for run in 0..<2 {
            let start = try CNNModel(architecture: a, seed: 2, info: Self.info(a))
            models.append(try Trainer.train(start, on: data, options: options) { reports[run].append($0) })
        }
        #expect(models[0].parameters == models[1].parameters, "same seed, same threads, same weights")
        #expect(reports[0].map(\.loss) == reports[1].map(\.loss))
        let summary = try #require(models[0].info.training)
        #expect(summary.stoppedEarly, "patience 3 with min delta 0.05 stops before 40 epochs")
        #expect(summary.epochsRun == summary.bestEpoch + options.patience)
        #expect(summary.validationSamples == 15)
        // Best weights are restored: the validation loss is the best epoch's.
        let best = try #require(reports[0].first { $0.epoch == summary.bestEpoch }?.validationLoss)
        let restored = try #require(summary.validationLoss)
        #expect(abs(best - restored) < 1e-9)

        options.seed = 100
        let other = try Trainer.train(try CNNModel(architecture: a, seed: 2, info: Self.info(a)), on: data, options: options)
        #expect(other.parameters != models[0].parameters, "another seed shuffles differently")
    }

    @Test func dataParallelWorkersMatchOneWorker() throws {
        // Without dropout, splitting each mini-batch over workers changes only rounding.
        let a = Architecture(inputLength: 16, layers: [.conv(kernel: 3, filters: 4), .maxPool(size: 2),
                                                     .dense(units: 8)], classes: 3)
        let data = Self.toyData(count: 40, length: 16, seed: 6)
        var options = TrainingOptions()
        options.epochs = 3; options.batchSize = 9; options.validationSplit = 0; options.seed = 5
        options.classWeights = [1, 3, 0.5]
        let start = try CNNModel(architecture: a, seed: 4, info: Self.info(a))
        options.threads = 1
        let one = try Trainer.train(start, on: data, options: options)
        options.threads = 3
        let three = try Trainer.train(start, on: data, options: options)
        #expect(one.parameters != start.parameters)
        let worst = zip(one.parameters, three.parameters).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 1e-4, "max parameter difference \(worst)")
    }

    @Test func deferredDenseGradientMatchesTheWorkersGradient() throws {
        // dense1 has 255 × 301 weights (≥ 65,536, so its gradient is deferred): 8 tiles of 32 rows
        // with a last tile of 31, and tiles whose float count is not a multiple of 8.
        let a = Architecture(inputLength: 34, layers: [.conv(kernel: 3, filters: 15), .maxPool(size: 2),
                                                     .dense(units: 301), .dropout(rate: 0.5)], classes: 3)
        let plan = try NetworkPlan(a)
        #expect(DeferredWeightGradient.layer(in: plan) == 2)
        #expect(DeferredWeightGradient.layer(in: try NetworkPlan(.paper())) == 9, "the paper's dense1")
        #expect(DeferredWeightGradient.layer(in: try NetworkPlan(Self.tiny)) == nil, "too small to defer")
        let data = Self.toyData(count: 50, length: 34, seed: 8)
        var options = TrainingOptions()
        options.epochs = 2; options.batchSize = 9; options.validationSplit = 0.2; options.seed = 3
        let start = try CNNModel(architecture: a, seed: 6, info: Self.info(a))
        for threads in [1, 2] {
            options.threads = threads
            let deferred = try Trainer.train(start, on: data, options: options, logger: .init(label: "test"),
                                             progress: { _ in }, deferDenseGradient: true)
            let reference = try Trainer.train(start, on: data, options: options, logger: .init(label: "test"),
                                              progress: { _ in }, deferDenseGradient: false)
            #expect(deferred.parameters != start.parameters)
            let worst = zip(deferred.parameters, reference.parameters).map { abs($0 - $1) }.max() ?? .infinity
            #expect(worst <= 1e-6, "\(threads) threads: max parameter difference \(worst)")
        }
    }

    @Test func warmStartContinuesFromGivenWeights() throws {
        let a = Architecture(inputLength: 16, layers: [.conv(kernel: 3, filters: 4), .maxPool(size: 2),
                                                     .dense(units: 8)], classes: 3)
        let data = Self.toyData(count: 30, length: 16, seed: 5)
        var options = TrainingOptions()
        options.epochs = 5; options.batchSize = 10; options.validationSplit = 0; options.threads = 1
        let fresh = try CNNModel(architecture: a, seed: 3, info: Self.info(a))
        let first = try Trainer.train(fresh, on: data, options: options)
        let warm = try Trainer.train(first, on: data, options: options)
        #expect(Trainer.evaluate(warm, on: data, threads: 1).loss < Trainer.evaluate(first, on: data, threads: 1).loss)
        #expect(throws: CNNError.self) {
            _ = try Trainer.train(fresh, on: TrainingData(features: [1, 2], labels: [0]), options: options)
        }
    }
}
