import BalmerDaemonTestSupport
import BalmerBus
import BalmerService
import BalmerStore
import BalmerTestSupport
import Foundation
import Testing

/// Passwords given to balmerd (in the database URL, as the database password credential, as the
/// SASL password) never show in anything its configuration and startup path logs, nor in the
/// errors of a failed start.
@Suite(.serialized) struct SecretLeakTests {
    static let saslPassword = "sasl-Pw-3f9c2e71"
    static let wrongPassword = "wrong-Pw-81b7d0c4"

    /// The test cluster's URL split into one without a password and the password (a made-up one
    /// when the URL has none: the server then does not ask for it).
    static func databaseParts() throws -> (bare: String, withPassword: String, password: String, unknownUser: String) {
        var components = try #require(URLComponents(string: try DaemonHarness.databaseURL()))
        let password = components.password ?? "db-Pw-5e0a7713"
        components.password = nil
        let bare = try #require(components.string)
        components.password = password
        let withPassword = try #require(components.string)
        components.user = "nobody_" + UUID().uuidString.prefix(6).lowercased()
        components.password = wrongPassword
        return (bare, withPassword, password, try #require(components.string))
    }

    static func expectNoSecret(_ texts: [String], _ secrets: [String], _ what: String,
                               sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in secrets {
            let hits = texts.filter { $0.contains(secret) }
            #expect(hits.isEmpty, "\(what) shows a secret: \(hits.prefix(3))", sourceLocation: sourceLocation)
        }
    }

    /// Starts the daemon's services in-process (all Kafka clients with SASL settings and librdkafka
    /// debug logging, the store, the model), lets them run briefly and stops them, capturing every
    /// log line; once with the password in the URL, once as a credential file.
    @Test func startupLogsNoSecrets() async throws {
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try Self.databaseParts()
        let secrets = [db.password, Self.saslPassword]
        try db.password.write(toFile: dir + "/database-password", atomically: true, encoding: .utf8)
        let model = try DaemonHarness.writeModel(to: dir)
        let cluster = try DaemonHarness.cluster()
        for (name, url, environment) in [
            ("url", db.withPassword, ["BALMER_KAFKA_SASL_PASSWORD": Self.saslPassword]),
            ("credential", db.bare, ["CREDENTIALS_DIRECTORY": dir, "BALMER_KAFKA_SASL_PASSWORD": Self.saslPassword]),
        ] {
            let schema = DaemonHarness.unique("balmerd_secret")
            let capture = LogCapture()
            let logger = capture.logger("balmerd")
            let reader = try ConfigReader(
                arguments: ["--database.url", url, "--database.schema", schema, "--model.file", model,
                            "--kafka.brokers", cluster.bootstrapServers, "--kafka.security-protocol", "SASL_PLAINTEXT",
                            "--kafka.sasl-mechanism", "PLAIN", "--kafka.sasl-username", "balmerd",
                            "--kafka.librdkafka.debug", "security,broker,conf", "--log.level", "trace",
                            "--loop.interval-ms", "200", "--http.port", "0"],
                environment: environment)
            let configuration = try DaemonConfiguration(config: reader)
            #expect(configuration.kafka.client.properties["sasl.password"] == Self.saslPassword)
            #expect(name == "url" || configuration.database.password == db.password)
            logger.info("starting", metadata: configuration.logMetadata)
            let services = try await Daemon.build(configuration, logger: logger)
            let running = Task { try await services.run(loopGrace: .seconds(1)) }
            try await Task.sleep(for: .seconds(2))
            services.requestStop()
            _ = await running.result
            try? await DaemonHarness.dropSchema(schema)
            let lines = capture.all
            #expect(lines.contains { $0.contains("starting") && $0.contains("sasl.password=<redacted>") })
            #expect(lines.contains { $0.contains("librdkafka") }, "librdkafka logged nothing (\(name))")
            Self.expectNoSecret(lines, secrets, "the startup log (\(name))")
        }
    }

    /// Failed starts: bad values next to secrets, a wrong password, an unknown user, an unparsable
    /// URL holding a password (libpq quotes it), refused Kafka settings whose values are secrets;
    /// neither the errors nor the logs show any secret.
    @Test func failedStartsShowNoSecrets() async throws {
        let db = try Self.databaseParts()
        let dir = try DaemonHarness.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try db.password.write(toFile: dir + "/database-password", atomically: true, encoding: .utf8)
        try "sasl.password=\(Self.saslPassword)\nsasl.username=u\n".write(toFile: dir + "/client.properties", atomically: true, encoding: .utf8)
        var messages: [String] = []
        let secrets = [db.password, Self.saslPassword, Self.wrongPassword, "url-Pw-%zz"]
        let environment = ["CREDENTIALS_DIRECTORY": dir, "BALMER_KAFKA_SASL_PASSWORD": Self.saslPassword]

        // Configuration refusals.
        for arguments in [
            ["--database.url", db.withPassword, "--database.max-connections", "many"],
            ["--database.url", db.withPassword, "--kafka.security-protocol", "SASL_TLS"],
            ["--database.url", db.bare, "--kafka.properties-file", dir + "/client.properties", "--kafka.sasl-mechanism", "PLAIN",
             "--kafka.librdkafka.sasl.oauthbearer.method", Self.saslPassword],
            ["--database.url", db.bare, "--kafka.librdkafka.sasl.kerberos.min.time.before.relogin", Self.saslPassword],
        ] {
            do {
                _ = try DaemonConfiguration(config: ConfigReader(arguments: arguments, environment: environment))
                Issue.record("accepted \(arguments)")
            } catch { messages.append("\(error)") }
        }
        #expect(messages.count == 4)

        // Refusals by PostgreSQL or libpq, in-process with a capturing logger.
        let capture = LogCapture()
        for (url, password) in [
            (db.bare, Self.wrongPassword),
            ("postgresql://balmer:url-Pw-%zz@127.0.0.1:1/balmer", nil as String?),
            (db.unknownUser, nil),
        ] {
            var arguments = ["--database.url", url, "--database.schema", DaemonHarness.unique("balmerd_secret"),
                             "--kafka.brokers", "127.0.0.1:1", "--kafka.security-protocol", "SASL_PLAINTEXT",
                             "--kafka.sasl-mechanism", "PLAIN", "--kafka.sasl-username", "u", "--loop.enabled", "false"]
            if let password { arguments += ["--database.password", password] }
            let configuration = try DaemonConfiguration(config: ConfigReader(arguments: arguments, environment: ["BALMER_KAFKA_SASL_PASSWORD": Self.saslPassword]))
            do {
                _ = try await Daemon.build(configuration, logger: capture.logger())
                Issue.record("started with \(url.prefix(30))")
            } catch {
                messages.append("\(error)")
                messages.append(String(reflecting: error))
            }
        }
        // (A server with `trust` authentication ignores the wrong password: that start fails later,
        // on the empty model registry.) Every start failed, with a message.
        #expect(messages.count == 4 + 2 * 3 && messages.allSatisfy { !$0.isEmpty })
        #expect(messages.contains { $0.contains("percent-encoded") })
        Self.expectNoSecret(messages, secrets, "a start error")
        Self.expectNoSecret(capture.all, secrets, "the log of a failed start")

        // The real binary: exit status 2, one line naming the key, no secret on stderr.
        let result = try CommandRunner.run(
            BuiltProducts.path(of: "balmerd"),
            ["--database.url", db.withPassword, "--kafka.security-protocol", "TLS", "--kafka.properties-file", dir + "/client.properties"],
            environment: environment)
        #expect(result.status == 2)
        #expect(result.stderr.contains("kafka.security-protocol") && result.stderr.contains("security.protocol"), "\(result.stderr)")
        Self.expectNoSecret([result.stdout, result.stderr], secrets, "balmerd's stderr")
    }
}
