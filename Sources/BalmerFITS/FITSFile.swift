internal import CFITSIO

/// An open FITS file: owns the cfitsio handle and closes it on deinit.
///
/// Not thread-safe: one instance is used by one thread at a time. cfitsio is built reentrant
/// on Debian, so separate instances may be used on separate threads. All calls block.
final class FITSFile {
    private var handle: UnsafeMutablePointer<fitsfile>?
    let path: String
    /// Keywords of the current HDU (loaded by `move(toHDU:)`).
    private(set) var header = FITSHeader()

    /// The handle for the writing extension; `nil` after `close()`, which cfitsio reports as an error.
    var handleForWriting: UnsafeMutablePointer<fitsfile>? { handle }

    /// Largest number of elements Balmer will allocate for one array (hostile headers).
    static let maxElements = 20_000_000

    private init(handle: UnsafeMutablePointer<fitsfile>, path: String) {
        self.handle = handle
        self.path = path
    }

    deinit {
        if handle != nil {
            var status: Int32 = 0
            ffclos(handle, &status)
        }
    }

    /// Opens an existing file read-only; `.fits.gz` is decompressed in memory.
    /// The name is taken literally (no cfitsio extended-filename syntax).
    static func open(path: String) throws -> FITSFile {
        var fptr: UnsafeMutablePointer<fitsfile>?
        var status: Int32 = 0
        ffdkopn(&fptr, path, READONLY, &status)
        guard status == 0, let fptr else {
            if fptr != nil { var s: Int32 = 0; ffclos(fptr, &s) }
            throw openError(status: status, path: path)
        }
        return FITSFile(handle: fptr, path: path)
    }

    /// Creates a new file, replacing an existing one. A name ending in `.gz` is written gzipped.
    static func create(path: String) throws -> FITSFile {
        _ = unlink(path)
        var fptr: UnsafeMutablePointer<fitsfile>?
        var status: Int32 = 0
        // A leading "file://" keeps cfitsio's extended-filename parser off the name.
        ffinit(&fptr, "file://" + path, &status)
        guard status == 0, let fptr else {
            throw FITSError(.cannotOpen, status: status, "cannot create \(path): \(statusText(status))")
        }
        return FITSFile(handle: fptr, path: path)
    }

    /// Flushes and closes; errors at close (e.g. a full disk) are reported.
    func close() throws {
        guard handle != nil else { return }
        var status: Int32 = 0
        ffclos(handle, &status)
        handle = nil
        try check(status, "closing the file")
    }

    // MARK: - Errors

