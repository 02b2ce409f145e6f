import BalmerBus
import Foundation
import Testing

/// Positions of a group read and moved from outside it. librdkafka's mock cluster keeps a group
/// forever once a member has joined and then refuses every commit from outside it (a real broker
/// accepts them when the group is empty), so moves are made on groups before their first member.
/// Consumers get up to a minute for their first assignment: the suites share two cores with
/// daemons of other suites.
@Suite struct KafkaGroupOffsetsTests {
    @Test func readsTheCommittedPositionOfAGroup() async throws {
        let (cluster, topic, producer) = try await Self.topicWithMessages(20)
        let group = TestCluster.unique("g")
        let config = KafkaConfig(bootstrapServers: cluster.bootstrapServers, clientID: "offsets-test", groupID: group)
        // Nothing committed yet: everything is lag.
        let fresh = try await KafkaGroupOffsets.positions(config: config, topic: topic)
        #expect(fresh.map(\.partition.partition) == [0, 1])
        #expect(fresh.allSatisfy { $0.committed == nil && $0.low == 0 })
        #expect(fresh.reduce(0) { $0 + $1.lag } == 20)

        // A member consumes everything and commits up to 5 messages short of the end of each partition.
        let member = try TestCluster.consumer(cluster, group: group, topics: [topic])
        let messages = await TestCluster.collect(member, count: 20, timeout: .seconds(60))
        #expect(messages.count == 20)
        var last: [KafkaPartition: Int64] = [:]
        for message in messages { last[message.topicPartition] = max(last[message.topicPartition] ?? -1, message.offset) }
        try await member.commit(offsets: last.mapValues { $0 - 5 })
        let committed = try await KafkaGroupOffsets.positions(config: config, topic: topic)
        #expect(committed.allSatisfy { $0.committed == $0.high - 5 }, "\(committed)")
        #expect(committed.reduce(0) { $0 + $1.lag } == 10)

        // Moving a group with a live member is refused with a clear reason.
        let error = await #expect(throws: KafkaError.self) {
            _ = try await KafkaGroupOffsets.reset(config: config, topic: topic, to: .earliest, execute: true)
        }
        #expect("\(String(describing: error))".contains("active members"))
        await member.close()
        await producer.shutdown()
    }

    @Test func resetsMoveWhereANewMemberStarts() async throws {
        let (cluster, topic, producer) = try await Self.topicWithMessages(20)
        let group = TestCluster.unique("g")
        let config = KafkaConfig(bootstrapServers: cluster.bootstrapServers, clientID: "offsets-test", groupID: group)

        // A dry run computes the move but commits nothing.
        let planned = try await KafkaGroupOffsets.reset(config: config, topic: topic, to: .latest, execute: false)
        #expect(planned.allSatisfy { $0.committed == $0.high })
        #expect(try await KafkaGroupOffsets.positions(config: config, topic: topic).allSatisfy { $0.committed == nil })

        // By time: after every message is the end. (The mock answers every time lookup with the
        // end offset, so a time inside the topic cannot be checked against it.)
        let future = try await KafkaGroupOffsets.reset(config: config, topic: topic, to: .time(Date().addingTimeInterval(3600)),
                                                       execute: true)
        #expect(future.allSatisfy { $0.committed == $0.high }, "\(future)")
        #expect(try await KafkaGroupOffsets.positions(config: config, topic: topic).reduce(0) { $0 + $1.lag } == 0)

        // A member of the moved group gets only what is published after the move.
        _ = try await TestCluster.produce(producer, topic: topic, count: 3, prefix: "late")
        let member = try TestCluster.consumer(cluster, group: group, topics: [topic])
        let received = await TestCluster.collect(member, count: 3, timeout: .seconds(60))
        #expect(received.map { String(decoding: $0.value, as: UTF8.self) }.allSatisfy { $0.hasPrefix("late") })
        #expect(received.count == 3)
        #expect(await TestCluster.drain(member, for: .milliseconds(500)).isEmpty)
        await member.close()

        // To the earliest on another fresh group: a member gets the whole topic.
        let replayGroup = TestCluster.unique("replay")
        let replayConfig = KafkaConfig(bootstrapServers: cluster.bootstrapServers, clientID: "offsets-test", groupID: replayGroup)
        _ = try await KafkaGroupOffsets.reset(config: replayConfig, topic: topic, to: .earliest, execute: true)
        let replay = try TestCluster.consumer(cluster, group: replayGroup, topics: [topic])
        #expect(await TestCluster.collect(replay, count: 23, timeout: .seconds(60)).count == 23)
        await replay.close()
        await producer.shutdown()
    }

    @Test func aGroupIsRequired() async throws {
        let cluster = try MockCluster(brokers: 1, logger: TestCluster.logger)
        let error = await #expect(throws: KafkaError.self) {
            _ = try await KafkaGroupOffsets.positions(config: KafkaConfig(bootstrapServers: cluster.bootstrapServers), topic: "t")
        }
        #expect("\(String(describing: error))".contains("no consumer group"))
    }

    static func topicWithMessages(_ count: Int) async throws -> (MockCluster, String, KafkaProducer) {
        let cluster = try MockCluster(brokers: 1, logger: TestCluster.logger)
        let topic = TestCluster.unique("offsets")
        try cluster.createTopic(topic, partitions: 2)
        let producer = try TestCluster.producer(cluster)
        _ = try await TestCluster.produce(producer, topic: topic, count: count)
        return (cluster, topic, producer)
    }
}
