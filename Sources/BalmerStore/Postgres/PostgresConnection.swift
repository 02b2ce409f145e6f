internal import CLibPQ
import Dispatch
import Foundation
import Logging

/// One libpq connection. Every libpq call runs on the connection's own serial `DispatchQueue`,
/// never on Swift's cooperative pool; the async methods suspend while libpq blocks.
///
/// A connection serves one task at a time: take it from a ``PostgresPool`` (or own it) and do
/// not share it between concurrent tasks. Statements are always parameterized (`$1`, `$2`, …).
public final class PostgresConnection: @unchecked Sendable {
    // @unchecked Sendable: `handle` is only touched on `queue` (serial) or in deinit, when no
    // queued work can exist because queued blocks retain `self`. `cancelHandle` is used from
    // any thread, which libpq documents as safe for PQcancel.
    private let handle: OpaquePointer
    private let cancelHandle: OpaquePointer?
    private let queue: DispatchQueue
    let logger: Logger
    /// The server process id serving this connection (for `pg_terminate_backend`, logs).
    public let backendPID: Int32
    /// The schema set as `search_path`, if the configuration named one.
    public let schema: String?

    private init(handle: OpaquePointer, queue: DispatchQueue, schema: String?, logger: Logger) {
        self.handle = handle
        self.cancelHandle = PQgetCancel(handle)
        self.schema = schema
        self.queue = queue
        self.logger = logger
        self.backendPID = PQbackendPID(handle)
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        PQfinish(handle)
    }

