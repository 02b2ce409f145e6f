import BalmerCore
import Foundation
import BalmerTestSupport
import Testing
@testable import BalmerFITS

/// Whatever the bytes, the reader throws a typed error with a reason and never crashes.
@Suite struct HostileInputTests {
    let reader = SpectrumFileReader()

    func error(reading bytes: [UInt8], name: String = "bad.fits") throws -> FITSError {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/" + name
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        do {
            _ = try reader.read(path: path)
        } catch let error as FITSError {
            #expect(!error.reason.isEmpty)
            return error
        }
        Issue.record("reading \(name) did not fail")
        return FITSError(.cfitsio, "no error")
    }

    /// A FITS header of 2880 bytes from `cards` (each padded to 80 characters), then `dataBytes` zeros.
    static func header(_ cards: [String], dataBytes: Int = 0) -> [UInt8] {
        var text = cards.map { $0.padding(toLength: 80, withPad: " ", startingAt: 0) }.joined()
        text += "END".padding(toLength: 80, withPad: " ", startingAt: 0)
        let padded = text.padding(toLength: ((text.count + 2879) / 2880) * 2880, withPad: " ", startingAt: 0)
        return Array(padded.utf8) + [UInt8](repeating: 0, count: dataBytes)
    }

    @Test func missingFile() {
        #expect(throws: FITSError.self) { try reader.read(path: "/nonexistent/spec.fits") }
        do { _ = try reader.read(path: "/nonexistent/spec.fits") } catch let error as FITSError {
            #expect(error.kind == .missing)
            #expect(error.isTransient)
        } catch { Issue.record("wrong error \(error)") }
    }

    @Test func emptyTextAndRandomBytes() throws {
        #expect(try error(reading: []).kind != .unknownLayout)
        #expect(try error(reading: Array("hello, this is not FITS\n".utf8)).kind == .notFITS)
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        _ = try error(reading: noise)
    }

    @Test func corruptGzip() throws {
        let gzipMagic: [UInt8] = [0x1f, 0x8b, 0x08, 0x00] + [UInt8](repeating: 0x41, count: 400)
        _ = try error(reading: gzipMagic, name: "bad.fits.gz")
    }

