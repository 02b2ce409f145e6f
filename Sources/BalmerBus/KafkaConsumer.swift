internal import CRdKafka
import Foundation
import Logging
import Synchronization

/// A consumer-group member with manual offsets (`enable.auto.commit=false`,
/// `enable.auto.offset.store=false`).
///
/// Threading: a dedicated poll thread calls `rd_kafka_consumer_poll` and fills a bounded buffer;
/// rebalance callbacks run on that thread too. When the buffer reaches `bufferCapacity` the thread
/// pauses all assigned partitions and resumes them once the owner has drained it to half (so memory
/// stays bounded while the owner is slow); it keeps polling meanwhile, so the group membership
/// stays alive. `poll(max:timeout:)` suspends without blocking a thread. `commit` and `committed`
/// run their blocking librdkafka calls on a private dispatch queue.
///
/// Offsets: nothing is committed unless the owner calls `commit(offsets:)` or returns offsets from
/// the rebalance handler for revoked partitions. A new member resumes at the committed offsets
/// (or at `auto.offset.reset`, default `earliest`, when there are none).
public final class KafkaConsumer: Sendable {
    private let core: ConsumerCore

    /// Joins the group `config.groupID` and subscribes to `topics`.
    /// - Parameters:
    ///   - bufferCapacity: messages held between the poll thread and `poll` (default 10 000).
    ///   - onRebalance: told about assigned, revoked and lost partitions (on the poll thread).
    public init(config: KafkaConfig, topics: [String], bufferCapacity: Int = 10_000,
                logger: Logger = Logger(label: "balmer.kafka.consumer"),
                onRebalance: @escaping KafkaRebalanceHandler = { _ in [:] }) throws(KafkaError) {
        guard let groupID = config.groupID, !groupID.isEmpty else { throw .invalidArgument("a consumer needs a group id") }
        guard !topics.isEmpty else { throw .invalidArgument("a consumer needs at least one topic") }
        guard bufferCapacity >= 1 else { throw .invalidArgument("bufferCapacity must be at least 1") }
        let context = ClientContext(logger: logger)
        let conf = try config.makeNativeConfig(
            base: ["auto.offset.reset": "earliest"],
            fixed: ["enable.auto.commit": "false", "enable.auto.offset.store": "false"])
        context.install(on: conf)
        rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback)
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw .invalidArgument("cannot create consumer: \(String(errorBuffer: errstr))")
        }
        rd_kafka_poll_set_consumer(rk)
        let cooperative = (config.properties["partition.assignment.strategy"] ?? "").contains("cooperative")
        let grace: Duration? = cooperative && rd_kafka_version() < 0x0203_0000 ? .seconds(30) : nil
        let core = ConsumerCore(rk: rk, context: context, capacity: bufferCapacity, handler: onRebalance, firstAssignmentGrace: grace)
        context.consumer.withLock { $0 = core }
        let list = PartitionList.make(topics.map { KafkaPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_subscribe(rk, list)
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            context.consumer.withLock { $0 = nil }
            rd_kafka_destroy(rk)
            throw KafkaError(code: code)
        }
        self.core = core
        core.start()
    }

    deinit {
        core.requestStop(completion: nil)
    }

    /// Up to `max` messages: returns as soon as `max` (or a full buffer) are available, or when
    /// `timeout` elapses with whatever arrived (possibly none), or at once after `close`.
    /// Messages of one partition come in offset order. Cancellation ends the wait early (within
    /// about 50 ms) with what is buffered.
    public func poll(max: Int, timeout: Duration) async -> [KafkaMessage] {
        await core.poll(max: Swift.max(1, max), timeout: timeout)
    }

    /// Synchronously commits, for each partition, `offset + 1` where `offset` is the last message
    /// durably processed. Partitions this member no longer owns are skipped (committing them could
    /// move another member's position backwards) and returned. Throws the first error; errors
    /// with `isRetriable` (notably `REBALANCE_IN_PROGRESS`) are normal during rebalances: keep
    /// the offsets and commit them (or later ones) again.
    @discardableResult
    public func commit(offsets: [KafkaPartition: Int64]) async throws -> [KafkaPartition] {
        try await core.onCommitQueue { core throws(KafkaError) in try core.commitNow(offsets) }
    }

    /// The committed offsets (the next offset to consume) of `partitions`; partitions without a
    /// commit are absent.
    public func committed(_ partitions: [KafkaPartition], timeout: Duration = .seconds(10)) async throws -> [KafkaPartition: Int64] {
        try await core.onCommitQueue { core throws(KafkaError) in try core.committedNow(partitions, timeout: timeout) }
    }

    /// Stops fetching from these partitions (already buffered messages are still delivered).
    public func pause(_ partitions: [KafkaPartition]) { core.pause(partitions) }

    /// Fetches from these partitions again (unless the full buffer holds them paused for now).
    public func resume(_ partitions: [KafkaPartition]) { core.resume(partitions) }

    /// The partitions currently assigned to this member.
    public var assignment: Set<KafkaPartition> { core.assignment }

    /// Messages not yet handed to the owner, per assigned partition: the partition's high
    /// watermark (as last seen by the fetcher) minus the next offset `poll` will return. Partitions
    /// whose position or watermark is not known yet are absent. Cheap: no network round trip.
    public func lag() -> [KafkaPartition: Int64] { core.lag() }

    /// Whether `close` was called (or the consumer was dropped).
    public var isClosed: Bool { core.isClosed }

    /// Messages waiting in the buffer.
    public var bufferedCount: Int { core.bufferedCount }

    /// Leaves the group: the poll thread stops, `rd_kafka_consumer_close` revokes the assignment
    /// (the rebalance handler gets `.revoked` and may commit), and the handle is destroyed.
    /// Pending and later `poll` calls return empty. Idempotent.
    ///
    /// With `partition.assignment.strategy=cooperative-sticky` on librdkafka older than 2.3.0, a
    /// member that never received an assignment first waits for one (up to 30 s): leaving earlier
    /// trips an assertion in librdkafka (its issue #4312) and aborts the process. The eager default
    /// (`range,roundrobin`) has no such wait.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            core.requestStop { continuation.resume() }
        }
    }
}

/// Rebalance events from librdkafka (on the poll thread, inside `rd_kafka_consumer_poll`/`close`).
private let rebalanceCallback: @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?) -> Void = { rk, err, list, opaque in
    guard let opaque else { return }
    let context = Unmanaged<ClientContext>.fromOpaque(opaque).takeUnretainedValue()
    guard let core = context.consumer.withLock({ $0 }) else {
        if let rk { rd_kafka_assign(rk, nil) }
        return
    }
    core.rebalance(err: err, list: list)
}
