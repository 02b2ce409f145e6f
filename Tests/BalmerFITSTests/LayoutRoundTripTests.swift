import BalmerCore
import Foundation
import BalmerTestSupport
import Testing
@testable import BalmerFITS

/// Every layout written by ``SpectrumFileWriter`` reads back, detected from the bytes alone.
@Suite struct LayoutRoundTripTests {
    static func spectrum(for layout: SpectrumLayout) -> Spectrum {
        let wave: [Double]
        switch layout {
        case .ondrejovIRAF, .ondrejovVOTable:
            wave = (0..<1997).map { 6253 + 0.2567 * Double($0) }
        default:
            wave = (0..<3909).map { pow(10, 3.5682 + 1e-4 * Double($0)) }
        }
        let flux = wave.map { 1000 + 0.1 * ($0 - 6000) - 400 * exp(-0.5 * pow(($0 - 6564.61) / 4, 2)) }
        let ivar = wave.indices.map { $0 % 97 == 0 ? 0.0 : 0.25 }
        let metadata = SpectrumMetadata(
            designation: "LAMOST J101007.54-082429.4", ra: 152.53142, dec: -8.40817, mjd: 55939,
            date: "2012-01-20", objectClass: "STAR", subclass: "A1V", snr: 42.5,
            release: layout == .lamostDR9 ? "LAMOST DR9" : nil, objectName: "17 Sex")
        let hasIvar = layout != .ondrejovIRAF && layout != .ondrejovVOTable
        return Spectrum(layout: layout, frame: layout.frame, wavelength: wave, flux: flux,
                        inverseVariance: hasIvar ? ivar : nil, metadata: metadata)
    }

    @Test(arguments: SpectrumLayout.allCases, [false, true])
    func roundTrip(layout: SpectrumLayout, gzip: Bool) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A misleading name: detection must not look at it.
        let path = directory + "/spSpec-misleading.fits" + (gzip ? ".gz" : "")
        let original = Self.spectrum(for: layout)
        try SpectrumFileWriter().write(original, as: layout, to: path)
        let read = try SpectrumFileReader().read(path: path)
        #expect(read.layout == layout)
        #expect(read.frame == layout.frame)
        #expect(read.wavelength.count == original.wavelength.count)
        for i in stride(from: 0, to: original.wavelength.count, by: 37) {
            #expect(abs(read.wavelength[i] - original.wavelength[i]) < 4e-7 * original.wavelength[i], "λ[\(i)]")
            #expect(abs(read.flux[i] - original.flux[i]) < 1e-3 * abs(original.flux[i]), "flux[\(i)]")
        }
        if let ivar = original.inverseVariance {
            let readIvar = try #require(read.inverseVariance)
            #expect(zip(ivar, readIvar).allSatisfy { abs($0 - $1) < 1e-6 * max(1, $0) })
        }
        #expect(read.metadata.fileName == "spSpec-misleading.fits" + (gzip ? ".gz" : ""))
        #expect(abs((read.metadata.ra ?? 0) - 152.53142) < 1e-3)
        #expect(abs((read.metadata.dec ?? 0) - -8.40817) < 1e-3)
        let original140 = try Preprocessor().features(of: original).get()
        let read140 = try Preprocessor().features(of: read).get()
        #expect(zip(original140, read140).allSatisfy { abs($0 - $1) < 1e-3 })
    }

    /// Bytes in memory (plain or gzipped) read as the same spectrum as the file they came from.
    @Test(arguments: SpectrumLayout.allCases, [false, true])
    func readsFromBytes(layout: SpectrumLayout, gzip: Bool) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/on-disk.fits" + (gzip ? ".gz" : "")
        try SpectrumFileWriter().write(Self.spectrum(for: layout), as: layout, to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let fromFile = try SpectrumFileReader().read(path: path)
        let fromBytes = try SpectrumFileReader().read(bytes: bytes, name: "sub/in-memory.fits")
        #expect(fromBytes.layout == layout)
        #expect(fromBytes.wavelength == fromFile.wavelength)
        #expect(fromBytes.flux == fromFile.flux)
        #expect(fromBytes.inverseVariance == fromFile.inverseVariance)
        #expect(fromBytes.metadata.fileName == "in-memory.fits")
        #expect(fromBytes.metadata.ra == fromFile.metadata.ra)
        // A truncated copy is refused with a typed error, not read.
        #expect(throws: FITSError.self) { try SpectrumFileReader().read(bytes: bytes.prefix(bytes.count / 2), name: "cut.fits") }
    }

    @Test func lamostMetadataSurvivesTheTrip() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for layout in [SpectrumLayout.lamostDR1, .lamostDR2, .lamostDR9] {
            let path = directory + "/\(layout.rawValue).fits"
            try SpectrumFileWriter().write(Self.spectrum(for: layout), as: layout, to: path)
            let m = try SpectrumFileReader().read(path: path).metadata
            #expect(m.designation == "LAMOST J101007.54-082429.4")
            #expect(m.subclass == "A1V")
            #expect(m.snr == 42.5)
            #expect(m.mjd == 55939)
            #expect(m.survey == "LAMOST")
        }
    }
}
