import BalmerCore
@testable import BalmerStore
import Foundation
import Testing

@Suite struct CandidateExportTests {
    static func sampleCandidates() async throws -> [CandidateRecord] {
        let store: any BalmerRepositories = InMemoryStore()
        var input = (0..<40).map { Fixtures.spectrum($0) }
        input[3].designation = "J<odd> & \"quoted\", name"
        input[4].ra = nil
        let ids = try await store.upsertSpectra(input)
        try await store.registerModel(Fixtures.model(1), weights: Data([1]))
        try await store.activateModel(version: 1)
        try await store.upsertScores(ids.enumerated().map {
            ScoreRecord(spectrumID: $0.element, modelVersion: 1, probabilities: Fixtures.probabilities($0.offset))
        })
        try await store.upsertLabels([LabelRecord(spectrumID: ids[2], label: .double, labeller: "ana", source: .query)])
        return try await store.candidates(CandidateQuery())
    }

    static var checker: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("ops/check_votable.py")
    }

    /// Runs ops/check_votable.py; fails the test (never skips) when python3 or astropy is missing.
    static func check(_ file: URL) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", checker.path, file.path]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let message = String(decoding: stderr, as: UTF8.self)
        try #require(process.terminationStatus == 0, "ops/check_votable.py failed (astropy needed: pip install astropy): \(message)")
        return String(decoding: stdout, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func votableParsesInAstropyWithRowsAndColumns() async throws {
        let rows = try await Self.sampleCandidates()
        #expect(rows.count > 10)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("balmer-\(UUID().uuidString).vot")
        defer { try? FileManager.default.removeItem(at: file) }
        try CandidateExport.votable(rows, modelVersion: 1).write(to: file, atomically: true, encoding: .utf8)
        let lines = try Self.check(file)
        #expect(lines.contains("version 1.4"))
        #expect(lines.contains("rows \(rows.count)"))
        #expect(lines.contains("columns " + CandidateExport.columns.map(\.name).joined(separator: ",")))
        #expect(lines.contains("column ra double deg pos.eq.ra;meta.main"))
        #expect(lines.contains("column p_single float - stat.probability"))
    }

    @Test func csvAndJSONCarryEveryRowAndLinks() async throws {
        let rows = try await Self.sampleCandidates()
        let csv = CandidateExport.csv(rows)
        let lines = csv.split(separator: "\r\n")
        #expect(lines.count == rows.count + 1)
        #expect(lines[0].hasPrefix("designation,ra,dec,mjd"))
        #expect(csv.contains("\"J<odd> & \"\"quoted\"\", name\""))
        let json = CandidateExport.jsonLines(rows).split(separator: "\n")
        #expect(json.count == rows.count)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(json[0].utf8)) as? [String: Any])
        #expect(first["model_version"] as? Int == 1)
        #expect((first["simbad_url"] as? String)?.hasPrefix("https://simbad.cds.unistra.fr/simbad/sim-coo?Coord=") == true)
        let noCoords = try #require(rows.first { $0.ra == nil })
        #expect(CandidateExport.links(noCoords) == nil)
        let south = CandidateRecord(spectrumID: 1, key: SpectrumKey(survey: "s", release: "r", key: "k"), ra: 10.5,
                                    dec: -5.25, location: "x", modelVersion: 1, probabilities: [1, 0, 0],
                                    predicted: .single, entropy: 0)
        #expect(CandidateExport.links(south)?.aladin.contains("target=10.500000%20-5.250000") == true)
    }

    /// The quoting bug the CSV fuzzer found in the dataset and truth writers: "\r\n" is one
    /// Character, so a designation holding it (FITS cards are raw bytes) was written unquoted.
    @Test func csvQuotesFieldsWithCRLF() {
        let row = CandidateRecord(spectrumID: 1, key: SpectrumKey(survey: "s", release: "r", key: "k"),
                                  designation: "J1\r\nJ2", location: "x", modelVersion: 1, probabilities: [1, 0, 0],
                                  predicted: .single, entropy: 0)
        let csv = CandidateExport.csv([row])
        #expect(csv.contains("\"J1\r\nJ2\""))
        // A quote followed by a combining mark (one Character) is doubled as well.
        var quoteAndMark = row
        quoteAndMark.designation = "J\"\u{05BF}3"
        let expected = Array("\"J\"\"\u{05BF}3\",".unicodeScalars)
        let line = Array(CandidateExport.csv([quoteAndMark]).unicodeScalars).split(separator: "\n")[1]
        #expect(Array(line.prefix(expected.count)) == expected)
    }

    @Test func exportsFromPostgresCandidates() async throws {
        try await TestDatabase.withStore { store, _ in
            let ids = try await store.upsertSpectra((0..<12).map { Fixtures.spectrum($0) })
            try await store.registerModel(Fixtures.model(1), weights: Data([1]))
            try await store.activateModel(version: 1)
            try await store.upsertScores(ids.enumerated().map {
                ScoreRecord(spectrumID: $0.element, modelVersion: 1, probabilities: Fixtures.probabilities($0.offset))
            })
            let rows = try await store.candidates(CandidateQuery())
            #expect(rows.count == 8)  // classes 0 and 1 of 12 spectra
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("balmer-\(UUID().uuidString).xml")
            defer { try? FileManager.default.removeItem(at: file) }
            try CandidateExport.votable(rows, modelVersion: 1).write(to: file, atomically: true, encoding: .utf8)
            #expect(try Self.check(file).contains("rows 8"))
        }
    }
}
