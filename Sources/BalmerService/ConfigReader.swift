import Foundation

/// A small layered configuration reader: flat dotted keys (`kafka.brokers`) looked up in a fixed
/// provider order, first hit wins:
///
/// 1. command line: `--kafka.brokers=HOST:PORT` or `--kafka.brokers HOST:PORT`;
/// 2. environment: `BALMER_` + the key upper-cased with `.`/`-` as `_` (`BALMER_KAFKA_BROKERS`),
///    plus the aliases in ``environmentAliases`` (`BALMER_THREADS` for `compute.threads`);
/// 3. credentials directory (`$CREDENTIALS_DIRECTORY`, systemd `LoadCredential=`): a file named
///    like the key with `.` as `-` (`database-password` for `database.password`), trailing
///    newline stripped;
/// 4. a JSON file (`--config FILE`): nested objects flatten to dotted keys; numbers, booleans and
///    arrays (joined with `,`) become strings;
/// 5. the caller's default.
///
/// Hand-written instead of apple/swift-configuration: the daemon needs five providers and a
/// dozen keys, and the extra package (plus its dependencies) would add minutes of build time on
/// the shared 2-core builder for no behaviour the reader below lacks.
public struct ConfigReader: Sendable {
    /// Which provider a value came from (for the startup log; secret values are never logged).
    public enum Source: String, Sendable { case commandLine = "command line", environment, credentials, file, defaults }

    /// Keys whose environment variable differs from the generated name.
    public static let environmentAliases: [String: String] = ["compute.threads": "BALMER_THREADS"]

    let commandLine: [String: String]
    let environment: [String: String]
    let credentialsDirectory: String?
    let file: [String: String]
    /// The `--config` path, if any.
    public let configFile: String?

    /// Why the configuration could not be read (exit status 2).
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Parses `arguments` (without the program name) and loads the `--config` file.
    public init(arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        var cli: [String: String] = [:]
        var configFile: String?
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            guard arg.hasPrefix("--") else { throw Error("unexpected argument \(arg)") }
            var name = String(arg.dropFirst(2))
            var value: String
            if let eq = name.firstIndex(of: "=") {
                value = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            } else {
                guard i + 1 < arguments.count else { throw Error("option --\(name) needs a value") }
                i += 1
                value = arguments[i]
            }
            if name == "config" { configFile = value } else { cli[name] = value }
            i += 1
        }
        self.commandLine = cli
        self.environment = environment
        self.credentialsDirectory = environment["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 }
        self.configFile = configFile
        self.file = try configFile.map(Self.loadJSON) ?? [:]
    }

    /// A reader over explicit values (tests).
    public init(commandLine: [String: String] = [:], environment: [String: String] = [:], file: [String: String] = [:]) {
        self.commandLine = commandLine
        self.environment = environment
        self.credentialsDirectory = environment["CREDENTIALS_DIRECTORY"]
        self.file = file
        self.configFile = nil
    }

    /// The environment variable for `key`.
    public static func environmentName(_ key: String) -> String {
        environmentAliases[key] ?? "BALMER_" + key.uppercased().map { $0 == "." || $0 == "-" ? "_" : $0 }.map(String.init).joined()
    }

    /// The raw value and where it came from, `nil` when no provider has the key.
    public func lookup(_ key: String) -> (value: String, source: Source)? {
        if let v = commandLine[key] { return (v, .commandLine) }
        if let v = environment[Self.environmentName(key)], !v.isEmpty { return (v, .environment) }
        if let dir = credentialsDirectory {
            let path = dir + "/" + key.replacingOccurrences(of: ".", with: "-")
            if let data = FileManager.default.contents(atPath: path) {
                var text = String(decoding: data, as: UTF8.self)
                while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
                return (text, .credentials)
            }
        }
        if let v = file[key] { return (v, .file) }
        return nil
    }

    public func string(_ key: String, default value: String) -> String { lookup(key)?.value ?? value }
    public func string(_ key: String) -> String? { lookup(key)?.value }

    public func int(_ key: String, default value: Int, in range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        guard let raw = lookup(key) else { return value }
        guard let n = Int(raw.value.trimmingCharacters(in: .whitespaces)), range.contains(n) else {
            throw Error("\(key) (from the \(raw.source.rawValue)) must be an integer in \(range.lowerBound)...\(range.upperBound), not \(raw.value)")
        }
        return n
    }

    public func double(_ key: String, default value: Double) throws -> Double {
        guard let raw = lookup(key) else { return value }
        guard let x = Double(raw.value.trimmingCharacters(in: .whitespaces)), x.isFinite else {
            throw Error("\(key) (from the \(raw.source.rawValue)) must be a number, not \(raw.value)")
        }
        return x
    }

    public func list(_ key: String, default value: [String]) -> [String] {
        guard let raw = lookup(key) else { return value }
        return raw.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Keys starting with `prefix` that the command line or the file set (a family of keys such as
    /// `kafka.librdkafka.*`; environment variables cannot name them: `_` is ambiguous there).
    public func keys(withPrefix prefix: String) -> [String] {
        Set(commandLine.keys).union(file.keys).filter { $0.hasPrefix(prefix) && $0.count > prefix.count }.sorted()
    }

    /// Every key any provider sets (for warnings about unknown keys).
    public var providedKeys: Set<String> { Set(commandLine.keys).union(file.keys) }

    static func loadJSON(_ path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw Error("cannot read the config file \(path)") }
        let root: JSONValue
        do { root = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw Error("the config file \(path) is not valid JSON: \(error)")
        }
        guard case .object = root else { throw Error("the config file \(path) must hold a JSON object") }
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
}

/// A parsed JSON value (config files only).
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

    /// Scalars as strings (integers without a fraction), `nil` for objects, arrays and null.
    var scalar: String? {
        switch self {
        case .string(let s): s
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        default: nil
        }
    }
}
