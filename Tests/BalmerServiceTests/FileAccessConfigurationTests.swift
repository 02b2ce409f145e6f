import BalmerBus
import BalmerFITS
import Foundation
import Testing
@testable import BalmerService

/// The file-access and retry keys of `balmerd`'s configuration.
@Suite struct FileAccessConfigurationTests {
    func configuration(_ values: [String: String]) throws -> DaemonConfiguration {
        try DaemonConfiguration(config: ConfigReader(commandLine: ["database.url": "postgresql://x@localhost/x"].merging(values) { $1 }))
    }

    @Test func defaultsAndTheRetryTopicIsConsumedToo() throws {
        let config = try configuration([:])
        #expect(config.ingest.fileAccess.roots.isEmpty)
        #expect(config.ingest.fileAccess.maxFileBytes == 64 << 20 && config.ingest.fileAccess.maxInflatedBytes == 64 << 20)
        #expect(config.ingest.missingGraceSeconds == 600 && config.ingest.retryMaxAttempts == 10)
        #expect(config.ingest.retryTopic == "balmer.spectra.retry")
        #expect(config.ingestTopics == ["balmer.spectra", "balmer.spectra.retry"])
        // `balmer kafka create-topics` and `balmer kafka mock` create it by default.
        #expect(BalmerTopic.defaults.contains { $0.name == BalmerTopic.spectraRetry })
        for key in ["ingest.data-roots", "ingest.max-file-bytes", "ingest.max-inflated-bytes", "ingest.missing-grace-seconds",
                    "ingest.retry-max-attempts", "ingest.retry-topic"] {
            #expect(DaemonConfiguration.keys.contains(key), "\(key)")
        }
    }

    @Test func rootsAreResolvedAtStartAndBadValuesRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("balmer-roots-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/a", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try configuration(["ingest.data-roots": "\(dir)/a/../a,/usr", "ingest.retry-topic": "balmer.spectra",
                                        "ingest.max-inflated-bytes": "1048576"])
        #expect(config.ingest.fileAccess.roots == [FileAccessPolicy.resolve(dir + "/a")!, "/usr"])
        #expect(config.ingest.fileAccess.maxInflatedBytes == 1 << 20)
        #expect(config.ingestTopics == ["balmer.spectra"])
        #expect(config.logMetadata["ingest.data-roots"] == "\(FileAccessPolicy.resolve(dir + "/a")!),/usr")
        for bad in [["ingest.data-roots": dir + "/nonexistent"], ["ingest.max-file-bytes": "0"],
                    ["ingest.max-inflated-bytes": "\(1 << 30)"], ["ingest.retry-topic": "bad topic"],
                    ["ingest.missing-grace-seconds": "-1"]] {
            #expect(throws: ConfigReader.Error.self, "\(bad)") { try configuration(bad) }
        }
    }
}
