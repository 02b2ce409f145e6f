import BalmerService
import BalmerStore
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

    /// The session timeouts: defaults, overrides, and out-of-range values refused.
    @Test func databaseTimeouts() throws {
        let defaults = try DaemonConfiguration(config: ConfigReader(commandLine: ["database.url": "postgresql://x"]))
        let postgres = defaults.database.postgres(applicationName: "balmerd")
        #expect(postgres.statementTimeoutMilliseconds == 600_000)
        #expect(postgres.lockTimeoutMilliseconds == 30_000)
        #expect(postgres.idleInTransactionTimeoutMilliseconds == 300_000)
        #expect(postgres.applicationName == "balmerd")
        let set = try DaemonConfiguration(config: ConfigReader(commandLine: [
            "database.url": "postgresql://x", "database.statement-timeout-ms": "0", "database.lock-timeout-ms": "1500",
        ]))
        #expect(set.database.postgres(applicationName: "balmerd").statementTimeoutMilliseconds == 0)
        #expect(set.database.postgres(applicationName: "balmerd").lockTimeoutMilliseconds == 1500)
        #expect(throws: ConfigReader.Error.self) {
            try DaemonConfiguration(config: ConfigReader(commandLine: ["database.url": "x", "database.lock-timeout-ms": "-1"]))
        }
    }

    @Test func badValuesAreRefused() throws {
        #expect(throws: ConfigReader.Error.self) {
            try DaemonConfiguration(config: ConfigReader(commandLine: ["database.url": "x", "ingest.batch-size": "zero"]))
        }
        #expect(throws: ConfigReader.Error.self) { try DaemonConfiguration(config: ConfigReader()) }
        #expect(throws: ConfigReader.Error.self) { try ConfigReader(arguments: ["--kafka.brokers"]) }
    }

    /// The schema stores exactly 140 features: any other window length is refused at start.
    @Test func preprocessingPointsMustBe140() throws {
        for points in ["100", "141", "2"] {
            let error = #expect(throws: ConfigReader.Error.self) {
                try DaemonConfiguration(config: ConfigReader(commandLine: ["database.url": "x", "preprocessing.points": points]))
            }
            #expect(error.map { "\($0)" }?.contains("preprocessing.points must be 140") == true, "\(points): \(String(describing: error))")
        }
        let config = try DaemonConfiguration(config: ConfigReader(commandLine: ["database.url": "x", "preprocessing.points": "140"]))
        #expect(config.preprocessing.points == 140)

        // The real binary: exit status 2 and one clear line on stderr, before touching Kafka or PostgreSQL.
        let result = try CommandRunner.run(
            BuiltProducts.path(of: "balmerd"),
            ["--database.url", "postgresql://nobody@127.0.0.1:1/none", "--kafka.brokers", "127.0.0.1:1", "--preprocessing.points", "100"],
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"])
        #expect(result.status == 2, "status \(result.status): \(result.stderr)")
        let lines = result.stderr.split(separator: "\n").filter { $0.contains("preprocessing.points") }
        #expect(lines.count == 1 && lines[0].contains("must be 140") && lines[0].contains("issue 25"), "\(result.stderr)")
    }

    @Test func environmentNames() {
        #expect(ConfigReader.environmentName("kafka.brokers") == "BALMER_KAFKA_BROKERS")
        #expect(ConfigReader.environmentName("ingest.batch-timeout-ms") == "BALMER_INGEST_BATCH_TIMEOUT_MS")
        #expect(ConfigReader.environmentName("compute.threads") == "BALMER_THREADS")
    }
}

/// The layers' order around the credentials directory, the config file's errors, and secrets in
/// swift-configuration's access log.
@Suite struct ConfigReaderLayerTests {
    static func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("balmer-cfg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// One key in the file, the credentials directory and the environment: the credential beats
    /// the file, the environment beats the credential, the command line beats them all.
    @Test func credentialsBeatTheFileButLoseToTheEnvironment() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/balmer.json"
        try #"{"kafka": {"group": "g-file", "client-id": "c-file", "brokers": "file:1"}, "database": {"password": "pw-file"}}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        try "g-credentials\n".write(toFile: dir + "/kafka-group", atomically: true, encoding: .utf8)
        try "c-credentials\r\n".write(toFile: dir + "/kafka-client-id", atomically: true, encoding: .utf8)
        try " pw credentials \n\n".write(toFile: dir + "/database-password", atomically: true, encoding: .utf8)

        let credentialsOnly = try ConfigReader(arguments: ["--config", file], environment: ["CREDENTIALS_DIRECTORY": dir])
        #expect(credentialsOnly.lookup("kafka.group")?.value == "g-credentials")
        #expect(credentialsOnly.lookup("kafka.group")?.source == .credentials)
        #expect(credentialsOnly.string("kafka.client-id") == "c-credentials")
        // Only the trailing newlines go: a password's own spaces stay.
        #expect(credentialsOnly.string("database.password") == " pw credentials ")
        #expect(credentialsOnly.lookup("kafka.brokers")?.source == .file)
        #expect(credentialsOnly.lookup("kafka.brokers")?.value == "file:1")
        #expect(credentialsOnly.lookup("kafka.topics") == nil)
        #expect(credentialsOnly.string("kafka.topics", default: "t") == "t")

        let withEnvironment = try ConfigReader(
            arguments: ["--config", file],
            environment: ["CREDENTIALS_DIRECTORY": dir, "BALMER_KAFKA_GROUP": "g-env", "BALMER_DATABASE_PASSWORD": ""])
        #expect(withEnvironment.lookup("kafka.group")?.value == "g-env")
        #expect(withEnvironment.lookup("kafka.group")?.source == .environment)
        // An empty variable counts as unset.
        #expect(withEnvironment.lookup("database.password")?.source == .credentials)

        let withCommandLine = try ConfigReader(
            arguments: ["--config", file, "--kafka.group", "g-cli,second"],
            environment: ["CREDENTIALS_DIRECTORY": dir, "BALMER_KAFKA_GROUP": "g-env"])
        #expect(withCommandLine.lookup("kafka.group")?.value == "g-cli,second")
        #expect(withCommandLine.lookup("kafka.group")?.source == .commandLine)

        // Without $CREDENTIALS_DIRECTORY the file answers.
        let fileOnly = try ConfigReader(arguments: ["--config", file], environment: [:])
        #expect(fileOnly.lookup("kafka.group")?.value == "g-file")
        #expect(fileOnly.lookup("database.password")?.source == .file)
    }

