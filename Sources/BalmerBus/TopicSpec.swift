/// A topic name with its partition count, written `name:partitions` on command lines.
public struct TopicSpec: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var partitions: Int

    public init(name: String, partitions: Int) {
        self.name = name
        self.partitions = partitions
    }

    /// Parses `name:partitions` (partitions 1...10 000; `name` alone means 1 partition).
    public init?(parsing text: Substring) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let name = parts.first, Self.isValidName(name) else { return nil }
        if parts.count == 2 {
            guard let count = Int(parts[1]), (1...10_000).contains(count) else { return nil }
            self.init(name: String(name), partitions: count)
        } else {
            self.init(name: String(name), partitions: 1)
        }
    }

    /// Parses a comma-separated list; `nil` if any entry is malformed.
    public static func parseList(_ text: String) -> [TopicSpec]? {
        let specs = text.split(separator: ",").map { TopicSpec(parsing: $0) }
        guard !specs.isEmpty, !specs.contains(where: { $0 == nil }) else { return nil }
        return specs.compactMap { $0 }
    }

    /// Kafka's legal topic names: 1…249 of `[A-Za-z0-9._-]`, not `.` or `..`.
    public static func isValidName(_ name: Substring) -> Bool {
        !name.isEmpty && name.count <= 249 && name != "." && name != ".."
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") }
    }

    public var description: String { "\(name):\(partitions)" }
}

/// Balmer's topic names and their default partition counts.
public enum BalmerTopic {
    public static let spectra = "balmer.spectra"
    public static let tasks = "balmer.tasks"
    public static let labels = "balmer.labels"
    public static let models = "balmer.models"
    public static let deadLetter = "balmer.dead-letter"
    /// Events whose file failed transiently, re-published with a due time (balmerd consumes it too).
    public static let spectraRetry = "balmer.spectra.retry"

    /// `balmer.spectra:6,balmer.tasks:3,balmer.labels:3,balmer.models:1,balmer.dead-letter:1,balmer.spectra.retry:3`.
    public static let defaults: [TopicSpec] = [
        TopicSpec(name: spectra, partitions: 6), TopicSpec(name: tasks, partitions: 3),
        TopicSpec(name: labels, partitions: 3), TopicSpec(name: models, partitions: 1),
        TopicSpec(name: deadLetter, partitions: 1), TopicSpec(name: spectraRetry, partitions: 3),
    ]
}
