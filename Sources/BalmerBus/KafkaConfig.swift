internal import CRdKafka
import Foundation

/// Connection settings shared by producers, consumers and the admin client.
///
/// `properties` are passed to librdkafka verbatim (see its CONFIGURATION.md) after Balmer's own
/// settings, so they can override anything except the delivery guarantees the client types fix
/// (idempotence for the producer, manual offsets for the consumer). Values of keys that look like
/// secrets (`*password*`, `*secret*`, `sasl.*`, `ssl.key*`) are never logged or printed.
public struct KafkaConfig: Sendable, CustomStringConvertible {
    /// `host:port` pairs (`bootstrap.servers`).
    public var brokers: [String]
    /// `client.id`, shown in broker logs. Default `balmer`.
    public var clientID: String
    /// `group.id` for consumers; required by `KafkaConsumer`, ignored by producers.
    public var groupID: String?
    /// Extra librdkafka properties, e.g. `["session.timeout.ms": "6000"]`.
    public var properties: [String: String]

    public init(brokers: [String], clientID: String = "balmer", groupID: String? = nil, properties: [String: String] = [:]) {
        self.brokers = brokers
        self.clientID = clientID
        self.groupID = groupID
        self.properties = properties
    }

    /// Parses a comma-separated `host:port,host:port` list (blank entries ignored).
    public init(bootstrapServers: String, clientID: String = "balmer", groupID: String? = nil, properties: [String: String] = [:]) {
        self.init(brokers: bootstrapServers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
                  clientID: clientID, groupID: groupID, properties: properties)
    }

    /// Whether a property's value must not be shown.
    public static func isSecret(_ key: String) -> Bool {
        let key = key.lowercased()
        return key.contains("password") || key.contains("secret") || key.hasPrefix("sasl.") || key.hasPrefix("ssl.key")
    }

    /// The settings with secret values replaced by `<redacted>`.
    public var description: String {
        let extra = properties.keys.sorted().map { "\($0)=\(Self.isSecret($0) ? "<redacted>" : properties[$0]!)" }
        return "KafkaConfig(brokers: \(brokers.joined(separator: ",")), clientID: \(clientID), groupID: \(groupID ?? "-"), properties: [\(extra.joined(separator: ", "))])"
    }

    /// Builds an `rd_kafka_conf_t`: Balmer's base settings, then `properties`, then `fixed` (which
    /// win). The caller owns the result (pass it to `rd_kafka_new` or destroy it).
    func makeNativeConfig(base: [String: String] = [:], fixed: [String: String] = [:]) throws(KafkaError) -> OpaquePointer {
        guard !brokers.isEmpty || properties["test.mock.num.brokers"] != nil || fixed["bootstrap.servers"] != nil else {
            throw .invalidArgument("no Kafka brokers configured")
        }
        var settings = base
        settings["bootstrap.servers"] = brokers.joined(separator: ",")
        settings["client.id"] = clientID
        if let groupID { settings["group.id"] = groupID }
        for (key, value) in properties { settings[key] = value }
        for (key, value) in fixed { settings[key] = value }
        return try Self.nativeConfig(settings)
    }

    /// Checks every setting with librdkafka (names, value types, enumerations such as
    /// `security.protocol`) without creating a client; throws `_INVALID_ARG` naming the property.
    public func validate() throws(KafkaError) {
        rd_kafka_conf_destroy(try makeNativeConfig())
    }

    static func nativeConfig(_ settings: [String: String]) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw .invalidArgument("rd_kafka_conf_new failed") }
        var errstr = [CChar](repeating: 0, count: 512)
        for key in settings.keys.sorted() {
            let value = settings[key]!
            if rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                var detail = String(errorBuffer: errstr)
                // librdkafka quotes the refused value ("Invalid value \"…\" for …"): hide a secret's.
                if isSecret(key) && !value.isEmpty { detail = detail.replacingOccurrences(of: value, with: "<redacted>") }
                let shown = isSecret(key) ? "<redacted>" : value
                throw .invalidArgument("configuration \(key)=\(shown): \(detail)")
            }
        }
        return conf
    }
}
