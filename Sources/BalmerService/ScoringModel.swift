import BalmerCNN
import BalmerCore
import BalmerStore
import Foundation
import Logging

/// The model every instance scores with: the store's active model, or on first start the
/// configured model file, registered and activated.
public struct ScoringModel: Sendable {
    /// The registry version (`models.version`).
    public let version: Int
    public let model: CNNModel
    /// For each ``SpectrumClass/allCases`` entry, the model's output index.
    public let outputIndex: [Int]

    public init(version: Int, model: CNNModel) throws {
        self.version = version
        self.model = model
        let names = model.info.classNames
        if names.isEmpty {
            guard model.architecture.classes == SpectrumClass.allCases.count else {
                throw ConfigReader.Error("model \(version) has \(model.architecture.classes) outputs and no class names")
            }
            outputIndex = Array(SpectrumClass.allCases.indices)
        } else {
            outputIndex = try SpectrumClass.allCases.map { cls in
                guard let i = names.firstIndex(where: { SpectrumClass(label: $0) == cls }) else {
                    throw ConfigReader.Error("model \(version) has no output for class \(cls.rawValue) (classes: \(names))")
                }
                return i
            }
        }
    }

    /// Probabilities of one sample reordered to ``SpectrumClass/allCases`` order.
    func reorder(_ output: ArraySlice<Float>) -> [Float] {
        outputIndex.map { output[output.startIndex + $0] }
    }

    /// Loads the active model, or registers and activates `file` when there is none.
    public static func load(store: PostgresStore, file: String?, logger: Logger) async throws -> ScoringModel {
        if let active = try await store.activeModel() {
            guard let weights = try await store.modelWeights(version: active.version), !weights.isEmpty else {
                throw ConfigReader.Error("the active model \(active.version) has no weights in the store")
            }
            let model = try CNNModel(safetensors: [UInt8](weights), path: "models/\(active.version)")
            logger.info("scoring with the active model", metadata: ["model.version": "\(active.version)", "model.sha256": "\(active.sha256)"])
            return try ScoringModel(version: active.version, model: model)
        }
        guard let file else {
            throw ConfigReader.Error("the store has no active model and model.file is not set")
        }
        let model = try CNNModel.load(contentsOf: file)
        let sha = model.sha256
        let known = try await store.models()
        let version = known.first(where: { $0.sha256 == sha })?.version ?? ((known.map(\.version).max() ?? 0) + 1)
        if !known.contains(where: { $0.version == version }) {
            try await store.registerModel(
                ModelRecord(version: version, createdAt: model.info.created, metricsJSON: #"{"source": "model.file"}"#, sha256: sha),
                weights: Data(model.safetensorsBytes()))
        }
        try await store.activateModel(version: version)
        logger.notice("registered and activated the model file", metadata: ["model.version": "\(version)", "model.file": "\(file)", "model.sha256": "\(sha)"])
        // Another instance may have won a race for the same version number: score with what is active.
        if let active = try await store.activeModel(), active.version != version {
            return try await load(store: store, file: nil, logger: logger)
        }
        return try ScoringModel(version: version, model: model)
    }
}
