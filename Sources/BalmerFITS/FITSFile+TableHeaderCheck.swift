extension FITSFile {
    /// The mandatory cards that open a table extension, in the order the FITS standard fixes.
    static let tableKeywords = ["XTENSION", "BITPIX", "NAXIS", "NAXIS1", "NAXIS2", "PCOUNT", "GCOUNT", "TFIELDS"]

    /// Checks the mandatory cards and the column strings of the table extension that follows
    /// the current HDU before cfitsio parses them. When one of them is malformed (e.g. a card of control bytes where
    /// NAXIS belongs), cfitsio 4.2 (ffbinit → ffgttb) goes on with uninitialised stack values and
    /// may calloc gigabytes and walk them (found by fuzzing; valgrind shows the uninitialised
    /// reads). Refusing here keeps such files away from that path. Only in-memory files (every
    /// read through ``SpectrumFileReader``) are checked.
    func checkNextTableHeader() throws {
        guard let memory, let base = memory.buffer.pointee else { return }
        let start = Int(try extent().dataEnd)
        let available = memory.originalSize - start
        guard start >= 0, available >= 80 else { return }  // no next HDU: cfitsio reports that itself
        func card(_ index: Int) -> [UInt8] {
            Array(UnsafeRawBufferPointer(start: base + start + 80 * index, count: 80))
        }
        let first = card(0)
        guard first.starts(with: Array("XTENSION= ".utf8)) else { return }
        let kind = FITSHeader(cards: first).string("XTENSION")?.uppercased() ?? ""
        // No layout has an ASCII table, and cfitsio copies their string TNULLn unchecked.
        if kind == "TABLE" { throw FITSError(.unknownLayout, "an ASCII table extension is no spectrum layout") }
        guard ["BINTABLE", "A3DTABLE"].contains(kind) else { return }
        guard available >= 80 * Self.tableKeywords.count else {
            throw FITSError(.truncated, "the \(kind) extension's header is cut short")
        }
        for (index, keyword) in Self.tableKeywords.enumerated().dropFirst() {
            let bytes = card(index)
            let name = Array(keyword.utf8) + [UInt8](repeating: UInt8(ascii: " "), count: 8 - keyword.utf8.count)
            guard Array(bytes.prefix(8)) == name, bytes[8] == UInt8(ascii: "="), Self.isIntegerValue(bytes),
                  let value = FITSHeader(cards: bytes).double(keyword), value == value.rounded()
            else {
                throw FITSError(.badHeader, "the \(kind) extension's card \(index + 1) is not \(keyword) = an integer")
            }
            let valid = switch keyword {
            case "BITPIX": value == 8
            case "NAXIS": value == 2
            case "GCOUNT": value == 1
            case "TFIELDS": (0...999).contains(value)
            default: value >= 0 && value < 1e15
            }
            guard valid else {
                throw FITSError(.badHeader, "the \(kind) extension's \(keyword) = \(value) is out of range")
            }
        }
        // cfitsio 4.2 (ffgtbp) strcpy's an unquoted TTYPEn value of up to 70 characters into a
        // 70-byte field: glibc's fortify check then aborts the whole process (found by fuzzing,
        // twice: once with `= ` in place, once with a binary byte where `=` belongs). Header
        // cards are printable ASCII by the standard, and these column keywords hold strings:
        // refuse any card with other bytes, and any column string card not written
        // `KEYWORD = 'value'`.
        for index in Self.tableKeywords.count..<(available / 80) {
            let bytes = card(index)
            if bytes.starts(with: Array("END ".utf8)) { break }
            let name = String(decoding: bytes.prefix(8).filter { (0x20...0x7E).contains($0) }, as: UTF8.self).trimmingTrailingSpaces()
            if let bad = bytes.firstIndex(where: { !(0x20...0x7E).contains($0) }) {
                throw FITSError(.badHeader, "the \(kind) extension's card \(index + 1) (\(name)) holds a non-ASCII byte at column \(bad + 1)")
            }
            guard Self.stringKeywordPrefixes.contains(where: { bytes.starts(with: $0) }) else { continue }
            let value = bytes[10...].drop { $0 == UInt8(ascii: " ") }
            guard bytes[8] == UInt8(ascii: "="), bytes[9] == UInt8(ascii: " "), value.first == UInt8(ascii: "'"),
                  value.dropFirst().contains(UInt8(ascii: "'")) else {
                throw FITSError(.badHeader, "the \(kind) extension's \(name) is not a quoted string (KEYWORD = 'value')")
            }
        }
    }

    /// Whether the card's value (columns 11–80 up to a `/` comment) is an integer as the standard
    /// writes one: an optional sign and digits. cfitsio refuses "109." or "1E2" for these cards
    /// and then goes on with an uninitialised length (found by fuzzing: NAXIS2 = 109./ made it
    /// calloc 2·10¹⁶ bytes).
    static func isIntegerValue(_ card: [UInt8]) -> Bool {
        let text = card[10...].prefix { $0 != UInt8(ascii: "/") }
        let token = text.drop { $0 == UInt8(ascii: " ") }.reversed().drop { $0 == UInt8(ascii: " ") }.reversed()
        let digits = token.first == UInt8(ascii: "-") || token.first == UInt8(ascii: "+") ? Array(token.dropFirst()) : Array(token)
        return !digits.isEmpty && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// Column keywords whose values are strings, which cfitsio copies into fixed buffers.
    static let stringKeywordPrefixes = ["TTYPE", "TFORM", "TUNIT", "TDISP", "TDIM"].map { Array($0.utf8) }
}
