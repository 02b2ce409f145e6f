import ArgumentParser
import BalmerBus
import BalmerLabeling
import BalmerService
import Foundation

/// `balmer label`: the labellers' terminal client, plus its non-interactive modes.
///
/// Offsets and skips (the rule every mode follows): a task's offset is committed only after the
/// answer's delivery report arrived (or the task was malformed, or handed back). A skipped task
/// is handed back: its original message is re-published to the tasks topic (same key, so the
/// same partition, now at its end) and, once that copy is acknowledged, the original offset
/// counts as done. So commits never pass an unanswered task and never stall behind a skipped one;
/// the skipped task comes back later to another labeller, or to you after the rest of your
/// queue. Tasks on screen, in the local queue or awaiting delivery are never committed: quitting
/// or losing the connection gives them to the next session.
struct LabelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "label",
        abstract: "Label spectra: answer balmer.tasks in the terminal, from a CSV file, or with a simulated oracle.",
        discussion: """
            Interactive keys: s single, d double, o other, k skip, u undo (answer the previous task \
            again; sends a correction), c comment, l open links, ? help, q quit. Each task goes to one \
            labeller of the consumer group. Answers are committed once Kafka confirmed them; a skipped \
            task is re-queued at the end of its partition. Ends with a session summary.
            --answers FILE.csv (task_id,label[,comment][,spectrum_id]) publishes decisions made \
            elsewhere for the tasks it meets within --wait seconds; other tasks met are handed back. \
            --simulate truth.csv answers every task from the truth of `balmer simulate`.
            --key FILE (or BALMER_LABEL_KEY) signs every answer with your Ed25519 key from \
            `balmer label keygen`; required when the campaign's loop.labellers lists keys.
            """,
        subcommands: [LabelKeygenCommand.self, LabelSendTasksCommand.self, LabelReadLabelsCommand.self])

    /// `--labeller`, shared with `keygen` (ArgumentParser gives an option of a parent command to
    /// its subcommand only through a common option group).
    @OptionGroup var name: LabellerOption
    var labeller: String? { name.labeller }

    @Option(help: "Your private key file from `balmer label keygen` (mode 0600): signs every answer (default: $BALMER_LABEL_KEY).")
    var key: String?

    @Option(help: "Consumer group shared by the labellers (each task goes to one of them).")
    var group: String = "balmer-labellers"

    @OptionGroup var kafka: LabelKafkaOptions

    @Option(help: "Publish the decisions in this CSV file (header task_id,label[,comment][,spectrum_id]) instead of asking.")
    var answers: String?

    @Option(help: "With --answers: seconds to wait for the listed tasks.")
    var wait: Int = 30

    @Option(help: "Answer every task from this truth.csv (written by balmer simulate).")
    var simulate: String?

    @Option(name: .customLong("error-rate"), help: "With --simulate: fraction of answers that are wrong, 0...1.")
    var errorRate: Double = 0

    @Option(help: "With --simulate: seed of the error draws.")
    var seed: UInt64 = 1

    @Option(help: "With --simulate: stop after this many answers.")
    var max: Int?

    @Option(name: .customLong("idle-exit"), help: "With --simulate: stop after this many seconds without tasks (default: run until SIGTERM).")
    var idleExit: Double?

    @Option(help: "Write an SVG picture of every task received into this folder.")
    var svg: String?

    @Flag(help: "Open each task's links with xdg-open when it is shown.")
    var open = false

    @Flag(help: "Plain ASCII plots instead of braille characters.")
    var ascii = false

    func validate() throws {
        if answers != nil && simulate != nil { throw ValidationError("give either --answers or --simulate, not both") }
        if let answers, !FileManager.default.isReadableFile(atPath: answers) { throw ValidationError("cannot read --answers file \(answers)") }
        if let simulate, !FileManager.default.isReadableFile(atPath: simulate) { throw ValidationError("cannot read --simulate file \(simulate)") }
        guard (0...1).contains(errorRate) else { throw ValidationError("--error-rate must be within 0...1") }
        if let max, max < 1 { throw ValidationError("--max must be at least 1") }
        if let idleExit, !(idleExit > 0) { throw ValidationError("--idle-exit must be a positive number of seconds") }
        guard (1...86_400).contains(wait) else { throw ValidationError("--wait must be 1...86400 seconds") }
        var check = EventValidator(event: "label", limits: .default)
        check.identifier(group, "--group")
        if let failure = check.failure { throw ValidationError("\(failure)") }
        if let labeller, let problem = LabellerName.problem(labeller) { throw ValidationError("--labeller: \(problem)") }
    }

    func run() async throws {
        if let svg { try FileManager.default.createDirectory(atPath: svg, withIntermediateDirectories: true) }
        let signer = try signingKey()
        if let signer, let labeller, labeller != signer.labeller {
            throw CLIFailure(2, "label: the key is \(signer.labeller)'s, not \(labeller)'s (--labeller)")
        }
        if let simulate {
            let name = labeller ?? signer?.labeller ?? "simulated-oracle"
            try checkRoster(name, signer: signer)
            try await LabelSimulation(command: self, truthPath: simulate, labeller: name, signer: signer).run()
            return
        }
        guard let labeller = labeller ?? signer?.labeller else {
            throw CLIFailure(2, "label: give --labeller NAME (your name goes into every label), or --simulate TRUTH.csv")
        }
        try checkRoster(labeller, signer: signer)
        if let answers {
            try await LabelAnswersFile(command: self, path: answers, labeller: labeller, signer: signer).run()
        } else {
            try await LabelInteractive(command: self, labeller: labeller, signer: signer).run()
        }
    }

    /// The key of `--key`, else of `$BALMER_LABEL_KEY`; nil when neither is given.
    func signingKey() throws -> LabelSigningKey? {
        let environment = ProcessInfo.processInfo.environment["BALMER_LABEL_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        guard let path = key ?? environment else { return nil }
        do { return try LabelSigningKey(contentsOfFile: path) } catch {
            throw CLIFailure(2, "label: \(error.description)")
        }
    }

    /// Refuses (exit 2) what balmerd would refuse, from the campaign's `loop.labellers` (from
    /// `--config` or `BALMER_LOOP_LABELLERS`): a name missing from it; when it lists keys, a run
    /// without `--key` or with a key not listed for the name. No roster: anyone may label.
    func checkRoster(_ name: String, signer: LabelSigningKey?) throws {
        let roster: LabellerRoster
        do {
            roster = try DaemonConfiguration.roster(ConfigReader(arguments: kafka.config.map { ["--config", $0] } ?? []))
        } catch {
            throw CLIFailure(2, "label: \(error)")
        }
        if let refusal = roster.refusal(of: name) {
            throw CLIFailure(2, "label: \(refusal); ask the operator to add you (balmerd would refuse your answers)")
        }
        guard roster.requiresSignatures else { return }
        guard let signer else {
            throw CLIFailure(2, "label: \(LabellerRoster.key) lists keys, so balmerd refuses unsigned answers: give --key FILE "
                             + "(or BALMER_LABEL_KEY); `balmer label keygen --labeller \(name)` makes one for the operator to list")
        }
        if let refusal = roster.refusal(of: signer.publicKey, for: name) {
            throw CLIFailure(2, "label: \(refusal)")
        }
    }

    /// Writes `task` as `DIR/<task id>.svg` when `--svg` was given.
    func writeSVG(_ task: TaskEvent) {
        guard let svg else { return }
        let name = String(task.taskID.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) ? $0 : "_" })
        try? TaskSVG.document(for: task).write(toFile: svg + "/" + name + ".svg", atomically: true, encoding: .utf8)
    }
}
