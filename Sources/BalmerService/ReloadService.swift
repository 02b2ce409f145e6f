import Dispatch
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads on SIGHUP what `balmerd` can change without a restart: `log.level` (the process-wide
/// level of ``ReloadableLogHandler``). Every SIGHUP re-reads the configuration from the same
/// `arguments` (command line, environment, credentials, `--config` file); a configuration that no
/// longer reads is logged and the running one kept.
///
/// Its `hangups` sequence is made (and so SIGHUP trapped) before the group runs. Listed before
/// ``DaemonService`` in the group, it is shut down after it: SIGHUP still works during a drain.
public struct ReloadService: Service, CustomStringConvertible {
    private let hangups: UnixSignalsSequence
    private let arguments: [String]
    private let logger: Logger

    /// Reading the configuration file is blocking I/O: it runs here, not on the cooperative pool.
    private static let queue = DispatchQueue(label: "balmerd.reload")

    /// - Parameters:
    ///   - hangups: a sequence trapping SIGHUP (`await UnixSignalsSequence(trapping: .sighup)`).
    ///   - arguments: the command line (without the program name) that the configuration is re-read from.
    public init(hangups: UnixSignalsSequence, arguments: [String], logger: Logger) {
        self.hangups = hangups
        self.arguments = arguments
        self.logger = logger
    }

    /// The name the group logs (never the arguments: they may hold secrets).
    public var description: String { "reload" }

    public func run() async {
        for await _ in hangups.cancelOnGracefulShutdown() {
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                Self.queue.async { [arguments, logger] in
                    Self.reload(arguments: arguments, logger: logger)
                    done.resume()
                }
            }
        }
    }

    /// Re-reads the configuration and applies what can change while running.
    static func reload(arguments: [String], logger: Logger) {
        do {
            let fresh = try DaemonConfiguration(config: try ConfigReader(arguments: arguments))
            // Logged before the change, so that it shows even when the new level is quieter.
            logger.notice("reloaded", metadata: ["log.level": "\(fresh.logLevel)"])
            ReloadableLogHandler.level.withLock { $0 = fresh.logLevel }
        } catch {
            logger.error("reload failed: keeping the running configuration", metadata: ["error": "\(error)"])
        }
    }
}
