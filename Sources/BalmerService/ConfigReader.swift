internal import Configuration
import BalmerBus
import Foundation
import Logging

/// Balmer's layered configuration on apple/swift-configuration: flat dotted keys
/// (`kafka.brokers`) looked up in a fixed provider order, first hit wins:
///
/// 1. command line: `--kafka.brokers=HOST:PORT` or `--kafka.brokers HOST:PORT`;
/// 2. environment: `BALMER_` + the key upper-cased with `.`/`-` as `_` (`BALMER_KAFKA_BROKERS`),
///    plus the aliases in ``environmentAliases`` (`BALMER_THREADS` for `compute.threads`); an
///    empty variable counts as unset;
/// 3. credentials directory (`$CREDENTIALS_DIRECTORY`, systemd `LoadCredential=`): a file named
///    like the key with `.` as `-` (`database-password` for `database.password`), trailing
///    newline stripped;
/// 4. a JSON file (`--config FILE`): nested objects flatten to dotted keys; numbers, booleans and
///    arrays (joined with `,`) become text (``ConfigFile``);
/// 5. the caller's default.
///
/// A thin, text-typed adapter: the lookups go through a swift-configuration `ConfigReader` over
/// one built-in provider per layer, in that order:
///
/// - an `InMemoryProvider` of the command line as parsed here. Not swift-configuration's
///   `CommandLineArgumentsProvider`: it splits every value at commas, so
///   `--kafka.brokers=a:9092,b:9092` cannot be read as one string (the read throws, which stops
///   the whole lookup), it spells keys `--kafka-brokers`, and it ignores stray arguments and
///   takes `--key` without a value as a flag, both of which Balmer refuses;
/// - its `EnvironmentVariablesProvider` behind a `KeyMappingProvider` that names the variable
///   (``environmentName(_:)``, aliases included);
/// - an `InMemoryProvider` of the credentials directory behind a `KeyMappingProvider` that names
///   the file (``CredentialsDirectory`` says why not its `DirectoryFilesProvider`);
/// - an `InMemoryProvider` of the flattened file (``ConfigFile`` says why not its `JSONSnapshot`).
///
/// Which layer answered (``Source``, for error messages and the startup log) is found by asking
/// the layers in turn, since swift-configuration's reader does not say.
///
/// Secrets (``isSecret(_:)``: `database.password`, `database.url`, which may hold the password,
/// and every key naming a password, secret or SASL setting) are read as secrets, so
/// swift-configuration's access reporting shows them as `<REDACTED>`: the optional
/// `accessLogger` of the initialisers (swift-log, debug level) and the file that the
/// `CONFIG_ACCESS_LOG_FILE` environment variable names.
public struct ConfigReader: Sendable {
    /// Which provider a value came from (for the startup log; secret values are never logged).
    public enum Source: String, Sendable { case commandLine = "command line", environment, credentials, file, defaults }

    /// Keys whose environment variable differs from the generated name.
    public static let environmentAliases: [String: String] = ["compute.threads": "BALMER_THREADS"]

    /// The keys and values given on the command line (without `--config`).
    let commandLine: [String: String]
    /// The flattened `--config` file.
    let file: [String: String]
    /// The `--config` path, if any.
    public let configFile: String?
    /// swift-configuration's reader over every layer, in precedence order.
    let reader: Configuration.ConfigReader
    /// Each layer's provider, in the same order (to tell which one holds a key).
    let layers: [(source: Source, provider: any ConfigProvider)]

    /// Why the configuration could not be read (exit status 2).
    public struct Error: Swift.Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// Parses `arguments` (without the program name) and loads the `--config` file; every read is
    /// reported to `accessLogger` when given (secrets redacted).
    public init(arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
                accessLogger: Logger? = nil) throws {
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
        self.init(commandLine: cli, environment: environment, file: try configFile.map(ConfigFile.load) ?? [:],
                  configFile: configFile, accessLogger: accessLogger)
    }

    /// A reader over explicit values (tests, benchmarks).
    public init(commandLine: [String: String] = [:], environment: [String: String] = [:], file: [String: String] = [:],
                accessLogger: Logger? = nil) {
        self.init(commandLine: commandLine, environment: environment, file: file, configFile: nil, accessLogger: accessLogger)
    }

