import Foundation

/// An event on one of Balmer's topics: Codable JSON with a `schema` version and strict checks.
public protocol BalmerEvent: Codable, Sendable, Equatable {
    /// The topic the event travels on.
    static var topic: String { get }
    /// The `schema` version this build writes and reads.
    static var schemaVersion: Int { get }
    /// The Kafka message key.
    var key: String { get }
    /// Checks ranges and sizes; called after decoding (and ``normalize()``) and before encoding.
    func validate(_ check: inout EventValidator)
    /// Brings text used as keys into one canonical form (NFC); called right after decoding, so
    /// the decoded event carries the normalised strings and the limits apply to them. The
    /// default does nothing.
    mutating func normalize()
}

extension BalmerEvent {
    public mutating func normalize() {}
}

/// Encodes and decodes events as UTF-8 JSON objects with a top-level `"schema": N`.
public enum EventCodec {
    /// The JSON payload (keys sorted, dates ISO 8601 with milliseconds).
    /// Throws `EventDecodingError` when the event itself violates its invariants.
    public static func encode<E: BalmerEvent>(_ event: E, limits: EventLimits = .default) throws -> [UInt8] {
        var validator = EventValidator(event: String(describing: E.self), limits: limits)
        event.validate(&validator)
        if let failure = validator.failure { throw failure }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Self.timeText(date))
        }
        return Array(try encoder.encode(Versioned(schema: E.schemaVersion, event: event)))
    }

    /// Decodes and validates one event; every problem becomes an `EventDecodingError` with a reason.
    public static func decode<E: BalmerEvent>(_ type: E.Type, from bytes: [UInt8], limits: EventLimits = .default) throws(EventDecodingError) -> E {
        let name = String(describing: E.self)
        func fail(_ reason: EventDecodingError.Reason) -> EventDecodingError { EventDecodingError(event: name, reason: reason) }
        guard bytes.count <= limits.maxPayloadBytes else { throw fail(.payloadTooLarge(bytes: bytes.count, limit: limits.maxPayloadBytes)) }
        let data = Data(bytes)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? Self.timeFormat.parse(text) { return date }
            if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 time")
        }
        let probe: SchemaProbe
        do {
            probe = try decoder.decode(SchemaProbe.self, from: data)
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                throw fail(.malformedJSON(Self.firstLine(context.debugDescription)))
            }
            if case .typeMismatch(_, let context) = error, context.codingPath.isEmpty {
                throw fail(.malformedJSON("the payload is not a JSON object"))
            }
            throw fail(.missingSchema)
        } catch {
            throw fail(.malformedJSON(Self.firstLine("\(error)")))
        }
        guard let schema = probe.schema else { throw fail(.missingSchema) }
        guard schema == E.schemaVersion else { throw fail(.unsupportedSchema(found: schema, supported: E.schemaVersion)) }
        var event: E
        do {
            event = try decoder.decode(E.self, from: data)
        } catch let error as DecodingError {
            throw fail(Self.reason(for: error))
        } catch {
            throw fail(.malformedJSON(Self.firstLine("\(error)")))
        }
        event.normalize()
        var validator = EventValidator(event: name, limits: limits)
        event.validate(&validator)
        if let failure = validator.failure { throw failure }
        return event
    }

    /// Milliseconds, `Z` time zone: `2026-11-22T01:15:44.123Z`.
    static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// `date` in ``timeFormat``, rounded to the nearest millisecond. The format style truncates,
    /// and a decoded `.392` is held a hair below it, so formatting it directly would lose a
    /// millisecond at every decode/encode trip.
    static func timeText(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        guard milliseconds.isFinite, abs(milliseconds) < 1e15 else { return date.formatted(timeFormat) }
        let seconds = (milliseconds / 1000).rounded(.down)
        let whole = Date(timeIntervalSince1970: seconds).formatted(timeFormat)  // "….000Z"
        let fraction = Int(milliseconds - seconds * 1000)
        let digits = String(fraction)
        return whole.dropLast(4) + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    private static func reason(for error: DecodingError) -> EventDecodingError.Reason {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = codingPath + (last.map { [$0] } ?? [])
            let joined = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "(root)" : joined.replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context): return .missingField(path(context.codingPath, key))
        case .valueNotFound(_, let context): return .missingField(path(context.codingPath))
        case .typeMismatch(_, let context): return .wrongType(field: path(context.codingPath))
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return .malformedJSON(firstLine(context.debugDescription)) }
            return .invalidValue(field: path(context.codingPath), reason: firstLine(context.debugDescription))
        @unknown default: return .malformedJSON(firstLine("\(error)"))
        }
    }

    private static func firstLine(_ text: String) -> String {
        String(text.prefix { $0 != "\n" }.prefix(200))
    }
}

/// Writes `schema` beside the event's own keys in one JSON object.
private struct Versioned<E: Encodable>: Encodable {
    let schema: Int
    let event: E

    enum Key: String, CodingKey { case schema }

    func encode(to encoder: Encoder) throws {
        try event.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(schema, forKey: .schema)
    }
}

/// Reads only `schema` (must be an integer when present).
private struct SchemaProbe: Decodable {
    let schema: Int?
}
