import Foundation

/// `balmer.labels`: an oracle's answer to a task. Key: `taskID`.
public struct LabelEvent: BalmerEvent, Hashable {
    public static let topic = BalmerTopic.labels
    public static let schemaVersion = 1

    public var taskID: String
    public var spectrumID: String
    /// One of `EventLimits.labels` (default `single`, `double`, `other`).
    public var label: String
    /// Who answered (user name or `simulated`).
    public var labeller: String
    /// When the answer was given (ISO 8601 in JSON).
    public var time: Date
    public var comment: String?
    /// The task whose earlier label this one replaces (undo/correction); `nil` for a first answer.
    public var corrects: String?

    public init(taskID: String, spectrumID: String, label: String, labeller: String, time: Date,
                comment: String? = nil, corrects: String? = nil) {
        self.taskID = taskID
        self.spectrumID = spectrumID
        self.label = label
        self.labeller = labeller
        self.time = time
        self.comment = comment
        self.corrects = corrects
    }

    public var key: String { taskID }

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id", spectrumID = "spectrum_id", label, labeller, time, comment, corrects
    }

    public func validate(_ check: inout EventValidator) {
        check.identifier(taskID, "task_id")
        check.identifier(spectrumID, "spectrum_id")
        if !check.limits.labels.contains(label) {
            check.fail(.invalidValue(field: "label", reason: "\"\(label.prefix(40))\" is not one of \(check.limits.labels.sorted().joined(separator: ", "))"))
        }
        check.identifier(labeller, "labeller")
        check.number(time.timeIntervalSince1970, "time", in: 946_684_800...4_102_444_800)
        check.text(comment, "comment")
        if let corrects { check.identifier(corrects, "corrects") }
    }
}