    static func statusText(_ status: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(FLEN_ERRMSG) + 1)
        ffgerr(status, &buffer)
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    private static func openError(status: Int32, path: String) -> FITSError {
        let text = statusText(status)
        guard FileManager.default.fileExists(atPath: path) else {
            return FITSError(.cannotOpen, status: status, "no such file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            return FITSError(.cannotOpen, status: status, "file cannot be opened: \(text)")
        }
        let prefix = [UInt8]((try? handle.read(upToCount: 9)) ?? Data())
        try? handle.close()
        if prefix.starts(with: [0x1f, 0x8b]) {
            return FITSError(.truncated, status: status, "gzip stream is truncated or corrupt: \(text)")
        }
        guard prefix.starts(with: Array("SIMPLE  =".utf8)) else {
            return FITSError(.notFITS, status: status, "not a FITS file (no SIMPLE card at the start)")
        }
        switch status {
        case END_OF_FILE, READ_ERROR, 414 /* DATA_DECOMPRESSION_ERR */:
            return FITSError(.truncated, status: status, "file is truncated or corrupt: \(text)")
        case 200..<300:
            return FITSError(.badHeader, status: status, "invalid header: \(text)")
        default:
            return FITSError(.cfitsio, status: status, text)
        }
    }

    /// Throws ``FITSError/Kind/truncated`` when the current HDU's data extends past the end of
    /// the file (allowing a missing final padding block). cfitsio itself only notices when the
    /// missing bytes are read.
    func checkComplete() throws {
        let (dataEnd, size) = try dataEndAndFileSize()
        if dataEnd - 2880 >= size {
            throw FITSError(.truncated, "file ends at byte \(size) but its data runs to byte \(dataEnd)")
        }
    }

    /// Whether bytes follow the current HDU (an extension, complete or not).
    func hasBytesAfterCurrentHDU() throws -> Bool {
        let (dataEnd, size) = try dataEndAndFileSize()
        return size > dataEnd
    }

    private func dataEndAndFileSize() throws -> (dataEnd: Int64, fileSize: Int64) {
        var headerStart: Int64 = 0
        var dataStart: Int64 = 0
        var dataEnd: Int64 = 0
        var status: Int32 = 0
        ffghadll(handle, &headerStart, &dataStart, &dataEnd, &status)
        try check(status, "locating the HDU's data")
        return (dataEnd, handle?.pointee.Fptr?.pointee.filesize ?? .max)
    }

    func check(_ status: Int32, _ what: @autoclosure () -> String) throws {
        guard status != 0 else { return }
        let text = Self.statusText(status)
        switch status {
        case END_OF_FILE, READ_ERROR, 414:
            throw FITSError(.truncated, status: status, "\(what()): data truncated or corrupt (\(text))")
        case BAD_BITPIX, BAD_NAXIS, BAD_NAXES, NUM_OVERFLOW:
            throw FITSError(.badHeader, status: status, "\(what()): \(text)")
        case MEMORY_ALLOCATION:
            throw FITSError(.badHeader, status: status, "\(what()): header asks for more memory than available")
        default:
            throw FITSError(.cfitsio, status: status, "\(what()): \(text)")
        }
    }

    // MARK: - HDUs

    /// Moves to HDU `number` (1 = primary) and returns its type (IMAGE_HDU, ASCII_TBL, BINARY_TBL).
    /// With `loadHeader` (the default) the HDU's keywords are parsed into ``header``.
    @discardableResult
    func move(toHDU number: Int, loadHeader: Bool = true) throws -> Int32 {
        var type: Int32 = 0
        var status: Int32 = 0
        ffmahd(handle, Int32(number), &type, &status)
        try check(status, "moving to HDU \(number)")
        header = loadHeader ? try readHeader() : FITSHeader()
        return type
    }

    /// Reads every keyword of the current HDU in one pass.
    private func readHeader() throws -> FITSHeader {
        var text: UnsafeMutablePointer<CChar>?
        var count: Int32 = 0
        var status: Int32 = 0
        ffhdr2str(handle, 1, nil, 0, &text, &count, &status)
        defer { if let text { var s: Int32 = 0; fffree(text, &s) } }
        try check(status, "reading the header")
        guard let text else { return FITSHeader() }
        return text.withMemoryRebound(to: UInt8.self, capacity: Int(count) * 80) {
            FITSHeader(cards: UnsafeBufferPointer(start: $0, count: Int(count) * 80))
        }
    }

    var isBinaryTable: Bool {
        var type: Int32 = 0
        var status: Int32 = 0
        ffghdt(handle, &type, &status)
        return status == 0 && type == BINARY_TBL
    }

    // MARK: - Keywords

    /// A keyword of the current HDU as a number, `nil` when absent, blank or not numeric.
    func double(_ key: String) -> Double? { header.double(key) }

    /// A keyword of the current HDU as text, `nil` when absent or blank.
    func string(_ key: String) -> String? { header.string(key) }

    /// A logical keyword of the current HDU, `nil` when absent.
    func bool(_ key: String) -> Bool? { header.bool(key) }

    // MARK: - Images

    /// Dimensions of the current image HDU (NAXIS1, NAXIS2, …); empty when NAXIS = 0.
    func imageSize() throws -> [Int] {
        var naxis: Int32 = 0
        var status: Int32 = 0
        ffgidm(handle, &naxis, &status)
        try check(status, "reading NAXIS")
        guard naxis >= 0, naxis <= 9 else { throw FITSError(.badHeader, "NAXIS = \(naxis) is out of range") }
        guard naxis > 0 else { return [] }
        var sizes = [Int](repeating: 0, count: Int(naxis))
        ffgisz(handle, naxis, &sizes, &status)
        try check(status, "reading NAXISn")
        var total = 1
        for size in sizes {
            guard size > 0 else { throw FITSError(.badHeader, "image axis of size \(size)") }
            let (product, overflow) = total.multipliedReportingOverflow(by: size)
            guard !overflow, product <= Self.maxElements else {
                throw FITSError(.badHeader, "image of \(sizes) pixels is larger than \(Self.maxElements)")
            }
            total = product
        }
        return sizes
    }

    /// Reads `count` pixels of the current image starting at 1-based element `first`, as Double
    /// whatever the BITPIX. Undefined (null) pixels become NaN.
    func readPixels(first: Int, count: Int) throws -> [Double] {
        guard count > 0, count <= Self.maxElements else { throw FITSError(.badHeader, "bad pixel count \(count)") }
        var status: Int32 = 0
        var anyNull: Int32 = 0
        let values = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            ffgpvd(handle, 1, Int64(first), Int64(count), .nan, buffer.baseAddress, &anyNull, &status)
            initialized = count
        }
        try check(status, "reading image pixels")
        return values
    }

