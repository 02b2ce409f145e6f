import ArgumentParser
import BalmerCNN
import BalmerCore
import Foundation
import Logging

/// `balmer train`: trains the paper's CNN on an Ondřejov-layout dataset CSV (`--data`), or on
/// the store's training set (`--database`), registering the model in the store's registry.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the CNN on an Ondřejov-layout dataset CSV and write a safetensors model, or on the store's labels.",
        discussion: """
            --database: trains on the store's training set (initial labels plus usable oracle labels) \
            with balmerd's training function (a held-out share of the initial labels, SMOTE, warm start \
            from the active model unless --fresh), registers the model (kind initial when the registry is \
            empty, else loop; parent = the active model) and promotes it with --promote or when no model \
            is active. --validation-split, --monitor, --learning-rate, --class-weights and --warm-start \
            apply to --data only.
            """)

    @Option(help: "Training data: Ondřejov dataset CSV (12 metadata columns, then flux columns).")
    var data: String?
    @Option(help: "Output model file (.safetensors); optional with --database.")
    var out: String?
    @Flag(help: "Train on the store's training set and register the model in the store.")
    var database = false
    @OptionGroup var store: DatabaseOptions
    @OptionGroup var announce: ModelAnnouncementOptions
    @Flag(help: "With --database: promote the new model even when another one is active.")
    var promote = false
    @Flag(help: "With --database: start from fresh weights instead of the active model's.")
    var fresh = false
    @Option(help: "With --database: share of the initial labels held out to compare models.")
    var holdout = 0.1
    @Flag(name: .customLong("no-smote"), help: "With --database: do not balance the classes with SMOTE.")
    var noSMOTE = false
    @Option(help: "Maximum epochs (default 100 with --data, 50 with --database).")
    var epochs: Int?
    @Option(help: "Mini-batch size.")
    var batchSize = 32
    @Option(help: "Seed for initialisation, validation split, shuffling and dropout.")
    var seed: UInt64 = 0
    @Option(help: "Compute threads (default: BALMER_THREADS or all processors).")
    var threads: Int?
    @Option(help: "Epochs without improvement before early stopping.")
    var patience = 10
    @Option(help: "Minimum improvement of the monitored loss.")
    var minDelta = 1e-4
    @Option(help: "Fraction held out for validation (stratified).")
    var validationSplit = 0.1
    @Option(help: "Monitored loss for early stopping: val_loss or loss.")
    var monitor = "val_loss"
    @Option(help: "Adam learning rate.")
    var learningRate: Float = 1e-3
    @Option(help: "Loss weight per class, comma-separated in class order single,double,other.")
    var classWeights: String?
    @Option(help: "Start from the weights of this model (warm start); it becomes the parent.")
    var warmStart: String?

    func validate() throws {
        if database {
            guard data == nil else { throw ValidationError("give --data FILE or --database, not both") }
            guard holdout >= 0, holdout < 1 else { throw ValidationError("--holdout must be in [0, 1)") }
        } else {
            guard data != nil, out != nil else { throw ValidationError("give --data FILE --out MODEL, or --database") }
        }
        guard epochs ?? 1 > 0, batchSize > 0, patience > 0 else { throw usageError("train", "epochs, batch size and patience must be positive") }
        guard validationSplit >= 0, validationSplit < 1 else { throw usageError("train", "--validation-split must be in [0, 1)") }
        guard Monitor(rawValue: monitor) != nil else { throw usageError("train", "--monitor must be val_loss or loss") }
        if let threads, threads < 1 { throw usageError("train", "--threads must be at least 1") }
    }

    func run() async throws {
        do {
            if database {
                try await ModelTraining(command: self).run()
                return
            }
            try await train()
        } catch let error as CLIFailure {
            FileHandle.standardError.write(Data("balmer train: \(error.message)\n".utf8))
            throw ExitCode(error.code)
        }
    }

    private func train() async throws {
        let data = data!, out = out!
        let logger = Logger(label: "balmer.train") { StreamLogHandler.standardError(label: $0) }
        let threadCount = threads ?? ProcessInfo.processInfo.environment["BALMER_THREADS"].flatMap(Int.init)
            ?? ComputeThreads.default
        let (features, labels, wavelengths, skipped) = try Self.loadTrainingData(data)
        if skipped > 0 {
            FileHandle.standardError.write(Data("balmer train: skipped \(skipped) flat or non-finite spectra in \(data)\n".utf8))
        }
        guard !labels.isEmpty else { throw CLIFailure(2, "no usable spectra in \(data)") }
        let classNames = SpectrumClass.allCases.map(\.rawValue)
        var weights: [Float]?
        if let classWeights {
            let parts = classWeights.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == classNames.count, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else {
                throw CLIFailure(2, "--class-weights needs \(classNames.count) non-negative numbers")
            }
            weights = parts.map { $0! }
        }
        let start: CNNModel
        let preprocessing = Self.preprocessing(wavelengths)
        do {
            if let warmStart {
                let parent = try CNNModel.load(contentsOf: warmStart)
                guard parent.architecture.inputSize == wavelengths.count, parent.info.classNames == classNames else {
                    throw CLIFailure(2, "warm-start model \(warmStart) takes \(parent.architecture.inputSize) points and classes \(parent.info.classNames), the data has \(wavelengths.count) points and \(classNames)")
                }
                var m = parent
                m.info = ModelInfo(classNames: classNames, preprocessing: preprocessing, parent: parent.sha256)
                start = m
            } else {
                start = try CNNModel(architecture: .paper(inputLength: wavelengths.count, classes: classNames.count),
                                     seed: seed, info: ModelInfo(classNames: classNames, preprocessing: preprocessing))
            }
        } catch let error as CNNError {
            throw CLIFailure(2, error.description)
        }
        var options = TrainingOptions()
        options.epochs = epochs ?? 100; options.batchSize = batchSize; options.seed = seed; options.threads = threadCount
        options.patience = patience; options.minDelta = minDelta; options.validationSplit = validationSplit
        options.monitor = Monitor(rawValue: monitor)!; options.adam.learningRate = learningRate
        options.classWeights = weights
        let trainingData = TrainingData(features: features, labels: labels)
        FileHandle.standardError.write(Data("balmer train: \(BLASCore.computeSummary(threads: threadCount))\n".utf8))
        let trained: CNNModel
        do {
            trained = try await ComputeThread.run { [options] in
                try Trainer.train(start, on: trainingData, options: options, logger: logger) { report in
                    FileHandle.standardError.write(Data((Self.progressLine(report) + "\n").utf8))
                }
            }
        } catch let error as CNNError {
            throw CLIFailure(1, error.description)
        }
        do { try trained.write(to: out) } catch { throw CLIFailure(1, "\(error)") }
        let s = trained.info.training!
        var summary = "trained \(out): \(s.epochsRun) epochs (best \(s.bestEpoch), \(s.stoppedEarly ? "stopped early" : "ran to the limit")), "
        summary += "\(s.trainingSamples) training / \(s.validationSamples) validation spectra, loss \(fmt(s.loss))"
        if let vl = s.validationLoss, let va = s.validationAccuracy { summary += ", val loss \(fmt(vl)), val accuracy \(fmt(va * 100, 2))%" }
        summary += ", \(fmt(s.seconds, 1)) s, sha256 \(trained.sha256)"
        print(summary)
    }

    /// Reads the CSV, min–max scales each row onto [-1, 1] (skipping rows that cannot be scaled)
    /// and returns flat features, class indices, the grid and the number of skipped rows.
    static func loadTrainingData(_ path: String) throws -> (features: [Float], labels: [Int], wavelengths: [Double], skipped: Int) {
        let parsed: (wavelengths: [Double], rows: [OndrejovDatasetRow])
        do { parsed = try OndrejovDatasetCSV.readWithWavelengths(contentsOf: path) } catch {
            throw CLIFailure(2, error.description)
        }
        var features: [Float] = [], labels: [Int] = [], skipped = 0
        features.reserveCapacity(parsed.rows.count * parsed.wavelengths.count)
        for row in parsed.rows {
            var flux = row.flux
            guard FeatureScaling.minMax(&flux) else { skipped += 1; continue }
            features += flux
            labels.append(row.label.index)
        }
        return (features, labels, parsed.wavelengths, skipped)
    }

    static func preprocessing(_ w: [Double]) -> String {
        "{\"grid\":\"linspace\",\"first_angstrom\":\(w.first ?? 0),\"last_angstrom\":\(w.last ?? 0),\"points\":\(w.count),\"frame\":\"vacuum\",\"scaling\":\"per-spectrum min-max to [-1, 1]\"}"
    }

    static func progressLine(_ r: EpochReport) -> String {
        let width = String(r.epochs).count
        var line = "epoch \(String(repeating: " ", count: width - String(r.epoch).count))\(r.epoch)/\(r.epochs)"
        line += "  loss \(fmt(r.loss))  acc \(fmt(r.accuracy * 100, 1))%"
        if let vl = r.validationLoss, let va = r.validationAccuracy { line += "  val_loss \(fmt(vl))  val_acc \(fmt(va * 100, 1))%" }
        line += "  \(fmt(r.seconds, 1)) s"
        line += "  ETA \(duration(r.seconds * Double(r.epochs - r.epoch)))"
        if r.improved { line += "  *" }
        return line
    }
}

func fmt(_ v: Double, _ digits: Int = 4) -> String { String(format: "%.\(digits)f", v) }

func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m" : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
}
