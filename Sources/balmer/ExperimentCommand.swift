import ArgumentParser
import BalmerCNN
import BalmerCore
import BalmerFITS
import BalmerLearning
import BalmerSimulation
import Foundation
import Logging

/// `balmer experiment`: the paper's active learning offline, with a simulated oracle, next to the
/// non-active baseline; writes tables, a precision plot and summary.json.
struct ExperimentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Run active learning offline with a simulated oracle, and the non-active baseline.")

    @Flag(help: "Build the domain-shifted synthetic setup (CCD700-like training set, LAMOST-like pool).")
    var synthetic = false
    @Option(help: "Synthetic training-set size.") var trainSize = 13_000
    @Option(help: "Synthetic pool size.") var poolSize = 100_000
    @Option(help: "Training set: Ondřejov dataset CSV.") var train: String?
    @Option(help: "Pool: a folder of FITS files or an Ondřejov-layout CSV.") var pool: String?
    @Option(help: "truth.csv for the pool (file, class, …).") var truth: String?
    @Option(help: "Maximum active-learning iterations (0: baseline only).") var iterations = 20
    @Option(help: "Spectra queried per iteration.") var batch = 100
    @Option(help: "Precision sample per iteration.") var precisionSample = 30
    @Option(help: "Stop when the estimate reaches this precision …") var threshold = 0.8
    @Option(help: "… this many times.") var times = 3
    @Option(help: "Query strategy: entropy, margin, least-confidence, random.") var strategy = "entropy"
    @Option(help: "At most this many queried spectra from one plate per batch.") var maxPerPlate: Int?
    @Option(help: "Epochs at most per training inside the loop (the paper's speeded-up regime).") var loopEpochs = 4
    @Option(help: "Epochs at most for the long (final and baseline) training.") var finalEpochs = 15
    @Option(help: "Simulated oracle error rate.") var oracleError = 0.0
    @Option(help: "Baseline runs (0 to skip).") var baselineRuns = 3
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "Compute threads (default: BALMER_THREADS or all cores).") var threads: Int?
    @Option(help: "Report folder.") var out = "reports/experiment"

    func validate() throws {
        if synthetic == (train != nil) {
            throw ValidationError("use either --synthetic or --train CSV --pool DIR_or_CSV --truth truth.csv")
        }
        if !synthetic, pool == nil || truth == nil { throw ValidationError("--train needs --pool and --truth") }
        if QueryStrategy(rawValue: strategy) == nil { throw ValidationError("unknown --strategy \(strategy)") }
        if trainSize < 10 || poolSize < 100 || iterations < 0 || batch < 1 || precisionSample < 0 {
            throw ValidationError("sizes must be positive (train ≥ 10, pool ≥ 100)")
        }
        if !(0...1).contains(oracleError) { throw ValidationError("--oracle-error must be within [0, 1]") }
    }

    func run() async throws {
        let threadCount = threads ?? ProcessInfo.processInfo.environment["BALMER_THREADS"].flatMap(Int.init)
            ?? ProcessInfo.processInfo.activeProcessorCount
        let logger = Logger(label: "balmer.experiment")
        try Self.checkWritable(out)
        let started = Date()
        let data = try synthetic ? syntheticData(threads: threadCount) : givenData(threads: threadCount)
        status("data: \(data.trainLabels.count) training spectra, \(data.poolIDs.count) pool spectra "
               + "(\(data.poolTruth.filter(\.isTarget).count) true targets)")

        var settings = ExperimentRunner.Settings()
        settings.campaign = CampaignConfig(batchSize: batch, precisionSampleSize: precisionSample,
                                           stopRule: StopRule(threshold: threshold, times: times), maxIterations: iterations)
        settings.strategy = QueryStrategy(rawValue: strategy)!
        settings.seed = seed
        settings.threads = threadCount
        settings.loopTraining.epochs = loopEpochs
        settings.finalTraining.epochs = finalEpochs
        settings.oracleErrorRate = oracleError
        settings.maxPerGroup = maxPerPlate
        settings.baselineRuns = baselineRuns
        let runner = ExperimentRunner(data: data, settings: settings, logger: logger, progress: Self.show)
        let runnerBox = UncheckedBox(runner)
        let active = iterations == 0 ? nil : try await ComputeThread.run { try runnerBox.value.runActive().result }
        let baseline = try await ComputeThread.run { try runnerBox.value.runBaseline() }
        let report = ExperimentReport(active: active, baseline: baseline, setup: [
            "mode": synthetic ? "synthetic" : "given", "train_size": String(data.trainLabels.count),
            "pool_size": String(data.poolIDs.count), "seed": String(seed), "strategy": strategy,
            "seconds": String(format: "%.0f", Date().timeIntervalSince(started)), "threads": String(threadCount),
        ])
        // The tables first: they reach the terminal (or the caller's log) whatever the disk does.
        print(report.markdown)
        do {
            try report.write(to: out)
        } catch {
            // A full or failing disk must not lose a run of half an hour: write elsewhere, loudly.
            let fallback = NSTemporaryDirectory() + "balmer-experiment-\(getpid())"
            let reason = "cannot write the report to \(out): \(error.localizedDescription)"
            // No half report in `out`: the files that did fit go too.
            for file in ExperimentReport.files { try? FileManager.default.removeItem(atPath: out + "/" + file) }
            do {
                try report.write(to: fallback)
            } catch {
                print(String(decoding: (try? report.summaryJSON()) ?? Data(), as: UTF8.self))
                throw CLIFailure(1, "experiment: \(reason); nor to \(fallback) (\(error.localizedDescription)): summary.json is printed above")
            }
            throw CLIFailure(1, "experiment: \(reason); the report was written to \(fallback) instead")
        }
        status("report written to \(out) (summary.json, iterations.csv, baseline.csv, tables.md, precision.svg)")
    }

    /// Fails at once (exit 2) when the report folder cannot be created or written, rather than
    /// after the whole run.
    static func checkWritable(_ folder: String) throws {
        let probe = folder + "/.balmer-write-check-\(getpid())"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(repeating: 0x20, count: 4096).write(to: URL(fileURLWithPath: probe))
            try FileManager.default.removeItem(atPath: probe)
        } catch {
            try? FileManager.default.removeItem(atPath: probe)
            throw CLIFailure(2, "experiment: the report folder \(folder) is not writable: \(error.localizedDescription)")
        }
    }

    // MARK: - Data

    private func syntheticData(threads: Int) throws -> ExperimentRunner.Data {
        let training = SurveySimulator(kind: .ccd700, seed: seed)
        let survey = SurveySimulator(kind: .lamostDR9, seed: seed &+ 1)
        let ccd = Preprocessor(config: .ccd700)
        let lamost = Preprocessor(config: .survey)
        status("simulating \(trainSize) CCD700-like training spectra and a LAMOST-like pool of \(poolSize)")
        let trainRows = Parallel.map(count: trainSize, threads: threads) { i -> (features: [Float], label: SpectrumClass)? in
            let s = training.spectrum(at: i)
            guard case .success(let f) = ccd.features(of: s.spectrum) else { return nil }
            return (f, s.truth.label)
        }.compactMap { $0 }
        let poolRows = Parallel.map(count: poolSize, threads: threads) { i -> (features: [Float], id: String, truth: TruthRecord)? in
            let s = survey.spectrum(at: i)
            guard case .success(let f) = lamost.features(of: s.spectrum) else { return nil }
            return (f, s.truth.file, s.truth)
        }.compactMap { $0 }
        status("preprocessing kept \(trainRows.count) training and \(poolRows.count) pool spectra (the rest rejected)")
        return ExperimentRunner.Data(
            trainFeatures: trainRows.flatMap(\.features), trainLabels: trainRows.map(\.label.index),
            poolFeatures: poolRows.flatMap(\.features), poolIDs: poolRows.map(\.id), poolTruth: poolRows.map(\.truth.label),
            poolGroups: poolRows.map { Self.plate(of: $0.id) }, poolKinds: poolRows.map { Self.kind(of: $0.truth) })
    }

    private func givenData(threads: Int) throws -> ExperimentRunner.Data {
        guard let train, let pool, let truth else { throw ValidationError("--train needs --pool and --truth") }
        var trainFeatures: [Float] = []
        var trainLabels: [Int] = []
        for row in try OndrejovDatasetCSV.read(contentsOf: train) {
            var flux = row.flux
            guard FeatureScaling.minMax(&flux) else { continue }
            trainFeatures += flux
            trainLabels.append(row.label.index)
        }
        var byName: [String: TruthRecord] = [:]
        for record in try TruthCSV.read(contentsOf: truth) {
            byName[record.file] = record
            byName[ConfusionSummary.stem(record.file)] = record
        }
        var rows: [(features: [Float], id: String)] = []
        if pool.hasSuffix(".csv") {
            for row in try OndrejovDatasetCSV.read(contentsOf: pool) {
                var flux = row.flux
                if FeatureScaling.minMax(&flux) { rows.append((flux, row.id)) }
            }
        } else {
            let extractor = FeatureExtractor(config: .survey)
            for e in extractor.extract(paths: SpectrumFiles.expand([pool]), threads: threads, keepSpectra: false) {
                if case .success(let f) = e.features { rows.append((f, (e.path as NSString).lastPathComponent)) }
            }
        }
        func record(_ id: String) -> TruthRecord { (byName[id] ?? byName[ConfusionSummary.stem(id)])! }
        let known = rows.filter { byName[$0.id] ?? byName[ConfusionSummary.stem($0.id)] != nil }
        if known.count < rows.count { status("\(rows.count - known.count) pool spectra are not in the truth file: left out") }
        return ExperimentRunner.Data(
            trainFeatures: trainFeatures, trainLabels: trainLabels, poolFeatures: known.flatMap(\.features),
            poolIDs: known.map(\.id), poolTruth: known.map { record($0.id).label },
            poolGroups: known.map { Self.plate(of: $0.id) }, poolKinds: known.map { Self.kind(of: record($0.id)) })
    }

    /// What a truth record says the spectrum is, for the baseline's false-positive counts:
    /// its subtype and artefacts, e.g. `M-dwarf+molecular-bands+sky-residual`.
    static func kind(of record: TruthRecord) -> String {
        ([record.subtype.isEmpty ? record.label.rawValue : record.subtype] + record.artefacts).joined(separator: "+")
    }

    /// The plate (plan and spectrograph) of a LAMOST file name, as a group id for the diversity guard.
    static func plate(of name: String) -> Int {
        let parts = name.split(separator: "-")
        let plate = parts.count >= 3 ? parts[1...2].joined(separator: "-") : name
        return Int(truncatingIfNeeded: SimulatedOracle.stableHash(String(plate)))
    }

    // MARK: - Progress

    private func status(_ text: String) {
        FileHandle.standardError.write(Data("experiment: \(text)\n".utf8))
    }

    @Sendable static func show(_ event: ExperimentRunner.ProgressEvent) {
        let line: String
        switch event {
        case .training(let iteration, let final, let samples):
            line = iteration < 0 ? "baseline: long training on \(samples) samples (SMOTE-balanced)"
                : "iteration \(iteration): \(final ? "final long" : "") training on \(samples) samples (SMOTE-balanced)"
        case .epoch(let r):
            line = String(format: "  epoch %d/%d loss %.4f acc %.3f%@ %.1fs", r.epoch, r.epochs, r.loss, r.accuracy,
                          r.validationLoss.map { String(format: " val %.4f", $0) } ?? "", r.seconds)
        case .iterationDone(let r):
            line = String(format: "iteration %d done: labelled %d, predicted single %d double %d, estimate %@, true precision %.1f %%, recall %.1f %%",
                          r.iteration, r.labelled, r.predictedSingle, r.predictedDouble,
                          r.precisionEstimate.map { String(format: "%.1f %%", $0 * 100) } ?? "n/a",
                          r.truePrecision * 100, r.trueRecall * 100)
        case .baseline(let run):
            line = "baseline run \(run + 1)"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// Carries a non-Sendable reference onto a compute thread. `@unchecked Sendable`: the value is
/// used by one thread at a time (the caller awaits each use before the next).
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
