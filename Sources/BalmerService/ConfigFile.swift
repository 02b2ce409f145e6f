import Foundation

/// The JSON file given with `--config`, flattened to dotted keys with text values: nested objects
/// become `a.b.c`, keys starting with `_` (documentation) are skipped, numbers and booleans become
/// their text (`7`, `0.8`, `true`), arrays of scalars are joined with `,`, `null` is no value.
///
/// Parsed here rather than by swift-configuration's `JSONSnapshot` because ``ConfigReader`` is
/// text-typed (its lookups return the text a value was written as, and `int`/`double` parse that
/// text so an error can quote it): `JSONSnapshot` is strictly typed, so a JSON number or boolean
/// cannot be read as a string at all, and through its API `true` and `1` cannot be told apart
/// (each reads as the other), so `"migrate": true` or a librdkafka property written as `false`
/// could not come back as `true`/`false`. It also has no way to list its keys, which
/// ``ConfigReader/keys(withPrefix:)`` needs for `kafka.librdkafka.*`.
enum ConfigFile {
    /// The file's flattened keys and values; throws ``ConfigReader/Error`` naming `path` when it is
    /// missing, unreadable, not JSON or not an object.
    static func load(_ path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigReader.Error("cannot read the config file \(path)")
        }
        let root: JSONValue
        do { root = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw ConfigReader.Error("the config file \(path) is not valid JSON: \(error)")
        }
        guard case .object = root else { throw ConfigReader.Error("the config file \(path) must hold a JSON object") }
        var flat: [String: String] = [:]
        func walk(_ prefix: String, _ value: JSONValue) {
            switch value {
            case .object(let dict):
                for (k, v) in dict where !k.hasPrefix("_") { walk(prefix.isEmpty ? k : prefix + "." + k, v) }
            case .array(let items):
                flat[prefix] = items.compactMap(\.scalar).joined(separator: ",")
            case .null:
                break
            default:
                flat[prefix] = value.scalar
            }
        }
        walk("", root)
        return flat
    }

    /// A parsed JSON value.
    enum JSONValue: Decodable, Sendable {
        case object([String: JSONValue]), array([JSONValue]), string(String), number(Double), bool(Bool), null

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { self = .null }
            else if let b = try? c.decode(Bool.self) { self = .bool(b) }
            else if let n = try? c.decode(Double.self) { self = .number(n) }
            else if let s = try? c.decode(String.self) { self = .string(s) }
            else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
            else { self = .object(try c.decode([String: JSONValue].self)) }
        }

        /// Scalars as text (integers without a fraction), `nil` for objects, arrays and null.
        var scalar: String? {
            switch self {
            case .string(let s): s
            case .bool(let b): b ? "true" : "false"
            case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
            default: nil
            }
        }
    }
}
