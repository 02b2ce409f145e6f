internal import CRdKafka
import Foundation
import Logging
import Synchronization

/// An idempotent Kafka producer (`enable.idempotence=true`, `acks=all`).
///
/// `send` enqueues one message and suspends until its delivery report arrives. Delivery reports
/// are served by a dedicated poll thread (`rd_kafka_poll`), never on Swift's cooperative pool;
/// `flush` and `shutdown` also block only that thread or a private dispatch queue.
/// Call `shutdown(timeout:)` before dropping the producer so queued messages are delivered;
/// without it, `deinit` asks the poll thread to flush (for up to the same default bound) and
/// destroy the handle in the background.
public final class KafkaProducer: Sendable {
    private let core: ProducerCore
    private let logger: Logger

    /// Creates the producer and starts its poll thread.
    /// - Parameters:
    ///   - config: brokers, client id and extra properties (`linger.ms` defaults to 5).
    ///   - logger: receives librdkafka's log lines and client errors.
    public init(config: KafkaConfig, logger: Logger = Logger(label: "balmer.kafka.producer")) throws(KafkaError) {
        self.logger = logger
        let context = ClientContext(logger: logger)
        let conf = try config.makeNativeConfig(
            base: ["linger.ms": "5", "message.timeout.ms": "300000"],
            fixed: ["enable.idempotence": "true", "acks": "all"])
        context.install(on: conf)
        rd_kafka_conf_set_dr_msg_cb(conf, deliveryReportCallback)
        var errstr = [CChar](repeating: 0, count: 512)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            throw .invalidArgument("cannot create producer: \(String(errorBuffer: errstr))")
        }
        core = ProducerCore(rk: rk, context: context)
        core.start()
    }

    deinit {
        core.requestStop(flushTimeout: .seconds(10), completion: nil)
    }

    /// Sends one message and returns where it was stored once the broker acknowledged it
    /// (all in-sync replicas). Throws `KafkaError` when delivery failed for good (unknown topic,
    /// authorisation, message timeout, shutdown before delivery); retriable errors are retried by
    /// librdkafka without duplicates (idempotence).
    /// - Parameters:
    ///   - key: partitioning key (messages with one key keep their order); `nil` for none.
    ///   - partition: explicit partition, or `nil` to let the partitioner choose by key.
    @discardableResult
    public func send(topic: String, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = [],
                     partition: Int32? = nil) async throws -> KafkaDeliveryReport {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<KafkaDeliveryReport, Error>) in
            let box = DeliveryBox(continuation)
            core.enqueue(topic: topic, key: key, value: value, headers: headers, partition: partition, box: box)
        }
    }

    /// Convenience for UTF-8 keys.
    @discardableResult
    public func send(topic: String, key: String?, value: [UInt8], headers: [KafkaHeader] = []) async throws -> KafkaDeliveryReport {
        try await send(topic: topic, key: key.map { Array($0.utf8) }, value: value, headers: headers)
    }

    /// Waits until every queued message has a delivery report, or throws `_TIMED_OUT`.
    public func flush(timeout: Duration = .seconds(30)) async throws {
        let code: Int32 = await withCheckedContinuation { continuation in
            Thread.detachNewThread { [core] in
                continuation.resume(returning: core.flush(timeout: timeout))
            }
        }
        if code != 0 { throw KafkaError(code: rd_kafka_resp_err_t(rawValue: code), message: "flush timed out with messages in flight") }
    }

    /// Messages queued or in flight (awaiting delivery reports).
    public var outstandingMessages: Int { core.outstanding }

    /// The first fatal error librdkafka reported (an idempotent producer that hit one is unusable).
    public var fatalError: KafkaError? { core.context.fatalError.withLock { $0 } }

    /// Flushes for up to `timeout`, fails whatever is still queued with `_PURGE_QUEUE`, stops the
    /// poll thread and destroys the handle. Later sends throw `_DESTROY`. Idempotent.
    public func shutdown(timeout: Duration = .seconds(10)) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            core.requestStop(flushTimeout: timeout) { continuation.resume() }
        }
    }
}

