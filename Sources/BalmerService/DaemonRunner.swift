import BalmerCNN
import Dispatch
import Foundation
import Logging
import Prometheus

/// The daemon's process-level wiring (signals, systemd notify, metrics listener, watchdog) around
/// the pipeline; `balmerd`'s `main` bootstraps logging and calls ``run(configuration:arguments:)``.
/// Lives outside `main.swift` so that signal handlers are not main-actor isolated.
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
        let signalQueue = DispatchQueue(label: "balmerd.signals")
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

        var sources: [DispatchSourceSignal] = []
        for s in [SIGTERM, SIGINT] {
            let source = DispatchSource.makeSignalSource(signal: s, queue: signalQueue)
            source.setEventHandler {
                guard !pipeline.isStopping else { return }
                logger.notice("stop requested: draining", metadata: ["signal": "\(s)", "timeout.s": "\(configuration.shutdownTimeoutSeconds)"])
                notifier.notify("STOPPING=1")
                services.requestStop()
                signalQueue.asyncAfter(deadline: .now() + .seconds(configuration.shutdownTimeoutSeconds)) {
                    logger.critical("drain exceeded shutdown.timeout-seconds: exiting without a clean commit")
                    exit(1)
                }
            }
            source.resume()
            sources.append(source)
        }
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: signalQueue)
        hup.setEventHandler {
            do {
                let fresh = try DaemonConfiguration(config: try ConfigReader(arguments: arguments))
                // Logged before the change, so that it shows even when the new level is quieter.
                logger.notice("reloaded", metadata: ["log.level": "\(fresh.logLevel)"])
                ReloadableLogHandler.level.withLock { $0 = fresh.logLevel }
            } catch {
                logger.error("reload failed: keeping the running configuration", metadata: ["error": "\(error)"])
            }
        }
        hup.resume()

        let http: HealthServer?
        if configuration.httpPort > 0 {
            do {
                http = try HealthServer(host: configuration.httpHost, port: configuration.httpPort, pipeline: pipeline, registry: registry, logger: logger)
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
            Thread.detachNewThread {
                while !pipeline.isStopping {
                    if pipeline.isAlive(within: Int64(max(1, interval.components.seconds))) { notifier.notify("WATCHDOG=1") }
                    Thread.sleep(forTimeInterval: Double(half.components.seconds) + Double(half.components.attoseconds) * 1e-18)
                }
            }
        }

        notifier.notify("READY=1\nSTATUS=ingesting")
        defer { withExtendedLifetime((sources, hup, http)) {} }
        do {
            try await services.run()
            notifier.notify("STOPPING=1")
            logger.notice("stopped")
            return 0
        } catch {
            logger.critical("ingest failed", metadata: ["error": "\(error)"])
            return 1
        }
    }
}
