import Foundation

/// How to reach the database.
///
/// - `url`: a libpq connection URI (`postgresql://user@host:port/db?sslmode=require`) or
///   keyword string (`host=… dbname=…`); TLS settings (`sslmode`, `sslrootcert`, …) pass through.
/// - `schema`: when set, every connection's `search_path` is this schema alone (tests use a
///   unique schema per run); default `nil` = the server's default (`public`).
/// - `user`/`password`: override the URL's (the password is a secret: never logged or printed).
public struct PostgresConfiguration: Sendable {
    public var url: String
    public var schema: String?
    public var user: String?
    public var password: String?
    /// `application_name` shown in `pg_stat_activity`. Default `balmer`.
    public var applicationName: String
    /// Seconds libpq waits for a connection. Default 10.
    public var connectTimeout: Int

    public init(
        url: String, schema: String? = nil, user: String? = nil, password: String? = nil,
        applicationName: String = "balmer", connectTimeout: Int = 10
    ) {
        self.url = url
        self.schema = schema
        self.user = user
        self.password = password
        self.applicationName = applicationName
        self.connectTimeout = connectTimeout
    }

    /// Reads `BALMER_DATABASE_URL`; `nil` when it is unset or empty.
    public static func fromEnvironment(schema: String? = nil) -> PostgresConfiguration? {
        guard let url = ProcessInfo.processInfo.environment["BALMER_DATABASE_URL"], !url.isEmpty else { return nil }
        return PostgresConfiguration(url: url, schema: schema)
    }

    /// Whether `name` is a plain lower-case SQL identifier (letters, digits, `_`; ≤ 63 bytes).
    public static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 63 else { return false }
        let lower = UInt8(ascii: "a")...UInt8(ascii: "z")
        let digit = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard lower.contains(first) || first == UInt8(ascii: "_") else { return false }
        return name.utf8.allSatisfy { lower.contains($0) || digit.contains($0) || $0 == UInt8(ascii: "_") }
    }

    /// Secret strings that must never appear in a message: the password override, the password
    /// of a `scheme://user:password@host` URL, and a `password=` keyword value.
    var secrets: [String] {
        var out: [String] = []
        if let password, !password.isEmpty { out.append(password) }
        if let scheme = url.range(of: "://") {
            let rest = url[scheme.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            if let at = authority.lastIndex(of: "@") {
                let userInfo = authority[..<at]
                if let colon = userInfo.firstIndex(of: ":") {
                    let pw = String(userInfo[userInfo.index(after: colon)...])
                    if !pw.isEmpty {
                        out.append(pw)
                        if let decoded = pw.removingPercentEncoding, decoded != pw { out.append(decoded) }
                    }
                }
            }
        }
        if let range = url.range(of: "password=") {
            let value = url[range.upperBound...].prefix { $0 != " " && $0 != "&" }
                .trimmingCharacters(in: CharacterSet(charactersIn: "'"))
            if !value.isEmpty { out.append(value) }
        }
        return out
    }

    /// `message` with every secret replaced by `<redacted>`.
    func redacting(_ message: String) -> String {
        secrets.reduce(message) { $0.replacingOccurrences(of: $1, with: "<redacted>") }
    }

    /// libpq keyword/value pairs: the URL first, then the overrides (later entries win).
    var connectionParameters: [(String, String)] {
        var p: [(String, String)] = [("dbname", url)]
        if let user { p.append(("user", user)) }
        if let password { p.append(("password", password)) }
        p.append(("application_name", applicationName))
        p.append(("connect_timeout", String(connectTimeout)))
        return p
    }
}
