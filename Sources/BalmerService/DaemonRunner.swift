import BalmerCNN
import Dispatch
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The daemon's process-level wiring around the pipeline: a swift-service-lifecycle
/// `ServiceGroup` (graceful shutdown on SIGTERM/SIGINT) running ``ReloadService`` (SIGHUP) and
/// ``DaemonService`` (systemd notify, drain on shutdown), plus the metrics listener and the
/// watchdog; `balmerd`'s `main` bootstraps logging and calls ``run(configuration:arguments:registry:)``.
public enum DaemonRunner {
    /// Runs until SIGTERM/SIGINT (drain, commit, exit status 0) or a fatal error (1).
    /// `arguments` are re-read on SIGHUP to reload `log.level`.
    /// `registry` is what `/metrics` serves (the process bootstraps swift-metrics with it).
    public static func run(configuration: DaemonConfiguration, arguments: [String],
                           registry: PrometheusCollectorRegistry) async -> Int32 {
        let logger = Logger(label: "balmerd")
        logger.info("starting", metadata: configuration.logMetadata)
        logger.info("\(BLASCore.computeSummary(threads: configuration.threads))")

        let notifier = SystemdNotifier()
        // Until the group traps them, these signals are ignored (a start is not interrupted half way).
        for s in [SIGTERM, SIGINT, SIGHUP] { signal(s, SIG_IGN) }

        let services: DaemonServices
        do {
            services = try await Daemon.build(configuration, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            FileHandle.standardError.write(Data("balmerd: cannot start: \(error)\n".utf8))
            return 1
        }
        let pipeline = services.pipeline

        let http: HealthServer?
        if configuration.httpPort > 0 {
            do {
                http = try HealthServer(host: configuration.httpHost, port: configuration.httpPort, pipeline: pipeline,
                                        health: services.health, registry: registry, logger: logger)
                http?.start()
            } catch {
                logger.error("metrics listener not started", metadata: ["error": "\(error)"])
                http = nil
            }
        } else {
            http = nil
        }

        if let interval = notifier.watchdogInterval {
            let half = interval / 2
            let health = services.health
            Thread.detachNewThread {
                // Fed while no part is stalled: a degraded part (a database outage) is waited out, not restarted.
                while !pipeline.isStopping {
                    if health.isAlive { notifier.notify("WATCHDOG=1") }
                    Thread.sleep(forTimeInterval: Double(half.components.seconds) + Double(half.components.attoseconds) * 1e-18)
                }
            }
        }

        let group = ServiceGroup(configuration: groupConfiguration(
            daemon: DaemonService(services: services, notifier: notifier,
                                  shutdownTimeoutSeconds: configuration.shutdownTimeoutSeconds, logger: logger),
            reload: ReloadService(hangups: await UnixSignalsSequence(trapping: .sighup), arguments: arguments, logger: logger),
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        defer { withExtendedLifetime(http) {} }
        do {
            try await group.run()
            return 0
        } catch {
            logger.critical("ingest failed", metadata: ["error": "\(error)"])
            return 1
        }
    }

    /// The group `balmerd` runs: `reload` first, so that a graceful shutdown (which goes through
    /// the services in reverse) drains `daemon` while SIGHUP still works. `daemon` returning ends
    /// the group cleanly; either service throwing cancels the group and `run()` throws that error.
    public static func groupConfiguration(daemon: DaemonService, reload: ReloadService, gracefulShutdownSignals: [UnixSignal],
                                          logger: Logger) -> ServiceGroupConfiguration {
        ServiceGroupConfiguration(
            services: [
                .init(service: reload, serviceName: reload.description),
                .init(service: daemon, successTerminationBehavior: .gracefullyShutdownGroup, serviceName: daemon.description),
            ],
            gracefulShutdownSignals: gracefulShutdownSignals, logger: logger)
    }
}
