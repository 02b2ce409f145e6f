import BalmerBus
import Foundation
import BalmerTestSupport
import Testing

@Suite struct KafkaCommandTests {
    @Test func mockProcessServesProducersAndPublishAnnouncesEveryFile() async throws {
        let mock = try await MockProcess(arguments: ["--brokers", "2", "--topics", "balmer.spectra:4,extra:1"])
        #expect(mock.bootstrapServers.split(separator: ",").count == 2)
        #expect(mock.bootstrapServers.split(separator: ",").allSatisfy { $0.hasPrefix("127.0.0.1:") })

        // A producer in this process uses the other process's cluster.
        let producer = try KafkaProducer(config: KafkaConfig(bootstrapServers: mock.bootstrapServers), logger: TestCluster.logger)
        let report = try await producer.send(topic: "extra", key: "k", value: Array("hello".utf8))
        #expect(report.partition == 0)
        await producer.shutdown()

        // `balmer publish` announces folders (recursively) and list files.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestCluster.unique("publish"))
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let names = ["spec-1.fits", "sub/spec-2.fits.gz", "spec-3.fit"]
        for name in names { _ = FileManager.default.createFile(atPath: folder.appendingPathComponent(name).path, contents: Data()) }
        _ = FileManager.default.createFile(atPath: folder.appendingPathComponent("notes.txt").path, contents: Data())
        let list = folder.appendingPathComponent("list.lst")
        try "# extra file\n\(folder.path)/spec-1.fits\n\n".write(to: list, atomically: true, encoding: .utf8)
        let publish = try await CommandRunner.balmer(["publish", "--brokers", mock.bootstrapServers, "--release", "DR9",
                                                   "--survey", "LAMOST", folder.path, list.path])
        #expect(publish.status == 0, "\(publish.stderr)")
        #expect(publish.stdout.contains("published 4 of 4 events to balmer.spectra"))

        let consumer = try KafkaConsumer(config: KafkaConfig(bootstrapServers: mock.bootstrapServers, groupID: TestCluster.unique("g"),
                                                             properties: TestCluster.groupProperties),
                                         topics: [BalmerTopic.spectra], logger: TestCluster.logger)
        let messages = await TestCluster.collect(consumer, count: 4)
        await consumer.close()
        let events = try messages.map { try $0.decode(SpectrumEvent.self) }
        #expect(events.map(\.spectrumID).sorted() == ["spec-1", "spec-1", "spec-2", "spec-3"])
        #expect(events.allSatisfy { $0.release == "DR9" && $0.survey == "LAMOST" && $0.location.hasPrefix("/") })
        #expect(Set(events.map(\.location)) == Set(names.map { folder.appendingPathComponent($0).standardizedFileURL.path }))
        #expect(zip(messages, events).allSatisfy { $0.keyString == $1.spectrumID })

        let (status, stderr) = await mock.terminate()
        #expect(status == 0)
        #expect(stderr.contains("stopped on signal 15"))
    }

    @Test func publishExitsOneWhenDeliveryFails() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(TestCluster.unique("lonely") + ".fits")
        _ = FileManager.default.createFile(atPath: file.path, contents: Data())
        defer { try? FileManager.default.removeItem(at: file) }
        // Nothing listens on port 1: the message times out.
        let result = try await CommandRunner.balmer(["publish", "--brokers", "127.0.0.1:1", "--release", "DR1", "--timeout", "1", file.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("1 events were not delivered"))
        #expect(result.stdout.contains("published 0 of 1"))
    }

    @Test func badUsageExitsTwo() async throws {
        let noBrokers = try await CommandRunner.balmer(["kafka", "mock", "--topics", "bad topic:x"])
        #expect(noBrokers.status == 2)
        let missing = try await CommandRunner.balmer(["publish", "--brokers", "127.0.0.1:1", "--release", "DR1", "/no/such/folder"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such file"))
    }
}
