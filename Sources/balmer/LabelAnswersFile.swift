import ArgumentParser
import BalmerBus
import BalmerLabeling
import Foundation

/// `balmer label --answers FILE.csv`: publishes decisions made elsewhere.
///
/// It joins the labellers' group like a person would and answers each listed task it meets, so
/// the task's offset is committed after the delivery report and nobody is asked again. Tasks it
/// meets that are not listed are handed back (re-published at the end of their partition, see
/// `LabelCommand`); meeting such a copy again pauses that partition for the rest of the run.
/// After `--wait` seconds, rows whose task was never seen are published only when the row gives
/// its `spectrum_id` (a label needs one); the others are listed on stderr and the exit status is 1.
struct LabelAnswersFile {
    let command: LabelCommand
    let path: String
    let labeller: String
    /// Signs every answer (`--key`), when given.
    let signer: LabelSigningKey?

    func run() async throws {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw CLIFailure(2, "label: cannot read \(path): \(error.localizedDescription)")
        }
        let answers: [AnswersCSV.Answer]
        do { answers = try AnswersCSV.parse(text) } catch {
            throw CLIFailure(2, "label: \(path): \(error)")
        }
        var pending = Dictionary(uniqueKeysWithValues: answers.map { ($0.taskID, $0) })
        let bus = try await LabelBus.connect(options: command.kafka, command: "label", group: command.group,
                                             clientID: "balmer-label-\(labeller)", signer: signer, onRebalance: { _ in })
        let stop = LabelStopFlag(signals: [SIGINT, SIGTERM])
        var summary = SessionSummary()
        var handedBack: Set<String> = []
        var paused: Set<KafkaPartition> = []
        var failures: [String] = []
        let deadline = ContinuousClock.now + .seconds(command.wait)
        while !pending.isEmpty && ContinuousClock.now < deadline && !stop.isSet {
            for message in await bus.consumer.poll(max: 100, timeout: .milliseconds(200)) where !paused.contains(message.topicPartition) {
                bus.received(message)
                let task: TaskEvent
                do { task = try message.decode(TaskEvent.self) } catch {
                    summary.malformed += 1
                    warn("malformed task at \(message.topicPartition) offset \(message.offset) skipped: \(error)")
                    await bus.finish(message)
                    continue
                }
                if let answer = pending[task.taskID] {
                    let event = LabelEvent(taskID: task.taskID, spectrumID: task.spectrumID, label: answer.label, labeller: labeller,
                                           time: Date(), comment: answer.comment)
                    do {
                        try await bus.publish(event, for: message)
                        pending[task.taskID] = nil
                        summary.answered[answer.label, default: 0] += 1
                        if let problem = await bus.finish(message) { warn(problem) }
                    } catch {
                        failures.append("\(task.taskID): \(error)")
                        pending[task.taskID] = nil
                    }
                } else if handedBack.contains(task.taskID) {
                    // Our own hand-back came round: everything listed in this partition was seen.
                    paused.insert(message.topicPartition)
                    bus.consumer.pause([message.topicPartition])
                } else {
                    do {
                        try await bus.handBack(message)
                        handedBack.insert(task.taskID)
                        summary.skipped += 1
                        await bus.finish(message)
                    } catch {
                        paused.insert(message.topicPartition)
                        bus.consumer.pause([message.topicPartition])
                    }
                }
            }
        }
        // Rows whose task never came: publishable only with their spectrum id.
        var unseen: [String] = []
        for answer in pending.values.sorted(by: { $0.line < $1.line }) {
            guard let spectrumID = answer.spectrumID else { unseen.append(answer.taskID); continue }
            let event = LabelEvent(taskID: answer.taskID, spectrumID: spectrumID, label: answer.label, labeller: labeller,
                                   time: Date(), comment: answer.comment)
            do {
                try await bus.publish(event, for: nil)
                summary.answered[answer.label, default: 0] += 1
            } catch {
                failures.append("\(answer.taskID): \(error)")
            }
        }
        summary.unmatched = unseen.count
        if let problem = await bus.close() { warn(problem) }
        print("balmer label: \(labeller): \(summary) from \(answers.count) rows of \(path)")
        if !unseen.isEmpty {
            warn("\(unseen.count) tasks not seen within \(command.wait) s and without spectrum_id, not published: "
                 + unseen.prefix(20).joined(separator: ", ") + (unseen.count > 20 ? ", …" : ""))
        }
        if !failures.isEmpty { warn("\(failures.count) answers not delivered; first: \(failures[0])") }
        if !unseen.isEmpty || !failures.isEmpty { throw ExitCode(1) }
    }

    private func warn(_ text: String) {
        FileHandle.standardError.write(Data("balmer label: \(text)\n".utf8))
    }
}
