import Foundation

/// Something that could not be stored or processed, kept with the reason and the original
/// bytes. Natural key: (source, key, reason, payload); recording it twice changes nothing.
public struct RejectRecord: Sendable, Hashable, Codable {
    /// Where it came from: a topic name (`balmer.spectra`) or a stage (`ingest`, `preprocess`).
    public var source: String
    /// The message key or spectrum key, `""` when unknown.
    public var key: String
    /// A short machine-friendly reason, e.g. `window-not-covered`, `bad-json`.
    public var reason: String
    /// The original payload, byte for byte.
    public var payload: Data
    public var rejectedAt: Date

    public init(source: String, key: String, reason: String, payload: Data, rejectedAt: Date = Date()) {
        self.source = source
        self.key = key
        self.reason = reason
        self.payload = payload
        self.rejectedAt = rejectedAt
    }
}
