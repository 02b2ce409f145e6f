/// `balmer.models`: a promoted model; every instance swaps to it on receipt. Key: `version`.
public struct ModelEvent: BalmerEvent, Hashable {
    public static let topic = BalmerTopic.models
    public static let schemaVersion = 1

    public var version: String
    /// SHA-256 of the model file, 64 lowercase hex digits.
    public var sha256: String
    /// Validation metrics by name (e.g. `accuracy`, `loss`, `precision_lower_bound`).
    public var metrics: [String: Double]
    /// Where the weights are: a path, a `file://` URI, or `store:VERSION` for the database registry.
    public var location: String

    public init(version: String, sha256: String, metrics: [String: Double], location: String) {
        self.version = version
        self.sha256 = sha256
        self.metrics = metrics
        self.location = location
    }

    public var key: String { version }

    public func validate(_ check: inout EventValidator) {
        check.identifier(version, "version")
        if sha256.count != 64 || !sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) {
            check.fail(.invalidValue(field: "sha256", reason: "needs 64 lowercase hex digits"))
        }
        check.map(metrics, "metrics", allowEmpty: true)
        check.text(location, "location", required: true)
    }
}
