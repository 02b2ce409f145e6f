/// Errors of the CNN engine; each carries a readable message.
public enum CNNError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The architecture cannot be built (bad sizes, layer order, kernel).
    case invalidArchitecture(String)
    /// Inputs do not match the network (wrong feature count, label out of range, empty data).
    case invalidInput(String)
    /// A model file is unreadable, corrupt or does not match its own metadata.
    case invalidModelFile(path: String, reason: String)
    /// A file could not be read or written.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidArchitecture(m): "invalid architecture: \(m)"
        case let .invalidInput(m): "invalid input: \(m)"
        case let .invalidModelFile(path, reason): "invalid model file \(path): \(reason)"
        case let .io(path, reason): "cannot access \(path): \(reason)"
        }
    }
}
