import Foundation
import Logging

/// A small pool of connections. Connections are created on demand up to `maxConnections`
/// (default 4); creating one retries with exponential backoff (`connectAttempts`, default 5,
/// starting at `initialBackoff`, default 0.1 s, doubling up to 2 s). A connection that comes
/// back broken or inside a transaction is dropped and replaced on the next use.
public actor PostgresPool {
    public nonisolated let configuration: PostgresConfiguration
    public nonisolated let maxConnections: Int
    private let connectAttempts: Int
    private nonisolated let initialBackoff: Duration
    private nonisolated let logger: Logger
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiters: [CheckedContinuation<PostgresConnection?, Never>] = []
    private var closed = false

    public init(
        configuration: PostgresConfiguration, maxConnections: Int = 4, connectAttempts: Int = 5,
        initialBackoff: Duration = .milliseconds(100), logger: Logger = Logger(label: "balmer.store")
    ) {
        self.configuration = configuration
        self.maxConnections = max(1, maxConnections)
        self.connectAttempts = max(1, connectAttempts)
        self.initialBackoff = initialBackoff
        self.logger = logger
    }

    /// Runs `body` with a connection for its exclusive use, then returns it to the pool.
    ///
    /// - Parameter retries: times to rerun `body` on a fresh connection (after the backoff
    ///   delay) when the connection is lost under it (default 0). Only for idempotent work:
    ///   the lost attempt may or may not have committed.
    @discardableResult
    public nonisolated func withConnection<T: Sendable>(
        retries: Int = 0, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            let connection = try await acquire()
            do {
                let value = try await body(connection)
                await release(connection)
                return value
            } catch let error as PostgresError where error.kind == .connectionLost && attempt < retries {
                await release(connection)
                attempt += 1
                logger.warning("postgres connection lost, retrying", metadata: ["attempt": "\(attempt)"])
                try await Task.sleep(for: initialBackoff * attempt)
            } catch {
                await release(connection)
                throw error
            }
        }
    }

    /// Runs `body` in a transaction on a pooled connection (see ``withConnection(retries:_:)``).
    @discardableResult
    public nonisolated func transaction<T: Sendable>(
        retries: Int = 0, _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withConnection(retries: retries) { try await $0.transaction(body) }
    }

    /// Connections currently open (idle + in use).
    public var openConnections: Int { open }

    /// Closes idle connections and refuses new work.
    public func close() {
        closed = true
        idle.removeAll()
        for w in waiters { w.resume(returning: nil) }
        waiters.removeAll()
    }

    private func acquire() async throws -> PostgresConnection {
        while true {
            if closed { throw PostgresError(.usage, message: "the pool is closed") }
            while let connection = idle.popLast() {
                if connection.isIdleAndHealthy { return connection }
                open -= 1
                logger.info("postgres dropping a broken idle connection")
            }
            if open < maxConnections {
                open += 1
                do {
                    return try await connectWithBackoff()
                } catch {
                    open -= 1
                    throw error
                }
            }
            if let connection = await withCheckedContinuation({ waiters.append($0) }) { return connection }
        }
    }

    private func release(_ connection: PostgresConnection) {
        guard !closed, connection.isIdleAndHealthy else {
            open -= 1
            if !closed { logger.info("postgres dropping a connection that came back broken or in a transaction") }
            if !waiters.isEmpty { waiters.removeFirst().resume(returning: nil) }
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }

    private func connectWithBackoff() async throws -> PostgresConnection {
        var delay = initialBackoff
        var attempt = 1
        while true {
            do {
                return try await PostgresConnection.connect(configuration, logger: logger)
            } catch let error as PostgresError where attempt < connectAttempts && error.kind == .connection {
                logger.warning(
                    "postgres connect failed, retrying",
                    metadata: ["attempt": "\(attempt)", "error": "\(error)", "delay": "\(delay)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
                attempt += 1
            }
        }
    }
}
