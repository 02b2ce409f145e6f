import BalmerBus
import Foundation
import Testing

@Suite struct KafkaRoundTripTests {
    @Test func produceConsumeRoundTripKeepsKeysAndHeaders() async throws {
        let cluster = try MockCluster(brokers: 3, logger: TestCluster.logger)
        let topic = TestCluster.unique("roundtrip")
        try cluster.createTopic(topic, partitions: 3, replicationFactor: 3)
        let producer = try TestCluster.producer(cluster)
        var sent: [String: (key: String, headers: [KafkaHeader])] = [:]
        for index in 0..<30 {
            let headers = [KafkaHeader(name: "content-type", string: "application/json"),
                           KafkaHeader(name: "index", string: "\(index)"), KafkaHeader(name: "empty", value: nil)]
            let report = try await producer.send(topic: topic, key: "k\(index % 7)", value: Array("v\(index)".utf8), headers: headers)
            #expect(report.topic == topic)
            #expect((0..<3).contains(report.partition))
            sent["v\(index)"] = ("k\(index % 7)", headers)
        }
        await producer.shutdown()

        let consumer = try TestCluster.consumer(cluster, group: TestCluster.unique("g"), topics: [topic])
        var messages: [KafkaMessage] = []
        for await batch in consumer.batches(max: 8, timeout: .milliseconds(300)) {
            #expect(!batch.isEmpty && batch.count <= 8)
            messages += batch
            if messages.count >= 30 { break }
        }
        await consumer.close()
        #expect(consumer.isClosed)
        #expect(await consumer.poll(max: 1, timeout: .seconds(1)).isEmpty)
        var ended = true
        for await _ in consumer.batches(max: 1, timeout: .milliseconds(10)) { ended = false }
        #expect(ended)
        #expect(messages.count == 30)
        for message in messages {
            let value = String(decoding: message.value, as: UTF8.self)
            let expected = try #require(sent[value])
            #expect(message.keyString == expected.key)
            #expect(message.headers == expected.headers)
            #expect(message.timestamp != nil)
        }
        // One key always lands on one partition, in send order.
        let byKey = Dictionary(grouping: messages, by: { $0.keyString ?? "" })
        for (_, group) in byKey {
            #expect(Set(group.map(\.partition)).count == 1)
            let order = group.map { Int(String(decoding: $0.value.dropFirst(), as: UTF8.self))! }
            #expect(order == order.sorted())
        }
        cluster.shutdown()
    }
}
