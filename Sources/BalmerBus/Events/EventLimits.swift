/// Bounds applied when decoding events, so hostile or broken payloads are refused cheaply.
public struct EventLimits: Sendable, Hashable {
    /// Largest accepted payload in bytes. Default 4 MiB.
    public var maxPayloadBytes: Int
    /// Largest accepted array (flux samples and the like). Default 20 000.
    public var maxArrayCount: Int
    /// Largest accepted map (probabilities, metrics). Default 64 entries.
    public var maxMapCount: Int
    /// Longest accepted identifier (ids, survey, release, version, labeller, designation) in UTF-8
    /// bytes, after NFC normalisation. Default 256.
    public var maxIdentifierLength: Int
    /// Longest accepted free text (locations, comments, reasons) in UTF-8 bytes. Default 4096.
    public var maxTextLength: Int
    /// Accepted label values. Default `single`, `double`, `other`.
    public var labels: Set<String>

    public init(maxPayloadBytes: Int = 4 << 20, maxArrayCount: Int = 20_000, maxMapCount: Int = 64,
                maxIdentifierLength: Int = 256, maxTextLength: Int = 4096, labels: Set<String> = ["single", "double", "other"]) {
        self.maxPayloadBytes = maxPayloadBytes
        self.maxArrayCount = maxArrayCount
        self.maxMapCount = maxMapCount
        self.maxIdentifierLength = maxIdentifierLength
        self.maxTextLength = maxTextLength
        self.labels = labels
    }

    public static let `default` = EventLimits()
}
