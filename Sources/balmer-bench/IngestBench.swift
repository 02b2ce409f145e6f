import ArgumentParser
import BalmerBus
import BalmerCNN
import BalmerCore
import BalmerFITS
import BalmerService
import BalmerStore
import Foundation
import Logging

/// `balmer-bench ingest [--count N]`: the whole ingest pipeline in this process — N gzipped
/// synthetic LAMOST DR9 files on local disk, their events on an in-process mock Kafka cluster,
/// the PostgreSQL at `$BALMER_DATABASE_URL` (a fresh schema, dropped afterwards).
///
/// Phase 1 (throughput): all N events are published first, then the pipeline drains the backlog;
/// reports sustained spectra/s (first poll → last commit) and the CPU seconds the process used.
/// Phase 2 (latency and memory): `--rate` events/s for `--steady-seconds`; reports event-to-commit
/// latency percentiles (Kafka message timestamp → offsets committed after the rows are durable)
/// and the resident memory sampled every second (start, middle, end, maximum of the phase). The
/// phase's events reuse `--steady-files` files under new spectrum ids, so a long soak (say 500/s
/// for 300 s: 150,000 events) needs no 150,000 files. With `--brokers` the events go to an
/// external cluster (e.g. `balmer kafka mock` in another process), so the broker's copy of every
/// event is not counted in this process's memory.
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "End-to-end ingest: Kafka events → FITS → CNN → PostgreSQL (spectra/s, latency).")

    @Option(help: "Files (events) in the throughput phase.") var count = 8000
    @Option(help: "Events per second in the latency phase.") var rate = 500
    @Option(name: .customLong("steady-seconds"), help: "Length of the latency phase (0 skips it).") var steadySeconds = 10
    @Option(help: "Compute threads (default: all cores).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(name: .customLong("batch-size"), help: "Events per micro-batch.") var batchSize = 512
    @Option(name: .customLong("max-in-flight"), help: "Micro-batches between poll and commit.") var maxInFlight = 2
    @Option(help: "Folder for the synthetic files (kept; default: a temporary folder, removed).") var files: String?
    @Option(name: .customLong("steady-files"), help: "Files the latency phase's events cycle through (default: one per event, at most 4000).")
    var steadyFiles: Int?
    @Option(help: "Bootstrap servers of a fresh external cluster with Balmer's topics (default: an in-process mock cluster).")
    var brokers: String?

    func validate() throws {
        if count < 1 || rate < 1 || steadySeconds < 0 { throw ValidationError("--count and --rate must be positive") }
        if let steadyFiles, steadyFiles < 1 { throw ValidationError("--steady-files must be positive") }
        if (ProcessInfo.processInfo.environment["BALMER_DATABASE_URL"] ?? "").isEmpty {
            throw ValidationError("no database: set BALMER_DATABASE_URL (ops/lib/pg.sh starts one)")
        }
    }

    func run() async throws {
        var logger = Logger(label: "balmer.bench.ingest", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        let keep = files != nil
        let dir = files ?? FileManager.default.temporaryDirectory.appendingPathComponent("balmer-ingest-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if !keep { try? FileManager.default.removeItem(atPath: dir) } }
        let steadyCount = rate * steadySeconds
        let total = count + steadyCount
        let cycle = steadyFiles ?? max(1, min(steadyCount, 4000))
        FileHandle.standardError.write(Data("writing \(count + cycle) gzipped LAMOST DR9 files to \(dir)…\n".utf8))
        let paths = try Self.writeFiles(count: count + cycle, to: dir, threads: threads)
        let model = try CNNModel(architecture: .paper(), seed: 11, info: ModelInfo(classNames: ["single", "double", "other"]))
        try model.write(to: dir + "/model.safetensors")

        let cluster = try brokers == nil ? MockCluster(brokers: 1, logger: logger) : nil
        try cluster?.createTopic(BalmerTopic.spectra, partitions: 6)
        try cluster?.createTopic(BalmerTopic.deadLetter, partitions: 1)
        try cluster?.createTopic(BalmerTopic.spectraRetry, partitions: 3)
        let bootstrap = brokers ?? cluster?.bootstrapServers ?? ""
        let schema = "balmer_bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(10)
        let url = ProcessInfo.processInfo.environment["BALMER_DATABASE_URL"] ?? ""
        let config = try DaemonConfiguration(config: ConfigReader(commandLine: [
            "kafka.brokers": bootstrap, "database.url": url, "database.schema": String(schema),
            "compute.threads": "\(threads)", "ingest.batch-size": "\(batchSize)", "ingest.max-in-flight": "\(maxInFlight)",
            "ingest.max-buffered": "\(max(4096, 4 * batchSize))", "model.file": dir + "/model.safetensors",
            "kafka.session-timeout-ms": "10000", "kafka.heartbeat-interval-ms": "1000", "loop.enabled": "false",
        ]))
        let producer = try KafkaProducer(config: KafkaConfig(bootstrapServers: bootstrap, clientID: "bench",
                                                             properties: ["linger.ms": "10"]), logger: logger)
        FileHandle.standardError.write(Data("publishing \(count) events…\n".utf8))
        try await Self.publish(paths[0..<count].map { (Self.spectrumID(of: $0), $0) }, producer: producer)

        let counters = IngestCounters()
        let pipeline = try await Daemon.build(config, counters: counters, logger: logger).pipeline
        let runner = Task { try await pipeline.run() }
        var report = BenchReport()

        // Phase 1: drain the backlog. Timed from the first committed batch (after the group join
        // and the first batch) to the last, so it is the sustained rate.
        while counters.snapshot.batches == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let cpu0 = Self.cpuSeconds()
        let t0 = monotonicSeconds()
        let base = counters.snapshot
        while counters.snapshot.consumed < count { try await Task.sleep(for: .milliseconds(5)) }
        let t1 = monotonicSeconds()
        let cpu1 = Self.cpuSeconds()
        let c = counters.snapshot
        report.add("ingest", "spectra", Double(c.stored), "spectra")
        report.add("ingest", "rejected", Double(c.rejected), "events")
        let timed = Double(c.consumed - base.consumed)
        report.add("ingest", "throughput", timed / (t1 - t0), "spectra/s")
        report.add("ingest", "cpu_time", cpu1 - cpu0, "s")
        report.add("ingest", "cpu_per_spectrum", (cpu1 - cpu0) / timed * 1000, "ms")
        report.add("ingest", "cnn_throughput", c.cnnSeconds > 0 ? Double(c.scored) / c.cnnSeconds : 0, "spectra/s")
        report.add("ingest", "wall_time", t1 - t0, "s")
        report.add("ingest", "timed_spectra", timed, "spectra")
        report.add("ingest", "stage_extract", c.extractSeconds, "s")
        report.add("ingest", "stage_cnn", c.cnnSeconds, "s")
        report.add("ingest", "stage_store", c.storeSeconds, "s")
        report.add("ingest", "stage_commit", c.commitSeconds, "s")
        report.add("ingest", "batches", Double(c.batches), "batches")

        // Phase 2: a steady rate.
        if steadyCount > 0 {
            counters.update { $0.latencies = [] }
            FileHandle.standardError.write(Data("steady phase: \(rate) events/s for \(steadySeconds) s…\n".utf8))
            let sampler = Task {
                var samples: [Double] = []
                while !Task.isCancelled {
                    samples.append(Self.currentResidentMegabytes())
                    try? await Task.sleep(for: .seconds(1))
                }
                return samples
            }
            let start = monotonicSeconds()
            var sent = 0
            while sent < steadyCount {
                let due = min(steadyCount, Int((monotonicSeconds() - start) * Double(rate)) + 1)
                if due > sent {
                    let events = (sent..<due).map { n in ("spec-bench-steady-\(n)", paths[count + n % cycle]) }
                    Task { try? await Self.publish(events, producer: producer) }
                    sent = due
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            while counters.snapshot.consumed < total { try await Task.sleep(for: .milliseconds(20)) }
            sampler.cancel()
            let rss = await sampler.value
            if let first = rss.first, let last = rss.last {
                report.add("ingest", "rss_steady_start", first, "MB")
                report.add("ingest", "rss_steady_middle", rss[rss.count / 2], "MB")
                report.add("ingest", "rss_steady_end", last, "MB")
                report.add("ingest", "rss_steady_max", rss.max() ?? last, "MB")
            }
            let latencies = counters.snapshot.latencies.sorted()
            func percentile(_ p: Double) -> Double {
                latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(p * Double(latencies.count)))] * 1000
            }
            report.add("ingest", "steady_rate", Double(rate), "events/s")
            report.add("ingest", "latency_p50", percentile(0.50), "ms")
            report.add("ingest", "latency_p90", percentile(0.90), "ms")
            report.add("ingest", "latency_p99", percentile(0.99), "ms")
            report.add("ingest", "latency_max", (latencies.last ?? 0) * 1000, "ms")
        }
        report.add("ingest", "max_rss", Self.maxResidentMegabytes(), "MB")
        pipeline.requestStop()
        try await runner.value
        await producer.shutdown()
        cluster?.shutdown()
        let admin = try await PostgresConnection.connect(PostgresConfiguration(url: url))
        try await admin.query("SELECT set_config('balmer.schema', $1, false)", [String(schema)])
        try await admin.runScript("DO $$ BEGIN EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', current_setting('balmer.schema')); END $$")
        report.print()
    }

    static func spectrumID(of path: String) -> String {
        URL(fileURLWithPath: path).lastPathComponent.replacingOccurrences(of: ".fits.gz", with: "")
    }

    /// Publishes one event per (spectrum id, file) pair and awaits every delivery report.
    static func publish(_ events: [(id: String, path: String)], producer: KafkaProducer) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (id, path) in events {
                group.addTask { try await producer.send(SpectrumEvent(spectrumID: id, survey: "LAMOST", release: "BENCH", location: path)) }
            }
            try await group.waitForAll()
        }
    }

    /// Gzipped LAMOST DR9 files (3909 log-linear pixels), one emission-line star in three.
    static func writeFiles(count: Int, to dir: String, threads: Int) throws -> [String] {
        let wave = (0..<3909).map { pow(10, 3.5682 + 1e-4 * Double($0)) }
        let paths = (0..<count).map { "\(dir)/spec-bench-\($0).fits.gz" }
        let writer = SpectrumFileWriter()
        let errors = Parallel.map(count: count, threads: threads) { i -> String? in
            if FileManager.default.fileExists(atPath: paths[i]) { return nil }
            let amplitude = i % 3 == 0 ? 500.0 : -250.0
            let flux = wave.enumerated().map { k, w in
                1000 + 0.05 * (w - 6000) + amplitude * exp(-0.5 * pow((w - 6564.61) / 4, 2)) + Double((k * 7919 + i) % 13) - 6
            }
            let spectrum = Spectrum(layout: .lamostDR9, frame: .vacuum, wavelength: wave, flux: flux,
                                    inverseVariance: [Double](repeating: 0.2, count: wave.count),
                                    metadata: SpectrumMetadata(designation: "J\(i)", ra: Double(i % 360), dec: 10,
                                                               mjd: 58000, release: "LAMOST DR9"))
            do { try writer.write(spectrum, as: .lamostDR9, to: paths[i]); return nil } catch { return "\(error)" }
        }
        if let error = errors.compactMap({ $0 }).first { throw ValidationError("cannot write the bench files: \(error)") }
        return paths
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Resident memory now (VmRSS of /proc/self/status), MB; 0 where /proc is missing.
    static func currentResidentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return 0 }
        return kilobytes / 1024
    }

    static func maxResidentMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
