import Foundation

/// A librdkafka properties file, the format Kafka's own tools read (`client.properties`): one
/// `key=value` per line, blank lines and lines starting with `#` or `!` ignored, whitespace around
/// the key and the value trimmed. It keeps secrets (`sasl.password`, `ssl.key.password`) off the
/// command line: give the file mode 0600. Errors name the line number, never its content.
public enum KafkaPropertiesFile {
    /// Parses the text of a properties file.
    public static func parse(_ text: String, name: String = "properties file") throws(KafkaError) -> [String: String] {
        var result: [String: String] = [:]
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { continue }
            guard let eq = line.firstIndex(of: "=") else {
                throw .invalidArgument("\(name) line \(index + 1): expected key=value")
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            guard !key.isEmpty, !key.contains(where: \.isWhitespace) else {
                throw .invalidArgument("\(name) line \(index + 1): the key is empty or contains spaces")
            }
            result[key] = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
        return result
    }

    /// Reads and parses the file at `path`.
    public static func load(path: String) throws(KafkaError) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidArgument("cannot read the Kafka properties file \(path)")
        }
        return try parse(String(decoding: data, as: UTF8.self), name: path)
    }

    /// Parses `KEY=VALUE` (a `--kafka-property` argument); `nil` without `=` or with an empty key.
    public static func pair(_ argument: String) -> (key: String, value: String)? {
        guard let eq = argument.firstIndex(of: "=") else { return nil }
        let key = argument[..<eq].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { return nil }
        return (key, String(argument[argument.index(after: eq)...]))
    }
}
