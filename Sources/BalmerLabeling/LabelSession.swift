import BalmerBus
import Foundation

/// The labelling session's state machine: tasks in, key presses in, effects out. Pure: it does no
/// I/O; the caller publishes, commits and draws.
///
/// Keys (normal mode): `s` single, `d` double, `o` other (upper case too), `k` skip, `u` undo,
/// `c` comment, `l` open links, `?` help, `q` / Ctrl-C / Ctrl-D quit. In comment mode text keys
/// edit the comment, Enter keeps it (for the current task's answer), Escape drops it. In help
/// mode any key closes the help (Ctrl-C still quits).
///
/// Undo steps back through the tasks answered this session (the task on screen goes back to the
/// front of the queue); answering such a task again emits a correction (`LabelEvent.corrects` is
/// its task id, `time` the new time); `k` keeps the earlier answer. Either way the session
/// returns to the queue.
public struct LabelSession: Sendable {
    /// A task received from the queue; `ticket` is the caller's handle (e.g. for its offset).
    public struct Item: Sendable, Hashable {
        public var task: TaskEvent
        public var ticket: Int64
        public init(task: TaskEvent, ticket: Int64) {
            self.task = task
            self.ticket = ticket
        }
    }

    /// An answer given this session.
    public struct Answer: Sendable, Hashable {
        public var task: TaskEvent
        public var label: String
        public var comment: String?
    }

    public enum Mode: Sendable, Hashable {
        case normal
        /// Editing a comment: the text typed so far.
        case comment(String)
        case help
    }

    /// What the caller must do after a key.
    public enum Effect: Sendable, Hashable {
        /// Publish the label; once delivered, the task behind `item` is done (commit its offset).
        /// `item` is `nil` for corrections (their task was done before).
        case publish(LabelEvent, item: Item?)
        /// The labeller passed on this task: hand it back to the queue.
        case skip(Item)
        /// Open the task's links in a browser.
        case openLinks(TaskEvent)
        case quit
    }

    /// The labels the keys give.
    public static let keyLabels: [Character: String] = ["s": "single", "d": "double", "o": "other"]
    /// The key line at the bottom of the screen.
    public static let keyLine = "[s]ingle [d]ouble [o]ther [k] skip [u]ndo [c]omment [?] help [q]uit"
    /// Longest comment in characters.
    public static let maxCommentLength = 500

    public let labeller: String
    /// The task on screen awaiting a first answer, unless a correction is on screen.
    public private(set) var current: Item?
    /// Index into `history` of the answer being corrected, when undo is in progress.
    public private(set) var correcting: Int?
    /// Tasks waiting, first to be shown next.
    public private(set) var queue: [Item] = []
    /// Answers given this session, oldest first (corrections update their entry).
    public private(set) var history: [Answer] = []
    public private(set) var mode: Mode = .normal
    /// The comment kept for the answer to the task on screen.
    public private(set) var comment: String?
    /// A one-line note for the labeller (last action, errors).
    public private(set) var message: String = ""
    public private(set) var summary = SessionSummary()
    private var answeredIDs: Set<String> = []

    public init(labeller: String) {
        self.labeller = labeller
    }

    /// The task on screen: a new one or one being corrected.
    public var shownTask: TaskEvent? {
        if let correcting { return history[correcting].task }
        return current?.task
    }

    /// The earlier label of the task being corrected.
    public var correctedLabel: String? { correcting.map { history[$0].label } }

    /// Adds a task to the queue. Returns `false` (and ignores it) when that task id was answered
    /// this session or is already waiting: the caller treats it as done.
    @discardableResult
    public mutating func enqueue(_ task: TaskEvent, ticket: Int64) -> Bool {
        if answeredIDs.contains(task.taskID) || current?.task.taskID == task.taskID || queue.contains(where: { $0.task.taskID == task.taskID }) {
            return false
        }
        queue.append(Item(task: task, ticket: ticket))
        advanceIfIdle()
        return true
    }

    /// Removes waiting tasks (and the task on screen) matching `predicate`, e.g. those of revoked
    /// partitions. Returns the removed items.
    @discardableResult
    public mutating func drop(where predicate: (Item) -> Bool) -> [Item] {
        var removed = queue.filter(predicate)
        queue.removeAll(where: predicate)
        if let current, predicate(current) {
            removed.append(current)
            self.current = nil
            comment = nil
            message = "task \(current.task.taskID) was handed to another labeller"
        }
        advanceIfIdle()
        return removed
    }

    /// Records a task that could not be decoded.
    public mutating func noteMalformed(_ reason: String) {
        summary.malformed += 1
        message = "malformed task skipped: \(reason)"
    }

    /// Shows a note on the message line.
    public mutating func note(_ text: String) {
        message = text
    }

