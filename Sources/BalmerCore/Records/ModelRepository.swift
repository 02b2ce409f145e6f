import Foundation

/// The model registry.
public protocol ModelRepository: Sendable {
    /// Registers a model with its weights; a version already stored is left as it is.
    func registerModel(_ model: ModelRecord, weights: Data) async throws
    func model(version: Int) async throws -> ModelRecord?
    /// The weights blob of a model.
    func modelWeights(version: Int) async throws -> Data?
    /// The active model, if any.
    func activeModel() async throws -> ModelRecord?
    /// Makes `version` the only active model, retiring the previous one, atomically.
    func activateModel(version: Int) async throws
    /// Sets a model's status (use ``activateModel(version:)`` to activate).
    func setModelStatus(version: Int, status: ModelStatus) async throws
    /// All models by version.
    func models() async throws -> [ModelRecord]
}
