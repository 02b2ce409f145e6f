import ArgumentParser
import BalmerBus
import Foundation
import Logging

/// `balmer label send-tasks FILE.jsonl`: publishes task events (one JSON object per line) to the
/// tasks topic, for demos and tests without a daemon.
struct LabelSendTasksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send-tasks",
        abstract: "Publish TaskEvent JSON lines to balmer.tasks (demos and tests; the daemon publishes real tasks).")

    @OptionGroup var kafka: LabelKafkaOptions

    @Flag(help: "Send the lines as they are, without checking them (to test how labellers cope with bad tasks).")
    var raw = false

    @Argument(help: "File with one TaskEvent JSON object per line ('-' for standard input).")
    var file: String

    func run() async throws {
        let brokers = try kafka.resolvedBrokers(command: "label send-tasks")
        let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
        guard let data else { throw CLIFailure(2, "label send-tasks: cannot read \(file)") }
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).filter { !$0.allSatisfy(\.isWhitespace) }
        var events: [(key: String, value: [UInt8])] = []
        for (index, line) in lines.enumerated() {
            let bytes = Array(line.utf8)
            if raw {
                let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
                events.append(((object?["task_id"] as? String) ?? "raw-\(index + 1)", bytes))
                continue
            }
            do {
                let task = try EventCodec.decode(TaskEvent.self, from: bytes)
                events.append((task.key, try EventCodec.encode(task)))
            } catch {
                throw CLIFailure(2, "label send-tasks: \(file): task \(index + 1): \(error)")
            }
        }
        var logger = Logger(label: "balmer.label.send-tasks", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .critical
        let producer = try KafkaProducer(
            config: KafkaConfig(bootstrapServers: brokers, clientID: "balmer-label-send-tasks",
                                properties: ["message.timeout.ms": "\(kafka.connectTimeout * 1000)"].merging(try kafka.properties(command: "label send-tasks")) { $1 }),
            logger: logger)
        var failures: [String] = []
        for event in events {
            do {
                try await producer.send(topic: kafka.tasksTopic, key: event.key, value: event.value,
                                        headers: [KafkaHeader(name: "content-type", string: "application/json")])
            } catch {
                failures.append("\(event.key): \(error)")
            }
        }
        await producer.shutdown(timeout: .seconds(5))
        print("sent \(events.count - failures.count) of \(events.count) tasks to \(kafka.tasksTopic)")
        if let first = failures.first { throw CLIFailure(1, "label send-tasks: \(failures.count) not delivered; first: \(first)") }
    }
}
