internal import CRdKafka
import Foundation
import Logging
import Synchronization

/// The consumer handle, its poll thread, the bounded buffer and the waiting `poll` calls.
/// `@unchecked Sendable`: `rk` is a thread-safe librdkafka handle. It is destroyed only by the
/// poll thread after it stops polling and after every commit-queue call (counted in
/// `State.activeCalls`) has finished; new calls are refused once `stopping` is set.
final class ConsumerCore: @unchecked Sendable {
    let rk: OpaquePointer
    let context: ClientContext
    let capacity: Int
    let handler: KafkaRebalanceHandler
    /// librdkafka before 2.3.0 aborts when a cooperative-sticky member leaves before its first
    /// assignment (librdkafka issue #4312); such a consumer waits up to this long for one in close.
    let firstAssignmentGrace: Duration?
    private let commitQueue = DispatchQueue(label: "balmer.kafka.consumer.commit")
    private var logger: Logger { context.logger }

    private struct Waiter {
        var id: UInt64
        var max: Int
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<[KafkaMessage], Never>
    }

    private struct State {
        var buffer: [KafkaMessage] = []
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var assigned: Set<KafkaPartition> = []
        var ownerPaused: Set<KafkaPartition> = []
        var internallyPaused = false
        var stopping = false
        var stopped = false
        var activeCalls = 0
        var sawAssignment = false
        /// Partitions whose pause flag is set in librdkafka (it outlives their assignment).
        var pausedInLibrary: Set<KafkaPartition> = []
        var completions: [@Sendable () -> Void] = []
    }
    private let state = Mutex(State())

    init(rk: OpaquePointer, context: ClientContext, capacity: Int, handler: @escaping KafkaRebalanceHandler,
         firstAssignmentGrace: Duration?) {
        self.firstAssignmentGrace = firstAssignmentGrace
        self.rk = rk
        self.context = context
        self.capacity = capacity
        self.handler = handler
    }

    func start() {
        let thread = Thread { [self] in pollLoop() }
        thread.name = "balmer.kafka.consumer.poll"
        thread.start()
    }

    // MARK: Poll thread

    private func pollLoop() {
        while !state.withLock({ $0.stopping }) {
            applyBackPressure()
            if let message = rd_kafka_consumer_poll(rk, 50) {
                receive(message)
                rd_kafka_message_destroy(message)
            }
            serveWaiters()
        }
        // Waiting polls end now, not after the group has been left.
        let pending = state.withLock { state in
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in pending { waiter.continuation.resume(returning: []) }
        if let grace = firstAssignmentGrace, !state.withLock({ $0.sawAssignment }) {
            logger.info("waiting for the first assignment before leaving the group (librdkafka < 2.3 with cooperative-sticky)")
            let deadline = ContinuousClock.now + grace
            while !state.withLock({ $0.sawAssignment }) && ContinuousClock.now < deadline {
                // Serves the group protocol; messages that arrive are dropped uncommitted.
                if let message = rd_kafka_consumer_poll(rk, 50) { rd_kafka_message_destroy(message) }
            }
        }
        // Leave the group: revokes the assignment through the rebalance callback on this thread.
        let code = rd_kafka_consumer_close(rk)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("consumer close reported an error", metadata: ["error": "\(KafkaError(code: code))"])
        }
        while state.withLock({ $0.activeCalls > 0 }) { Thread.sleep(forTimeInterval: 0.001) }
        context.consumer.withLock { $0 = nil }
        rd_kafka_destroy(rk)
        let (waiters, completions) = state.withLock { state in
            state.stopped = true
            state.buffer = []
            defer { state.waiters = []; state.completions = [] }
            return (state.waiters, state.completions)
        }
        for waiter in waiters { waiter.continuation.resume(returning: []) }
        for completion in completions { completion() }
    }

