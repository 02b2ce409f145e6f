import BalmerCore
import Foundation

/// Whether a failed store operation can succeed when simply tried again.
public enum StoreErrorClass: String, Sendable, Hashable {
    /// The connection, the server's state or a conflict with other sessions: retry after a pause.
    case transient
    /// The data or the statement itself: the same rows will fail again, so retrying them blocks
    /// the caller forever. Isolate the offending rows instead.
    case permanent
    /// The deployment, not the rows: a missing grant or table, a read-only server, a wrong schema.
    /// Every row would fail alike, so isolating them would turn a whole release into rejects; the
    /// caller retries (slowly) and reports the reason, and an operator fixes the cause.
    case systemic
}

extension PostgresError {
    /// Transient: the `connection` and `connectionLost` kinds; SQLSTATE class 08 (connection
    /// exception), 40001 (serialization failure), 40P01 (deadlock), 57P01/57P02/57P03 (admin or
    /// crash shutdown, cannot connect now), class 53 (insufficient resources: disk full, out of
    /// memory, too many connections), 55P03 (lock not available), 57014 (query cancelled, e.g. a
    /// statement timeout); and a failed statement or COPY without any SQLSTATE (libpq lost the
    /// server mid-way). Systemic: class 42 (syntax or access rule: 42501 a missing grant, 42P01 a
    /// missing table), class 28 (authorization), 0A (feature not supported), 25006 (read-only
    /// transaction: a standby), 3D000 and 3F000 (no such database or schema). Permanent:
    /// everything else: class 22 (data exception, e.g. 22021 a NUL byte in text), class 23
    /// (integrity; the ingest path handles its unique violations itself), class 54 (program limit,
    /// e.g. an index row too large), decoding and usage errors.
    public var errorClass: StoreErrorClass {
        switch kind {
        case .connection, .connectionLost: return .transient
        case .decoding, .usage: return .permanent
        case .statement, .copy: break
        }
        guard let state = sqlState, state.utf8.count == 5 else { return .transient }
        if state.hasPrefix("08") || state.hasPrefix("53") { return .transient }
        if Self.transientStates.contains(state) { return .transient }
        if state.hasPrefix("42") || state.hasPrefix("28") || state.hasPrefix("0A") || Self.systemicStates.contains(state) {
            return .systemic
        }
        return .permanent
    }

    /// Whether ``errorClass`` is ``StoreErrorClass/transient``.
    public var isTransient: Bool { errorClass == .transient }

    /// The single SQLSTATEs (outside classes 08 and 53) that are transient.
    static let transientStates: Set<String> = ["40001", "40P01", "57P01", "57P02", "57P03", "55P03", "57014"]

    /// SQLSTATE of `statement_timeout` (and of a cancel request).
    public static let queryCanceled = "57014"
    /// SQLSTATE of `lock_timeout`.
    public static let lockNotAvailable = "55P03"

    /// The single SQLSTATEs (outside classes 42, 28 and 0A) that are systemic.
    static let systemicStates: Set<String> = ["25006", "3D000", "3F000"]
}

extension StoreErrorClass {
    /// The class of any error a store call threw: ``PostgresError/errorClass`` for PostgreSQL
    /// errors, permanent for ``RepositoryError`` (the rows themselves are wrong), transient for
    /// anything else (cancellation, a closed pool during a restart), which keeps the old
    /// retry-until-stopped behaviour for errors Balmer does not know.
    public static func of(_ error: any Error) -> StoreErrorClass {
        switch error {
        case let error as PostgresError: error.errorClass
        case is RepositoryError: .permanent
        default: .transient
        }
    }
}
