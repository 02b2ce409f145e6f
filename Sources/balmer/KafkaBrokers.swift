import Foundation
import Logging

/// Broker address resolution and the quiet client logger of the offsets commands.
enum KafkaBrokers {
    static func resolve(_ brokers: String?) -> String? {
        let value = brokers ?? ProcessInfo.processInfo.environment["BALMER_KAFKA_BROKERS"]
        return value?.isEmpty == false ? value : nil
    }

    static var quietLogger: Logger {
        var logger = Logger(label: "balmer.kafka.offsets", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .error
        return logger
    }
}
