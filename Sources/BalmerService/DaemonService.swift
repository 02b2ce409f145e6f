import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// `balmerd`'s ingest, label ingestion and campaign loop (``DaemonServices``) as a
/// swift-service-lifecycle `Service`, run by the `ServiceGroup` that ``DaemonRunner`` wires.
///
/// `run()` tells systemd `READY=1` (the group traps SIGTERM and SIGINT before it starts its
/// services, so the daemon handles them from then on), runs the services until they stop, tells
/// systemd `STOPPING=1` and returns; it throws the ingest pipeline's failure, if any.
///
/// A graceful shutdown of the group (SIGTERM or SIGINT) logs `stop requested: draining`, tells
/// systemd `STOPPING=1` and asks the services to drain the batches in hand and commit
/// (``DaemonServices/requestStop()``). If `run()` has not returned `shutdownTimeoutSeconds`
/// later, the process logs a critical line and exits with status 1: a timer on its own dispatch
/// queue, not the group's escalation to task cancellation (the drain waits on librdkafka and
/// libpq calls that cancellation does not interrupt, and the group's last resort is a crash,
/// not an exit status).
public struct DaemonService: Service, CustomStringConvertible {
    private let services: DaemonServices
    private let notifier: SystemdNotifier
    private let shutdownTimeoutSeconds: Int
    private let logger: Logger
    /// What a drain past the timeout ends in (the process's exit with status 1; tests record it instead).
    private let hardStop: @Sendable () -> Void

    /// Where the hard shutdown timer runs (off the cooperative pool, which a hung drain may hold).
    private static let timerQueue = DispatchQueue(label: "balmerd.shutdown-timer")

    /// - Parameter shutdownTimeoutSeconds: the longest drain after a stop request
    ///   (`shutdown.timeout-seconds`) before the process exits with status 1.
    public init(services: DaemonServices, notifier: SystemdNotifier, shutdownTimeoutSeconds: Int, logger: Logger) {
        self.init(services: services, notifier: notifier, shutdownTimeoutSeconds: shutdownTimeoutSeconds, logger: logger,
                  hardStop: Self.exitNow)
    }

    init(services: DaemonServices, notifier: SystemdNotifier, shutdownTimeoutSeconds: Int, logger: Logger,
         hardStop: @escaping @Sendable () -> Void) {
        self.services = services
        self.notifier = notifier
        self.shutdownTimeoutSeconds = shutdownTimeoutSeconds
        self.logger = logger
        self.hardStop = hardStop
    }

    /// Ends the process with status 1 at once, whatever its threads are doing: a compute thread
    /// may be blocked in `read()` on a hung NFS mount, and `exit(1)` would run the atexit handlers
    /// and static destructors (OpenBLAS's joins its worker threads; librdkafka's handles may be
    /// mid-call), any of which can wait on a blocked thread. The log is flushed first; `_exit`
    /// skips everything else. Offsets not committed are redelivered to the next owner.
    @Sendable static func exitNow() {
        fflush(nil)  // every output stream, stdout and stderr included
        _exit(1)
    }

    /// The name the group logs (a constant: the services' state is not for the log).
    public var description: String { "balmerd" }

    public func run() async throws {
        notifier.notify("READY=1\nSTATUS=ingesting")
        let finished = Flag()
        // A stop that ends in time (or a failure) must not leave the timer armed: in-process
        // callers (the tests) live on after `run()`.
        defer { finished.set() }
        try await withGracefulShutdownHandler {
            try await services.run()
        } onGracefulShutdown: { [services, notifier, logger, shutdownTimeoutSeconds, hardStop] in
            // A pipeline that failed is already stopping on its own: its error ends `run()`.
            guard !services.pipeline.isStopping else { return }
            logger.notice("stop requested: draining", metadata: ["timeout.s": "\(shutdownTimeoutSeconds)"])
            notifier.notify("STOPPING=1")
            services.requestStop()
            Self.timerQueue.asyncAfter(deadline: .now() + .seconds(shutdownTimeoutSeconds)) {
                guard !finished.isSet else { return }
                logger.critical("drain exceeded shutdown.timeout-seconds: exiting without a clean commit")
                hardStop()
            }
        }
        notifier.notify("STOPPING=1")
        logger.notice("stopped")
    }
}

/// A one-way flag shared between `run()` and the shutdown timer.
private final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
