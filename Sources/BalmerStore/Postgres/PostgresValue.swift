import Foundation

/// A statement parameter, sent in PostgreSQL's binary format with an explicit type.
public enum PostgresValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int16(Int16)
    case int32(Int32)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case text(String)
    case bytea([UInt8])
    /// A `timestamptz`, microsecond precision.
    case timestamp(Date)
    /// A `real[]` (one dimension).
    case float32Array([Float])
    /// A `jsonb` document (UTF-8 JSON text).
    case jsonb(String)
    /// A `bigint[]` (one dimension), e.g. for `id = ANY($1)`.
    case int64Array([Int64])
    /// A `text[]` (one dimension).
    case textArray([String])

    /// The type OID sent with the parameter (0 lets the server infer it).
    var typeOID: UInt32 {
        switch self {
        case .null: 0
        case .bool: PostgresType.bool
        case .int16: PostgresType.int2
        case .int32: PostgresType.int4
        case .int64: PostgresType.int8
        case .float32: PostgresType.float4
        case .float64: PostgresType.float8
        case .text: PostgresType.text
        case .bytea: PostgresType.bytea
        case .timestamp: PostgresType.timestamptz
        case .float32Array: PostgresType.float4Array
        case .jsonb: PostgresType.jsonb
        case .int64Array: PostgresType.int8Array
        case .textArray: PostgresType.textArray
        }
    }

    /// The binary wire encoding, `nil` for SQL NULL.
    var binary: [UInt8]? {
        var out = BinaryWriter()
        switch self {
        case .null: return nil
        case .bool(let v): out.append(UInt8(v ? 1 : 0))
        case .int16(let v): out.append(v)
        case .int32(let v): out.append(v)
        case .int64(let v): out.append(v)
        case .float32(let v): out.append(v.bitPattern)
        case .float64(let v): out.append(v.bitPattern)
        case .text(let v): out.bytes.append(contentsOf: v.utf8)
        case .bytea(let v): return v
        case .timestamp(let v): out.append(PostgresTime.microseconds(v))
        case .float32Array(let v): out.appendFloat4Array(v)
        case .jsonb(let v):
            out.append(UInt8(1))
            out.bytes.append(contentsOf: v.utf8)
        case .int64Array(let v):
            out.append(Int32(1))
            out.append(Int32(0))
            out.append(Int32(bitPattern: PostgresType.int8))
            out.append(Int32(v.count))
            out.append(Int32(1))
            for x in v {
                out.append(Int32(8))
                out.append(x)
            }
        case .textArray(let v):
            out.append(Int32(1))
            out.append(Int32(0))
            out.append(Int32(bitPattern: PostgresType.text))
            out.append(Int32(v.count))
            out.append(Int32(1))
            for x in v {
                out.append(Int32(x.utf8.count))
                out.bytes.append(contentsOf: x.utf8)
            }
        }
        return out.bytes
    }
}

/// Type OIDs from `pg_type` that Balmer sends and decodes.
enum PostgresType {
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let name: UInt32 = 19
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let oid: UInt32 = 26
    static let json: UInt32 = 114
    static let float4: UInt32 = 700
    static let float8: UInt32 = 701
    static let float4Array: UInt32 = 1021
    static let int8Array: UInt32 = 1016
    static let textArray: UInt32 = 1009
    static let bpchar: UInt32 = 1042
    static let varchar: UInt32 = 1043
    static let timestamp: UInt32 = 1114
    static let timestamptz: UInt32 = 1184
    static let numeric: UInt32 = 1700
    static let jsonb: UInt32 = 3802
}

/// PostgreSQL's binary timestamps: microseconds since 2000-01-01 00:00:00 UTC.
enum PostgresTime {
    static let epochOffset: Double = 946_684_800

    static func microseconds(_ date: Date) -> Int64 {
        Int64(((date.timeIntervalSince1970 - epochOffset) * 1_000_000).rounded())
    }

    static func date(microseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(microseconds) / 1_000_000 + epochOffset)
    }
}

/// Appends big-endian values (PostgreSQL's network order) to a byte buffer.
struct BinaryWriter {
    var bytes: [UInt8] = []

    mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// A one-dimensional `real[]` without NULLs.
    mutating func appendFloat4Array(_ v: [Float]) {
        append(Int32(1))  // dimensions
        append(Int32(0))  // has nulls
        append(Int32(bitPattern: PostgresType.float4))
        append(Int32(v.count))
        append(Int32(1))  // lower bound
        for x in v {
            append(Int32(4))
            append(x.bitPattern)
        }
    }
}

/// A Swift value that can be a statement parameter.
public protocol PostgresEncodable: Sendable {
    var postgresValue: PostgresValue { get }
}

extension PostgresValue: PostgresEncodable {
    public var postgresValue: PostgresValue { self }
}
extension Bool: PostgresEncodable { public var postgresValue: PostgresValue { .bool(self) } }
extension Int: PostgresEncodable { public var postgresValue: PostgresValue { .int64(Int64(self)) } }
extension Int64: PostgresEncodable { public var postgresValue: PostgresValue { .int64(self) } }
extension Int32: PostgresEncodable { public var postgresValue: PostgresValue { .int32(self) } }
extension Float: PostgresEncodable { public var postgresValue: PostgresValue { .float32(self) } }
extension Double: PostgresEncodable { public var postgresValue: PostgresValue { .float64(self) } }
extension String: PostgresEncodable { public var postgresValue: PostgresValue { .text(self) } }
extension Date: PostgresEncodable { public var postgresValue: PostgresValue { .timestamp(self) } }
extension Data: PostgresEncodable { public var postgresValue: PostgresValue { .bytea([UInt8](self)) } }
extension Array: PostgresEncodable where Element == Float {
    public var postgresValue: PostgresValue { .float32Array(self) }
}
extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresValue: PostgresValue { self?.postgresValue ?? .null }
}
