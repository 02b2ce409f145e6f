import Foundation

/// One prediction: class probabilities, the most probable class and the entropy.
public struct Prediction: Sendable, Equatable {
    /// Softmax probabilities, one per class, summing to 1.
    public var probabilities: [Float]
    /// Index of the most probable class (first on ties).
    public var classIndex: Int
    /// Shannon entropy `−Σ p ln p` in nats (0 … ln K).
    public var entropy: Double

    public init(probabilities: [Float]) {
        self.probabilities = probabilities
        var best = 0
        for (i, p) in probabilities.enumerated() where p > probabilities[best] { best = i }
        classIndex = best
        entropy = Self.entropy(probabilities)
    }

    /// `−Σ p ln p` in nats, with `0 ln 0 = 0`.
    public static func entropy(_ p: [Float]) -> Double {
        p.reduce(0.0) { h, x in x > 0 ? h - Double(x) * log(Double(x)) : h }
    }
}

/// Runs a model on batches of inputs. Synchronous and CPU-bound: call it from your own thread
/// (e.g. ``ComputeThread/run(_:)``), never from Swift's cooperative pool. Holds buffers for
/// `maxBatch` samples; not thread-safe (use one predictor per thread).
///
/// Batches are cut into chunks of 32 spectra that `threads` workers run through the conv stack
/// with single-threaded BLAS (cache-resident, no BLAS thread hand-offs); the dense layers run on
/// the whole batch with `threads` BLAS threads. Batches of one or two spectra (latency) run on a
/// team of `threads` spinning threads owned by the predictor, each layer's columns split over
/// them (``SpinTeam``; on Balmer's conv kernel only). OpenBLAS's thread count is process-wide, so
/// predictors running concurrently on several threads work correctly but slow each other.
/// Results are deterministic for a given `threads` and `maxBatch`.
public final class Predictor {
    public let model: CNNModel
    /// Samples per internal batch (default 256).
    public let maxBatch: Int
    /// Threads for the engine's own loops; OpenBLAS is set to the same count.
    public let threads: Int
    private let workspace: Workspace
    /// The model's weights for Balmer's kernels (convs on AVX-512 or AVX2, dense layers on
    /// AVX-512; nil where no kernel runs).
    private let packed: PackedWeights?
    /// Threads for small batches (``Network/teamBatchLimit(_:_:)`` samples or fewer) on Balmer's kernel,
    /// made on the first such batch.
    private var team: SpinTeam?

    public init(model: CNNModel, maxBatch: Int = 256, threads: Int = ComputeThreads.default) {
        self.model = model
        self.maxBatch = max(1, maxBatch)
        self.threads = max(1, threads)
        workspace = Workspace(plan: model.plan, capacity: self.maxBatch, training: false, workers: self.threads)
        packed = PackedWeights(plan: model.plan, dense: true)
        if let packed { model.parameters.withUnsafeBufferPointer { packed.pack($0.baseAddress!) } }
        BLASThreads.set(self.threads)
    }

    deinit { team?.stop() }

    /// Probabilities `[count][classes]` for `features` holding `count` samples of
    /// `architecture.inputSize` floats each (already preprocessed).
    public func probabilities(_ features: [Float]) throws(CNNError) -> [Float] {
        let size = model.architecture.inputSize, k = model.architecture.classes
        guard features.count % size == 0 else {
            throw .invalidInput("\(features.count) values is not a multiple of the input size \(size)")
        }
        let count = features.count / size
        var out = [Float](repeating: 0, count: count * k)
        features.withUnsafeBufferPointer { f in
            out.withUnsafeMutableBufferPointer { o in
                var start = 0
                while start < count {
                    let n = min(maxBatch, count - start)
                    run(f.baseAddress! + start * size, count: n)
                    (o.baseAddress! + start * k).update(from: workspace.probabilities, count: n * k)
                    start += n
                }
            }
        }
        return out
    }

    /// Predictions for `features` (as in ``probabilities(_:)``), one per sample.
    public func predict(_ features: [Float]) throws(CNNError) -> [Prediction] {
        let k = model.architecture.classes
        let p = try probabilities(features)
        return stride(from: 0, to: p.count, by: k).map { Prediction(probabilities: Array(p[$0..<($0 + k)])) }
    }

    /// Runs `count ≤ maxBatch` contiguous samples; results in `workspace.probabilities`.
    func run(_ samples: UnsafePointer<Float>, count: Int) {
        let size = model.architecture.inputSize
        for i in 0..<count { workspace.setInput(slot: i, from: samples + i * size) }
        if team == nil, let packed, threads > 1, count <= Network.teamBatchLimit(packed, workspace) {
            team = SpinTeam(size: threads)
        }
        var rng = SeededGenerator(seed: 0)
        model.parameters.withUnsafeBufferPointer { p in
            Network.forward(workspace, parameters: p.baseAddress!, batch: count, rng: &rng, threads: threads,
                            packed: packed, team: team)
        }
    }
}