    /// A published label was not delivered: a first answer's task goes back to the front of the
    /// queue, a correction is reported (undo again to retry).
    public mutating func deliveryFailed(_ event: LabelEvent, item: Item?, reason: String) {
        if let item {
            if let index = history.lastIndex(where: { $0.task.taskID == event.taskID }) {
                summary.answered[history[index].label, default: 1] -= 1
                history.remove(at: index)
                if let correcting, correcting >= index { self.correcting = correcting > index ? correcting - 1 : nil }
            }
            answeredIDs.remove(event.taskID)
            if let current { queue.insert(current, at: 0) }
            current = nil
            queue.insert(item, at: 0)
            advanceIfIdle()
            message = "answer to \(event.taskID) was not delivered (\(reason)); answer it again"
        } else {
            summary.corrections -= 1
            message = "correction of \(event.taskID) was not delivered (\(reason)); undo to try again"
        }
    }

    /// Handles one key at time `now` (the answer's time).
    public mutating func handle(_ key: LabelKey, now: Date) -> [Effect] {
        if key == .interrupt { return [.quit] }
        switch mode {
        case .help:
            mode = .normal
            return []
        case .comment(let draft):
            switch key {
            case .enter:
                let text = draft.trimmingCharacters(in: .whitespaces)
                comment = text.isEmpty ? nil : text
                mode = .normal
                message = comment == nil ? "comment cleared" : "comment kept for this answer"
            case .escape:
                mode = .normal
                message = "comment not changed"
            case .backspace:
                mode = .comment(String(draft.dropLast()))
            case .character(let character) where !character.isNewline && draft.count < Self.maxCommentLength:
                mode = .comment(draft + String(character))
            default:
                break
            }
            return []
        case .normal:
            break
        }
        switch key {
        case .endOfInput: return [.quit]
        case .character(let character):
            let lower = Character(character.lowercased())
            if let label = Self.keyLabels[lower] { return answer(label, now: now) }
            switch character {
            case "k", "K": return skip()
            case "u", "U": undo(); return []
            case "c", "C":
                guard shownTask != nil else { message = "no task on screen"; return [] }
                mode = .comment(comment ?? "")
            case "?": mode = .help
            case "q", "Q": return [.quit]
            case "l", "L":
                guard let task = shownTask else { message = "no task on screen"; return [] }
                return [.openLinks(task)]
            default:
                message = "unknown key '\(character)': " + Self.keyLine
            }
            return []
        default:
            return []
        }
    }

    private mutating func answer(_ label: String, now: Date) -> [Effect] {
        if let index = correcting {
            let previous = history[index]
            let event = LabelEvent(taskID: previous.task.taskID, spectrumID: previous.task.spectrumID, label: label,
                                   labeller: labeller, time: now, comment: comment, corrects: previous.task.taskID)
            summary.answered[previous.label, default: 1] -= 1
            summary.answered[label, default: 0] += 1
            summary.corrections += 1
            history[index].label = label
            history[index].comment = comment
            correcting = nil
            comment = nil
            message = "corrected \(previous.task.taskID): \(previous.label) → \(label)"
            advanceIfIdle()
            return [.publish(event, item: nil)]
        }
        guard let item = current else { message = "no task on screen yet: waiting for tasks"; return [] }
        let event = LabelEvent(taskID: item.task.taskID, spectrumID: item.task.spectrumID, label: label,
                               labeller: labeller, time: now, comment: comment)
        history.append(Answer(task: item.task, label: label, comment: comment))
        answeredIDs.insert(item.task.taskID)
        summary.answered[label, default: 0] += 1
        current = nil
        comment = nil
        message = "\(item.task.taskID): \(label)"
        advanceIfIdle()
        return [.publish(event, item: item)]
    }

    private mutating func skip() -> [Effect] {
        if let index = correcting {
            correcting = nil
            comment = nil
            message = "kept \(history[index].task.taskID): \(history[index].label)"
            advanceIfIdle()
            return []
        }
        guard let item = current else { message = "no task on screen yet: waiting for tasks"; return [] }
        summary.skipped += 1
        current = nil
        comment = nil
        message = "skipped \(item.task.taskID)"
        advanceIfIdle()
        return [.skip(item)]
    }

    private mutating func undo() {
        let target: Int
        if let correcting {
            guard correcting > 0 else { message = "nothing earlier to undo"; return }
            target = correcting - 1
        } else {
            guard !history.isEmpty else { message = "nothing to undo"; return }
            target = history.count - 1
            if let current { queue.insert(current, at: 0) }
            current = nil
        }
        correcting = target
        comment = history[target].comment
        message = "undo: answer \(history[target].task.taskID) again (was \(history[target].label)), k keeps it"
    }

    private mutating func advanceIfIdle() {
        if current == nil && correcting == nil && !queue.isEmpty {
            current = queue.removeFirst()
        }
    }
}
