import BalmerCore
import Foundation
import Testing

@testable import BalmerSimulation

@Suite struct TruthCSVTests {
    let records = [
        TruthRecord(
            file: "spec-55919-B5591903_sp01-001.fits", label: .single, subtype: "T Tauri", snr: 23.456789012345,
            radialVelocity: -123.25, artefacts: ["cosmic-ray", "sky-residual"]),
        TruthRecord(file: "ua280060.fits", label: .other, subtype: "A", snr: 150, radialVelocity: 0.1, artefacts: []),
        TruthRecord(
            file: "odd,\"name\".fits", label: .double, subtype: "shell", snr: 3.3, radialVelocity: 690,
            artefacts: ["low-snr"]),
    ]

    @Test func roundTripThroughFile() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("truth-\(UInt64.random(in: 0...UInt64.max)).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try TruthCSV.write(records, to: path)
        let back = try TruthCSV.read(contentsOf: path)
        #expect(back == records)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasPrefix("file,class,subtype,snr,radial_velocity,artefacts\n"))
        #expect(text.contains("cosmic-ray;sky-residual"))
    }

    /// Found by the CSV fuzzer: "\r\n" is one Character, so a field holding it was not quoted
    /// and the written file split the record in two.
    @Test func fieldsWithLineBreaksRoundTrip() throws {
        let odd = [
            TruthRecord(file: "a\r\nb.fits", label: .single, subtype: "Be\nshell", snr: 5, radialVelocity: 1,
                        artefacts: ["cosmic-ray\r", "x,y"]),
            TruthRecord(file: "c.fits", label: .other, subtype: "\r\n", snr: 6, radialVelocity: 2),
            // Also found by fuzzing: a quote followed by a combining mark is one Character, which
            // replacingOccurrences skipped, so the quote was not doubled.
            TruthRecord(file: "sp0\"\u{05BF}1.fits", label: .double, subtype: "\"\u{301}", snr: 7, radialVelocity: 3),
        ]
        let text = TruthCSV.text(of: odd)
        #expect(text.contains("\"a\r\nb.fits\""))
        #expect(try TruthCSV.records(parsing: text) == odd)
    }

    @Test func refusesBadContent() {
        #expect(throws: TruthCSVError.self) { try TruthCSV.records(parsing: "a,b\n") }
        #expect(throws: TruthCSVError.self) {
            try TruthCSV.records(parsing: TruthCSV.header + "\nx.fits,weird,A,1,2,\n")
        }
        #expect(throws: TruthCSVError.self) {
            try TruthCSV.records(parsing: TruthCSV.header + "\nx.fits,other,A,abc,2,\n")
        }
        #expect(throws: TruthCSVError.self) { try TruthCSV.read(contentsOf: "/nonexistent/truth.csv") }
    }
}