/// Carries one send's continuation through librdkafka's per-message opaque.
final class DeliveryBox: Sendable {
    let continuation: CheckedContinuation<KafkaDeliveryReport, Error>
    init(_ continuation: CheckedContinuation<KafkaDeliveryReport, Error>) { self.continuation = continuation }
}

/// The handle and its poll thread.
/// `@unchecked Sendable`: `rk` is a librdkafka handle (thread-safe for produce/poll/flush). Sends
/// produce under the state lock only while `stopping` is false, so once the poll thread has seen
/// `stopping` no produce is running or will start. `flush`/`outstanding` are counted in
/// `activeCalls`; the poll thread sets `destroying`, waits for them to finish, then destroys `rk`.
final class ProducerCore: @unchecked Sendable {
    let rk: OpaquePointer
    let context: ClientContext
    private struct State {
        var stopping = false
        var destroying = false
        var stopped = false
        var activeCalls = 0
        var flushTimeout: Duration = .seconds(10)
        var completions: [@Sendable () -> Void] = []
    }
    private let state = Mutex(State())

    init(rk: OpaquePointer, context: ClientContext) {
        self.rk = rk
        self.context = context
    }

    func start() {
        let thread = Thread { [self] in pollLoop() }
        thread.name = "balmer.kafka.producer.poll"
        thread.start()
    }

    /// Runs `body` on `rk` unless the handle is being destroyed.
    private func withHandle<T>(_ fallback: T, _ body: () -> T) -> T {
        let admitted = state.withLock { state -> Bool in
            guard !state.destroying else { return false }
            state.activeCalls += 1
            return true
        }
        guard admitted else { return fallback }
        defer { state.withLock { $0.activeCalls -= 1 } }
        return body()
    }

    var outstanding: Int {
        withHandle(0) { Int(rd_kafka_outq_len(rk)) }
    }

    /// Blocks the calling thread: call from a thread of its own.
    func flush(timeout: Duration) -> Int32 {
        withHandle(RD_KAFKA_RESP_ERR_NO_ERROR) { rd_kafka_flush(rk, Int32(clamping: timeout.milliseconds)) }.rawValue
    }

    func requestStop(flushTimeout: Duration, completion: (@Sendable () -> Void)?) {
        let runNow = state.withLock { state -> Bool in
            if state.stopped { return true }
            if !state.stopping { state.flushTimeout = flushTimeout }
            state.stopping = true
            if let completion { state.completions.append(completion) }
            return false
        }
        if runNow { completion?() }
    }