    /// Connects (blocking work on a new serial queue) and applies the configured schema.
    public static func connect(
        _ configuration: PostgresConfiguration, logger: Logger = Logger(label: "balmer.store")
    ) async throws -> PostgresConnection {
        if let schema = configuration.schema, !PostgresConfiguration.isPlainIdentifier(schema) {
            throw PostgresError(.usage, message: "schema name must be a plain lower-case identifier")
        }
        let queue = DispatchQueue(label: "balmer.postgres.connection")
        let params = configuration.connectionParameters
        let handle: OpaquePointer
        do {
            handle = try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    continuation.resume(with: Result { try openHandle(params) })
                }
            }
        } catch var error as PostgresError {
            // libpq may echo parts of the connection string (e.g. a badly encoded password).
            error.message = configuration.redacting(error.message)
            throw error
        }
        let connection = PostgresConnection(handle: handle, queue: queue, schema: configuration.schema, logger: logger)
        if let schema = configuration.schema {
            try await connection.query("SELECT set_config('search_path', $1, false)", [schema])
        }
        let settings = configuration.sessionSettings
        if !settings.isEmpty {
            // Names are fixed here; values are integers, passed as parameters.
            let calls = settings.indices.map { "set_config('\(settings[$0].0)', $\($0 + 1), false)" }
            try await connection.query("SELECT " + calls.joined(separator: ", "), settings.map { $0.1 as any PostgresEncodable })
        }
        logger.debug("postgres connected", metadata: ["backend": "\(connection.backendPID)"])
        return connection
    }

    /// Runs PQconnectdbParams; frees the handle if the connection failed.
    private static func openHandle(_ params: [(String, String)]) throws -> OpaquePointer {
        let keys = params.map { strdup($0.0) }
        let values = params.map { strdup($0.1) }
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        var keyPointers: [UnsafePointer<CChar>?] = keys.map { UnsafePointer($0) } + [nil]
        var valuePointers: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        guard let conn = PQconnectdbParams(&keyPointers, &valuePointers, 1) else {
            throw PostgresError(.connection, message: "libpq could not allocate a connection")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(conn))
            PQfinish(conn)
            throw PostgresError(.connection, message: message)
        }
        // Notices (e.g. "relation already exists, skipping") are not errors: drop them
        // instead of letting libpq print to stderr.
        PQsetNoticeProcessor(conn, { _, _ in }, nil)
        return conn
    }

    /// Runs `body` with the raw handle on the connection's queue. Cancelling the calling task
    /// while it waits asks the server to cancel the running statement (which then fails with
    /// SQLSTATE 57014). A task that is already cancelled still runs its statements (clean-up
    /// such as ROLLBACK must work), without sending cancel requests.
    func withHandle<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        if Task.isCancelled { return try await onQueue(body) }
        return try await withTaskCancellationHandler {
            try await onQueue(body)
        } onCancel: {
            requestCancel()
        }
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                continuation.resume(with: Result { try body(handle) })
            }
        }
    }

    /// Asks the server to cancel the statement in progress, if any (safe from any thread).
    public func requestCancel() {
        guard let cancelHandle else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancelHandle, &buffer, Int32(buffer.count))
    }

    /// Whether libpq still considers the connection usable and outside any transaction.
    /// Cheap; call only while no statement is in flight.
    public var isIdleAndHealthy: Bool {
        queue.sync { PQstatus(handle) == CONNECTION_OK && PQtransactionStatus(handle) == PQTRANS_IDLE }
    }

    /// Whether the connection is broken.
    public var isBroken: Bool { queue.sync { PQstatus(handle) != CONNECTION_OK } }

    // MARK: statements

    /// Runs one parameterized statement and returns its rows (binary format, copied out).
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) async throws -> PostgresResult {
        let values = parameters.map(\.postgresValue)
        return try await withHandle { conn in
            try Self.execute(conn, sql, values)
        }
    }

    /// Runs a constant script of several statements (migrations, DDL). No parameters; never
    /// pass text built from data.
    public func runScript(_ sql: String) async throws {
        try await withHandle { conn in
            let result = PQexec(conn, sql)
            defer { PQclear(result) }
            try Self.check(conn, result, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
        }
    }

    static func execute(_ conn: OpaquePointer, _ sql: String, _ values: [PostgresValue]) throws -> PostgresResult {
        let encoded = values.map(\.binary)
        let types = values.map(\.typeOID)
        let storage: [UnsafeMutablePointer<CChar>?] = encoded.map { bytes -> UnsafeMutablePointer<CChar>? in
            guard let bytes else { return nil }
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBytes { src in
                UnsafeMutableRawBufferPointer(start: p, count: bytes.count).copyMemory(from: src)
            }
            return p
        }
        defer { storage.forEach { $0?.deallocate() } }
        let pointers: [UnsafePointer<CChar>?] = storage.map { p in p.map { UnsafePointer($0) } }
        let lengths = encoded.map { Int32($0?.count ?? 0) }
        let formats = [Int32](repeating: 1, count: values.count)
        let result = PQexecParams(conn, sql, Int32(values.count), types, pointers, lengths, formats, 1)
        defer { PQclear(result) }
        try check(conn, result, expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
        return copyResult(result!)
    }

    /// Throws a ``PostgresError`` unless `result` has one of the expected statuses.
    static func check(
        _ conn: OpaquePointer, _ result: OpaquePointer?, expecting: [ExecStatusType],
        kind: PostgresError.Kind = .statement
    ) throws {
        if let result, expecting.contains(PQresultStatus(result)) { return }
        throw error(conn, result, kind: kind)
    }

    /// The error for a failed result, or for the connection when `result` is nil.
    static func error(_ conn: OpaquePointer, _ result: OpaquePointer?, kind: PostgresError.Kind) -> PostgresError {
        var sqlState: String?
        var message = String(cString: PQerrorMessage(conn))
        if let result {
            if let s = PQresultErrorField(result, Int32(UInt8(ascii: "C"))) { sqlState = String(cString: s) }
            if let m = PQresultErrorField(result, Int32(UInt8(ascii: "M"))) {
                message = String(cString: m)
            } else if let m = PQresultErrorMessage(result), m.pointee != 0 {
                message = String(cString: m)
            }
        }
        if message.isEmpty { message = "unexpected result status" }
        let lost = PQstatus(conn) != CONNECTION_OK
        return PostgresError(lost ? .connectionLost : kind, sqlState: sqlState, message: message)
    }

    private static func copyResult(_ result: OpaquePointer) -> PostgresResult {
        let nrows = Int(PQntuples(result))
        let ncols = Int(PQnfields(result))
        let columns = (0..<ncols).map { c in
            PostgresColumn(name: String(cString: PQfname(result, Int32(c))), typeOID: PQftype(result, Int32(c)))
        }
        var rows: [PostgresRow] = []
        rows.reserveCapacity(nrows)
        for r in 0..<nrows {
            var cells: [[UInt8]?] = []
            cells.reserveCapacity(ncols)
            for c in 0..<ncols {
                if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                    cells.append(nil)
                } else {
                    let len = Int(PQgetlength(result, Int32(r), Int32(c)))
                    let ptr = PQgetvalue(result, Int32(r), Int32(c))!
                    cells.append(ptr.withMemoryRebound(to: UInt8.self, capacity: len) {
                        Array(UnsafeBufferPointer(start: $0, count: len))
                    })
                }
            }
            rows.append(PostgresRow(columns: columns, cells: cells))
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresResult(columns: columns, rows: rows, affectedRows: affected)
    }

    /// A SCRAM-SHA-256 verifier for `password` of `user`, computed by libpq on the client, so
    /// that `ALTER ROLE … PASSWORD` never carries the plain password.
    func encryptedPassword(_ password: String, user: String) async throws -> String {
        try await withHandle { conn in
            guard let p = PQencryptPasswordConn(conn, password, user, "scram-sha-256") else {
                throw PostgresError(.statement, message: "could not encrypt the password")
            }
            defer { PQfreemem(p) }
            return String(cString: p)
        }
    }
}
