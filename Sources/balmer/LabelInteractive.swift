import BalmerBus
import BalmerLabeling
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Everything the interactive loop reacts to, in one stream.
enum LabelInput: Sendable {
    case keys([UInt8])
    case inputClosed
    case messages([KafkaMessage])
    case answered(LabelEvent, LabelSession.Item?, error: String?)
    case handedBack(LabelSession.Item, error: String?)
    case rebalance(KafkaRebalanceEvent)
    case signal(Int32)
    case deadline
}

/// The interactive session: raw terminal, one task on screen, answers published as keys arrive.
struct LabelInteractive {
    let command: LabelCommand
    let labeller: String
    /// Signs every answer (`--key`), when given.
    let signer: LabelSigningKey?

    func run() async throws {
        guard LabelTerminal.isInteractive else {
            throw CLIFailure(2, "label: standard input is not a terminal; use --answers FILE.csv or --simulate TRUTH.csv")
        }
        let (stream, continuation) = AsyncStream.makeStream(of: LabelInput.self)
        let bus = try await LabelBus.connect(options: command.kafka, command: "label", group: command.group,
                                             clientID: "balmer-label-\(labeller)", signer: signer, onRebalance: { continuation.yield(.rebalance($0)) })
        let terminal = try LabelTerminal()
        var signalSources: [DispatchSourceSignal] = []
        for number in [SIGWINCH, SIGTERM, SIGINT, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(.signal(number)) }
            source.resume()
            signalSources.append(source)
        }
        LabelKeyboard.start { bytes in continuation.yield(bytes.map { .keys($0) } ?? .inputClosed) }
        let poller = Task { await bus.pollLoop { continuation.yield(.messages($0)) } }