    private func pollLoop() {
        while !state.withLock({ $0.stopping }) {
            rd_kafka_poll(rk, 100)
        }
        // From here on no send touches the handle (they see `stopping` under the lock).
        let timeout = state.withLock { $0.flushTimeout }
        if rd_kafka_flush(rk, Int32(clamping: timeout.milliseconds)) != RD_KAFKA_RESP_ERR_NO_ERROR {
            context.logger.warning("producer shutdown purges undelivered messages", metadata: ["count": "\(rd_kafka_outq_len(rk))"])
            rd_kafka_purge(rk, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
            rd_kafka_flush(rk, 1000)
            rd_kafka_poll(rk, 0)
        }
        state.withLock { $0.destroying = true }
        while state.withLock({ $0.activeCalls > 0 }) { Thread.sleep(forTimeInterval: 0.001) }
        rd_kafka_destroy(rk)
        let completions = state.withLock { state -> [@Sendable () -> Void] in
            state.stopped = true
            defer { state.completions = [] }
            return state.completions
        }
        for completion in completions { completion() }
    }

    /// Enqueues one message; on failure the box's continuation is resumed with the error. When
    /// librdkafka's local queue is full, retries from a dispatch queue every 5 ms for up to 30 s
    /// (never sleeping on the caller's thread).
    func enqueue(topic: String, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader], partition: Int32?, box: DeliveryBox,
                 deadline: ContinuousClock.Instant = .now + .seconds(30)) {
        let opaque = Unmanaged.passRetained(box).toOpaque()
        let result: Result<Void, KafkaError> = state.withLock { state in
            if state.stopping || state.stopped { return .failure(.closed()) }
            return produce(topic: topic, key: key, value: value, headers: headers, partition: partition, opaque: opaque)
        }
        guard case .failure(let error) = result else { return }
        Unmanaged<DeliveryBox>.fromOpaque(opaque).release()
        if error.code == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue && ContinuousClock.now < deadline {
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(5)) { [self] in
                enqueue(topic: topic, key: key, value: value, headers: headers, partition: partition, box: box, deadline: deadline)
            }
        } else {
            box.continuation.resume(throwing: error)
        }
    }

    private func produce(topic: String, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader], partition: Int32?,
                         opaque: UnsafeMutableRawPointer) -> Result<Void, KafkaError> {
        var cStrings: [UnsafeMutablePointer<CChar>] = []
        defer { cStrings.forEach { free($0) } }
        func cString(_ string: String) -> UnsafeMutablePointer<CChar> {
            let pointer = strdup(string)!
            cStrings.append(pointer)
            return pointer
        }
        return value.withUnsafeBytes { valueBytes in
            (key ?? []).withUnsafeBytes { keyBytes in
                let headerValues = headers.map { $0.value }
                var buffers: [UnsafeMutableRawBufferPointer?] = headerValues.map { bytes in
                    bytes.map { bytes in
                        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
                        buffer.copyBytes(from: bytes)
                        return buffer
                    }
                }
                defer { for buffer in buffers { buffer?.deallocate() }; buffers = [] }
                var vus: [rd_kafka_vu_t] = []
                var vu = rd_kafka_vu_t()
                vu.vtype = RD_KAFKA_VTYPE_TOPIC
                vu.u.cstr = UnsafePointer(cString(topic))
                vus.append(vu)
                vu = rd_kafka_vu_t()
                vu.vtype = RD_KAFKA_VTYPE_VALUE
                vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: valueBytes.baseAddress)
                vu.u.mem.size = value.count
                vus.append(vu)
                if key != nil {
                    vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_KEY
                    vu.u.mem.ptr = UnsafeMutableRawPointer(mutating: keyBytes.baseAddress)
                    vu.u.mem.size = key!.count
                    vus.append(vu)
                }
                if let partition {
                    vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_PARTITION
                    vu.u.i32 = partition
                    vus.append(vu)
                }
                vu = rd_kafka_vu_t()
                vu.vtype = RD_KAFKA_VTYPE_MSGFLAGS
                vu.u.i = RD_KAFKA_MSG_F_COPY
                vus.append(vu)
                vu = rd_kafka_vu_t()
                vu.vtype = RD_KAFKA_VTYPE_OPAQUE
                vu.u.ptr = opaque
                vus.append(vu)
                for (index, header) in headers.enumerated() {
                    vu = rd_kafka_vu_t()
                    vu.vtype = RD_KAFKA_VTYPE_HEADER
                    vu.u.header.name = UnsafePointer(cString(header.name))
                    vu.u.header.val = UnsafeRawPointer(buffers[index]?.baseAddress)
                    vu.u.header.size = headerValues[index].map { $0.count } ?? -1
                    vus.append(vu)
                }
                if let error = rd_kafka_produceva(rk, vus, vus.count) {
                    return .failure(KafkaError(consuming: error))
                }
                return .success(())
            }
        }
    }
}

/// Resumes the send waiting for this message. Runs on the poll thread (inside `rd_kafka_poll`/`flush`).
private let deliveryReportCallback: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = { _, message, _ in
    guard let message, let opaque = message.pointee._private else { return }
    let box = Unmanaged<DeliveryBox>.fromOpaque(opaque).takeRetainedValue()
    let err = message.pointee.err
    if err == RD_KAFKA_RESP_ERR_NO_ERROR {
        let topic = message.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        box.continuation.resume(returning: KafkaDeliveryReport(topic: topic, partition: message.pointee.partition, offset: message.pointee.offset))
    } else {
        // Not rd_kafka_message_errstr: for delivery reports it would return the payload.
        box.continuation.resume(throwing: KafkaError(code: err))
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, saturating.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1000).overflow ? .max : seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
