import BalmerTestSupport
import Foundation
import Testing

/// `balmer experiment` writing its report onto a full disk (a small tmpfs, filled up): refused at
/// once when nothing fits, and when the report does not fit at the end of the run it is written
/// to a temporary folder instead, with the tables on stdout, and the command says so (exit 1).
@Suite(.serialized) struct ReportFolderTests {
    static let tiny = ["experiment", "--synthetic", "--train-size", "60", "--pool-size", "150", "--iterations", "1",
                       "--batch", "10", "--precision-sample", "5", "--loop-epochs", "1", "--final-epochs", "1",
                       "--baseline-runs", "1", "--seed", "3", "--threads", "2"]

    /// A tmpfs of 64 kB mounted on a new folder and filled until `free` bytes are left.
    /// Mounting needs root, as ops/test has (it installs packages).
    struct SmallDisk {
        let path: String

        init(free: Int) throws {
            path = try temporaryDirectory("balmer-small-disk")
            let mount = try CommandRunner.run("/bin/mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", path])
            try #require(mount.status == 0, "mounting a tmpfs needs root: \(mount.stderr)")
            // Fill page by page (tmpfs allocates 4 kB pages) until at most `free` bytes remain.
            let page = Data(repeating: 0x41, count: 4096)
            var index = 0
            while try Self.available(path) > free {
                guard FileManager.default.createFile(atPath: path + "/filler-\(index)", contents: page) else { break }
                index += 1
            }
        }

        static func available(_ path: String) throws -> Int {
            let attributes = try FileManager.default.attributesOfFileSystem(forPath: path)
            return (attributes[.systemFreeSize] as? NSNumber)?.intValue ?? 0
        }

        func remove() {
            _ = try? CommandRunner.run("/bin/umount", [path])
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    @Test func aFullReportFolderIsRefusedBeforeTheRun() async throws {
        let disk = try SmallDisk(free: 0)
        defer { disk.remove() }
        #expect(try SmallDisk.available(disk.path) < 4096)
        let result = try await CommandRunner.balmer(Self.tiny + ["--out", disk.path + "/report"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("report folder \(disk.path)/report is not writable"), "\(result.stderr)")
        #expect(!result.stderr.contains("simulating"), "refused before any work: \(result.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: disk.path).filter { !$0.hasPrefix("filler-") }
        #expect(left.allSatisfy { $0 == "report" }, "\(left)")
        let report = (try? FileManager.default.contentsOfDirectory(atPath: disk.path + "/report")) ?? []
        #expect(report.isEmpty, "no probe or partial file left: \(report)")
    }

    @Test func aReportThatDoesNotFitGoesToATemporaryFolder() async throws {
        // Room for the start-up probe (one page), not for the five report files.
        let disk = try SmallDisk(free: 8192)
        defer { disk.remove() }
        let result = try await CommandRunner.balmer(Self.tiny + ["--out", disk.path + "/report"])
        #expect(result.status == 1, "\(result.stderr)")
        let line = try #require(result.stderr.split(separator: "\n").first { $0.contains("cannot write the report to") },
                                "\(result.stderr)")
        let fallback = try #require(line.range(of: "written to ").map { String(line[$0.upperBound...]) }?
            .replacingOccurrences(of: " instead", with: ""), "\(line)")
        defer { try? FileManager.default.removeItem(atPath: fallback) }
        let summary = try Data(contentsOf: URL(fileURLWithPath: fallback + "/summary.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: summary) as? [String: Any])
        #expect(json["active"] != nil && json["baseline"] != nil)
        for file in ["iterations.csv", "baseline.csv", "tables.md", "precision.svg"] {
            #expect(FileManager.default.fileExists(atPath: fallback + "/" + file), "\(file)")
        }
        // No half report is left in the full folder; the tables reached stdout as well.
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: disk.path + "/report")) ?? []
        #expect(leftovers.isEmpty, "\(leftovers)")
        #expect(result.stdout.contains("|"), "\(result.stdout.prefix(500))")
    }
}
