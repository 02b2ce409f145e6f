/// What a labelling session did, printed when it ends.
public struct SessionSummary: Sendable, Hashable, CustomStringConvertible {
    /// Current label → tasks answered with it this session (a correction moves a task between labels).
    public var answered: [String: Int] = [:]
    /// Tasks skipped (handed back to the queue).
    public var skipped = 0
    /// Corrections sent (re-answers after undo).
    public var corrections = 0
    /// Tasks that could not be decoded; shown, reported and committed past.
    public var malformed = 0
    /// Tasks no decision was found for (`--answers` rows or `--simulate` truth rows missing).
    public var unmatched = 0

    public init() {}

    /// Answered tasks over all labels.
    public var answeredTotal: Int { answered.values.reduce(0, +) }

    /// One line: `answered 5 (single 2, double 2, other 1), skipped 1, corrections 1, malformed 0`.
    public var description: String {
        let labels = Set(answered.keys).union(["single", "double", "other"])
        let order = ["single", "double", "other"] + labels.subtracting(["single", "double", "other"]).sorted()
        let parts = order.map { "\($0) \(answered[$0] ?? 0)" }.joined(separator: ", ")
        var text = "answered \(answeredTotal) (\(parts)), skipped \(skipped), corrections \(corrections), malformed \(malformed)"
        if unmatched > 0 { text += ", unmatched \(unmatched)" }
        return text
    }
}
