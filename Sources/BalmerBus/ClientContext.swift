internal import CRdKafka
import Logging
import Synchronization

/// State librdkafka's C callbacks reach through `rd_kafka_opaque`: the logger and the first fatal
/// error. Owned by the Swift object that owns the `rd_kafka_t`, which it outlives.
final class ClientContext: Sendable {
    let logger: Logger
    let fatalError = Mutex<KafkaError?>(nil)
    /// The consumer whose rebalances this handle reports; set while its poll thread runs.
    let consumer = Mutex<ConsumerCore?>(nil)

    init(logger: Logger) {
        self.logger = logger
    }

    var opaque: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func from(_ rk: OpaquePointer?) -> ClientContext? {
        guard let rk, let raw = rd_kafka_opaque(rk) else { return nil }
        return Unmanaged<ClientContext>.fromOpaque(raw).takeUnretainedValue()
    }

    /// Installs log and error callbacks that forward to this context; sets the opaque.
    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, opaque)
        rd_kafka_conf_set_log_cb(conf, clientLogCallback)
        rd_kafka_conf_set_error_cb(conf, clientErrorCallback)
    }
}

/// librdkafka log lines (syslog levels) → swift-log. Called from librdkafka's own threads.
private let clientLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = { rk, level, facility, buffer in
    guard let context = ClientContext.from(rk) else { return }
    let swiftLevel: Logger.Level = switch level {
    case ...2: .critical
    case 3: .error
    case 4: .warning
    case 5: .notice
    case 6: .info
    default: .debug
    }
    context.logger.log(level: swiftLevel, "librdkafka",
                       metadata: ["facility": .string(facility.map { String(cString: $0) } ?? ""),
                                  "detail": .string(buffer.map { String(cString: $0) } ?? "")])
}

/// Client-level errors (mostly transient connection trouble; fatal ones are recorded).
private let clientErrorCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = { rk, err, reason, opaque in
    guard let opaque else { return }
    let context = Unmanaged<ClientContext>.fromOpaque(opaque).takeUnretainedValue()
    let code = rd_kafka_resp_err_t(rawValue: err)
    let text = reason.map { String(cString: $0) } ?? ""
    if code == RD_KAFKA_RESP_ERR__FATAL, let rk {
        var buffer = [CChar](repeating: 0, count: 512)
        let fatal = rd_kafka_fatal_error(rk, &buffer, buffer.count)
        let error = KafkaError(code: fatal, message: String(errorBuffer: buffer))
        context.fatalError.withLock { if $0 == nil { $0 = error } }
        context.logger.error("fatal Kafka client error", metadata: ["error": .string(error.description)])
    } else {
        context.logger.warning("Kafka client error", metadata: [
            "code": .string(String(cString: rd_kafka_err2name(code))), "reason": .string(text)])
    }
}
