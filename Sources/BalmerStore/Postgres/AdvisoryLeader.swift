import Foundation
import Logging

/// Leadership through a session advisory lock on a dedicated connection: at most one instance
/// holds `key` at a time, and the server releases it if the holder's connection dies.
/// Call ``tryAcquire()`` periodically; leadership lasts while ``isLeader()`` stays `true`.
public actor AdvisoryLeader {
    public nonisolated let key: AdvisoryLockKey
    private let configuration: PostgresConfiguration
    private let logger: Logger
    private var connection: PostgresConnection?
    private var held = false

    public init(key: AdvisoryLockKey, configuration: PostgresConfiguration, logger: Logger = Logger(label: "balmer.store")) {
        self.key = key
        self.configuration = configuration
        self.logger = logger
    }

    /// Tries to become (or confirms being) the leader: a holder proves its session is alive with
    /// a round trip. A broken connection loses leadership and is replaced.
    public func tryAcquire() async throws -> Bool {
        if held, let c = connection {
            do {
                try await c.query("SELECT 1")
                return true
            } catch let error as PostgresError where error.kind == .connectionLost || c.isBroken {
                connection = nil
                held = false
                logger.warning("leader connection lost", metadata: ["key": "\(key.rawValue)"])
            }
        }
        if let c = connection, c.isBroken { connection = nil }
        let c: PostgresConnection
        if let existing = connection {
            c = existing
        } else {
            c = try await PostgresConnection.connect(configuration, logger: logger)
            connection = c
        }
        held = try await c.tryAdvisoryLock(key)
        if held { logger.info("became leader", metadata: ["key": "\(key.rawValue)"]) }
        return held
    }

    /// Whether this instance still holds the lock (checks the connection, not the server).
    public func isLeader() -> Bool {
        guard held, let c = connection, !c.isBroken else { return false }
        return true
    }

    /// The fence for leader-only writes while this instance believes it leads (`nil` otherwise):
    /// the lock key and the backend pid of the session that acquired it.
    public func fence() -> LeaderFence? {
        guard held, let c = connection, !c.isBroken else { return nil }
        return LeaderFence(key: key, backendPID: c.backendPID)
    }

    /// Gives up leadership and closes the connection.
    public func resign() async {
        if held, let c = connection, !c.isBroken { _ = try? await c.advisoryUnlock(key) }
        held = false
        connection = nil
    }
}
