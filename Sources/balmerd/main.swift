import BalmerCNN
import BalmerService
import Dispatch
import Foundation
import Logging
import Metrics
import Prometheus

// balmerd: the streaming ingest daemon. Configuration: see DaemonConfiguration (command line
// `--key value`, environment BALMER_*, $CREDENTIALS_DIRECTORY, `--config FILE`, defaults).

// OpenBLAS's fast kernels on CPUs newer than the library (re-executes once when needed).
BLASCore.selectFastKernels()

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    print("""
        usage: balmerd [--config FILE] [--KEY VALUE | --KEY=VALUE]…
        Consumes balmer.spectra, scores every spectrum and stores it in PostgreSQL.
        Keys (environment BALMER_<KEY> with . and - as _, e.g. BALMER_KAFKA_BROKERS; BALMER_THREADS):
          \(DaemonConfiguration.keys.joined(separator: "\n  "))
          kafka.librdkafka.<property>  (any librdkafka property, passed verbatim; command line or config file)
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
let registry = PrometheusCollectorRegistry()
MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
exit(await DaemonRunner.run(configuration: configuration, arguments: arguments, registry: registry))
