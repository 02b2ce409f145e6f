import BalmerCore
import BalmerSimulation
import Foundation
import FuzzSupport

/// A small file of each CSV kind: dataset rows on a 20-point grid, an answers file with quoting
/// and the Ondřejov label names, and the truth of four simulated spectra.
enum CSVSeeds {
    static func all() throws -> [(name: String, bytes: [UInt8])] {
        let folder = try Fuzz.temporaryFolder("csv-seeds")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let grid = (0..<20).map { 6519 + Double($0) * 213 / 19 }
        let rows = SpectrumClass.allCases.enumerated().map { i, label in
            var metadata = Dictionary(uniqueKeysWithValues: OndrejovDatasetCSV.metadataColumns.map { ($0, "") })
            metadata["object"] = i == 1 ? "HD 12345, \"B\"" : "gam Cas"
            metadata["ra"] = "00:56:42.5"
            metadata["date-obs"] = "2013-06-06T01:23:45"
            let flux = grid.enumerated().map { k, w in
                k == 7 && i == 2 ? Float.nan : Float(1000 + 300 * Double(i) * exp(-0.5 * pow((w - 6564.6) / 5, 2)))
            }
            return OndrejovDatasetRow(id: "a20130606\(String(format: "%04d", i))", label: label, metadata: metadata, flux: flux)
        }
        try OndrejovDatasetCSV.write(rows, wavelengths: grid, to: folder + "/dataset.csv")
        let dataset = try Data(contentsOf: URL(fileURLWithPath: folder + "/dataset.csv"))
        let answers = #"""
            task_id,label,comment,spectrum_id
            t-1-1,single,,oa190002
            t-1-2,double-peak,"two peaks, ""clear""",oa190003
            "t-1-3",Absorption,"line
            break",

            t-1-4,other,noisy,
            """#
        let truth = TruthCSV.text(of: (0..<4).map { SurveySimulator(kind: .lamostDR9, seed: 3).truth(at: $0) })
        return [
            ("dataset.csv", Array(dataset)),
            ("answers.csv", Array(answers.utf8)),
            ("answers-minimal.csv", Array("label,task_id\r\nsingle,t-9\r\n".utf8)),
            ("truth.csv", Array(truth.utf8)),
        ]
    }
}
