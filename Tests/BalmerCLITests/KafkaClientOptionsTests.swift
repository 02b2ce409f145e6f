import BalmerTestSupport
import Foundation
import Testing

/// `--kafka-property`, `--kafka-properties-file` and the `BALMER_KAFKA_*` keys reach the Kafka
/// clients of every `balmer` command that talks to Kafka; bad settings end in exit 2 with a line
/// naming the property and never a secret value; `balmer label` takes no database options.
@Suite struct KafkaClientOptionsTests {
    static func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> CommandRunner.Output {
        var environment = ProcessInfo.processInfo.environment
        for key in environment.keys where key.hasPrefix("BALMER_KAFKA_") || key == "CREDENTIALS_DIRECTORY" {
            environment.removeValue(forKey: key)
        }
        environment.merge(extra) { $1 }
        return try CommandRunner.run(BuiltProducts.path(of: "balmer"), arguments, environment: environment)
    }

    @Test func badSettingsAreRefusedByNameWithoutSecrets() throws {
        let directory = try temporaryDirectory("balmer-kafka-options")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let secrets = directory + "/client.properties"
        try "# test\nsasl.password = hunter-cli-1\nsasl.kerberos.min.time.before.relogin=hunter-cli-2\n"
            .write(toFile: secrets, atomically: true, encoding: .utf8)
        let tasks = directory + "/tasks.jsonl"
        try "".write(toFile: tasks, atomically: true, encoding: .utf8)
        let fits = directory + "/x.fits"
        try "".write(toFile: fits, atomically: true, encoding: .utf8)
        let down = ["--brokers", "127.0.0.1:1"]

        let cases: [(arguments: [String], environment: [String: String], property: String)] = [
            (["kafka", "create-topics"] + down + ["--kafka-property", "security.protocol=bogus"], [:], "security.protocol"),
            (["kafka", "create-topics"] + down + ["--kafka-properties-file", secrets], [:], "sasl.kerberos.min.time.before.relogin"),
            (["publish"] + down + ["--release", "DR9", "--kafka-property", "security.protocol=bogus", fits], [:], "security.protocol"),
            (["label", "send-tasks"] + down + ["--kafka-properties-file", secrets, tasks], [:], "sasl.kerberos.min.time.before.relogin"),
            (["label", "read-labels"] + down + ["--kafka-property", "no.such.property=1"], [:], "no.such.property"),
            // The keys balmerd reads, from the environment.
            (["label", "send-tasks"] + down + [tasks], ["BALMER_KAFKA_SECURITY_PROTOCOL": "bogus", "BALMER_KAFKA_SASL_PASSWORD": "hunter-cli-3"],
             "kafka.security-protocol"),
        ]
        for item in cases {
            let result = try Self.run(item.arguments, environment: item.environment)
            #expect(result.status == 2, "\(item.arguments): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains(item.property), "\(item.arguments): \(result.stderr)")
            for secret in ["hunter-cli-1", "hunter-cli-2", "hunter-cli-3"] {
                #expect(!result.stderr.contains(secret) && !result.stdout.contains(secret), "\(item.arguments) shows \(secret)")
            }
        }
        #expect(try Self.run(["kafka", "create-topics"] + down + ["--kafka-property", "novalue"]).status == 2)
        #expect(try Self.run(["kafka", "create-topics"] + down + ["--kafka-properties-file", directory + "/none"]).status == 2)
    }

    /// A properties file reaches the client: against the plaintext mock cluster, `security.protocol=SSL`
    /// from the file makes the same `publish` fail that succeeds without it.
    @Test(.timeLimit(.minutes(2))) func propertiesReachTheClient() async throws {
        let mock = try await MockProcess(arguments: ["--brokers", "1"])
        defer { mock.stop() }
        let directory = try temporaryDirectory("balmer-kafka-options")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ssl = directory + "/ssl.properties"
        try "security.protocol=SSL\n".write(toFile: ssl, atomically: true, encoding: .utf8)
        let fits = directory + "/spec-1.fits"
        try "".write(toFile: fits, atomically: true, encoding: .utf8)
        let base = ["publish", "--brokers", mock.bootstrapServers, "--release", "DR9", "--timeout", "4"]
        let plain = try Self.run(base + ["--kafka-property", "client.rack=r1", fits])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.contains("published 1 of 1"), "\(plain.stdout)")
        let tls = try Self.run(base + ["--kafka-properties-file", ssl, fits])
        #expect(tls.status == 1, "\(tls.status) \(tls.stdout) \(tls.stderr)")
        #expect(tls.stdout.contains("published 0 of 1"), "\(tls.stdout)")
    }

    @Test func labellersNeedNoDatabase() throws {
        for command in [["label"], ["label", "send-tasks"], ["label", "read-labels"]] {
            let help = try Self.run(command + ["--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("--kafka-properties-file") && help.stdout.contains("--kafka-property"), "\(command)")
            #expect(!help.stdout.lowercased().contains("database"), "\(command) mentions a database:\n\(help.stdout)")
        }
        #expect(try Self.run(["label", "--database-url", "postgresql://x", "--labeller", "a"]).status == 2)
    }
}
