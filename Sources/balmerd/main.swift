import BalmerService
import Dispatch
import Foundation
import Logging

// balmerd: the streaming ingest daemon. Configuration: see DaemonConfiguration (command line
// `--key value`, environment BALMER_*, $CREDENTIALS_DIRECTORY, `--config FILE`, defaults).

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    print("""
        usage: balmerd [--config FILE] [--KEY VALUE | --KEY=VALUE]…
        Consumes balmer.spectra, scores every spectrum and stores it in PostgreSQL.
        Keys (environment BALMER_<KEY> with . and - as _, e.g. BALMER_KAFKA_BROKERS; BALMER_THREADS):
          \(DaemonConfiguration.keys.joined(separator: "\n  "))
        Defaults and meaning: Config/balmer.example.json. Signals: TERM/INT drain and stop, HUP reloads log.level.
        """)
    exit(0)
}

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("balmerd: \(message)\n".utf8))
    exit(status)
}

let reader: ConfigReader
let configuration: DaemonConfiguration
do {
    reader = try ConfigReader(arguments: arguments)
    configuration = try DaemonConfiguration(config: reader)
} catch {
    fail("\(error)", status: 2)
}

ReloadableLogHandler.level.withLock { $0 = configuration.logLevel }
LoggingSystem.bootstrap { ReloadableLogHandler(label: $0) }
let logger = Logger(label: "balmerd")
logger.info("starting", metadata: configuration.logMetadata)

let notifier = SystemdNotifier()
let signalQueue = DispatchQueue(label: "balmerd.signals")
for s in [SIGTERM, SIGINT, SIGHUP] { signal(s, SIG_IGN) }

let pipeline: IngestPipeline
do {
    pipeline = try await Daemon.build(configuration, logger: logger)
} catch {
    logger.critical("cannot start", metadata: ["error": "\(error)"])
    fail("cannot start: \(error)", status: 1)
}

var sources: [DispatchSourceSignal] = []
for s in [SIGTERM, SIGINT] {
    let source = DispatchSource.makeSignalSource(signal: s, queue: signalQueue)
    source.setEventHandler {
        guard !pipeline.isStopping else { return }
        logger.notice("stop requested: draining", metadata: ["signal": "\(s)", "timeout.s": "\(configuration.shutdownTimeoutSeconds)"])
        notifier.notify("STOPPING=1")
        pipeline.requestStop()
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
        ReloadableLogHandler.level.withLock { $0 = fresh.logLevel }
        logger.notice("reloaded", metadata: ["log.level": "\(fresh.logLevel)"])
    } catch {
        logger.error("reload failed: keeping the running configuration", metadata: ["error": "\(error)"])
    }
}
hup.resume()

let http: HealthServer?
if configuration.httpPort > 0 {
    do {
        http = try HealthServer(host: configuration.httpHost, port: configuration.httpPort, pipeline: pipeline, logger: logger)
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
do {
    try await pipeline.run()
    notifier.notify("STOPPING=1")
    logger.notice("stopped")
    exit(0)
} catch {
    logger.critical("ingest failed", metadata: ["error": "\(error)"])
    exit(1)
}
