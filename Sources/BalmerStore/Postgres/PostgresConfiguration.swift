import Foundation

/// How to reach the database.
///
/// - `url`: a libpq connection URI (`postgresql://user@host:port/db?sslmode=require`) or
///   keyword string (`host=… dbname=…`); TLS settings (`sslmode`, `sslrootcert`, …) pass through.
/// - `schema`: when set, every connection's `search_path` is this schema alone (tests use a
///   unique schema per run); default `nil` = the server's default (`public`).
/// - `user`/`password`: override the URL's (the password is a secret: never logged or printed).
/// - TCP keepalives (`keepalives=1`, `keepalives_idle=30`, `keepalives_interval=10`,
///   `keepalives_count=3`) and `tcp_user_timeout=60000` are added unless the URL sets them, so
///   a dead peer (and a dead leader's session with its advisory lock) is noticed in about a minute.
/// - Session settings: `statement_timeout`, `lock_timeout`, `idle_in_transaction_session_timeout`
///   (milliseconds, 0 = none, `nil` = the server's or role's setting). Timeouts surface as
///   transient errors (57014, 55P03) that callers retry.
public struct PostgresConfiguration: Sendable {
    public var url: String
    public var schema: String?
    public var user: String?
    public var password: String?
    /// `application_name` shown in `pg_stat_activity`. Default `balmer`.
    public var applicationName: String
    /// Seconds libpq waits for a connection. Default 10.
    public var connectTimeout: Int
    /// `statement_timeout` in ms (`database.statement-timeout-ms`). Default 600,000 (10 min: bulk
    /// COPY and rescoring chunks fit).
    public var statementTimeoutMilliseconds: Int?
    /// `lock_timeout` in ms (`database.lock-timeout-ms`). Default 30,000.
    public var lockTimeoutMilliseconds: Int?
    /// `idle_in_transaction_session_timeout` in ms. Default 300,000.
    public var idleInTransactionTimeoutMilliseconds: Int?

    public static let defaultStatementTimeoutMilliseconds = 600_000
    public static let defaultLockTimeoutMilliseconds = 30_000
    public static let defaultIdleInTransactionTimeoutMilliseconds = 300_000

    public init(
        url: String, schema: String? = nil, user: String? = nil, password: String? = nil,
        applicationName: String = "balmer", connectTimeout: Int = 10,
        statementTimeoutMilliseconds: Int? = PostgresConfiguration.defaultStatementTimeoutMilliseconds,
        lockTimeoutMilliseconds: Int? = PostgresConfiguration.defaultLockTimeoutMilliseconds,
        idleInTransactionTimeoutMilliseconds: Int? = PostgresConfiguration.defaultIdleInTransactionTimeoutMilliseconds
    ) {
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        self.lockTimeoutMilliseconds = lockTimeoutMilliseconds
        self.idleInTransactionTimeoutMilliseconds = idleInTransactionTimeoutMilliseconds
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
        for (key, value) in Self.tcpDefaults where !urlSets(key) { p.append((key, value)) }
        return p
    }

    /// Keepalives and the TCP user timeout added unless the URL names them.
    static let tcpDefaults: [(String, String)] = [
        ("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
        ("tcp_user_timeout", "60000"),
    ]

    /// Whether the URL (URI query or keyword string) sets the libpq parameter `key`.
    func urlSets(_ key: String) -> Bool {
        let separators = CharacterSet(charactersIn: "?& \t")
        var search = url.startIndex..<url.endIndex
        while let range = url.range(of: key + "=", range: search) {
            if range.lowerBound == url.startIndex { return true }
            let before = url[url.index(before: range.lowerBound)]
            if before.unicodeScalars.allSatisfy({ separators.contains($0) }) { return true }
            search = range.upperBound..<url.endIndex
        }
        return false
    }

    /// The session settings applied after connecting (name, value in ms).
    var sessionSettings: [(String, String)] {
        [("statement_timeout", statementTimeoutMilliseconds), ("lock_timeout", lockTimeoutMilliseconds),
         ("idle_in_transaction_session_timeout", idleInTransactionTimeoutMilliseconds)]
            .compactMap { name, value in value.map { (name, String(max(0, $0))) } }
    }
}
