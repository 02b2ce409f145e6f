import Foundation
import Testing
@testable import BalmerCore

@Suite struct OndrejovDatasetCSVTests {
    static func tempPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ondrejov-\(UUID().uuidString).csv").path
    }

    static func header(_ wavelengths: [Double] = OndrejovDatasetCSV.wavelengths) -> String {
        (["id", "label"] + OndrejovDatasetCSV.metadataColumns + wavelengths.map { "\($0)" }).joined(separator: ",")
    }

    @Test func gridIsTheDatasetLinspace() {
        let w = OndrejovDatasetCSV.wavelengths
        #expect(w.count == 140)
        #expect(w.first == 6519 && w.last == 6732)
        #expect(abs((w[1] - w[0]) - 213.0 / 139.0) < 1e-9)
    }

    @Test func roundTripWithQuotedFields() throws {
        var rng = SystemRandomNumberGenerator()
        let rows = SpectrumClass.allCases.enumerated().map { i, c in
            OndrejovDatasetRow(
                id: "a20130606001\(i)", label: c,
                metadata: ["object": "HD 123, \"the\" star", "ra": "05:55:10.3", "dec": "+20:10:30",
                           "date-obs": "2013-06-06", "specfilt": "line1\nline2"],
                flux: (0..<140).map { _ in Float.random(in: 100...30000, using: &rng) })
        }
        let path = Self.tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try OndrejovDatasetCSV.write(rows, wavelengths: OndrejovDatasetCSV.wavelengths, to: path)
        let (wavelengths, read) = try OndrejovDatasetCSV.readWithWavelengths(contentsOf: path)
        #expect(wavelengths == OndrejovDatasetCSV.wavelengths)
        #expect(read.count == 3)
        for (a, b) in zip(rows, read) {
            #expect(a.id == b.id && a.label == b.label && a.flux == b.flux)
            for name in OndrejovDatasetCSV.metadataColumns { #expect((a.metadata[name] ?? "") == b.metadata[name]) }
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("id,label,object,ra,dec,expval,gratang,detector,chipid,specfilt,date-obs,dichmir,6519.0,"))
        #expect(text.contains(",emission,") && text.contains(",double-peak,") && text.contains(",absorption,"))
    }

    /// Found by the CSV fuzzer: "\r\n" is one Character, so a field holding it was not quoted
    /// and the written file split the row.
    @Test func fieldsWithCRLFRoundTrip() throws {
        let row = OndrejovDatasetRow(id: "id\r\n1", label: .double, metadata: ["object": "a\r\nb", "ra": "\r\n", "dec": "x\"\u{05BF}y"],
                                     flux: [1, 2, 3])
        let path = Self.tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try OndrejovDatasetCSV.write([row], wavelengths: [6560, 6561, 6562], to: path)
        let read = try OndrejovDatasetCSV.read(contentsOf: path)
        #expect(read.count == 1)
        #expect(read.first?.id == "id\r\n1")
        #expect(read.first?.metadata["object"] == "a\r\nb")
        #expect(read.first?.metadata["ra"] == "\r\n")
        let quoteAndMark = "x\"\u{05BF}y"  // a quote followed by a combining mark is doubled too
        #expect(read.first?.metadata["dec"] == quoteAndMark)
        #expect(read.first?.flux == [1, 2, 3])
    }

    @Test func readsPandasIndexColumnAndCRLF() throws {
        let flux = (0..<3).map { "\(Double($0) + 0.5)" }.joined(separator: ",")
        let text = "," + Self.header([6519, 6520, 6521]) + "\r\n0,a1,Emission,obj,1,2,3,4,5,6,7,8,9," + flux + "\r\n"
        let (w, rows) = try OndrejovDatasetCSV.parse(Data(text.utf8), path: "mem")
        #expect(w == [6519, 6520, 6521])
        #expect(rows.map(\.label) == [.single])
        #expect(rows[0].flux == [0.5, 1.5, 2.5])
        #expect(rows[0].metadata["dichmir"] == "9")
    }

    @Test func malformedRowsGiveTypedErrorsWithLineNumbers() throws {
        let h = Self.header([6519, 6520])
        let good = "a1,absorption,o,1,2,3,4,5,6,7,8,9,1.0,2.0"
        func parse(_ body: String) throws(OndrejovDatasetCSVError) { _ = try OndrejovDatasetCSV.parse(Data((h + "\n" + body).utf8), path: "f.csv") }
        #expect(throws: OndrejovDatasetCSVError.wrongColumnCount(path: "f.csv", line: 3, expected: 14, found: 13)) {
            try parse(good + "\na2,absorption,o,1,2,3,4,5,6,7,8,9,1.0\n")
        }
        #expect(throws: OndrejovDatasetCSVError.unknownLabel(path: "f.csv", line: 2, label: "star")) {
            try parse("a1,star,o,1,2,3,4,5,6,7,8,9,1.0,2.0\n")
        }
        // The quoted newline in the first record moves the second record to line 4.
        #expect(throws: OndrejovDatasetCSVError.nonNumericFlux(path: "f.csv", line: 4, column: "6520.0", value: "x")) {
            try parse("a1,absorption,\"two\nlines\",1,2,3,4,5,6,7,8,9,1.0,2.0\na2,emission,o,1,2,3,4,5,6,7,8,9,1.0,x\n")
        }
        #expect(throws: OndrejovDatasetCSVError.unterminatedQuote(path: "f.csv", line: 2)) { try parse("a1,\"absorption\n") }
        #expect(throws: OndrejovDatasetCSVError.self) { _ = try OndrejovDatasetCSV.parse(Data("id,label\n".utf8), path: "f") }
        #expect(throws: OndrejovDatasetCSVError.self) { try OndrejovDatasetCSV.read(contentsOf: Self.tempPath()) }
        #expect(throws: OndrejovDatasetCSVError.self) {
            try OndrejovDatasetCSV.write([OndrejovDatasetRow(id: "x", label: .other, flux: [1])], wavelengths: [1, 2], to: Self.tempPath())
        }
    }
}
