import BalmerBus
import BalmerService
import Foundation
import Testing

/// `kafka.*` TLS/SASL keys become librdkafka properties of every daemon client; bad values fail
/// at start with a message naming the key and the property, never a crash or a secret.
@Suite struct KafkaClientSettingsTests {
    static func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("balmer-kafka-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func keysBecomeLibrdkafkaProperties() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ca = dir + "/ca.pem"
        try "-----BEGIN CERTIFICATE-----\n".write(toFile: ca, atomically: true, encoding: .utf8)
        try "sasl-from-credentials\n".write(toFile: dir + "/kafka-sasl-password", atomically: true, encoding: .utf8)
        let properties = dir + "/client.properties"
        try """
            # shared by every client
            socket.keepalive.enable = true
            ! a comment too
            sasl.username=from-file

            ssl.endpoint.identification.algorithm=none
            """.write(toFile: properties, atomically: true, encoding: .utf8)
        let file = dir + "/balmer.json"
        try #"""
            {"kafka": {"sasl-mechanism": "SCRAM-SHA-512", "properties-file": "\#(properties)",
                       "librdkafka": {"ssl.endpoint.identification.algorithm": "https", "socket.keepalive.enable": "false"}},
             "database": {"url": "postgresql://x"}}
            """#.write(toFile: file, atomically: true, encoding: .utf8)
        let reader = try ConfigReader(
            arguments: ["--config", file, "--kafka.security-protocol", "SASL_SSL", "--kafka.ssl-ca-location", ca,
                        "--kafka.librdkafka.message.max.bytes=2000000"],
            environment: ["BALMER_KAFKA_SASL_USERNAME": "ana", "CREDENTIALS_DIRECTORY": dir])
        let configuration = try DaemonConfiguration(config: reader)
        let expected = [
            "security.protocol": "SASL_SSL", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "ana",
            "sasl.password": "sasl-from-credentials", "ssl.ca.location": ca,
            "ssl.endpoint.identification.algorithm": "https", "socket.keepalive.enable": "false",
            "message.max.bytes": "2000000",
        ]
        #expect(configuration.kafka.client.properties == expected)
        #expect(configuration.kafka.client.origins["sasl.password"] == "kafka.sasl-password")
        #expect(configuration.kafka.client.origins["message.max.bytes"] == "kafka.librdkafka.message.max.bytes")

        // Every client the daemon builds gets them on top of its own settings.
        let consumer = configuration.kafka.config(groupID: "g", properties: ["session.timeout.ms": "6000", "sasl.username": "own"])
        #expect(consumer.groupID == "g")
        #expect(consumer.properties == expected.merging(["session.timeout.ms": "6000"]) { a, _ in a })
        #expect(configuration.kafka.config().properties == expected)
        try consumer.validate()

        // Neither the description nor the startup log shows the password.
        let shown = "\(consumer) \(configuration.kafka.client) \(configuration.logMetadata)"
        #expect(!shown.contains("sasl-from-credentials"))
        #expect(shown.contains("sasl.password=<redacted>"))
        #expect(shown.contains("security.protocol=SASL_SSL"))
    }

    @Test func withoutKeysNothingChanges() throws {
        let configuration = try DaemonConfiguration(config: ConfigReader(commandLine: ["database.url": "postgresql://x"]))
        #expect(configuration.kafka.client.properties.isEmpty)
        #expect(configuration.kafka.config(properties: ["linger.ms": "5"]).properties == ["linger.ms": "5"])
        #expect(configuration.logMetadata["kafka.properties"] == "-")
    }

    func refusal(_ commandLine: [String: String], environment: [String: String] = [:]) -> String? {
        do {
            _ = try DaemonConfiguration(config: ConfigReader(commandLine: commandLine.merging(["database.url": "postgresql://x"]) { a, _ in a },
                                                             environment: environment))
            return nil
        } catch let error as ConfigReader.Error {
            return error.description
        } catch {
            return "unexpected error type: \(error)"
        }
    }

    @Test func badValuesFailAtStartNamingTheKey() throws {
        let protocolError = try #require(refusal(["kafka.security-protocol": "TLS"]))
        #expect(protocolError.contains("kafka.security-protocol"))
        #expect(protocolError.contains("security.protocol"))
        #expect(protocolError.contains("TLS"))

        let unknown = try #require(refusal(["kafka.librdkafka.no.such.property": "1"]))
        #expect(unknown.contains("no.such.property"))
        #expect(unknown.contains("kafka.librdkafka.no.such.property"))

        let missingCA = try #require(refusal(["kafka.ssl-ca-location": "/nonexistent/ca.pem"]))
        #expect(missingCA.contains("kafka.ssl-ca-location") && missingCA.contains("/nonexistent/ca.pem"))

        let noFile = try #require(refusal(["kafka.properties-file": "/nonexistent/client.properties"]))
        #expect(noFile.contains("kafka.properties-file"))

        // A refused secret's value is hidden even where librdkafka quotes it.
        let secret = try #require(refusal(["kafka.librdkafka.sasl.oauthbearer.method": "hunter2-oauth"]))
        #expect(secret.contains("sasl.oauthbearer.method"))
        #expect(!secret.contains("hunter2-oauth"))
    }

    @Test func propertiesFileErrorsNameTheLineNotTheContent() throws {
        #expect(try KafkaPropertiesFile.parse("a=1\n# c\n\n b = two words \nc=x=y") == ["a": "1", "b": "two words", "c": "x=y"])
        do {
            _ = try KafkaPropertiesFile.parse("a=1\nsasl.password hunter2-line\n", name: "f")
            Issue.record("a line without = was accepted")
        } catch {
            #expect(error.message.contains("f line 2"))
            #expect(!error.message.contains("hunter2-line"))
        }
        #expect(KafkaPropertiesFile.pair("sasl.password=a=b")! == ("sasl.password", "a=b"))
        #expect(KafkaPropertiesFile.pair("novalue") == nil)
        #expect(KafkaPropertiesFile.pair("=x") == nil)
    }

    @Test func nativeConfigErrorsNameThePropertyAndHideSecrets() {
        do {
            try KafkaConfig(brokers: ["b:9092"], properties: ["security.protocol": "bogus"]).validate()
            Issue.record("bogus security.protocol accepted")
        } catch {
            #expect(error.name == "_INVALID_ARG")
            #expect(error.message.contains("security.protocol=bogus"))
        }
        do {
            try KafkaConfig(brokers: ["b:9092"], properties: ["sasl.oauthbearer.method": "hunter2-native"]).validate()
            Issue.record("bogus sasl.oauthbearer.method accepted")
        } catch {
            #expect(error.message.contains("sasl.oauthbearer.method=<redacted>"))
            #expect(!error.message.contains("hunter2-native"))
        }
    }
}
