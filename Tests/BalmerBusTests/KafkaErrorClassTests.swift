import Foundation
import Testing
@testable import BalmerBus

/// Which producer errors a dead-letter sender must not retry forever.
@Suite struct KafkaErrorClassTests {
    @Test func permanentForTheMessage() {
        #expect(KafkaError.invalidArgument("bad value").isPermanentForMessage)
        // Shut down: not the message's fault.
        #expect(!KafkaError.closed().isPermanentForMessage)
    }

    /// A message over the producer's `message.max.bytes` fails for good, and says so.
    @Test func oversizedMessageIsPermanent() async throws {
        let cluster = try MockCluster(brokers: 1, logger: TestCluster.logger)
        let topic = TestCluster.unique("big")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try TestCluster.producer(cluster, properties: ["message.max.bytes": "100000"])
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send(topic: topic, key: "k", value: [UInt8](repeating: 1, count: 200_000))
        }
        #expect(error?.isPermanentForMessage == true, "\(String(describing: error))")
        #expect(error?.isRetriable == false)
        // A dead letter of the same payload fits: it carries 64 KiB at most.
        let letter = DeadLetterEvent(message: KafkaMessage(topic: topic, partition: 0, offset: 0, key: nil,
                                                           value: [UInt8](repeating: 1, count: 200_000)),
                                     code: "malformed_json", reason: "x")
        _ = try await producer.send(letter, topic: topic)
        await producer.shutdown(timeout: .seconds(5))
    }
}
