import Foundation

/// Chunks of the pool to rescore after a model is promoted.
public protocol RescoreChunkRepository: Sendable {
    /// Splits the current id range into chunks of `chunkSize` ids for `modelVersion`.
    /// Idempotent: a model that already has chunks keeps them. Returns the number of chunks.
    func planRescore(modelVersion: Int, chunkSize: Int) async throws -> Int
    /// Claims one pending chunk (or one claimed longer than `staleAfter` seconds ago) for
    /// `worker`; concurrent claimers never receive the same chunk.
    func claimRescoreChunk(modelVersion: Int, worker: String, staleAfter: TimeInterval) async throws -> RescoreChunk?
    /// Marks a chunk done.
    func completeRescoreChunk(modelVersion: Int, chunk: Int) async throws
    /// Chunks not yet done.
    func remainingRescoreChunks(modelVersion: Int) async throws -> Int
}