    @Test func truncatedFilesOfEveryLayout() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for layout in SpectrumLayout.allCases {
            let path = directory + "/whole.fits"
            try SpectrumFileWriter().write(LayoutRoundTripTests.spectrum(for: layout), as: layout, to: path)
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            for fraction in [0.3, 0.6, 0.85] {
                let cut = Array(bytes.prefix(Int(Double(bytes.count) * fraction)))
                let failure = try error(reading: cut, name: "\(layout.rawValue)-\(fraction).fits")
                #expect(failure.kind != .cfitsio || failure.status != 0, "\(layout) at \(fraction)")
            }
        }
    }

    /// Found by the FITS fuzzer: cfitsio's inflater grew its buffer 28 800 bytes at a time on a
    /// truncated stream until Balmer's 512 MB cap refused, then dropped the block: every truncated
    /// `.fits.gz` leaked 512 MB of address space (and took minutes under AddressSanitizer).
    @Test func truncatedGzipIsRefusedWithoutLeaking() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/dr9.fits.gz"
        try SpectrumFileWriter().write(LayoutRoundTripTests.spectrum(for: .lamostDR9), as: .lamostDR9, to: path)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        // The process's address space in bytes (first field of /proc/self/statm, in pages).
        let mapped = { () -> Int in
            let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
            return (Int(statm.split(separator: " ").first ?? "") ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
        }
        let before = mapped()
        for fraction in [0.2, 0.5, 0.8, 0.99] {
            let cut = whole.prefix(Int(Double(whole.count) * fraction))
            do {
                _ = try reader.read(bytes: cut, name: "cut.fits.gz")
                Issue.record("a gzip stream cut at \(fraction) was read")
            } catch let error as FITSError {
                #expect(error.kind == .truncated, "\(error)")
            }
        }
        #expect(mapped() - before < 256 << 20, "\((mapped() - before) >> 20) MB of address space left behind")
        // A file of two gzip members ends in the trailer of the second, which understates the
        // length of the first (the FITS file): it still reads.
        let hello: [UInt8] = [31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 203, 72, 205, 201, 201, 7, 0, 134, 166, 16, 54, 5, 0, 0, 0]
        #expect(try reader.read(bytes: whole + hello, name: "two-members.fits.gz").layout == .lamostDR9)
    }

    /// Found by the FITS fuzzer: a malformed mandatory card in a binary table's header made
    /// cfitsio 4.2 go on with uninitialised lengths (a calloc of 10¹⁶ bytes under ASan on a later
    /// read). Balmer refuses the header itself, before cfitsio parses it (status 0 says so).
    @Test func malformedTableCardsAreRefusedBeforeCFITSIO() throws {
        let primary = Self.header(["SIMPLE  =                    T", "BITPIX  =                    8",
                                   "NAXIS   =                    0", "EXTEND  =                    T"])
        let table = ["XTENSION= 'BINTABLE'", "BITPIX  =                    8", "NAXIS   =                    2",
                     "NAXIS1  =                   32", "NAXIS2  =                    3", "PCOUNT  =                    0",
                     "GCOUNT  =                    1", "TFIELDS =                    1", "TTYPE1  = 'flux    '",
                     "TFORM1  = '8E      '"]
        var broken = [(String, String)]()
        broken.append(("NAXIS", String(repeating: "\u{11}", count: 80)))
        broken.append(("NAXIS2", "NAXIS2  =                  3.5"))
        // Found by the release-build fuzzer: an integral value written as a real ("3./") passed
        // the numeric check, cfitsio refused it and calloc'd 2·10¹⁶ bytes.
        broken.append(("NAXIS2", "NAXIS2  =                   3./ rows"))
        broken.append(("NAXIS1", "NAXIS1  =                 3.2E1"))
        broken.append(("TFIELDS", "TFIELDS =                 5000"))
        broken.append(("PCOUNT", "PCOUNTX =                    0"))
        for (keyword, card) in broken {
            let cards = table.map { $0.hasPrefix(keyword.padding(toLength: 8, withPad: " ", startingAt: 0)) ? card : $0 }
            let bytes = primary + Self.header(cards) + [UInt8](repeating: 0, count: 2880)
            for _ in 0..<3 {
                let failure = try error(reading: bytes)
                #expect(failure.kind == .badHeader && failure.status == 0 && failure.reason.contains(keyword), "\(keyword): \(failure)")
            }
        }
        // Found by the fuzzer too: an unquoted TTYPEn of 70 characters overflowed a 70-byte field
        // in cfitsio (ffgtbp) and glibc aborted the process.
        for card in ["TTYPE1  = " + String(repeating: "*", count: 70), "TFORM1  = 8E", "TTYPE1  = 'unterminated"] {
            let cards = table.map { $0.hasPrefix(String(card.prefix(8))) ? card : $0 }
            let failure = try error(reading: primary + Self.header(cards) + [UInt8](repeating: 0, count: 2880))
            #expect(failure.kind == .badHeader && failure.status == 0 && failure.reason.contains(card.prefix(5)), "\(failure)")
        }
        // Found by the release-build fuzzer: the same overflow with a binary byte where `=`
        // belongs ("TTYPE2  \u{B9}=…"), which the quoted-string check above skipped. Cards must be
        // printable ASCII, and column strings `KEYWORD = 'value'`.
        var binary = primary + Self.header(table) + [UInt8](repeating: 0, count: 2880)
        let ttype = 2880 + 8 * 80
        binary.replaceSubrange((ttype + 8)..<(ttype + 80), with: [0xB9, UInt8(ascii: "=")] + [UInt8](repeating: 0xA8, count: 70))
        let binaryFailure = try error(reading: binary)
        #expect(binaryFailure.kind == .badHeader && binaryFailure.reason.contains("non-ASCII byte at column 9"), "\(binaryFailure)")
        var unspaced = table
        unspaced[8] = "TTYPE1  ='flux'"
        let unspacedFailure = try error(reading: primary + Self.header(unspaced) + [UInt8](repeating: 0, count: 2880))
        #expect(unspacedFailure.kind == .badHeader && unspacedFailure.reason.contains("TTYPE1 is not a quoted string"), "\(unspacedFailure)")
        var ascii = table
        ascii[0] = "XTENSION= 'TABLE   '"
        #expect(try error(reading: primary + Self.header(ascii) + [UInt8](repeating: 0, count: 2880)).kind == .unknownLayout)
        // The same table with sound cards is read up to its (absent) columns.
        let sound = primary + Self.header(table) + [UInt8](repeating: 0, count: 2880)
        #expect(try error(reading: sound).kind == .unknownLayout)
    }

    @Test func aMissingFinalPaddingIsTolerated() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/iraf.fits"
        try SpectrumFileWriter().write(LayoutRoundTripTests.spectrum(for: .ondrejovIRAF), as: .ondrejovIRAF, to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let unpadded = bytes.prefix(2880 + 1997 * 4)  // header block + float32 data, no padding
        try unpadded.write(to: URL(fileURLWithPath: path))
        #expect(try SpectrumFileReader().read(path: path).flux.count == 1997)
        try unpadded.dropLast(4).write(to: URL(fileURLWithPath: path))
        #expect(throws: FITSError.self) { try SpectrumFileReader().read(path: path) }
    }

    @Test func enormousAxesAreRefusedBeforeAllocating() throws {
        let huge = Self.header(["SIMPLE  =                    T", "BITPIX  =                  -32",
                                "NAXIS   =                    2", "NAXIS1  =           2000000000",
                                "NAXIS2  =                    5"])
        let failure = try error(reading: huge)
        #expect([.badHeader, .truncated].contains(failure.kind))
    }

    /// Found by the FITS fuzzer (release build, ~950k executions): PCOUNT = 1.1·10¹⁵ in a
    /// binary table's header trapped converting the declared data size to 64-bit integers.
    @Test func hugeDeclaredSizesAreRefusedWithoutTrapping() throws {
        let primary = Self.header(["SIMPLE  =                    T", "BITPIX  =                    8",
                                   "NAXIS   =                    0", "EXTEND  =                    T"])
        for (pcount, gcount, naxis2) in [("1111111111111111", "1", "143"), ("0", "9.9E+300", "143"),
                                         ("999999999999999", "999999999999999", "999999999999999")] {
            let table = Self.header(["XTENSION= 'BINTABLE'", "BITPIX  =                    8",
                                     "NAXIS   =                    2", "NAXIS1  =                   16",
                                     "NAXIS2  = " + naxis2.leftPad(20), "PCOUNT  = " + pcount.leftPad(20),
                                     "GCOUNT  = " + gcount.leftPad(20), "TFIELDS =                    1",
                                     "TTYPE1  = 'flux    '", "TFORM1  = '4E      '"])
            let failure = try error(reading: primary + table + [UInt8](repeating: 0, count: 2880))
            #expect([.badHeader, .truncated, .cfitsio, .unknownLayout].contains(failure.kind), "\(failure)")
        }
    }

    @Test func wrongBitpixAndUnknownShapes() throws {
        let badBitpix = Self.header(["SIMPLE  =                    T", "BITPIX  =                   13",
                                     "NAXIS   =                    1", "NAXIS1  =                   10"], dataBytes: 2880)
        _ = try error(reading: badBitpix)
        let cube = Self.header(["SIMPLE  =                    T", "BITPIX  =                  -32",
                                "NAXIS   =                    3", "NAXIS1  =                    4",
                                "NAXIS2  =                    4", "NAXIS3  =                    4"], dataBytes: 2880)
        #expect(try error(reading: cube).kind == .unknownLayout)
        let noWavelength = Self.header(["SIMPLE  =                    T", "BITPIX  =                  -32",
                                        "NAXIS   =                    1", "NAXIS1  =                   10"], dataBytes: 2880)
        #expect(try error(reading: noWavelength).kind == .missingKeyword)
        let headerOnly = Self.header(["SIMPLE  =                    T", "BITPIX  =                    8",
                                      "NAXIS   =                    0"])
        #expect(try error(reading: headerOnly).kind == .unknownLayout)
    }

    @Test func decreasingWavelengthsAreRefused() throws {
        let backwards = Self.header(["SIMPLE  =                    T", "BITPIX  =                  -32",
                                     "NAXIS   =                    1", "NAXIS1  =                   10",
                                     "CRVAL1  =                 6600", "CDELT1  =                 -0.5"], dataBytes: 2880)
        #expect(try error(reading: backwards).kind == .missingKeyword)
    }
}

private extension String {
    /// Right-aligned in `width` characters (a FITS fixed-format value).
    func leftPad(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
