import BalmerCore
import BalmerLabeling
import BalmerSimulation
import Foundation
import FuzzSupport

/// Fuzzes the CSV readers: the Ondřejov dataset CSV (``OndrejovDatasetCSV``), labellers' answer
/// files (``AnswersCSV``) and the simulator's `truth.csv` (``TruthCSV``). Every input goes to all
/// three. What a reader accepts must survive its writer: written and read again, it is the same.
@main
struct FuzzCSV {
    static func main() { Fuzz.run(fuzzCSVInput) }

    static func test(_ bytes: [UInt8]) {
        dataset(bytes)
        let text = String(decoding: bytes, as: UTF8.self)
        answers(text)
        truth(text)
    }

    static func dataset(_ bytes: [UInt8]) {
        guard let (wavelengths, rows) = try? OndrejovDatasetCSV.parse(Data(bytes), path: "fuzz.csv") else { return }
        Fuzz.expect(rows.allSatisfy { $0.flux.count == wavelengths.count }, "a row's flux count differs from the header's")
        do {
            // In memory: the file writer is this text plus an atomic write, and a file per input
            // held the fuzzer to a few hundred executions a second.
            let text = try OndrejovDatasetCSV.text(of: rows, wavelengths: wavelengths)
            let again = try OndrejovDatasetCSV.parse(Data(text.utf8), path: "round-trip.csv")
            Fuzz.expect(again.wavelengths == wavelengths, "wavelengths changed in a round trip")
            Fuzz.expect(again.rows.count == rows.count, "\(rows.count) rows read back as \(again.rows.count)")
            for (a, b) in zip(rows, again.rows) {
                Fuzz.expect(a.id == b.id && a.label == b.label && a.metadata == b.metadata, "row \(a.id) changed in a round trip: \(a) → \(b)")
                Fuzz.expect(zip(a.flux, b.flux).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "row \(a.id): flux changed in a round trip")
            }
        } catch {
            Fuzz.expect(false, "rows read from a dataset CSV do not round-trip: \(error)")
        }
    }

    static func answers(_ text: String) {
        guard let answers = try? AnswersCSV.parse(text) else { return }
        Fuzz.expect(answers.allSatisfy { ["single", "double", "other"].contains($0.label) }, "a label outside single/double/other")
        Fuzz.expect(Set(answers.map(\.taskID)).count == answers.count, "a task answered twice")
        Fuzz.expect(answers.allSatisfy { !$0.taskID.isEmpty && $0.line >= 2 }, "an empty task id or a row on the header line")
        Fuzz.expect(zip(answers, answers.dropFirst()).allSatisfy { $0.line < $1.line }, "rows out of line order")
    }

    static func truth(_ text: String) {
        guard let records = try? TruthCSV.records(parsing: text) else { return }
        let written = TruthCSV.text(of: records)
        do {
            let again = try TruthCSV.records(parsing: written)
            let rewritten = TruthCSV.text(of: again)
            Fuzz.expect(rewritten == written, "truth.csv text changed in a round trip:\n\(written.debugDescription)\n\(rewritten.debugDescription)")
            // NaN never equals itself; otherwise the records themselves come back equal.
            if records.allSatisfy({ !$0.snr.isNaN && !$0.radialVelocity.isNaN }) {
                Fuzz.expect(again == records, "truth records changed in a round trip: \(records) → \(again)")
            }
        } catch {
            Fuzz.expect(false, "truth records do not read back: \(error)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSVInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzCSV.test(Fuzz.bytes(data, size))
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzCSVInitialize(_ argc: UnsafeMutablePointer<CInt>?,
                              _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeedsIfAsked(CSVSeeds.all)
    return 0
}
