import BalmerBus
import Foundation
import Logging

/// The Kafka connection settings every client of one deployment shares (TLS, SASL, any other
/// librdkafka property), read from `kafka.*` keys and passed verbatim to librdkafka. Applied in
/// this order, later wins:
///
/// 1. `kafka.properties-file`: a `key=value` librdkafka properties file (``KafkaPropertiesFile``);
/// 2. `kafka.librdkafka.<property>`: one librdkafka property (command line or config file only,
///    e.g. `"kafka": {"librdkafka": {"ssl.endpoint.identification.algorithm": "none"}}`);
/// 3. the named keys in ``namedKeys``, e.g. `kafka.security-protocol` → `security.protocol`.
///
/// The secrets (`kafka.sasl-password`, `kafka.ssl-key-password`) are read like
/// `database.password`: best from `$CREDENTIALS_DIRECTORY/kafka-sasl-password` (systemd
/// `LoadCredential=`) or the environment (`BALMER_KAFKA_SASL_PASSWORD`). Values of secret
/// properties (``KafkaConfig/isSecret(_:)``) are never logged nor put in an error message.
public struct KafkaClientSettings: Sendable, CustomStringConvertible {
    /// Configuration key → librdkafka property.
    public static let namedKeys: [(key: String, property: String)] = [
        ("kafka.security-protocol", "security.protocol"),
        ("kafka.sasl-mechanism", "sasl.mechanisms"),
        ("kafka.sasl-username", "sasl.username"),
        ("kafka.sasl-password", "sasl.password"),
        ("kafka.ssl-ca-location", "ssl.ca.location"),
        ("kafka.ssl-certificate-location", "ssl.certificate.location"),
        ("kafka.ssl-key-location", "ssl.key.location"),
        ("kafka.ssl-key-password", "ssl.key.password"),
    ]
    /// The key naming a properties file.
    public static let propertiesFileKey = "kafka.properties-file"
    /// The prefix of keys passed to librdkafka without translation.
    public static let passthroughPrefix = "kafka.librdkafka."
    /// Every fixed key (for `DaemonConfiguration.keys`).
    public static var keys: [String] { namedKeys.map(\.key) + [propertiesFileKey] }

    /// The librdkafka properties to add to every client's own.
    public var properties: [String: String]
    /// For each property, the key that set it (error messages name what the operator wrote).
    public var origins: [String: String]

    public init(properties: [String: String] = [:], origins: [String: String] = [:]) {
        self.properties = properties
        self.origins = origins
    }

    /// Reads the keys from `config`; a missing or malformed properties file or a `*-location`
    /// naming no readable file throws ``ConfigReader/Error`` (no value in the message).
    public init(config: ConfigReader) throws {
        var properties: [String: String] = [:]
        var origins: [String: String] = [:]
        if let path = config.string(Self.propertiesFileKey), !path.isEmpty {
            let loaded: [String: String]
            do { loaded = try KafkaPropertiesFile.load(path: path) } catch {
                throw ConfigReader.Error("\(Self.propertiesFileKey): \(error.message)")
            }
            for (property, value) in loaded {
                properties[property] = value
                origins[property] = "\(Self.propertiesFileKey) (\(path))"
            }
        }
        for key in config.keys(withPrefix: Self.passthroughPrefix) {
            guard let value = config.string(key) else { continue }
            let property = String(key.dropFirst(Self.passthroughPrefix.count))
            properties[property] = value
            origins[property] = key
        }
        for (key, property) in Self.namedKeys {
            guard let value = config.string(key), !value.isEmpty else { continue }
            if property.hasSuffix(".location"), value != "probe", !FileManager.default.isReadableFile(atPath: value) {
                throw ConfigReader.Error("\(key): cannot read \(value)")
            }
            properties[property] = value
            origins[property] = key
        }
        self.init(properties: properties, origins: origins)
    }

    /// Checks the properties with librdkafka (unknown names, bad enumeration values such as an
    /// unknown `security.protocol`); the error names the property and the key that set it.
    public func validate(brokers: String, clientID: String) throws {
        do {
            try KafkaConfig(bootstrapServers: brokers, clientID: clientID, properties: properties).validate()
        } catch {
            let property = properties.keys.sorted().first { error.message.hasPrefix("configuration \($0)=") }
            let origin = property.flatMap { origins[$0] }.map { " (set by \($0))" } ?? ""
            throw ConfigReader.Error("invalid Kafka setting\(origin): \(error.message)")
        }
    }

    /// `properties` added to (and overriding) a client's own `base` settings.
    public func merged(into base: [String: String]) -> [String: String] {
        base.merging(properties) { $1 }
    }

    /// The properties with secret values shown as `<redacted>`.
    public var description: String {
        properties.keys.sorted().map { "\($0)=\(KafkaConfig.isSecret($0) ? "<redacted>" : properties[$0]!)" }.joined(separator: ",")
    }
}
