import Foundation

/// A column of a result: its name and type OID.
public struct PostgresColumn: Sendable, Hashable {
    public var name: String
    public var typeOID: UInt32
}

/// The rows of a statement, copied out of libpq (binary format).
public struct PostgresResult: Sendable {
    public var columns: [PostgresColumn]
    public var rows: [PostgresRow]
    /// Rows inserted/updated/deleted (`PQcmdTuples`), 0 when not applicable.
    public var affectedRows: Int

    /// The only row, or `nil` when there is none.
    public var first: PostgresRow? { rows.first }
}

/// One row: binary cells (`nil` = SQL NULL), decoded on demand into Swift types.
public struct PostgresRow: Sendable {
    public let columns: [PostgresColumn]
    let cells: [[UInt8]?]

    /// Decodes column `index` as `T` (use an `Optional` type for nullable columns).
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard index >= 0, index < cells.count else {
            throw PostgresError(.decoding, message: "column \(index) out of range (\(cells.count) columns)")
        }
        return try T.decode(cells[index], typeOID: columns[index].typeOID, column: columns[index].name)
    }

    /// Decodes the column named `name` as `T`.
    public func decode<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let index = columns.firstIndex(where: { $0.name == name }) else {
            throw PostgresError(.decoding, message: "no column named \(name)")
        }
        return try decode(index, as: type)
    }
}

/// A Swift type that can be decoded from a binary result cell.
public protocol PostgresDecodable: Sendable {
    /// Builds the value from `bytes` (`nil` = SQL NULL) of a column of type `typeOID`.
    static func decode(_ bytes: [UInt8]?, typeOID: UInt32, column: String) throws -> Self
}

/// Reads big-endian values from a byte buffer.
struct BinaryReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else { throw PostgresError(.decoding, message: "value truncated") }
        var v: T = 0
        for i in 0..<size { v = (v << 8) | T(truncatingIfNeeded: bytes[offset + i]) }
        offset += size
        return v
    }
}

private func nonNull(_ bytes: [UInt8]?, _ column: String) throws -> [UInt8] {
    guard let bytes else { throw PostgresError(.decoding, message: "column \(column) is NULL") }
    return bytes
}

private func mismatch(_ column: String, _ oid: UInt32, _ swift: String) -> PostgresError {
    PostgresError(.decoding, message: "column \(column) of type oid \(oid) cannot be decoded as \(swift)")
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(_ bytes: [UInt8]?, typeOID: UInt32, column: String) throws -> Self {
        guard let bytes else { return nil }
        return try Wrapped.decode(bytes, typeOID: typeOID, column: column)
    }
}

extension Int64: PostgresDecodable {
    public static func decode(_ bytes: [UInt8]?, typeOID: UInt32, column: String) throws -> Int64 {
        var r = BinaryReader(try nonNull(bytes, column))
        switch typeOID {
        case PostgresType.int8: return try r.read(Int64.self)
        case PostgresType.int4, PostgresType.oid: return Int64(try r.read(Int32.self))
        case PostgresType.int2: return Int64(try r.read(Int16.self))
        default: throw mismatch(column, typeOID, "Int64")
        }
    }
}

extension Int: PostgresDecodable {
    public static func decode(_ bytes: [UInt8]?, typeOID: UInt32, column: String) throws -> Int {
        Int(try Int64.decode(bytes, typeOID: typeOID, column: column))
    }
}

extension Double: PostgresDecodable {
    public static func decode(_ bytes: [UInt8]?, typeOID: UInt32, column: String) throws -> Double {
        var r = BinaryReader(try nonNull(bytes, column))
        switch typeOID {
        case PostgresType.float8: return Double(bitPattern: try r.read(UInt64.self))
        case PostgresType.float4: return Double(Float(bitPattern: try r.read(UInt32.self)))
        case PostgresType.int8, PostgresType.int4, PostgresType.int2:
            return Double(try Int64.decode(bytes, typeOID: typeOID, column: column))
        default: throw mismatch(column, typeOID, "Double")
        }
    }
}

extension Float: PostgresDecodable {
    public static func decode(_ bytes: [UInt8]?, typeOID: UInt32, column: String) throws -> Float {
        if typeOID == PostgresType.float4 {
            var r = BinaryReader(try nonNull(bytes, column))
            return Float(bitPattern: try r.read(UInt32.self))
        }
        return Float(try Double.decode(bytes, typeOID: typeOID, column: column))
    }
}

extension Bool: PostgresDecodable {
    public static func decode(_ bytes: [UInt8]?, typeOID: UInt32, column: String) throws -> Bool {
        guard typeOID == PostgresType.bool else { throw mismatch(column, typeOID, "Bool") }
        return try nonNull(bytes, column).first == 1
    }
}

extension String: PostgresDecodable {
    public static func decode(_ bytes: [UInt8]?, typeOID: UInt32, column: String) throws -> String {
        var b = try nonNull(bytes, column)
        switch typeOID {
        case PostgresType.text, PostgresType.varchar, PostgresType.bpchar, PostgresType.name, PostgresType.json:
            break
        case PostgresType.jsonb:
            guard b.first == 1 else { throw PostgresError(.decoding, message: "unknown jsonb version in \(column)") }
            b.removeFirst()
        default: throw mismatch(column, typeOID, "String")
        }
        return String(decoding: b, as: UTF8.self)
    }
}

extension Date: PostgresDecodable {
    public static func decode(_ bytes: [UInt8]?, typeOID: UInt32, column: String) throws -> Date {
        guard typeOID == PostgresType.timestamptz || typeOID == PostgresType.timestamp else {
            throw mismatch(column, typeOID, "Date")
        }
        var r = BinaryReader(try nonNull(bytes, column))
        return PostgresTime.date(microseconds: try r.read(Int64.self))
    }
}

extension Data: PostgresDecodable {
    public static func decode(_ bytes: [UInt8]?, typeOID: UInt32, column: String) throws -> Data {
        guard typeOID == PostgresType.bytea else { throw mismatch(column, typeOID, "Data") }
        return Data(try nonNull(bytes, column))
    }
}

extension Array: PostgresDecodable where Element == Float {
    public static func decode(_ bytes: [UInt8]?, typeOID: UInt32, column: String) throws -> [Float] {
        guard typeOID == PostgresType.float4Array else { throw mismatch(column, typeOID, "[Float]") }
        var r = BinaryReader(try nonNull(bytes, column))
        let dims = try r.read(Int32.self)
        _ = try r.read(Int32.self)  // has nulls
        guard try r.read(UInt32.self) == PostgresType.float4 else { throw mismatch(column, typeOID, "[Float]") }
        if dims == 0 { return [] }
        guard dims == 1 else { throw PostgresError(.decoding, message: "column \(column) has \(dims) dimensions") }
        let count = Int(try r.read(Int32.self))
        _ = try r.read(Int32.self)  // lower bound
        var out = [Float]()
        out.reserveCapacity(count)
        for _ in 0..<count {
            let len = try r.read(Int32.self)
            guard len == 4 else { throw PostgresError(.decoding, message: "NULL element in column \(column)") }
            out.append(Float(bitPattern: try r.read(UInt32.self)))
        }
        return out
    }
}
