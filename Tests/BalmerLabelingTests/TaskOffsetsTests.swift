import BalmerBus
import BalmerLabeling
import Testing

@Suite struct TaskOffsetsTests {
    let p0 = KafkaPartition(topic: "balmer.tasks", partition: 0)
    let p1 = KafkaPartition(topic: "balmer.tasks", partition: 1)

    @Test func commitPointStopsBeforeTheFirstUnfinishedTask() {
        var offsets = TaskOffsets()
        for offset in Int64(0)..<5 { offsets.received(p0, offset: offset) }
        offsets.received(p1, offset: 10)
        offsets.finished(p0, offset: 0)
        offsets.finished(p0, offset: 2)
        #expect(offsets.committable == [p0: 0])
        offsets.finished(p0, offset: 1)
        #expect(offsets.committable == [p0: 2])
        offsets.markCommitted([p0: 2])
        #expect(offsets.committable.isEmpty)
        offsets.finished(p1, offset: 10)
        #expect(offsets.committable == [p1: 10])
        #expect(offsets.unfinished == 2)
        offsets.forget([p0])
        #expect(offsets.unfinished == 0)
    }
}
