/// Errors a repository raises for invalid requests (not for I/O).
public enum RepositoryError: Error, Equatable, CustomStringConvertible {
    /// A feature vector does not have ``SpectrumRecord/featureCount`` values.
    case badFeatureCount(Int)
    /// The referenced record does not exist.
    case notFound(String)

    public var description: String {
        switch self {
        case .badFeatureCount(let n): "feature vector has \(n) values, expected \(SpectrumRecord.featureCount)"
        case .notFound(let what): "not found: \(what)"
        }
    }
}
