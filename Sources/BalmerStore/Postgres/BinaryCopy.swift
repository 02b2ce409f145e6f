import Foundation

/// Builds a `COPY … FROM STDIN (FORMAT binary)` stream: the header, rows of fields, the trailer.
/// Integers and floats are big-endian as PostgreSQL's binary format requires.
public struct BinaryCopyEncoder: Sendable {
    /// The encoded bytes not yet taken.
    public private(set) var bytes: [UInt8] = []

    /// Starts a stream (writes the 19-byte header).
    public init(reservingCapacity: Int = 1 << 20) {
        bytes.reserveCapacity(reservingCapacity)
        bytes.append(contentsOf: Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00])
        append(Int32(0))  // flags
        append(Int32(0))  // header extension length
    }

    /// Starts a row of `fields` fields.
    public mutating func beginRow(fields: Int) { append(Int16(fields)) }

    public mutating func null() { append(Int32(-1)) }

    public mutating func int64(_ v: Int64) {
        append(Int32(8))
        append(v)
    }

    public mutating func int32(_ v: Int32) {
        append(Int32(4))
        append(v)
    }

    public mutating func float64(_ v: Double) {
        append(Int32(8))
        append(v.bitPattern)
    }

    public mutating func float64(_ v: Double?) { if let v { float64(v) } else { null() } }

    public mutating func float32(_ v: Float) {
        append(Int32(4))
        append(v.bitPattern)
    }

    public mutating func text(_ v: String) {
        var v = v
        v.withUTF8 { utf8 in
            append(Int32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func text(_ v: String?) { if let v { text(v) } else { null() } }

    public mutating func bytea(_ v: [UInt8]) {
        append(Int32(v.count))
        bytes.append(contentsOf: v)
    }

    /// A `timestamptz` (microseconds since 2000-01-01 UTC).
    public mutating func timestamp(_ v: Date) {
        append(Int32(8))
        append(PostgresTime.microseconds(v))
    }

    /// A one-dimensional `real[]`.
    public mutating func float32Array(_ v: [Float]) {
        var w = BinaryWriter()
        w.appendFloat4Array(v)
        bytea(w.bytes)
    }

    /// A `bytea` holding the floats as little-endian IEEE-754 float32 (Balmer's feature format).
    public mutating func littleEndianFloats(_ v: [Float]) {
        append(Int32(v.count * 4))
        #if _endian(little)
        v.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        #endif
    }

    /// Ends the stream (writes the trailer).
    public mutating func finish() { append(Int16(-1)) }

    /// Returns the bytes encoded so far and empties the buffer (to send in chunks).
    public mutating func take() -> [UInt8] {
        let out = bytes
        bytes.removeAll(keepingCapacity: true)
        return out
    }

    private mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

/// One row of a binary COPY stream; valid only inside the decoder's callback.
public struct BinaryCopyRow {
    let buffer: UnsafeRawBufferPointer
    let fields: [Range<Int>?]

    public var count: Int { fields.count }

    public func isNull(_ i: Int) -> Bool { fields[i] == nil }

    public func int64(_ i: Int) throws -> Int64 {
        guard let r = fields[i], r.count == 8 else { throw PostgresError(.decoding, message: "field \(i) is not int8") }
        return Int64(bigEndian: buffer.loadUnaligned(fromByteOffset: r.lowerBound, as: Int64.self))
    }

    public func bytes(_ i: Int) -> [UInt8]? {
        fields[i].map { Array(buffer[$0]) }
    }

    /// A `bytea` of little-endian float32 values.
    public func littleEndianFloats(_ i: Int) throws -> [Float] {
        guard let r = fields[i], r.count % 4 == 0 else {
            throw PostgresError(.decoding, message: "field \(i) is not a float32 vector")
        }
        let n = r.count / 4
        #if _endian(little)
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[r]))
            count = n
        }
        #else
        return (0..<n).map {
            Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: r.lowerBound + 4 * $0, as: UInt32.self)))
        }
        #endif
    }
}

/// Parses a `COPY … TO STDOUT (FORMAT binary)` stream fed in arbitrary chunks.
public struct BinaryCopyDecoder: Sendable {
    private var pending: [UInt8] = []
    private var headerDone = false
    /// Whether the trailer has been seen.
    public private(set) var finished = false

    public init() {}

    /// Appends `chunk` and calls `row` for every complete row in the stream so far.
    public mutating func feed(_ chunk: [UInt8], _ row: (BinaryCopyRow) throws -> Void) throws {
        pending.append(contentsOf: chunk)
        var headerDone = self.headerDone
        var finished = self.finished
        let consumed: Int = try pending.withUnsafeBytes { buf in
            var o = 0
            func be32(_ at: Int) -> Int32 { Int32(bigEndian: buf.loadUnaligned(fromByteOffset: at, as: Int32.self)) }
            if !headerDone {
                guard buf.count >= 19 else { return 0 }
                guard buf[0] == UInt8(ascii: "P"), buf[5] == UInt8(ascii: "Y") else {
                    throw PostgresError(.copy, message: "not a binary COPY stream")
                }
                let ext = Int(be32(15))
                guard buf.count >= 19 + ext else { return 0 }
                o = 19 + ext
                headerDone = true
            }
            var fields: [Range<Int>?] = []
            rows: while !finished, o + 2 <= buf.count {
                let n = Int(Int16(bigEndian: buf.loadUnaligned(fromByteOffset: o, as: Int16.self)))
                if n == -1 {
                    finished = true
                    o += 2
                    break
                }
                var p = o + 2
                fields.removeAll(keepingCapacity: true)
                for _ in 0..<n {
                    guard p + 4 <= buf.count else { break rows }
                    let len = Int(be32(p))
                    p += 4
                    if len < 0 {
                        fields.append(nil)
                    } else {
                        guard p + len <= buf.count else { break rows }
                        fields.append(p..<(p + len))
                        p += len
                    }
                }
                try row(BinaryCopyRow(buffer: buf, fields: fields))
                o = p
            }
            return o
        }
        self.headerDone = headerDone
        self.finished = finished
        if consumed == pending.count {
            pending.removeAll(keepingCapacity: true)
        } else if consumed > 0 {
            pending.removeFirst(consumed)
        }
    }
}
