import BalmerCore
import Foundation

/// `balmer.dead-letter`: a message that could not be processed, with the reason.
/// Key: `topic/partition/offset` of the original.
///
/// The payload is kept whole up to ``maxPayloadBytes`` (64 KiB raw, ~87 KiB as base64, far below
/// the producer's message limit); a longer payload is cut to its first 64 KiB, and the letter says
/// so: `truncated: true`, `original_payload_bytes` and `original_payload_sha256` (hex of the
/// whole payload). The three fields are optional (absent on letters of untruncated payloads and
/// on letters written before they existed), so the schema stays 1. The key is the printable form
/// of ``RejectKey`` and the reason has its control characters escaped, so every letter encodes.
public struct DeadLetterEvent: BalmerEvent, Hashable {
    public static let topic = BalmerTopic.deadLetter
    public static let schemaVersion = 1

    public var originalTopic: String
    public var originalPartition: Int32
    public var originalOffset: Int64
    /// The original key as UTF-8 text (lossy), `nil` when it had none.
    public var originalKey: String?
    /// The original payload, base64 (standard alphabet, padded).
    public var originalPayloadBase64: String
    /// A short machine-readable code, e.g. `unsupported_schema`, `unreadable_fits`.
    public var code: String?
    /// One readable line.
    public var reason: String
    public var time: Date
    /// `true` when `original_payload_base64` holds only the first ``maxPayloadBytes`` bytes.
    public var truncated: Bool?
    /// The length of the whole original payload (set when truncated).
    public var originalPayloadBytes: Int?
    /// SHA-256 of the whole original payload, lowercase hex (set when truncated).
    public var originalPayloadSHA256: String?

    /// The most payload bytes a letter carries (64 KiB).
    public static let maxPayloadBytes = 64 << 10
    /// The longest reason a letter built from a message carries, in UTF-8 bytes.
    public static let maxReasonBytes = 1024

    public init(originalTopic: String, originalPartition: Int32, originalOffset: Int64, originalKey: String?,
                originalPayloadBase64: String, code: String? = nil, reason: String, time: Date,
                truncated: Bool? = nil, originalPayloadBytes: Int? = nil, originalPayloadSHA256: String? = nil) {
        self.originalTopic = originalTopic
        self.originalPartition = originalPartition
        self.originalOffset = originalOffset
        self.originalKey = originalKey
        self.originalPayloadBase64 = originalPayloadBase64
        self.code = code
        self.reason = reason
        self.time = time
        self.truncated = truncated
        self.originalPayloadBytes = originalPayloadBytes
        self.originalPayloadSHA256 = originalPayloadSHA256
    }

    /// The dead letter for a consumed message: the key made printable, the payload capped at
    /// `maxPayload` bytes (see ``maxPayloadBytes``), the code and reason made printable and bounded.
    public init(message: KafkaMessage, code: String?, reason: String, time: Date = Date(),
                maxPayload: Int = DeadLetterEvent.maxPayloadBytes) {
        let whole = message.value
        let cut = whole.count > maxPayload
        self.init(originalTopic: message.topic, originalPartition: message.partition, originalOffset: message.offset,
                  originalKey: message.key.map { RejectKey.printable($0) },
                  originalPayloadBase64: Data(cut ? Array(whole.prefix(max(0, maxPayload))) : whole).base64EncodedString(),
                  code: code.map { RejectKey.printable($0) },
                  reason: RejectKey.printableText(reason, maxBytes: Self.maxReasonBytes), time: time,
                  truncated: cut ? true : nil, originalPayloadBytes: cut ? whole.count : nil,
                  originalPayloadSHA256: cut ? SHA256.hex(whole) : nil)
    }

    /// The dead letter for an event that failed to decode.
    public init(message: KafkaMessage, error: EventDecodingError, time: Date = Date()) {
        self.init(message: message, code: error.code, reason: error.description, time: time)
    }

    /// This letter without its payload (`truncated`, with the original length and SHA-256): the
    /// last resort when the broker refuses the letter itself, so the refusal is still on record.
    public var withoutPayload: DeadLetterEvent {
        var letter = self
        let payload = originalPayload ?? []
        letter.originalPayloadBase64 = ""
        letter.truncated = true
        letter.originalPayloadBytes = originalPayloadBytes ?? payload.count
        letter.originalPayloadSHA256 = originalPayloadSHA256 ?? SHA256.hex(payload)
        return letter
    }

    /// The original payload bytes (`nil` only if the base64 is corrupt, which validation rejects).
    public var originalPayload: [UInt8]? { Data(base64Encoded: originalPayloadBase64).map { Array($0) } }

    public var key: String { "\(originalTopic)/\(originalPartition)/\(originalOffset)" }

    enum CodingKeys: String, CodingKey {
        case originalTopic = "original_topic", originalPartition = "original_partition", originalOffset = "original_offset"
        case originalKey = "original_key", originalPayloadBase64 = "original_payload_base64", code, reason, time
        case truncated, originalPayloadBytes = "original_payload_bytes", originalPayloadSHA256 = "original_payload_sha256"
    }

    public func validate(_ check: inout EventValidator) {
        check.identifier(originalTopic, "original_topic")
        check.number(Double(originalPartition), "original_partition", in: 0...Double(Int32.max))
        check.number(Double(originalOffset), "original_offset", in: 0...9.0e18)
        if let originalKey { check.text(originalKey, "original_key") }
        if originalPayload == nil { check.fail(.invalidValue(field: "original_payload_base64", reason: "not valid base64")) }
        if let code { check.identifier(code, "code") }
        check.text(reason, "reason", required: true)
        check.number(time.timeIntervalSince1970, "time", in: 946_684_800...4_102_444_800)
        if let originalPayloadBytes { check.number(Double(originalPayloadBytes), "original_payload_bytes", in: 0...9.0e18) }
        if let originalPayloadSHA256, originalPayloadSHA256.utf8.count != 64 || !originalPayloadSHA256.allSatisfy(\.isHexDigit) {
            check.fail(.invalidValue(field: "original_payload_sha256", reason: "not 64 hex digits"))
        }
    }
}
