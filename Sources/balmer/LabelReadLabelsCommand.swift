import ArgumentParser
import BalmerBus
import Foundation
import Logging

/// `balmer label read-labels`: prints the label events on the labels topic, one JSON object per
/// line, reading from the beginning in a private consumer group that never commits.
struct LabelReadLabelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read-labels",
        abstract: "Print the events of balmer.labels as JSON lines (from the beginning; commits nothing).")

    @OptionGroup var kafka: LabelKafkaOptions

    @Option(help: "Stop once this many labels arrived and --settle seconds passed without more.")
    var expect: Int?

    @Option(help: "Seconds without new labels, after --expect was reached, before stopping.")
    var settle: Double = 1

    @Option(help: "Stop after this many seconds in any case (exit 1 when --expect was not reached).")
    var timeout: Double = 30

    func run() async throws {
        let brokers = try kafka.resolvedBrokers(command: "label read-labels")
        var logger = Logger(label: "balmer.label.read-labels", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .critical
        let consumer = try KafkaConsumer(
            config: KafkaConfig(bootstrapServers: brokers, clientID: "balmer-label-read-labels",
                                groupID: "balmer-read-labels-\(UUID().uuidString.prefix(8))",
                                properties: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"].merging(try kafka.properties(command: "label read-labels")) { $1 }),
            topics: [kafka.labelsTopic], logger: logger)
        var count = 0
        var lastArrival = ContinuousClock.now
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            if let expect, count >= expect, ContinuousClock.now - lastArrival >= .milliseconds(Int(settle * 1000)) { break }
            for message in await consumer.poll(max: 500, timeout: .milliseconds(100)) {
                count += 1
                lastArrival = ContinuousClock.now
                do {
                    _ = try message.decode(LabelEvent.self)
                    print(String(decoding: message.value, as: UTF8.self))
                } catch {
                    FileHandle.standardError.write(Data("balmer label read-labels: \(message.topicPartition)@\(message.offset): \(error)\n".utf8))
                }
            }
        }
        await consumer.close()
        if let expect, count < expect {
            throw CLIFailure(1, "label read-labels: \(count) of \(expect) labels within \(timeout) s")
        }
    }
}