    // MARK: - Tables

    /// 1-based number of the column named `name` (case-insensitive), `nil` when absent.
    func column(_ name: String) -> Int? {
        var template = Array(name.utf8CString)
        var number: Int32 = 0
        var status: Int32 = 0
        ffgcno(handle, CASEINSEN, &template, &number, &status)
        return status == 0 ? Int(number) : nil
    }

    /// The repeat count (vector length) of a column.
    func columnRepeat(_ column: Int) throws -> Int {
        var type: Int32 = 0
        var repeatCount = 0
        var width = 0
        var status: Int32 = 0
        ffgtcl(handle, Int32(column), &type, &repeatCount, &width, &status)
        try check(status, "reading the type of column \(column)")
        return repeatCount
    }

    func rowCount() throws -> Int {
        var rows = 0
        var status: Int32 = 0
        ffgnrw(handle, &rows, &status)
        try check(status, "reading NAXIS2 of the table")
        return rows
    }

    /// Reads `count` elements of a numeric column from 1-based `row`, element 1, as Double.
    /// Rows are contiguous: reading past the row's repeat continues into the next rows.
    func readColumn(_ column: Int, row: Int, count: Int) throws -> [Double] {
        guard count > 0, count <= Self.maxElements else { throw FITSError(.badHeader, "bad element count \(count)") }
        var status: Int32 = 0
        var anyNull: Int32 = 0
        let values = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            ffgcvd(handle, Int32(column), Int64(row), 1, Int64(count), .nan, buffer.baseAddress, &anyNull, &status)
            initialized = count
        }
        try check(status, "reading table column \(column)")
        return values
    }
}

#if canImport(Glibc)
import Glibc
#endif
import Foundation

extension FITSFile {
    /// Reads the string value of a table column in row 1.
    func readStrings(_ column: Int) throws -> String {
        var status: Int32 = 0
        var buffer = [CChar](repeating: 0, count: 257)
        var anyNull: Int32 = 0
        try buffer.withUnsafeMutableBufferPointer { storage in
            var pointer: UnsafeMutablePointer<CChar>? = storage.baseAddress
            var empty: [CChar] = [0]
            ffgcvs(handleForWriting, Int32(column), 1, 1, 1, &empty, &pointer, &anyNull, &status)
            try check(status, "reading string column \(column)")
        }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.trimmingCharacters(in: .whitespaces)
    }
}
