import BalmerService
import BalmerTestSupport
import Foundation
import Testing

@Suite struct ConfigReaderTests {
    @Test func providerOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("balmer-cfg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "from-credentials\n".write(toFile: dir + "/database-password", atomically: true, encoding: .utf8)
        let file = dir + "/balmer.json"
        try #"{"kafka": {"brokers": "file:1", "group": "g-file", "topics": ["a", "b"]}, "ingest": {"batch-size": 7}, "database": {"url": "postgresql://file", "password": "file-pw"}}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let reader = try ConfigReader(
            arguments: ["--config", file, "--kafka.group=g-cli"],
            environment: ["BALMER_KAFKA_BROKERS": "env:2", "CREDENTIALS_DIRECTORY": dir, "BALMER_THREADS": "3",
                          "BALMER_KAFKA_GROUP": "g-env"])
        let config = try DaemonConfiguration(config: reader)
        #expect(config.kafka.group == "g-cli")
        #expect(config.kafka.brokers == "env:2")
        #expect(config.database.password == "from-credentials")
        #expect(config.database.url == "postgresql://file")
        #expect(config.kafka.topics == ["a", "b"])
        #expect(config.ingest.batchSize == 7)
        #expect(config.threads == 3)
        #expect(config.ingest.batchTimeoutMilliseconds == 200)
        #expect(config.logMetadata["database.password"] == "set")
    }

    /// The example file documents every key the daemon reads (as `key` or `_key`), and its
    /// values are the defaults, so reading it changes nothing but what it sets on purpose.
    @Test func exampleConfigDocumentsEveryKey() throws {
        let path = BuiltProducts.packageRoot + "/Config/balmer.example.json"
        let reader = try ConfigReader(arguments: ["--config", path], environment: [:])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for key in DaemonConfiguration.keys {
            let leaf = key.split(separator: ".").last.map(String.init) ?? key
            #expect(reader.lookup(key) != nil || text.contains("\"_\(leaf)\""), "Config/balmer.example.json does not document \(key)")
        }
        let config = try DaemonConfiguration(config: reader)
        #expect(config.loop.batchSize == 100 && config.loop.retrainAfter == 100 && config.loop.precisionSample == 30)
        #expect(config.loop.threshold == 0.8 && config.loop.times == 3 && config.loop.enabled)
    }

    @Test func badValuesAreRefused() throws {
        #expect(throws: ConfigReader.Error.self) {
            try DaemonConfiguration(config: ConfigReader(commandLine: ["database.url": "x", "ingest.batch-size": "zero"]))
        }
        #expect(throws: ConfigReader.Error.self) { try DaemonConfiguration(config: ConfigReader()) }
        #expect(throws: ConfigReader.Error.self) { try ConfigReader(arguments: ["--kafka.brokers"]) }
    }

    @Test func environmentNames() {
        #expect(ConfigReader.environmentName("kafka.brokers") == "BALMER_KAFKA_BROKERS")
        #expect(ConfigReader.environmentName("ingest.batch-timeout-ms") == "BALMER_INGEST_BATCH_TIMEOUT_MS")
        #expect(ConfigReader.environmentName("compute.threads") == "BALMER_THREADS")
    }
}
