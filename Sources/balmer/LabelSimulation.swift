import ArgumentParser
import BalmerBus
import BalmerLabeling
import BalmerSimulation
import Foundation
import Synchronization

/// `balmer label --simulate truth.csv`: the simulated oracle. Answers every task as it arrives
/// from the truth of a simulated survey; stops after `--max` answers, after `--idle-exit` seconds
/// without tasks, or on SIGINT/SIGTERM. A task whose file is not in the truth is reported on
/// stderr, counted as unmatched and committed past (nobody could answer it from this truth).
struct LabelSimulation {
    let command: LabelCommand
    let truthPath: String
    let labeller: String
    /// Signs every answer (`--key`), when given.
    let signer: LabelSigningKey?

    func run() async throws {
        let records: [TruthRecord]
        do { records = try TruthCSV.read(contentsOf: truthPath) } catch {
            throw CLIFailure(2, "label: \(error)")
        }
        let oracle = TruthOracle(truth: records.map { ($0.file, $0.label.rawValue) }, errorRate: command.errorRate, seed: command.seed)
        let stop = LabelStopFlag(signals: [SIGINT, SIGTERM])
        let bus = try await LabelBus.connect(options: command.kafka, command: "label", group: command.group,
                                             clientID: "balmer-label-\(labeller)", signer: signer, onRebalance: { _ in })
        var summary = SessionSummary()
        var lastTask = ContinuousClock.now
        var stopReason = "signal"
        var assigned = false
        loop: while true {
            if stop.isSet { break }
            if let max = command.max, summary.answeredTotal >= max { stopReason = "--max \(max) reached"; break }
            // The idle clock starts once partitions are assigned (joining the group takes seconds);
            // a member that never gets any gives up 30 s later than the idle time.
            if !assigned && !bus.consumer.assignment.isEmpty {
                assigned = true
                lastTask = ContinuousClock.now
            }
            if let idle = command.idleExit,
               ContinuousClock.now - lastTask > .milliseconds(Int(idle * 1000) + (assigned ? 0 : 30_000)) {
                stopReason = "idle for \(idle) s"
                break
            }
            let batch = await bus.consumer.poll(max: 100, timeout: .milliseconds(200))
            if batch.isEmpty { continue }
            lastTask = ContinuousClock.now
            // Answer the batch concurrently; each offset is finished once its answer is confirmed.
            var work: [(KafkaMessage, LabelEvent)] = []
            for message in batch {
                if let max = command.max, summary.answeredTotal + work.count >= max { break }
                bus.received(message)
                let task: TaskEvent
                do { task = try message.decode(TaskEvent.self) } catch {
                    summary.malformed += 1
                    warn("malformed task at \(message.topicPartition) offset \(message.offset) skipped: \(error)")
                    await bus.finish(message)
                    continue
                }
                command.writeSVG(task)
                guard let label = oracle.answer(taskID: task.taskID, location: task.location, surveyKey: task.surveyKey, spectrumID: task.spectrumID) else {
                    summary.unmatched += 1
                    warn("task \(task.taskID): \(task.location) is not in \(truthPath); not answered")
                    await bus.finish(message)
                    continue
                }
                work.append((message, LabelEvent(taskID: task.taskID, spectrumID: task.spectrumID, label: label, labeller: labeller, time: Date())))
            }
            let outcomes = await withTaskGroup(of: (Int, String?).self) { group in
                for (index, (message, event)) in work.enumerated() {
                    group.addTask {
                        do { try await bus.publish(event, for: message); return (index, nil) } catch { return (index, "\(error)") }
                    }
                }
                return await group.reduce(into: [Int: String?]()) { $0[$1.0] = $1.1 }
            }
            for (index, (message, event)) in work.enumerated() {
                if let failure = outcomes[index] ?? nil {
                    warn("answer to \(event.taskID) not delivered: \(failure); stopping")
                    stopReason = "delivery failure"
                    break loop
                }
                summary.answered[event.label, default: 0] += 1
                if let problem = await bus.finish(message) { warn(problem) }
            }
        }
        let problem = await bus.close()
        if let problem { warn(problem) }
        print("balmer label: \(labeller): \(summary) (stopped: \(stopReason))")
        if stopReason == "delivery failure" { throw ExitCode(1) }
    }

    private func warn(_ text: String) {
        FileHandle.standardError.write(Data("balmer label: \(text)\n".utf8))
    }
}

/// Set once one of the signals arrived (their default action is disabled while it lives).
/// `@unchecked Sendable`: `sources` is written once in `init`; the flag is atomic.
final class LabelStopFlag: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let flag = Atomic<Bool>(false)

    init(signals: [Int32]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.flag.store(true, ordering: .relaxed) }
            source.resume()
            sources.append(source)
        }
    }

    var isSet: Bool { flag.load(ordering: .relaxed) }
}
