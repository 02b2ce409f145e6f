/// Who may label in a campaign: the names of `loop.labellers` (comma-separated in the
/// configuration). An empty roster lets anyone label (the default). balmerd refuses answers of
/// other names (`rejects` and the dead-letter topic, code `unknown-labeller`); `balmer label`
/// refuses to start for them when it reads the same configuration.
public struct LabellerRoster: Sendable, Equatable, CustomStringConvertible {
    /// The configuration key that lists the labellers.
    public static let key = "loop.labellers"

    /// The allowed names; empty means anyone.
    public let names: Set<String>

    /// Fails with a one-line reason when a listed name is not a valid labeller name.
    public init(_ names: [String]) throws(RosterError) {
        for name in names {
            if let problem = LabellerName.problem(name) { throw RosterError(description: "\(Self.key): \(problem)") }
        }
        self.names = Set(names)
    }

    /// Whether `name` may label.
    public func allows(_ name: String) -> Bool { names.isEmpty || names.contains(name) }

    /// Why `name` may not label (nil when it may), for errors and reject reasons.
    public func refusal(of name: String) -> String? {
        allows(name) ? nil : "unknown labeller \(name): \(Self.key) lists \(self)"
    }

    public var description: String { names.isEmpty ? "anyone" : names.sorted().joined(separator: ", ") }

    /// A roster entry that is not a valid labeller name.
    public struct RosterError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }
}
