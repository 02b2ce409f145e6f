import BalmerBus
import BalmerService
import Testing

@Suite struct OffsetTrackerTests {
    let p0 = KafkaPartition(topic: "balmer.spectra", partition: 0)
    let p1 = KafkaPartition(topic: "balmer.spectra", partition: 1)

    @Test func commitsOnlyDurableOffsetsOfCurrentEpochs() {
        let tracker = OffsetTracker()
        _ = tracker.rebalance(.assigned([p0, p1]))
        let epochs = tracker.epochs([p0, p1])
        #expect(epochs.count == 2)
        #expect(tracker.markDurable([p0: 9, p1: 4], epochs: epochs) == [p0: 9, p1: 4])
        // A late, lower offset never moves the durable position back.
        #expect(tracker.markDurable([p0: 5], epochs: epochs) == [p0: 9])
        #expect(tracker.uncommitted() == [p0: 9, p1: 4])
        tracker.didCommit([p0: 9])
        #expect(tracker.uncommitted() == [p1: 4])
        // Revoking p1 hands its uncommitted durable offset to the consumer to commit.
        #expect(tracker.rebalance(.revoked([p1])) == [p1: 4])
        #expect(tracker.owned == [p0])
        // Work polled before the revoke is stale, even after p1 comes back.
        _ = tracker.rebalance(.assigned([p1]))
        #expect(!tracker.isCurrent(p1, epoch: epochs[p1]!))
        #expect(tracker.markDurable([p1: 20], epochs: epochs).isEmpty)
        #expect(tracker.isCurrent(p0, epoch: epochs[p0]!))
    }

    @Test func lostPartitionsCommitNothing() {
        let tracker = OffsetTracker()
        _ = tracker.rebalance(.assigned([p0]))
        let epochs = tracker.epochs([p0])
        _ = tracker.markDurable([p0: 3], epochs: epochs)
        #expect(tracker.rebalance(.lost([p0])).isEmpty)
        #expect(tracker.owned.isEmpty)
        #expect(tracker.epochs([p0]).isEmpty)
    }
}
