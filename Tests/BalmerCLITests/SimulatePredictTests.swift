import BalmerCNN
import Foundation
import BalmerTestSupport
import Testing

/// `balmer simulate` → `balmer train` → `balmer predict --truth`, end to end on small data.
@Suite struct SimulatePredictTests {
    func temporary() throws -> String {
        let path = NSTemporaryDirectory() + "balmer-cli-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test(arguments: ["lamost-dr2", "lamost-dr9", "ccd700", "sdss"])
    func simulatedFilesReadBackInTheirLayout(kind: String) throws {
        let directory = try temporary()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let simulate = try CommandRunner.balmer(["simulate", "--kind", kind, "--count", "12", "--seed", "4", "--out", directory])
        #expect(simulate.status == 0, "\(simulate.stderr)")
        let truth = try String(contentsOfFile: directory + "/truth.csv", encoding: .utf8).split(separator: "\n")
        #expect(truth.count == 13)
        let inspect = try CommandRunner.balmer(["inspect", "--json", "--blur", kind == "ccd700" ? "7" : "0.001", directory])
        #expect(inspect.status == 0, "\(inspect.stderr)")
        let records = try inspect.lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(records.count == 12)
        let expected = ["lamost-dr2": "lamost-dr2", "lamost-dr9": "lamost-dr9", "ccd700": "ondrejov-iraf", "sdss": "sdss-spec"][kind]
        #expect(records.allSatisfy { $0["layout"] as? String == expected })
        // Every file named in truth.csv exists.
        for line in truth.dropFirst() {
            let file = String(line.split(separator: ",")[0])
            #expect(FileManager.default.fileExists(atPath: directory + "/" + file), "\(file)")
        }
    }

    @Test func sameSeedSameFiles() throws {
        let a = try temporary(), b = try temporary()
        defer { for d in [a, b] { try? FileManager.default.removeItem(atPath: d) } }
        for d in [a, b] { _ = try CommandRunner.balmer(["simulate", "--kind", "lamost-dr2", "--count", "5", "--seed", "9", "--out", d]) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: a + "/truth.csv")) == Data(contentsOf: URL(fileURLWithPath: b + "/truth.csv")))
    }

    @Test func badUsage() throws {
        #expect(try CommandRunner.balmer(["simulate", "--kind", "hst", "--count", "5", "--out", "/tmp/x"]).status == 2)
        #expect(try CommandRunner.balmer(["simulate", "--kind", "ccd700", "--count", "0", "--out", "/tmp/x"]).status == 2)
        #expect(try CommandRunner.balmer(["simulate", "--kind", "ccd700", "--count", "5", "--mix", "single=lots", "--out", "/tmp/x"]).status == 2)
    }

    @Test func trainOnCCD700ThenPredictASurveyAgainstTruth() throws {
        let directory = try temporary()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let csv = directory + "/train.csv"
        #expect(try CommandRunner.balmer(["simulate", "--kind", "ccd700", "--count", "120", "--out", directory + "/ccd",
                                         "--dataset-csv", csv]).status == 0)
        #expect(try CommandRunner.balmer(["simulate", "--kind", "lamost-dr9", "--count", "30", "--seed", "5",
                                         "--out", directory + "/release"]).status == 0)
        let model = directory + "/model.safetensors"
        let train = try CommandRunner.balmer(["train", "--data", csv, "--out", model, "--epochs", "1", "--batch-size", "32"])
        #expect(train.status == 0, "\(train.stderr)")
        // The child chose OpenBLAS's fast kernels where this (test) process has the generic ones.
        let kernels = BLASCore.better ?? BLASCore.name
        #expect(train.stderr.contains("OpenBLAS \(kernels) kernels"), "\(train.stderr)")
        // … and the short idle spin, unless the environment chose one (then that one stands).
        let environment = ProcessInfo.processInfo.environment
        let userSpin = environment["OPENBLAS_THREAD_TIMEOUT"] ?? environment["GOTO_THREAD_TIMEOUT"]
        if userSpin == nil {
            #expect(train.stderr.contains("idle threads spin 2^4 cycles"), "\(train.stderr)")
        }
        var chosen = environment
        chosen["OPENBLAS_THREAD_TIMEOUT"] = "9"
        let spin9 = try CommandRunner.run(BuiltProducts.path(of: "balmer"),
                                          ["train", "--data", csv, "--out", directory + "/model9.safetensors",
                                           "--epochs", "1", "--batch-size", "32"], environment: chosen)
        #expect(spin9.status == 0, "\(spin9.stderr)")
        #expect(spin9.stderr.contains("idle threads spin 2^9 cycles"), "\(spin9.stderr)")
        let predict = try CommandRunner.balmer(["predict", "--model", model, "--json", "--truth",
                                               directory + "/release/truth.csv", directory + "/release"])
        #expect(predict.status == 0, "\(predict.stderr)")
        let records = try predict.lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(records.count == 30)  // every file: a prediction or a reject with its reason
        for record in records where !(record["class"] is NSNull) {
            let probabilities = try #require(record["probabilities"] as? [String: Double])
            #expect(abs(probabilities.values.reduce(0, +) - 1) < 1e-4)
        }
        #expect(predict.stderr.contains("target precision"))
        #expect(!predict.stderr.contains("not in the truth file"))
    }
}
