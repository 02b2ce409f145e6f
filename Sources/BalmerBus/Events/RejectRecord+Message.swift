public import BalmerCore
import Foundation

extension RejectRecord {
    /// The `rejects` row for a refused message: its printable key (``RejectKey``; `""` without a
    /// key) and its payload capped at ``RejectRecord/maxPayloadBytes``. `source` defaults to the
    /// message's topic.
    public init(message: KafkaMessage, reason: String, source: String? = nil, rejectedAt: Date = Date()) {
        self.init(source: source ?? message.topic, rawKey: message.key, reason: reason, payload: message.value,
                  rejectedAt: rejectedAt)
    }
}
