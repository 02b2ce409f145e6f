import Foundation

/// An error from PostgreSQL or libpq. The description carries the SQLSTATE and the server's
/// primary message, never statement parameters, connection strings or passwords.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely.
    public enum Kind: String, Sendable {
        /// Could not connect (or reconnect).
        case connection
        /// The connection broke while in use; the connection is unusable afterwards.
        case connectionLost
        /// The server rejected a statement.
        case statement
        /// A COPY failed.
        case copy
        /// A value could not be decoded into the requested Swift type.
        case decoding
        /// The caller used the API wrongly (e.g. a bad schema name).
        case usage
    }

    public var kind: Kind
    /// Five-character SQLSTATE (e.g. `23505`, `42501`, `57P01`), when the server sent one.
    public var sqlState: String?
    /// The server's or libpq's message, first line only.
    public var message: String
    public var file: String
    public var line: Int

    public init(_ kind: Kind, sqlState: String? = nil, message: String, file: String = #fileID, line: Int = #line) {
        self.kind = kind
        self.sqlState = sqlState
        var text = String(message.split(separator: "\n", maxSplits: 1).first ?? "")
            .trimmingCharacters(in: .whitespaces)
        // Data exceptions (class 22) quote the offending input, which may be a parameter.
        if sqlState?.hasPrefix("22") == true { text = Self.redactingQuotedText(text) }
        self.message = text
        self.file = file
        self.line = line
    }

    public var description: String {
        var text = "PostgreSQL \(kind.rawValue) error"
        if let sqlState { text += " [\(sqlState)]" }
        return text + ": " + message
    }

    /// Replaces every `"…"` quoted run (a value echoed by the server) with `"<redacted>"`.
    static func redactingQuotedText(_ text: String) -> String {
        var out = ""
        var inQuote = false
        for c in text {
            if c == "\"" {
                out.append(c)
                if !inQuote { out += "<redacted>" }
                inQuote.toggle()
            } else if !inQuote {
                out.append(c)
            }
        }
        return out
    }

    /// The SQLSTATE names Balmer reacts to.
    public static let uniqueViolation = "23505"
    public static let insufficientPrivilege = "42501"
    public static let readOnlyTransaction = "25006"
    public static let adminShutdown = "57P01"
}
