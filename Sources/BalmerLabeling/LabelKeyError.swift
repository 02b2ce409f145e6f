/// A key that cannot be read, parsed or written, with a one-line reason.
public struct LabelKeyError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(description: String) { self.description = description }
}
