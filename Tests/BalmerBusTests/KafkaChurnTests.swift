import BalmerBus
import Foundation
import Synchronization
import Testing

/// A group member the way the daemon will use one: poll a batch, store it, commit it; on revoke
/// hand back what is stored.
final class Worker: Sendable {
    /// What this worker stored and the last stored offset per partition.
    final class Store: Sendable {
        let values = Mutex<[String]>([])
        let durable = Mutex<[KafkaPartition: Int64]>([:])
        let stop = Mutex(false)
    }

    let consumer: KafkaConsumer
    let store = Store()
    var stored: [String] { store.values.withLock { $0 } }

    init(cluster: MockCluster, group: String, topic: String, properties: [String: String]) throws {
        let store = self.store
        consumer = try TestCluster.consumer(cluster, group: group, topics: [topic], properties: properties) { event in
            guard case .revoked(let partitions) = event else { return [:] }
            return store.durable.withLock { done in done.filter { partitions.contains($0.key) } }
        }
    }

    func stop() { store.stop.withLock { $0 = true } }

    /// Polls, "stores" and commits until stopped.
    func run() async throws {
        let store = self.store
        while !store.stop.withLock({ $0 }) {
            let batch = await consumer.poll(max: 50, timeout: .milliseconds(100))
            guard !batch.isEmpty else { continue }
            store.values.withLock { $0 += batch.map { String(decoding: $0.value, as: UTF8.self) } }
            var last: [KafkaPartition: Int64] = [:]
            for message in batch { last[message.topicPartition] = max(last[message.topicPartition] ?? -1, message.offset) }
            store.durable.withLock { done in for (partition, offset) in last { done[partition] = max(done[partition] ?? -1, offset) } }
            do {
                try await consumer.commit(offsets: store.durable.withLock { $0 })
            } catch let error as KafkaError where error.isRetriable {
                // During a rebalance: the offsets stay durable here and go with the next commit.
            }
        }
    }
}

@Suite struct KafkaChurnTests {
    // The eager protocol only: it is what balmerd uses. Under cooperative-sticky, librdkafka 2.0.2
    // (Debian 12) sometimes leaves a joining member without partitions for over 30 s on a loaded
    // machine, and it has a known abort when a member leaves before its first assignment (fixed in
    // 2.3); KafkaConsumerGroupTests still covers the cooperative hand-over itself.
    @Test(arguments: ["range,roundrobin"])
    func membersJoiningAndLeavingLoseNothing(strategy: String) async throws {
        let cluster = try MockCluster(brokers: 3, logger: TestCluster.logger)
        let topic = TestCluster.unique("churn")
        try cluster.createTopic(topic, partitions: 6, replicationFactor: 2)
        let group = TestCluster.unique("g")
        let properties = ["partition.assignment.strategy": strategy]
        let producer = try TestCluster.producer(cluster)
        let total = 1200

        let a = try Worker(cluster: cluster, group: group, topic: topic, properties: properties)
        let runA = Task { try await a.run() }
        let producing = Task {
            for chunk in 0..<12 {
                _ = try await TestCluster.produce(producer, topic: topic, count: 100, prefix: "c\(chunk)")
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        try await Task.sleep(for: .seconds(2))
        let b = try Worker(cluster: cluster, group: group, topic: topic, properties: properties)
        let runB = Task { try await b.run() }
        _ = await waitUntil(timeout: .seconds(30)) { !b.consumer.assignment.isEmpty }
        #expect(!b.consumer.assignment.isEmpty)
        // Leave only after B has stored some of its share (a loaded machine can be slow to fetch).
        _ = await waitUntil(timeout: .seconds(20)) { !b.stored.isEmpty }
        b.stop()
        try await runB.value
        await b.consumer.close()
        try await producing.value

        let complete = await waitUntil(timeout: .seconds(20)) {
            Set(a.stored + b.stored).count == total
        }
        a.stop()
        try await runA.value
        await a.consumer.close()
        await producer.shutdown()

        let all = a.stored + b.stored
        #expect(complete)
        #expect(Set(all).count == total)
        #expect(!b.stored.isEmpty)
        // Duplicates are possible only for work not yet committed at a hand-over. The mock answers
        // every commit during a rebalance (even the one on revoke) with REBALANCE_IN_PROGRESS, so
        // a hand-over repeats whatever came after the last commit before it: bounded, not zero.
        // Two hand-overs (B joins, B leaves) repeat each message at most once each.
        #expect(all.count <= 3 * total)
    }
}
