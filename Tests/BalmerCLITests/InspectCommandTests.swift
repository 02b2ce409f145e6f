import Foundation
import BalmerTestSupport
import Testing

@Suite struct InspectCommandTests {
    @Test func unreadableFilesGetAReasonAndExitTwo() throws {
        let path = NSTemporaryDirectory() + "balmer-inspect-\(UUID().uuidString).fits"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("not fits".utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try CommandRunner.balmer(["inspect", "--json", path, "/nonexistent/x.fits"])
        #expect(output.status == 2)
        let records = try output.lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(records.count == 2)
        #expect(records[0]["reject_code"] as? String == "not-fits")
        #expect(records[1]["reject_code"] as? String == "missing")
        #expect(records.allSatisfy { $0["features"] is NSNull && $0["layout"] is NSNull })
        #expect(output.stderr.contains("2 of 2 files could not be read"))
    }

    @Test func badUsageExitsTwo() throws {
        #expect(try CommandRunner.balmer(["inspect"]).status == 2)
        #expect(try CommandRunner.balmer(["inspect", "--blur", "-1", "x.fits"]).status == 2)
    }

    @Test(.enabled(if: RealData.available, "../shared/data/real is absent"))
    func realFilesPrintTheDocumentedKeys() throws {
        let files = RealData.files
        let output = try CommandRunner.balmer(["inspect", "--json"] + files)
        #expect(output.status == 0, "\(output.stderr)")
        let records = try output.lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(records.count == files.count)
        for record in records {
            for key in ["file", "layout", "frame", "features", "reject", "designation", "ra", "dec", "mjd",
                        "class", "subclass", "snr", "survey", "release", "object", "file_name"] {
                #expect(record.keys.contains(key), "missing \(key)")
            }
            #expect((record["features"] as? [Double])?.count == 140)
            #expect(record["reject"] is NSNull)
        }
    }

    /// The features agree with an independent astropy + numpy implementation to 1e-3.
    @Test(.enabled(if: RealData.available, "../shared/data/real is absent"), arguments: [nil, 7.0])
    func realFilesAgreeWithAstropy(blur: Double?) throws {
        let script = BuiltProducts.packageRoot + "/ops/check_features_astropy.py"
        let balmer = BuiltProducts.path(of: "balmer")
        let output = try CommandRunner.run("/usr/bin/env", ["python3", script, "--balmer", balmer]
            + (blur.map { ["--blur", "\($0)"] } ?? []) + RealData.files)
        #expect(output.status == 0, "astropy check failed (ops/test installs python3 with numpy and astropy):\n\(output.stdout)\n\(output.stderr)")
        #expect(output.stdout.contains("\(RealData.files.count) passed, 0 failed"))
    }
}
