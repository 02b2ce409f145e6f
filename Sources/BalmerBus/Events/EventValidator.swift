import BalmerCore
import Foundation

/// Collects the first rule an event breaks. Events call its checks from `validate(_:)`.
public struct EventValidator: Sendable {
    public let event: String
    public let limits: EventLimits
    /// The first failure found, if any.
    public private(set) var failure: EventDecodingError?

    public init(event: String, limits: EventLimits) {
        self.event = event
        self.limits = limits
    }

    public mutating func fail(_ reason: EventDecodingError.Reason) {
        if failure == nil { failure = EventDecodingError(event: event, reason: reason) }
    }

    /// Non-empty, at most `maxIdentifierLength` UTF-8 bytes, no control characters (C0, DEL, C1).
    /// Bytes, not Characters: one Character can be kilobytes of combining marks, and the database's
    /// indexes and the rejects' keys are bounded in bytes.
    public mutating func identifier(_ value: String, _ field: String) {
        if value.isEmpty { fail(.invalidValue(field: field, reason: "empty")) }
        else if value.utf8.count > limits.maxIdentifierLength { fail(.invalidValue(field: field, reason: "longer than \(limits.maxIdentifierLength) bytes (UTF-8)")) }
        else if let scalar = Self.firstControl(value) { fail(.invalidValue(field: field, reason: "contains control character U+\(Self.hex(scalar))")) }
    }

    /// At most `maxTextLength` UTF-8 bytes, no control characters (C0 including NUL, tab and
    /// newline, DEL, C1); optionally required non-empty.
    public mutating func text(_ value: String?, _ field: String, required: Bool = false) {
        guard let value else { return }
        if required && value.trimmingCharacters(in: .whitespaces).isEmpty { fail(.invalidValue(field: field, reason: "empty")) }
        else if value.utf8.count > limits.maxTextLength { fail(.invalidValue(field: field, reason: "longer than \(limits.maxTextLength) bytes (UTF-8)")) }
        else if let scalar = Self.firstControl(value) { fail(.invalidValue(field: field, reason: "contains control character U+\(Self.hex(scalar))")) }
    }

    /// The first C0, DEL or C1 control character of `value`.
    static func firstControl(_ value: String) -> Unicode.Scalar? {
        value.unicodeScalars.first(where: RejectKey.isControl)
    }

    static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Finite and within `range` when present.
    public mutating func number(_ value: Double?, _ field: String, in range: ClosedRange<Double>) {
        guard let value else { return }
        if !value.isFinite { fail(.invalidValue(field: field, reason: "not a finite number")) }
        else if !range.contains(value) { fail(.invalidValue(field: field, reason: "\(value) outside \(range.lowerBound)…\(range.upperBound)")) }
    }

    /// 1…`maxArrayCount` finite samples.
    public mutating func samples(_ values: [Float], _ field: String) {
        if values.isEmpty { fail(.invalidValue(field: field, reason: "empty")) }
        else if values.count > limits.maxArrayCount { fail(.tooManyElements(field: field, count: values.count, limit: limits.maxArrayCount)) }
        else if let index = values.firstIndex(where: { !$0.isFinite }) { fail(.invalidValue(field: "\(field)[\(index)]", reason: "not a finite number")) }
    }

    /// Two finite, positive, increasing wavelengths in Å.
    public mutating func wavelengthRange(_ values: [Double], _ field: String) {
        guard values.count == 2 else { return fail(.invalidValue(field: field, reason: "needs exactly [start, end]")) }
        if !values.allSatisfy({ $0.isFinite && $0 > 0 && $0 < 1e7 }) || values[0] >= values[1] {
            fail(.invalidValue(field: field, reason: "needs 0 < start < end (Å)"))
        }
    }

    /// 1…`maxMapCount` entries with identifier keys and finite values.
    public mutating func map(_ values: [String: Double], _ field: String, allowEmpty: Bool = false) {
        if values.isEmpty && !allowEmpty { return fail(.invalidValue(field: field, reason: "empty")) }
        if values.count > limits.maxMapCount { return fail(.tooManyElements(field: field, count: values.count, limit: limits.maxMapCount)) }
        for key in values.keys.sorted() {
            identifier(key, "\(field) key")
            number(values[key], "\(field).\(key)", in: -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude)
        }
    }

    /// Optional sky position: ra in [0, 360] deg, dec in [-90, 90] deg.
    public mutating func position(ra: Double?, dec: Double?) {
        number(ra, "ra", in: 0...360)
        number(dec, "dec", in: -90...90)
    }
}