    init(commandLine: [String: String], environment: [String: String], file: [String: String], configFile: String?,
         accessLogger: Logger?) {
        self.commandLine = commandLine
        self.file = file
        self.configFile = configFile
        let credentials = environment["CREDENTIALS_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 }
            .map(CredentialsDirectory.load) ?? [:]
        let layers: [(source: Source, provider: any ConfigProvider)] = [
            (.commandLine, InMemoryProvider(name: "command line", values: Self.values(commandLine))),
            (.environment, KeyMappingProvider(
                upstream: EnvironmentVariablesProvider(
                    environmentVariables: environment.filter { !$0.value.isEmpty },
                    secretsSpecifier: .dynamic { name, _ in Self.isSecretEnvironmentName(name) }),
                keyMapper: { AbsoluteConfigKey([Self.environmentName(Self.key($0))]) })),
            (.credentials, KeyMappingProvider(
                upstream: InMemoryProvider(
                    name: "credentials directory",
                    values: Dictionary(credentials.map {
                        (AbsoluteConfigKey([$0.key]), ConfigValue(.string($0.value), isSecret: true))
                    }) { first, _ in first }),
                keyMapper: { AbsoluteConfigKey([CredentialsDirectory.fileName(Self.key($0))]) })),
            (.file, InMemoryProvider(name: "config file", values: Self.values(file))),
        ]
        self.layers = layers
        self.reader = Configuration.ConfigReader(
            providers: layers.map(\.provider), accessReporter: accessLogger.map { AccessLogger(logger: $0) })
    }

    /// The environment variable for `key`.
    public static func environmentName(_ key: String) -> String {
        environmentAliases[key] ?? "BALMER_" + key.uppercased().map { $0 == "." || $0 == "-" ? "_" : $0 }.map(String.init).joined()
    }

    /// Whether `key`'s value is a secret, never to be logged: `database.password`, `database.url`
    /// (a libpq URL may hold the password), any key naming a password, secret or SASL setting, and
    /// the `kafka.librdkafka.*` properties librdkafka's settings treat as secret (`ssl.key.pem`…).
    public static func isSecret(_ key: String) -> Bool {
        let lower = key.lowercased()
        if ["password", "secret", "sasl"].contains(where: lower.contains) || lower == "database.url" { return true }
        let prefix = KafkaClientSettings.passthroughPrefix
        return lower.hasPrefix(prefix) && KafkaConfig.isSecret(String(lower.dropFirst(prefix.count)))
    }

    // Every read takes the caller's `fileID` and `line`, which the access log shows.

    /// The raw value and where it came from, `nil` when no provider has the key.
    public func lookup(_ key: String, fileID: String = #fileID, line: UInt = #line) -> (value: String, source: Source)? {
        guard let value = reader.string(forKey: ConfigKey(key), isSecret: Self.isSecret(key), fileID: fileID, line: line) else {
            return nil
        }
        return (value, source(of: key) ?? .defaults)
    }

    public func string(_ key: String, default value: String, fileID: String = #fileID, line: UInt = #line) -> String {
        reader.string(forKey: ConfigKey(key), isSecret: Self.isSecret(key), default: value, fileID: fileID, line: line)
    }

    public func string(_ key: String, fileID: String = #fileID, line: UInt = #line) -> String? {
        lookup(key, fileID: fileID, line: line)?.value
    }

    public func int(_ key: String, default value: Int, in range: ClosedRange<Int> = Int.min...Int.max,
                    fileID: String = #fileID, line: UInt = #line) throws -> Int {
        guard let raw = lookup(key, fileID: fileID, line: line) else { return value }
        guard let n = Int(raw.value.trimmingCharacters(in: .whitespaces)), range.contains(n) else {
            throw Error("\(key) (from the \(raw.source.rawValue)) must be an integer in \(range.lowerBound)...\(range.upperBound), not \(raw.value)")
        }
        return n
    }

    public func double(_ key: String, default value: Double, fileID: String = #fileID, line: UInt = #line) throws -> Double {
        guard let raw = lookup(key, fileID: fileID, line: line) else { return value }
        guard let x = Double(raw.value.trimmingCharacters(in: .whitespaces)), x.isFinite else {
            throw Error("\(key) (from the \(raw.source.rawValue)) must be a number, not \(raw.value)")
        }
        return x
    }

    public func list(_ key: String, default value: [String], fileID: String = #fileID, line: UInt = #line) -> [String] {
        guard let raw = lookup(key, fileID: fileID, line: line) else { return value }
        return raw.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Keys starting with `prefix` that the command line or the file set (a family of keys such as
    /// `kafka.librdkafka.*`; environment variables cannot name them: `_` is ambiguous there).
    public func keys(withPrefix prefix: String) -> [String] {
        Set(commandLine.keys).union(file.keys).filter { $0.hasPrefix(prefix) && $0.count > prefix.count }.sorted()
    }

    /// Every key any provider sets (for warnings about unknown keys).
    public var providedKeys: Set<String> { Set(commandLine.keys).union(file.keys) }

    /// The first layer holding `key`, `nil` when none does.
    func source(of key: String) -> Source? {
        let absolute = AbsoluteConfigKey(ConfigKey(key))
        return layers.first { (try? $0.provider.value(forKey: absolute, type: .string))?.value != nil }?.source
    }

    /// `values` as swift-configuration string values keyed by their dotted keys, secrets marked.
    /// (Two keys that split alike, such as `a..b` and `a.b`, keep the first.)
    static func values(_ values: [String: String]) -> [AbsoluteConfigKey: ConfigValue] {
        Dictionary(values.sorted { $0.key < $1.key }.map {
            (AbsoluteConfigKey(ConfigKey($0.key)), ConfigValue(.string($0.value), isSecret: isSecret($0.key)))
        }) { first, _ in first }
    }

    /// A swift-configuration key as Balmer's dotted key.
    static func key(_ key: AbsoluteConfigKey) -> String { key.components.joined(separator: ".") }

    /// Whether the environment variable `name` holds a secret (`BALMER_DATABASE_PASSWORD`…).
    static func isSecretEnvironmentName(_ name: String) -> Bool {
        isSecret(name) || name == environmentName("database.url")
    }
}
