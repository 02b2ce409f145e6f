/// Spectra and their feature vectors.
public protocol SpectrumRepository: Sendable {
    /// Stores spectra by natural key; a key already stored is left as it is.
    /// New keys of one batch get increasing ids in natural-key order (survey, release, key) —
    /// the order concurrent writers lock in; the first occurrence of a key in a batch wins.
    /// - Returns: the store's id for each input, in input order (existing ids for replays).
    func upsertSpectra(_ spectra: [SpectrumRecord]) async throws -> [SpectrumRecord.ID]
    /// The spectrum with this id, with its features.
    func spectrum(id: SpectrumRecord.ID) async throws -> SpectrumRecord?
    /// The id stored under a natural key.
    func spectrumID(for key: SpectrumKey) async throws -> SpectrumRecord.ID?
    /// Number of stored spectra.
    func spectrumCount() async throws -> Int
    /// Smallest and largest stored id, or `nil` when empty.
    func spectrumIDBounds() async throws -> ClosedRange<SpectrumRecord.ID>?
    /// Streams `(id, features)` for every spectrum with an id in `ids`, in id order, in batches
    /// of at most `batchSize` (default 4096). This is the rescoring read path.
    func forEachFeatureBatch(
        ids: ClosedRange<SpectrumRecord.ID>, batchSize: Int,
        _ body: @Sendable ([(id: SpectrumRecord.ID, features: [Float])]) async throws -> Void
    ) async throws
}
