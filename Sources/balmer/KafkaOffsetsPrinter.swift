import BalmerBus
import Foundation

/// Prints group positions as a table or as JSON lines.
enum KafkaOffsetsPrinter {
    static func print(_ positions: [KafkaGroupOffsets.Position], group: String, json: Bool) {
        if json {
            for p in positions {
                let object: [String: Any] = [
                    "group": group, "topic": p.partition.topic, "partition": Int(p.partition.partition),
                    "committed": p.committed.map { NSNumber(value: $0) } ?? NSNull(), "low": p.low, "high": p.high, "lag": p.lag,
                ]
                if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                    Swift.print(String(decoding: data, as: UTF8.self))
                }
            }
            return
        }
        Swift.print("group \(group)")
        Swift.print("topic                partition   committed         low        high         lag")
        for p in positions {
            Swift.print(pad(p.partition.topic, 20, left: true) + pad("\(p.partition.partition)", 10)
                        + pad(p.committed.map(String.init) ?? "-", 12) + pad("\(p.low)", 12) + pad("\(p.high)", 12)
                        + pad("\(p.lag)", 12))
        }
        Swift.print("total lag \(positions.reduce(0) { $0 + $1.lag })")
    }

    private static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + padding : padding + text
    }
}