    private func receive(_ message: UnsafeMutablePointer<rd_kafka_message_t>) {
        let raw = message.pointee
        guard raw.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            if raw.err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                let detail = rd_kafka_message_errstr(message).map { String(cString: $0) }
                logger.warning("consumer error", metadata: ["error": "\(KafkaError(code: raw.err, message: detail))"])
            }
            return
        }
        let topic = raw.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        let value = raw.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.len)) } ?? []
        let key = raw.key.map { Array(UnsafeRawBufferPointer(start: $0, count: raw.key_len)) }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        var headers: [KafkaHeader] = []
        var native: OpaquePointer?
        if rd_kafka_message_headers(message, &native) == RD_KAFKA_RESP_ERR_NO_ERROR, let native {
            var index = 0
            var name: UnsafePointer<CChar>?
            var bytes: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(native, index, &name, &bytes, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "",
                                           value: bytes.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
                index += 1
            }
        }
        let converted = KafkaMessage(topic: topic, partition: raw.partition, offset: raw.offset, key: key, value: value,
                                     timestampMilliseconds: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp,
                                     headers: headers)
        state.withLock { state in
            // A late message of a partition revoked meanwhile is dropped: its new owner reads it.
            if state.assigned.contains(converted.topicPartition) { state.buffer.append(converted) }
        }
    }

    /// Pauses everything when the buffer is full; resumes (except owner-paused partitions) at half.
    private func applyBackPressure() {
        let action: (pause: Bool, partitions: [KafkaPartition])? = state.withLock { state in
            if !state.internallyPaused && state.buffer.count >= capacity {
                state.internallyPaused = true
                return (true, Array(state.assigned))
            }
            if state.internallyPaused && state.buffer.count <= capacity / 2 {
                state.internallyPaused = false
                return (false, Array(state.assigned.subtracting(state.ownerPaused)))
            }
            return nil
        }
        guard let action, !action.partitions.isEmpty else { return }
        logger.debug(action.pause ? "buffer full, pausing partitions" : "buffer drained, resuming partitions",
                     metadata: ["buffered": "\(bufferedCount)"])
        setPaused(action.partitions, action.pause)
    }

    private func setPaused(_ partitions: [KafkaPartition], _ pause: Bool) {
        guard !partitions.isEmpty else { return }
        let list = PartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = pause ? rd_kafka_pause_partitions(rk, list) : rd_kafka_resume_partitions(rk, list)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.warning("pause/resume failed", metadata: ["error": "\(KafkaError(code: code))"])
        } else {
            state.withLock { state in
                if pause { state.pausedInLibrary.formUnion(partitions) } else { state.pausedInLibrary.subtract(partitions) }
            }
        }
    }

    private func serveWaiters() {
        let now = ContinuousClock.now
        let ready: [(CheckedContinuation<[KafkaMessage], Never>, [KafkaMessage])] = state.withLock { state in
            var ready: [(CheckedContinuation<[KafkaMessage], Never>, [KafkaMessage])] = []
            while let waiter = state.waiters.first {
                let wanted = min(waiter.max, capacity)
                guard state.buffer.count >= wanted || now >= waiter.deadline else { break }
                state.waiters.removeFirst()
                ready.append((waiter.continuation, Self.take(&state.buffer, waiter.max)))
            }
            return ready
        }
        for (continuation, messages) in ready { continuation.resume(returning: messages) }
    }

    private static func take(_ buffer: inout [KafkaMessage], _ count: Int) -> [KafkaMessage] {
        let taken = Array(buffer.prefix(count))
        buffer.removeFirst(taken.count)
        return taken
    }

    // MARK: Rebalance (poll thread)

    func rebalance(err: rd_kafka_resp_err_t, list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) {
        let partitions = PartitionList.partitions(list)
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, list) { logger.error("incremental assign failed", metadata: ["error": "\(KafkaError(consuming: error))"]) }
            } else {
                let code = rd_kafka_assign(rk, list)
                if code != RD_KAFKA_RESP_ERR_NO_ERROR { logger.error("assign failed", metadata: ["error": "\(KafkaError(code: code))"]) }
            }
            // librdkafka keeps a partition's pause flag across unassign/assign: one paused while the
            // buffer was full, revoked (or lost) before it drained, and assigned again would stay
            // paused for good. Such partitions are resumed here.
            let (pauseNow, resumeNow) = state.withLock { state -> ([KafkaPartition], [KafkaPartition]) in
                state.sawAssignment = true
                if cooperative { state.assigned.formUnion(partitions) } else { state.assigned = Set(partitions) }
                let pauseNow = state.internallyPaused ? partitions : []
                return (pauseNow, partitions.filter { !pauseNow.contains($0) && state.pausedInLibrary.contains($0) })
            }
            setPaused(pauseNow, true)
            setPaused(resumeNow, false)
            logger.info("partitions assigned", metadata: ["partitions": "\(partitions.sorted())", "protocol": "\(cooperative ? "cooperative" : "eager")"])
            _ = handler(.assigned(partitions))
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            let revoked = Set(partitions)
            state.withLock { state in state.buffer.removeAll { revoked.contains($0.topicPartition) } }
            if lost {
                logger.warning("partitions lost", metadata: ["partitions": "\(partitions.sorted())"])
                _ = handler(.lost(partitions))
            } else {
                logger.info("partitions revoked", metadata: ["partitions": "\(partitions.sorted())"])
                let done = handler(.revoked(partitions)).filter { revoked.contains($0.key) }
                do {
                    try commitNow(done)
                } catch {
                    logger.error("commit on revoke failed", metadata: ["error": "\(error)"])
                }
            }
            state.withLock { state in
                state.assigned.subtract(revoked)
                state.ownerPaused.subtract(revoked)
            }
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, list) { logger.error("incremental unassign failed", metadata: ["error": "\(KafkaError(consuming: error))"]) }
            } else {
                rd_kafka_assign(rk, nil)
            }
        default:
            logger.error("rebalance error", metadata: ["error": "\(KafkaError(code: err))"])
            state.withLock { state in
                state.assigned = []
                state.buffer = []
            }
            rd_kafka_assign(rk, nil)
        }
    }

    // MARK: Owner calls

    func poll(max: Int, timeout: Duration) async -> [KafkaMessage] {
        let id: UInt64? = nil
        let holder = Mutex<UInt64?>(id)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[KafkaMessage], Never>) in
                let immediate: [KafkaMessage]? = state.withLock { state in
                    if state.stopping || state.stopped || Task.isCancelled || timeout <= .zero
                        || (state.waiters.isEmpty && state.buffer.count >= min(max, capacity)) {
                        return Self.take(&state.buffer, max)
                    }
                    let id = state.nextWaiterID
                    state.nextWaiterID += 1
                    holder.withLock { $0 = id }
                    state.waiters.append(Waiter(id: id, max: max, deadline: .now + timeout, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            guard let id = holder.withLock({ $0 }) else { return }
            state.withLock { state in
                if let index = state.waiters.firstIndex(where: { $0.id == id }) { state.waiters[index].deadline = .now }
            }
        }
    }

    /// Runs a blocking call on the commit queue unless the consumer is stopping.
    func onCommitQueue<T: Sendable>(_ body: @escaping @Sendable (ConsumerCore) throws(KafkaError) -> T) async throws -> T {
        let admitted = state.withLock { state -> Bool in
            guard !state.stopping && !state.stopped else { return false }
            state.activeCalls += 1
            return true
        }
        guard admitted else { throw KafkaError.closed() }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            commitQueue.async { [self] in
                let result = Result { () throws(KafkaError) -> T in try body(self) }
                state.withLock { $0.activeCalls -= 1 }
                continuation.resume(with: result.mapError { $0 as Error })
            }
        }
    }

    /// Synchronous commit of `offset + 1` for owned partitions; returns the skipped ones.
    @discardableResult
    func commitNow(_ offsets: [KafkaPartition: Int64]) throws(KafkaError) -> [KafkaPartition] {
        let owned = state.withLock { $0.assigned }
        let skipped = offsets.keys.filter { !owned.contains($0) }.sorted()
        let entries = offsets.filter { owned.contains($0.key) && $0.value >= 0 }.sorted { $0.key < $1.key }
        if !skipped.isEmpty { logger.debug("commit skips partitions not owned", metadata: ["partitions": "\(skipped)"]) }
        guard !entries.isEmpty else { return skipped }
        let list = PartitionList.make(entries.map { ($0.key, $0.value + 1) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_commit(rk, list, 0)
        if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(code: code) }
        if let failed = PartitionList.entries(list).first(where: { $0.2 != RD_KAFKA_RESP_ERR_NO_ERROR }) {
            throw KafkaError(code: failed.2, message: "commit of \(failed.0) failed: \(String(cString: rd_kafka_err2str(failed.2)))")
        }
        return skipped
    }

    func committedNow(_ partitions: [KafkaPartition], timeout: Duration) throws(KafkaError) -> [KafkaPartition: Int64] {
        let list = PartitionList.make(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let code = rd_kafka_committed(rk, list, Int32(clamping: timeout.milliseconds))
        if code != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(code: code) }
        var result: [KafkaPartition: Int64] = [:]
        for (partition, offset, _) in PartitionList.entries(list) where offset >= 0 { result[partition] = offset }
        return result
    }

    func pause(_ partitions: [KafkaPartition]) {
        let owned = state.withLock { state -> [KafkaPartition] in
            guard !state.stopping else { return [] }
            let owned = partitions.filter { state.assigned.contains($0) }
            state.ownerPaused.formUnion(owned)
            if !owned.isEmpty { state.activeCalls += 1 }
            return owned
        }
        guard !owned.isEmpty else { return }
        setPaused(owned, true)
        state.withLock { $0.activeCalls -= 1 }
    }

    func resume(_ partitions: [KafkaPartition]) {
        let resumeNow = state.withLock { state -> [KafkaPartition] in
            guard !state.stopping else { return [] }
            state.ownerPaused.subtract(partitions)
            let resumeNow = state.internallyPaused ? [] : partitions.filter { state.assigned.contains($0) }
            if !resumeNow.isEmpty { state.activeCalls += 1 }
            return resumeNow
        }
        guard !resumeNow.isEmpty else { return }
        setPaused(resumeNow, false)
        state.withLock { $0.activeCalls -= 1 }
    }

    /// High watermark minus the next offset the owner will get, per assigned partition whose
    /// position and watermark are known (both come from librdkafka's local state: no network).
    func lag() -> [KafkaPartition: Int64] {
        let (assigned, buffered) = state.withLock { state -> ([KafkaPartition], [KafkaPartition: Int64]) in
            // Counted only when the call goes on to use `rk`: a count taken without an assignment
            // was never given back, and `close` then waited for it forever.
            guard !state.stopping, !state.assigned.isEmpty else { return ([], [:]) }
            state.activeCalls += 1
            var buffered: [KafkaPartition: Int64] = [:]
            for message in state.buffer { buffered[message.topicPartition, default: 0] += 1 }
            return (Array(state.assigned), buffered)
        }
        guard !assigned.isEmpty else { return [:] }
        defer { state.withLock { $0.activeCalls -= 1 } }
        let list = PartitionList.make(assigned)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard rd_kafka_position(rk, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var result: [KafkaPartition: Int64] = [:]
        for (partition, position, _) in PartitionList.entries(list) where position >= 0 {
            var low: Int64 = -1
            var high: Int64 = -1
            guard rd_kafka_get_watermark_offsets(rk, partition.topic, partition.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
                  high >= 0 else { continue }
            result[partition] = max(0, high - (position - (buffered[partition] ?? 0)))
        }
        return result
    }

    var assignment: Set<KafkaPartition> { state.withLock { $0.assigned } }
    var bufferedCount: Int { state.withLock { $0.buffer.count } }
    var isClosed: Bool { state.withLock { $0.stopping || $0.stopped } }

    func requestStop(completion: (@Sendable () -> Void)?) {
        let runNow = state.withLock { state -> Bool in
            if state.stopped { return true }
            state.stopping = true
            if let completion { state.completions.append(completion) }
            return false
        }
        if runNow { completion?() }
    }
}
