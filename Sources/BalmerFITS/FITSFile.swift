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

    /// The cfitsio handle for the extensions in other files; `nil` after `close()`.
    var rawHandle: UnsafeMutablePointer<fitsfile>? { handle }

    /// Largest number of elements Balmer will allocate for one array (hostile headers).
    static let maxElements = 20_000_000
    /// Largest file (after inflating) Balmer ever reads, whatever the policy; the same limit as
    /// `BALMER_MAX_FITS_BYTES` (cfitsio's realloc cap). ``FileAccessPolicy`` sets lower ones.
    static let maxFileBytes = 512 << 20

    private init(handle: UnsafeMutablePointer<fitsfile>, path: String) {
        self.handle = handle
        self.path = path
    }

    /// The in-memory copy of the file (read-only opens), released after cfitsio has closed it.
    private(set) var memory: MemoryCells?

    deinit {
        if handle != nil {
            var status: Int32 = 0
            ffclos(handle, &status)
        }
        memory = nil  // after ffclos: cfitsio no longer reads it
    }

    /// Opens an existing file read-only under `policy` (data roots, regular files only, size caps;
    /// see ``SpectrumFileAccess``); a gzipped file is decompressed in memory first.
    /// The name is taken literally (no cfitsio extended-filename syntax).
    static func open(path: String, policy: FileAccessPolicy = .unrestricted) throws -> FITSFile {
        let (buffer, count) = try SpectrumFileAccess.load(path: path, policy: policy)
        return try open(owning: buffer, count: count, name: path, maxInflatedBytes: policy.maxInflatedBytes)
    }

    /// Opens a file read-only through cfitsio's own file drivers (gzip included, under its global
    /// lock). Used as the reference in the preprocessing benchmark.
    static func openThroughCFITSIO(path: String) throws -> FITSFile {
        var fptr: UnsafeMutablePointer<fitsfile>?
        var status: Int32 = 0
        ffdkopn(&fptr, path, READONLY, &status)
        guard status == 0, let fptr else {
            if fptr != nil { var s: Int32 = 0; ffclos(fptr, &s) }
            throw openError(status: status)
        }
        return FITSFile(handle: fptr, path: path)
    }

    /// Opens FITS bytes (plain or gzipped) held in memory, read-only. `name` is used in messages.
    ///
    /// cfitsio keeps a global lock while it opens a compressed file, so thousands of `.fits.gz`
    /// opened through it run one at a time whatever the thread count; decompressing here first
    /// (with cfitsio's own inflater) lets every thread work at once.
    static func open(bytes: Data, name: String, policy: FileAccessPolicy = .unrestricted) throws -> FITSFile {
        guard bytes.count <= policy.maxFileBytes else {
            throw FITSError(.tooLarge, "\(bytes.count) bytes, more than ingest.max-file-bytes (\(policy.maxFileBytes))")
        }
        guard !bytes.isEmpty, let copy = malloc(bytes.count) else { throw FITSError(.notFITS, "the file is empty") }
        bytes.copyBytes(to: copy.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        return try open(owning: copy, count: bytes.count, name: name, maxInflatedBytes: policy.maxInflatedBytes)
    }

    /// Opens `count` malloc'd bytes (plain or gzipped FITS), taking ownership of them.
    private static func open(owning raw: UnsafeMutableRawPointer, count: Int, name: String, maxInflatedBytes: Int) throws -> FITSFile {
        var buffer: UnsafeMutableRawPointer? = raw
        var size = count
        let bytes = UnsafeRawBufferPointer(start: raw, count: count)
        if count >= 18, bytes[0] == 0x1f, bytes[1] == 0x8b {
            defer { free(raw) }
            switch inflate(raw, count: count, limit: maxInflatedBytes) {
            case .inflated(let output, let length):
                buffer = output
                size = length
            case .tooLarge:
                throw FITSError(.tooLarge, "gzip stream inflates beyond ingest.max-inflated-bytes (\(maxInflatedBytes))")
            case .corrupt:
                throw FITSError(.truncated, status: 414, "gzip stream is truncated or corrupt")
            }
        }
        guard size >= 2880, let start = buffer, memcmp(start, "SIMPLE  =", 9) == 0 else {
            free(buffer)
            throw FITSError(.notFITS, "not a FITS file (no SIMPLE card at the start)")
        }
        // cfitsio keeps the addresses of the buffer pointer and its size for as long as the file
        // is open, so both live in cells on the heap that the FITSFile owns.
        let memory = MemoryCells(buffer: buffer, size: size)
        var fptr: UnsafeMutablePointer<fitsfile>?
        var status: Int32 = 0
        ffomem(&fptr, "mem://", READONLY, memory.buffer, memory.size, 0, balmer_capped_realloc, &status)
        guard status == 0, let fptr else {
            if fptr != nil { var s: Int32 = 0; ffclos(fptr, &s) }
            throw openError(status: status)
        }
        let file = FITSFile(handle: fptr, path: name)
        file.memory = memory
        return file
    }

    /// What ``inflate(_:count:limit:)`` made of a gzip stream.
    enum Inflation {
        /// A new malloc'd buffer (the caller owns it) and the inflated length.
        case inflated(UnsafeMutableRawPointer, Int)
        /// The stream inflates beyond the limit (it filled a buffer of `limit + 1` bytes); nothing
        /// larger than that was allocated.
        case tooLarge
        /// Truncated or corrupt.
        case corrupt
    }

    /// Inflates the gzip stream of `count` bytes at `raw` into a new malloc'd buffer of at most
    /// `limit + 1` bytes (`limit` capped at ``maxFileBytes``).
    ///
    /// cfitsio's inflater is given a buffer that must suffice and no realloc function: on a
    /// truncated stream its loop takes zlib's `Z_OK` for "output full" and would grow the buffer
    /// 28 800 bytes at a time up to the cap (18 000 reallocs), then lose the block when the cap
    /// refuses (512 MB of address space leaked per truncated file).
    static func inflate(_ raw: UnsafeMutableRawPointer, count: Int, limit requested: Int) -> Inflation {
        let limit = max(0, min(requested, Self.maxFileBytes))
        let bytes = UnsafeRawBufferPointer(start: raw, count: count)
        // Deflate expands at most 1032:1, so no stream of `count` bytes inflates beyond this.
        let ratioBound = count.multipliedReportingOverflow(by: 1032).partialValue + 4096
        let bound = min(ratioBound, limit + 1)
        // The trailer's ISIZE is the inflated length (mod 2³²): when plausible, try that first, so a
        // LAMOST file (≈ 110 kB) needs one small buffer below malloc's mmap threshold. A lying
        // ISIZE (e.g. a stream of several members) falls back to the bound. The trailer alone
        // cannot refuse a bomb (a truncated stream ends in arbitrary bytes): a stream that fills
        // the whole buffer of `limit + 1` bytes is one.
        let trailer = (1...4).reduce(0) { $0 << 8 | Int(bytes[count - $1]) }
        var capacities = [bound]
        if trailer > 0, trailer + 1 < bound { capacities.insert(trailer + 1, at: 0) }
        let sentinel: CChar = 0x5a
        for capacity in capacities {
            var size = capacity
            var output = malloc(capacity)?.assumingMemoryBound(to: CChar.self)
            guard let start = output else { return .corrupt }
            start[capacity - 1] = sentinel
            var length = 0
            var status: Int32 = 0
            _ = uncompress2mem_from_mem(raw.assumingMemoryBound(to: CChar.self), count, &output, &size, nil, &length, &status)
            // Filling the buffer completely means the stream may be longer than this capacity.
            if status == 0, let output, length > 0, length < capacity, length <= limit {
                return .inflated(UnsafeMutableRawPointer(output), length)
            }
            // The buffer of the limit's size was filled to its last byte: the stream is larger.
            let filled = output.map { $0[capacity - 1] != sentinel || (status == 0 && length >= capacity) } ?? false
            free(output)
            if capacity == limit + 1, filled { return .tooLarge }
        }
        return .corrupt
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
        memory = nil
        try check(status, "closing the file")
    }

    // MARK: - Errors

    static func statusText(_ status: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(FLEN_ERRMSG) + 1)
        ffgerr(status, &buffer)
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    private static func openError(status: Int32) -> FITSError {
        let text = statusText(status)
        switch status {
        case END_OF_FILE, READ_ERROR, 414 /* DATA_DECOMPRESSION_ERR */:
            return FITSError(.truncated, status: status, "file is truncated or corrupt: \(text)")
        case MEMORY_ALLOCATION, FILE_NOT_OPENED:
            return FITSError(.badHeader, status: status, "the header declares more data than Balmer accepts (512 MB)")
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
        let (dataStart, dataEnd, size) = try extent()
        // The data proper ends before the padding to 2880 bytes; a file may lack that padding.
        let needed = dataBytes().flatMap { bytes in
            let (end, overflow) = dataStart.addingReportingOverflow(bytes)
            return overflow ? nil : end
        } ?? dataEnd - 2879
        if size < needed {
            throw FITSError(.truncated, "file ends at byte \(size) but its data runs to byte \(needed)")
        }
    }

    /// Bytes of data the current header declares: |BITPIX|/8 · GCOUNT · (PCOUNT + ∏ NAXISn), or
    /// nil when a card is missing or absurd or the product does not fit in 64 bits (a hostile
    /// header; cfitsio's own extent is used then).
    private func dataBytes() -> Int64? {
        guard let bitpix = count("BITPIX", from: -64, to: 64), let naxis = count("NAXIS", from: 0, to: 999) else {
            return nil
        }
        var product: Int64 = naxis == 0 ? 0 : 1
        for axis in stride(from: 1, through: Int(naxis), by: 1) {
            guard let length = count("NAXIS\(axis)", from: 0, to: 1e15),
                  case let (next, false) = product.multipliedReportingOverflow(by: length) else { return nil }
            product = next
        }
        guard let pcount = header.double("PCOUNT") == nil ? 0 : count("PCOUNT", from: 0, to: 1e15),
              let gcount = header.double("GCOUNT") == nil ? 1 : count("GCOUNT", from: 0, to: 1e15),
              case let (elements, false) = pcount.addingReportingOverflow(product),
              case let (groups, false) = elements.multipliedReportingOverflow(by: gcount),
              case let (bytes, false) = groups.multipliedReportingOverflow(by: abs(bitpix) / 8) else { return nil }
        return bytes
    }

    /// The integer value of header card `key` when it lies in `low...high` (nil if absent,
    /// not finite or out of range, so no conversion can trap).
    private func count(_ key: String, from low: Double, to high: Double) -> Int64? {
        guard let value = header.double(key), value.isFinite, value >= low, value <= high else { return nil }
        return Int64(value)
    }

    /// Whether bytes follow the current HDU (an extension, complete or not).
    func hasBytesAfterCurrentHDU() throws -> Bool {
        let (_, dataEnd, size) = try extent()
        return size > dataEnd
    }

    /// Where the current HDU's data starts and (padded) ends, and the file's real size.
    func extent() throws -> (dataStart: Int64, dataEnd: Int64, fileSize: Int64) {
        var headerStart: Int64 = 0
        var dataStart: Int64 = 0
        var dataEnd: Int64 = 0
        var status: Int32 = 0
        ffghadll(handle, &headerStart, &dataStart, &dataEnd, &status)
        try check(status, "locating the HDU's data")
        let size = memory.map { Int64($0.originalSize) } ?? handle?.pointee.Fptr?.pointee.filesize ?? .max
        return (dataStart, dataEnd, size)
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
        var current: Int32 = 0
        if number > 1, ffghdn(handle, &current) == number - 1 {
            try checkNextTableHeader()
        }
        ffmahd(handle, Int32(number), &type, &status)
        try check(status, "moving to HDU \(number)")
        header = loadHeader ? try readHeader() : FITSHeader()
        return type
    }

    /// Reads every card of the current HDU: straight from the in-memory file when there is one,
    /// else one `ffgrec` per card.
    private func readHeader() throws -> FITSHeader {
        if let memory, let base = memory.buffer.pointee {
            var headerStart: Int64 = 0
            var dataStart: Int64 = 0
            var dataEnd: Int64 = 0
            var status: Int32 = 0
            ffghadll(handle, &headerStart, &dataStart, &dataEnd, &status)
            try check(status, "locating the header")
            let end = min(Int(dataStart), memory.originalSize)
            let start = Int(headerStart)
            guard start >= 0, end > start else { return FITSHeader() }
            return FITSHeader(cards: Array(UnsafeRawBufferPointer(start: base + start, count: end - start)))
        }
        var count: Int32 = 0
        var more: Int32 = 0
        var status: Int32 = 0
        ffghsp(handle, &count, &more, &status)
        try check(status, "reading the header size")
        guard count > 0, count < 100_000 else { return FITSHeader() }
        var cards = [UInt8](repeating: UInt8(ascii: " "), count: Int(count) * 80)
        var card = [CChar](repeating: 0, count: 81)
        for index in 1...count {
            ffgrec(handle, index, &card, &status)
            guard status == 0 else { break }
            card.withUnsafeBytes { raw in
                let length = min(80, strnlen(raw.baseAddress!.assumingMemoryBound(to: CChar.self), 80))
                let offset = Int(index - 1) * 80
                for i in 0..<length { cards[offset + i] = raw[i] }
            }
        }
        try check(status, "reading header cards")
        return FITSHeader(cards: cards)
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
            ffgcvs(rawHandle, Int32(column), 1, 1, 1, &empty, &pointer, &anyNull, &status)
            try check(status, "reading string column \(column)")
        }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.trimmingCharacters(in: .whitespaces)
    }
}

/// A malloc'd FITS image in memory and the two cells cfitsio's memory driver points into.
final class MemoryCells {
    let buffer: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    let size: UnsafeMutablePointer<Int>
    /// The file's real length. cfitsio's memory driver may grow the buffer to the size the
    /// header declares, so its own `filesize` cannot reveal a truncated file.
    let originalSize: Int

    init(buffer bytes: UnsafeMutableRawPointer?, size count: Int) {
        originalSize = count
        buffer = .allocate(capacity: 1)
        buffer.initialize(to: bytes)
        size = .allocate(capacity: 1)
        size.initialize(to: count)
    }

    deinit {
        free(buffer.pointee)
        buffer.deallocate()
        size.deallocate()
    }
}
