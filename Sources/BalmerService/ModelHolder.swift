import BalmerCNN
import Synchronization

/// The model this instance scores with, swappable while the daemon runs: a batch takes the
/// current model once and finishes with it, so a swap never drops or mixes an in-flight batch.
public final class ModelHolder: Sendable {
    /// A scoring model with the predictor that runs it.
    public struct Loaded: Sendable {
        public let scoring: ScoringModel
        let predictor: PredictorBox
        public var version: Int { scoring.version }
    }

    private let state: Mutex<Loaded>
    private let threads: Int

    public init(_ scoring: ScoringModel, threads: Int) {
        self.threads = threads
        state = Mutex(Loaded(scoring: scoring, predictor: PredictorBox(Predictor(model: scoring.model, maxBatch: 256, threads: threads))))
    }

    /// The model in use now.
    public var current: Loaded { state.withLock { $0 } }

    /// Replaces the model; refuses one whose input size differs (the stored features would not fit).
    public func swap(to scoring: ScoringModel) throws {
        let inputSize = current.scoring.model.architecture.inputSize
        guard scoring.model.architecture.inputSize == inputSize else {
            throw ConfigReader.Error("model \(scoring.version) takes \(scoring.model.architecture.inputSize) inputs, not \(inputSize)")
        }
        let loaded = Loaded(scoring: scoring, predictor: PredictorBox(Predictor(model: scoring.model, maxBatch: 256, threads: threads)))
        state.withLock { $0 = loaded }
    }

    /// Probabilities in ``BalmerCore/SpectrumClass`` order for `features` (n × input size), by
    /// the current model; returns the version used. Blocking: call on a compute thread.
    public func probabilities(_ features: [Float], count: Int) throws -> (version: Int, rows: [[Float]]) {
        let m = current
        let raw = try m.predictor.probabilities(features)
        let k = m.scoring.model.architecture.classes
        return (m.version, (0..<count).map { i in m.scoring.reorder(raw[(i * k)..<((i + 1) * k)]) })
    }
}