        var state = State(command: command, session: LabelSession(labeller: labeller), bus: bus, continuation: continuation)
        var iterator = stream.makeAsyncIterator()
        state.redraw(terminal)
        while !state.quitting, let input = await iterator.next() {
            await state.handle(input)
            state.redraw(terminal)
        }
        // Leaving: no new tasks; wait (up to 10 s) for the answers in flight, then commit and leave the group.
        poller.cancel()
        let timer = Task {
            try? await Task.sleep(for: .seconds(10))
            continuation.yield(.deadline)
        }
        state.session.note("quitting: waiting for \(state.inFlight) answers to be confirmed…")
        state.redraw(terminal)
        while state.inFlight > 0, let input = await iterator.next() {
            if case .deadline = input { break }
            switch input {
            case .answered, .handedBack: await state.handle(input)
            default: break
            }
        }
        timer.cancel()
        let unfinished = state.messages.count
        let closeProblem = await bus.close()
        terminal.restore()
        for source in signalSources { source.cancel() }
        print("balmer label: \(labeller): \(state.session.summary)")
        if unfinished > 0 { print("balmer label: \(unfinished) tasks not answered stay in the queue for the next session") }
        if state.inFlight > 0 { print("balmer label: \(state.inFlight) answers were not confirmed; their tasks come back in a later session") }
        for report in state.reports { FileHandle.standardError.write(Data("balmer label: \(report)\n".utf8)) }
        if let closeProblem { FileHandle.standardError.write(Data("balmer label: \(closeProblem)\n".utf8)) }
        // The keyboard thread stays blocked in read(2); the process ends when `main` returns.
    }

    /// The loop's state (mutated only by the loop).
    struct State {
        let command: LabelCommand
        var session: LabelSession
        let bus: LabelBus
        let continuation: AsyncStream<LabelInput>.Continuation
        var decoder = KeyDecoder()
        var messages: [Int64: KafkaMessage] = [:]
        var nextTicket: Int64 = 0
        var inFlight = 0
        var quitting = false
        var reports: [String] = []
        var lastShown: String?

        mutating func handle(_ input: LabelInput) async {
            switch input {
            case .keys(let bytes):
                for key in decoder.keys(from: bytes) where !quitting {
                    for effect in session.handle(key, now: Date()) { perform(effect) }
                }
            case .inputClosed:
                quitting = true
            case .messages(let batch):
                for message in batch { await receive(message) }
            case .answered(let event, let item, let error):
                inFlight -= 1
                if let error {
                    session.deliveryFailed(event, item: item, reason: error)
                } else if let item, let message = messages.removeValue(forKey: item.ticket) {
                    if let problem = await bus.finish(message) { session.note(problem) }
                }
            case .handedBack(let item, let error):
                inFlight -= 1
                if let error {
                    session.note("could not hand back \(item.task.taskID) (\(error)); it returns in your next session")
                    messages.removeValue(forKey: item.ticket)
                } else if let message = messages.removeValue(forKey: item.ticket) {
                    if let problem = await bus.finish(message) { session.note(problem) }
                }
            case .rebalance(.revoked(let partitions)), .rebalance(.lost(let partitions)):
                let gone = Set(partitions), known = messages
                let dropped = session.drop { item in known[item.ticket].map { gone.contains($0.topicPartition) } ?? false }
                for item in dropped { messages.removeValue(forKey: item.ticket) }
            case .rebalance(.assigned):
                break
            case .signal(let number):
                if number != SIGWINCH { quitting = true }
            case .deadline:
                break
            }
            if command.open, let task = session.shownTask, task.taskID != lastShown {
                lastShown = task.taskID
                session.note(LabelLinkOpener.open(TaskLink.links(for: task)))
            }
        }

        private mutating func receive(_ message: KafkaMessage) async {
            bus.received(message)
            let task: TaskEvent
            do {
                task = try message.decode(TaskEvent.self)
            } catch {
                session.noteMalformed("\(message.topicPartition)@\(message.offset): \(error)")
                reports.append("malformed task at \(message.topicPartition) offset \(message.offset) skipped: \(error)")
                if let problem = await bus.finish(message) { session.note(problem) }
                return
            }
            command.writeSVG(task)
            let ticket = nextTicket
            nextTicket += 1
            if session.enqueue(task, ticket: ticket) {
                messages[ticket] = message
            } else if let problem = await bus.finish(message) {
                // Answered already this session (a redelivery): done.
                session.note(problem)
            }
        }

        private mutating func perform(_ effect: LabelSession.Effect) {
            let bus = self.bus, continuation = self.continuation
            switch effect {
            case .publish(let event, let item):
                inFlight += 1
                let message = item.flatMap { messages[$0.ticket] }
                Task {
                    do {
                        try await bus.publish(event, for: message)
                        continuation.yield(.answered(event, item, error: nil))
                    } catch {
                        continuation.yield(.answered(event, item, error: "\(error)"))
                    }
                }
            case .skip(let item):
                guard let message = messages[item.ticket] else { return }
                inFlight += 1
                Task {
                    do {
                        try await bus.handBack(message)
                        continuation.yield(.handedBack(item, error: nil))
                    } catch {
                        continuation.yield(.handedBack(item, error: "\(error)"))
                    }
                }
            case .openLinks(let task):
                session.note(LabelLinkOpener.open(TaskLink.links(for: task)))
            case .quit:
                quitting = true
            }
        }

        func redraw(_ terminal: LabelTerminal) {
            let size = LabelTerminal.size()
            let screen = TaskScreen(columns: size.columns, rows: size.rows, style: command.ascii ? .ascii : .braille,
                                    status: "queue \(session.queue.count)" + (inFlight > 0 ? " · sending \(inFlight)" : ""))
            var lines = screen.lines(for: session)
            // A terminal smaller than 80 × 24 gets the top-left part.
            lines = Array(lines.prefix(size.rows)).map { String($0.prefix(size.columns)) }
            terminal.draw(lines)
        }
    }
}

/// Opens web pages with `xdg-open` when it is on the PATH.
enum LabelLinkOpener {
    /// Opens `links` and returns a note for the labeller.
    static func open(_ links: [TaskLink]) -> String {
        guard !links.isEmpty else { return "this task has no links (no coordinates or survey key)" }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .map { "\($0)/xdg-open" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { return "xdg-open is not available: the links are listed in the help (?)" }
        for link in links {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = [link.url]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try? process.run()
        }
        return "opened \(links.count) links with xdg-open"
    }
}
