import BalmerBus
import Foundation
import Testing

@Suite struct KafkaProducerTests {
    @Test func missingTopicWithoutAutoCreateFailsDelivery() async throws {
        let cluster = try MockCluster(brokers: 1, logger: TestCluster.logger)
        let producer = try TestCluster.producer(cluster, properties: [
            "allow.auto.create.topics": "false", "topic.metadata.propagation.max.ms": "500", "message.timeout.ms": "5000"])
        // The mock creates topics on demand; make it answer like a cluster without the topic.
        let absent = TestCluster.unique("absent")
        cluster.setTopicError(absent, error: MockCluster.Error.unknownTopicOrPartition)
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send(topic: absent, key: "k", value: Array("v".utf8))
        }
        #expect([KafkaError.Code.unknownTopic, KafkaError.Code.unknownTopicOrPartition, KafkaError.Code.messageTimedOut]
            .contains(error?.code ?? 0))
        #expect(!(error?.message.isEmpty ?? true))
        await producer.shutdown()
    }

    @Test func injectedPermanentProduceErrorSurfacesAsThrownError() async throws {
        let cluster = try MockCluster(brokers: 1, logger: TestCluster.logger)
        let topic = TestCluster.unique("inject")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try TestCluster.producer(cluster)
        try await producer.send(topic: topic, key: "warm", value: [1])
        cluster.pushRequestErrors(api: .produce, errors: [MockCluster.Error.topicAuthorizationFailed])
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send(topic: topic, key: "k", value: [2])
        }
        #expect(error?.code == MockCluster.Error.topicAuthorizationFailed)
        // The client holds the topic in error until its metadata is refreshed; then sends work again.
        var recovered = false
        let deadline = ContinuousClock.now + .seconds(10)
        while !recovered && ContinuousClock.now < deadline {
            recovered = (try? await producer.send(topic: topic, key: "k", value: [3])) != nil
            if !recovered { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(recovered)
        // Retriable errors are retried transparently.
        cluster.pushRequestErrors(api: .produce, errors: [MockCluster.Error.notEnoughReplicas, MockCluster.Error.requestTimedOut])
        let report = try await producer.send(topic: topic, key: "k", value: [3])
        #expect(report.partition == 0)
        await producer.shutdown()
        await #expect(throws: KafkaError.self) { try await producer.send(topic: topic, key: "late", value: [4]) }
    }

    @Test func brokersDownDelayButDoNotLoseOrDuplicateIdempotentProduces() async throws {
        let cluster = try MockCluster(brokers: 3, logger: TestCluster.logger)
        let topic = TestCluster.unique("outage")
        try cluster.createTopic(topic, partitions: 3, replicationFactor: 3)
        let producer = try TestCluster.producer(cluster)
        try await producer.send(topic: topic, key: "warm", value: Array("warm".utf8))

        try cluster.setBrokerDown()
        let started = ContinuousClock.now
        let sending = Task { try await TestCluster.produce(producer, topic: topic, count: 100, prefix: "outage") }
        try await Task.sleep(for: .seconds(2))
        #expect(producer.outstandingMessages > 0)
        // Some produce requests are also answered with a retriable error when the brokers return.
        cluster.pushRequestErrors(api: .produce, errors: [MockCluster.Error.notEnoughReplicas])
        try cluster.setBrokerUp()
        let reports = try await sending.value
        #expect(ContinuousClock.now - started >= .seconds(2))
        #expect(reports.count == 100)
        await producer.shutdown()

        let consumer = try TestCluster.consumer(cluster, group: TestCluster.unique("g"), topics: [topic])
        let messages = await TestCluster.collect(consumer, count: 101)
        let extra = await TestCluster.drain(consumer, for: .milliseconds(500))
        await consumer.close()
        let values = (messages + extra).map { String(decoding: $0.value, as: UTF8.self) }.filter { $0.hasPrefix("outage-") }
        #expect(values.count == 100)
        #expect(Set(values).count == 100)
    }

    @Test func flushWaitsForEverySendAndShutdownPurgesTheUndeliverable() async throws {
        let cluster = try MockCluster(brokers: 1, logger: TestCluster.logger)
        let topic = TestCluster.unique("flush")
        try cluster.createTopic(topic, partitions: 2)
        let producer = try TestCluster.producer(cluster, properties: ["linger.ms": "3000"])
        let sending = Task { try await TestCluster.produce(producer, topic: topic, count: 200) }
        // All 200 must be queued (held by linger.ms) before the flush; a loaded machine may take a while.
        try #require(await waitUntil(timeout: .seconds(30)) { producer.outstandingMessages == 200 })
        try await producer.flush(timeout: .seconds(10))
        #expect(producer.outstandingMessages == 0)
        #expect(try await sending.value.count == 200)
        await producer.shutdown()

        // Nothing listens here: shutdown gives up after its timeout and fails the send instead of hanging.
        let stranded = try KafkaProducer(config: KafkaConfig(brokers: ["127.0.0.1:1"]), logger: TestCluster.logger)
        let pending = Task { try await stranded.send(topic: topic, key: "k", value: [1]) }
        try await Task.sleep(for: .milliseconds(200))
        #expect(stranded.outstandingMessages == 1)
        let started = ContinuousClock.now
        await stranded.shutdown(timeout: .milliseconds(500))
        let error = await #expect(throws: KafkaError.self) { try await pending.value }
        #expect(error?.code == KafkaError.Code.purgedQueue)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func roundTripTimeIsInjected() async throws {
        let cluster = try MockCluster(brokers: 1, logger: TestCluster.logger)
        let topic = TestCluster.unique("rtt")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try TestCluster.producer(cluster, properties: ["linger.ms": "0"])
        try await producer.send(topic: topic, key: "warm", value: [0])
        try cluster.setRoundTripTime(milliseconds: 300)
        let start = ContinuousClock.now
        try await producer.send(topic: topic, key: "slow", value: [1])
        #expect(ContinuousClock.now - start >= .milliseconds(250))
        await producer.shutdown()
        cluster.shutdown()
        #expect(throws: KafkaError.self) { try cluster.createTopic("after", partitions: 1) }
    }
}
