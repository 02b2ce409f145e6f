/// Why balmerd refuses an answer before storing it: the reject code (`rejects.reason`, the dead
/// letter's code) and a one-line reason.
public struct LabelRefusal: Sendable, Equatable, CustomStringConvertible {
    /// `unknown-labeller`, `unsigned-label` or `bad-signature`.
    public var code: String
    public var reason: String

    public init(code: String, reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code): \(reason)" }
}
