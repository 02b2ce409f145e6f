/// A contiguous range of spectrum ids to rescore with one model; instances claim chunks so
/// that each is rescored once. Natural key: (model version, chunk number).
public struct RescoreChunk: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Codable, CaseIterable, Hashable {
        case pending
        case claimed
        case done
    }

    public var modelVersion: Int
    /// 0-based chunk number.
    public var chunk: Int
    /// First and last spectrum id of the chunk (inclusive).
    public var firstID: SpectrumRecord.ID
    public var lastID: SpectrumRecord.ID
    public var status: Status
    /// The instance that claimed the chunk.
    public var worker: String?

    public init(
        modelVersion: Int, chunk: Int, firstID: SpectrumRecord.ID, lastID: SpectrumRecord.ID,
        status: Status = .pending, worker: String? = nil
    ) {
        self.modelVersion = modelVersion
        self.chunk = chunk
        self.firstID = firstID
        self.lastID = lastID
        self.status = status
        self.worker = worker
    }
}
