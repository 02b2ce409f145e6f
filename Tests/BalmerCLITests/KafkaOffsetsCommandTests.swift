import BalmerTestSupport
import Foundation
import Testing

/// `balmer kafka offsets`, `balmer kafka reset-offsets` and the lag in `balmer status`, against a
/// `balmer kafka mock` cluster.
@Suite struct KafkaOffsetsCommandTests {
    @Test(.timeLimit(.minutes(3))) func showsAndMovesTheDaemonsGroup() async throws {
        let mock = try await MockProcess(arguments: ["--brokers", "1"])
        defer { mock.stop() }
        let directory = try temporaryDirectory("balmer-offsets")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var files: [String] = []
        for i in 0..<5 {
            let path = directory + "/spec-\(i).fits"
            try "".write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        let published = try KafkaClientOptionsTests.run(["publish", "--brokers", mock.bootstrapServers, "--release", "DR9"] + files)
        try #require(published.status == 0, "\(published.stderr)")
        let brokers = ["--brokers", mock.bootstrapServers]

        // Nothing committed: the five events are the lag.
        let shown = try KafkaClientOptionsTests.run(["kafka", "offsets", "--json"] + brokers)
        #expect(shown.status == 0, "\(shown.stderr)")
        let rows = Self.jsonLines(shown.stdout)
        #expect(!rows.isEmpty && rows.allSatisfy { $0["group"] as? String == "balmerd" && $0["committed"] is NSNull })
        #expect(rows.reduce(0) { $0 + ($1["lag"] as? Int ?? 0) } == 5, "\(shown.stdout)")
        let table = try KafkaClientOptionsTests.run(["kafka", "offsets"] + brokers)
        #expect(table.stdout.contains("total lag 5"), "\(table.stdout)")

        // A dry run says so and changes nothing; --execute moves the group to the end.
        let dry = try KafkaClientOptionsTests.run(["kafka", "reset-offsets", "--to-latest"] + brokers)
        #expect(dry.status == 0 && dry.stderr.contains("dry run"), "\(dry.stderr)")
        #expect(try KafkaClientOptionsTests.run(["kafka", "offsets"] + brokers).stdout.contains("total lag 5"))
        let moved = try KafkaClientOptionsTests.run(["kafka", "reset-offsets", "--to-latest", "--execute"] + brokers)
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(try KafkaClientOptionsTests.run(["kafka", "offsets"] + brokers).stdout.contains("total lag 0"))

        // Usage errors.
        #expect(try KafkaClientOptionsTests.run(["kafka", "reset-offsets"] + brokers).status == 2)
        #expect(try KafkaClientOptionsTests.run(["kafka", "reset-offsets", "--to-earliest", "--to-latest"] + brokers).status == 2)
        #expect(try KafkaClientOptionsTests.run(["kafka", "reset-offsets", "--to-datetime", "yesterday"] + brokers).status == 2)
        #expect(try KafkaClientOptionsTests.run(["kafka", "offsets"]).status == 2)
    }

    @Test(.timeLimit(.minutes(3))) func statusShowsTheLagOfEveryGroup() async throws {
        let db = try OperatorCommandTests.Schema()
        defer { db.drop() }
        try #require(try db.balmer(["db", "migrate"]).status == 0)
        let mock = try await MockProcess(arguments: ["--brokers", "1"])
        defer { mock.stop() }
        let status = try db.balmer(["status", "--json", "--brokers", mock.bootstrapServers])
        #expect(status.status == 0, "\(status.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let lag = try #require(object["consumer_lag"] as? [[String: Any]], "\(status.stdout)")
        #expect(lag.map { $0["group"] as? String } == ["balmerd", "balmerd-labels", "balmer-labellers"])
        #expect(lag.allSatisfy { $0["lag"] as? Int == 0 }, "\(lag)")
        let text = try db.balmer(["status", "--brokers", mock.bootstrapServers])
        #expect(text.stdout.contains("kafka lag   balmer-labellers on balmer.tasks: 0"), "\(text.stdout)")
        // Without brokers the store part alone, and no lag.
        let plain = try CommandRunner.run(BuiltProducts.path(of: "balmer"), ["status", "--json"] + db.options,
                                          environment: ProcessInfo.processInfo.environment.filter { $0.key != "BALMER_KAFKA_BROKERS" })
        let plainObject = try #require(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        #expect(plainObject["consumer_lag"] is NSNull)
    }

    static func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}
