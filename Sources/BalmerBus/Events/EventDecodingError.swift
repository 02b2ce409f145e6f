/// Why an event payload was refused. `code` is stable and short (for the `rejects` table and the
/// dead-letter topic); `description` is one readable line.
public struct EventDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// The payload exceeds `EventLimits.maxPayloadBytes`.
        case payloadTooLarge(bytes: Int, limit: Int)
        /// Not a JSON object (syntax error, wrong top-level type, invalid UTF-8).
        case malformedJSON(String)
        /// No integer `schema` field.
        case missingSchema
        /// A `schema` version this build does not understand.
        case unsupportedSchema(found: Int, supported: Int)
        /// A required field is absent or null.
        case missingField(String)
        /// A field has the wrong JSON type (including `"NaN"` strings where numbers belong).
        case wrongType(field: String)
        /// A field's value is out of range or inconsistent.
        case invalidValue(field: String, reason: String)
        /// An array or map has more elements than `EventLimits` allows.
        case tooManyElements(field: String, count: Int, limit: Int)
    }

    /// The event type that was being decoded, e.g. `SpectrumEvent`.
    public let event: String
    public let reason: Reason

    public init(event: String, reason: Reason) {
        self.event = event
        self.reason = reason
    }

    /// A short machine-readable code, e.g. `unsupported_schema`.
    public var code: String {
        switch reason {
        case .payloadTooLarge: "payload_too_large"
        case .malformedJSON: "malformed_json"
        case .missingSchema: "missing_schema"
        case .unsupportedSchema: "unsupported_schema"
        case .missingField: "missing_field"
        case .wrongType: "wrong_type"
        case .invalidValue: "invalid_value"
        case .tooManyElements: "too_many_elements"
        }
    }

    public var description: String {
        let detail = switch reason {
        case .payloadTooLarge(let bytes, let limit): "payload of \(bytes) bytes exceeds the limit of \(limit)"
        case .malformedJSON(let why): "malformed JSON: \(why)"
        case .missingSchema: "no integer \"schema\" field"
        case .unsupportedSchema(let found, let supported): "schema version \(found) is not supported (this build reads \(supported))"
        case .missingField(let field): "missing field \(field)"
        case .wrongType(let field): "field \(field) has the wrong type"
        case .invalidValue(let field, let why): "field \(field): \(why)"
        case .tooManyElements(let field, let count, let limit): "field \(field) has \(count) elements, more than the limit of \(limit)"
        }
        return "\(event): \(detail)"
    }
}
