import BalmerBus

/// Decisions made elsewhere, for `balmer label --answers FILE.csv`.
///
/// Format: a header naming the columns, then one row per task. Required columns `task_id` and
/// `label`; optional `comment` and `spectrum_id` (any order). Labels are `single`, `double`,
/// `other` or the Ondřejov names `emission` (→ single), `double-peak` (→ double), `absorption`
/// (→ other), case-insensitive. Blank lines are ignored; fields may be quoted (RFC 4180). A task
/// may appear once.
public enum AnswersCSV {
    /// One row.
    public struct Answer: Sendable, Hashable {
        public var taskID: String
        /// `single`, `double` or `other`.
        public var label: String
        public var comment: String?
        /// When given, the answer can be published without seeing the task.
        public var spectrumID: String?
        /// 1-based line of the row in the file.
        public var line: Int

        public init(taskID: String, label: String, comment: String? = nil, spectrumID: String? = nil, line: Int) {
            self.taskID = taskID
            self.label = label
            self.comment = comment
            self.spectrumID = spectrumID
            self.line = line
        }
    }

    /// A problem with the file, with its line (`0`: the file as a whole).
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { line > 0 ? "line \(line): \(reason)" : reason }
    }

    /// The canonical label for a name, or `nil`.
    public static func label(_ name: String) -> String? {
        switch name.trimmingCharacters(in: .whitespaces).lowercased() {
        case "single", "emission": "single"
        case "double", "double-peak": "double"
        case "other", "absorption": "other"
        default: nil
        }
    }

    /// Parses the whole file.
    public static func parse(_ text: String, limits: EventLimits = .default) throws(Failure) -> [Answer] {
        let rows: [CSVRows.Row]
        do { rows = try CSVRows.parse(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text) } catch {
            throw Failure(line: error.line, reason: error.reason)
        }
        let content = rows.filter { !($0.fields.count == 1 && $0.fields[0].trimmingCharacters(in: .whitespaces).isEmpty) }
        guard let header = content.first else { throw Failure(line: 0, reason: "empty file: expected a header task_id,label[,comment]") }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        for name in names where !["task_id", "label", "comment", "spectrum_id"].contains(name) {
            throw Failure(line: header.line, reason: "unknown column '\(name.prefix(40))' in the header (expected task_id,label[,comment][,spectrum_id])")
        }
        guard let taskColumn = names.firstIndex(of: "task_id"), let labelColumn = names.firstIndex(of: "label") else {
            throw Failure(line: header.line, reason: "the header must name task_id and label (e.g. task_id,label,comment)")
        }
        if Set(names).count != names.count { throw Failure(line: header.line, reason: "a column is named twice in the header") }
        let commentColumn = names.firstIndex(of: "comment"), spectrumColumn = names.firstIndex(of: "spectrum_id")
        var answers: [Answer] = []
        var seen: [String: Int] = [:]
        for row in content.dropFirst() {
            guard row.fields.count == names.count else {
                throw Failure(line: row.line, reason: "expected \(names.count) fields, found \(row.fields.count)")
            }
            let taskID = row.fields[taskColumn].trimmingCharacters(in: .whitespaces)
            var check = EventValidator(event: "answer", limits: limits)
            check.identifier(taskID, "task_id")
            if let failure = check.failure { throw Failure(line: row.line, reason: "bad task_id: \(failure)") }
            guard let label = label(row.fields[labelColumn]) else {
                throw Failure(line: row.line, reason: "unknown label '\(row.fields[labelColumn].prefix(40))' (use single, double, other or emission, double-peak, absorption)")
            }
            if let first = seen[taskID] { throw Failure(line: row.line, reason: "task \(taskID) already answered on line \(first)") }
            seen[taskID] = row.line
            var comment = commentColumn.map { row.fields[$0].trimmingCharacters(in: .whitespaces) }
            if comment?.isEmpty == true { comment = nil }
            check.text(comment, "comment")
            var spectrumID = spectrumColumn.map { row.fields[$0].trimmingCharacters(in: .whitespaces) }
            if spectrumID?.isEmpty == true { spectrumID = nil }
            if let spectrumID { check.identifier(spectrumID, "spectrum_id") }
            if let failure = check.failure { throw Failure(line: row.line, reason: "\(failure)") }
            answers.append(Answer(taskID: taskID, label: label, comment: comment, spectrumID: spectrumID, line: row.line))
        }
        return answers
    }
}