    /// A bad value's error names the layer it came from.
    @Test func errorsNameTheSource() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "many\n".write(toFile: dir + "/database-max-connections", atomically: true, encoding: .utf8)
        let reader = ConfigReader(environment: ["CREDENTIALS_DIRECTORY": dir, "BALMER_INGEST_BATCH_SIZE": "zero"])
        #expect(throws: ConfigReader.Error.self) { try reader.int("ingest.batch-size", default: 1) }
        do { _ = try reader.int("ingest.batch-size", default: 1); Issue.record("accepted zero") } catch let error as ConfigReader.Error {
            #expect(error.description.contains("from the environment") && error.description.contains("zero"), "\(error)")
        }
        do { _ = try reader.int("database.max-connections", default: 1); Issue.record("accepted many") } catch let error as ConfigReader.Error {
            #expect(error.description.contains("from the credentials"), "\(error)")
        }
        #expect(try reader.int("http.port", default: 7) == 7)
    }

    /// A missing, malformed or non-object config file: the error names the file.
    @Test func configFileErrorsNameTheFile() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let malformed = dir + "/malformed.json"
        try #"{"kafka": {"brokers": "x:1",}"#.write(toFile: malformed, atomically: true, encoding: .utf8)
        let array = dir + "/array.json"
        try #"["kafka"]"#.write(toFile: array, atomically: true, encoding: .utf8)
        for (path, words) in [(malformed, "not valid JSON"), (array, "must hold a JSON object"), (dir + "/missing.json", "cannot read")] {
            do {
                _ = try ConfigReader(arguments: ["--config", path], environment: [:])
                Issue.record("accepted \(path)")
            } catch let error as ConfigReader.Error {
                #expect(error.description.contains(path), "\(error)")
                #expect(error.description.contains(words), "\(error)")
            }
        }
    }

    /// Secrets read through the reader, from every layer, never reach swift-configuration's access
    /// log, which does log the other values read.
    @Test func secretsNeverReachTheAccessLog() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let secrets = (
            credential: "cred-Pw-6d1f", environment: "env-Pw-93ab", commandLine: "cli-Pw-2c7e", file: "file-Pw-b48a",
            url: "url-Pw-51e0")
        try "\(secrets.credential)\n".write(toFile: dir + "/database-password", atomically: true, encoding: .utf8)
        let file = dir + "/balmer.json"
        try #"{"kafka": {"ssl-key-password": "\#(secrets.file)", "group": "visible-group"}}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let capture = LogCapture()
        let reader = try ConfigReader(
            arguments: ["--config", file, "--kafka.sasl-password", secrets.commandLine,
                        "--database.url", "postgresql://balmer:\(secrets.url)@localhost/balmer"],
            environment: ["CREDENTIALS_DIRECTORY": dir, "BALMER_KAFKA_LIBRDKAFKA_SASL_OAUTHBEARER_CLIENT_SECRET": secrets.environment,
                          "BALMER_THREADS": "3"],
            accessLogger: capture.logger("config"))
        let configuration = try DaemonConfiguration(config: reader)
        #expect(configuration.database.password == secrets.credential)
        #expect(configuration.kafka.client.properties["sasl.password"] == secrets.commandLine)
        #expect(configuration.kafka.client.properties["ssl.key.password"] == secrets.file)
        #expect(reader.string("kafka.librdkafka.sasl.oauthbearer.client.secret") == secrets.environment)
        #expect(configuration.kafka.group == "visible-group" && configuration.threads == 3)

        let lines = capture.all
        #expect(lines.contains { $0.contains("database.password") && $0.contains("<REDACTED>") }, "\(lines.prefix(3))")
        #expect(lines.contains { $0.contains("database.url") && $0.contains("<REDACTED>") })
        // The log is real: it shows the values that are no secret.
        #expect(lines.contains { $0.contains("kafka.group") && $0.contains("visible-group") })
        for secret in [secrets.credential, secrets.environment, secrets.commandLine, secrets.file, secrets.url] {
            let hits = lines.filter { $0.contains(secret) }
            #expect(hits.isEmpty, "the access log shows a secret: \(hits.prefix(2))")
        }
    }

    @Test func secretKeys() {
        for key in ["database.password", "database.url", "kafka.sasl-password", "kafka.sasl-username", "kafka.ssl-key-password",
                    "kafka.librdkafka.sasl.oauthbearer.client.secret", "kafka.librdkafka.ssl.key.pem"] {
            #expect(ConfigReader.isSecret(key), "\(key)")
        }
        for key in ["kafka.brokers", "database.schema", "kafka.librdkafka.debug", "compute.threads"] {
            #expect(!ConfigReader.isSecret(key), "\(key)")
        }
    }
}
