import Foundation

/// `balmer.dead-letter`: a message that could not be processed, kept whole with the reason.
/// Key: `topic/partition/offset` of the original.
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

    public init(originalTopic: String, originalPartition: Int32, originalOffset: Int64, originalKey: String?,
                originalPayloadBase64: String, code: String? = nil, reason: String, time: Date) {
        self.originalTopic = originalTopic
        self.originalPartition = originalPartition
        self.originalOffset = originalOffset
        self.originalKey = originalKey
        self.originalPayloadBase64 = originalPayloadBase64
        self.code = code
        self.reason = reason
        self.time = time
    }

    /// The dead letter for a consumed message.
    public init(message: KafkaMessage, code: String?, reason: String, time: Date = Date()) {
        self.init(originalTopic: message.topic, originalPartition: message.partition, originalOffset: message.offset,
                  originalKey: message.keyString, originalPayloadBase64: Data(message.value).base64EncodedString(),
                  code: code, reason: reason, time: time)
    }

    /// The dead letter for an event that failed to decode.
    public init(message: KafkaMessage, error: EventDecodingError, time: Date = Date()) {
        self.init(message: message, code: error.code, reason: error.description, time: time)
    }

    /// The original payload bytes (`nil` only if the base64 is corrupt, which validation rejects).
    public var originalPayload: [UInt8]? { Data(base64Encoded: originalPayloadBase64).map { Array($0) } }

    public var key: String { "\(originalTopic)/\(originalPartition)/\(originalOffset)" }

    enum CodingKeys: String, CodingKey {
        case originalTopic = "original_topic", originalPartition = "original_partition", originalOffset = "original_offset"
        case originalKey = "original_key", originalPayloadBase64 = "original_payload_base64", code, reason, time
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
    }
}
