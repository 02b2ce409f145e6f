import ArgumentParser
import BalmerCNN
import BalmerCore
import BalmerFITS
import BalmerSimulation
import Foundation

/// `balmer predict`: class, probabilities and entropy per spectrum.
struct PredictCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify spectra with a trained model: class, probabilities and entropy per spectrum.")

    @Option(help: "Model file (.safetensors).")
    var model: String
    @Flag(help: "Print one JSON object per line.")
    var json = false
    @Option(help: "Compute threads (default: BALMER_THREADS or all processors).")
    var threads: Int?
    @Option(help: "Gaussian blur σ in native pixels for FITS inputs (7 for CCD700 spectra).")
    var blur: Double?
    @Option(help: "A truth.csv (as written by balmer simulate): print a confusion summary on stderr.")
    var truth: String?
    @Argument(help: "Input: FITS files (.fits, .fits.gz), folders of them, or Ondřejov-layout CSV files.")
    var files: [String]

    func validate() throws {
        guard !files.isEmpty else { throw usageError("predict", "give at least one input file") }
        if let threads, threads < 1 { throw usageError("predict", "--threads must be at least 1") }
    }

    func run() async throws {
        do {
            try await predict()
        } catch let error as CLIFailure {
            FileHandle.standardError.write(Data("balmer predict: \(error.message)\n".utf8))
            throw ExitCode(error.code)
        }
    }

    private func predict() async throws {
        let loaded: CNNModel
        do { loaded = try CNNModel.load(contentsOf: model) } catch {
            throw CLIFailure(2, error.description)
        }
        let truthByName = try truth.map(loadTruth)
        let (inputs, rejects) = try loadInputs(files)
        let size = loaded.architecture.inputSize
        if let bad = inputs.first(where: { $0.features.count != size }) {
            throw CLIFailure(2, "\(bad.id) has \(bad.features.count) points, the model takes \(size)")
        }
        let threadCount = threads ?? ProcessInfo.processInfo.environment["BALMER_THREADS"].flatMap(Int.init)
            ?? ComputeThreads.default
        let features = inputs.flatMap(\.features)
        let predictions = try await ComputeThread.run {
            try Predictor(model: loaded, maxBatch: 256, threads: threadCount).predict(features)
        }
        let names = loaded.info.classNames
        let version = loaded.sha256
        var out = ""
        for (input, p) in zip(inputs, predictions) {
            if json {
                let probs = zip(names, p.probabilities).map { "\"\($0)\":\(Double($1))" }.joined(separator: ",")
                out += "{\"id\":\(jsonQuoted(input.id)),\"class\":\"\(names[p.classIndex])\",\"probabilities\":{\(probs)},\"entropy\":\(p.entropy),\"model\":\"\(version)\"}\n"
            } else {
                let probs = zip(names, p.probabilities).map { "\($0) \(fmt(Double($1)))" }.joined(separator: "  ")
                out += "\(input.id)  \(names[p.classIndex])  \(probs)  entropy \(fmt(p.entropy))\n"
            }
        }
        for reject in rejects {
            out += json ? "{\"id\":\(jsonQuoted(reject.id)),\"class\":null,\"reject\":\(jsonQuoted(reject.reason))}\n"
                : "\(reject.id)  rejected: \(reject.reason)\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
        if let truthByName {
            let predicted = zip(inputs, predictions).map { ($0.id, SpectrumClass(label: names[$1.classIndex])) }
            let summary = ConfusionSummary(predicted: predicted, rejected: rejects.map(\.id), truth: truthByName)
            FileHandle.standardError.write(Data(summary.text.utf8))
        }
    }

    private func loadTruth(_ path: String) throws -> [String: SpectrumClass] {
        do {
            let records = try TruthCSV.read(contentsOf: path)
            var byName: [String: SpectrumClass] = [:]
            for record in records {
                byName[record.file] = record.label
                byName[ConfusionSummary.stem(record.file)] = record.label
            }
            return byName
        } catch {
            throw CLIFailure(2, "\(path): \(error)")
        }
    }

    /// Reads every input into (id, preprocessed features) pairs, in order, and the FITS files
    /// that yield no features with their reasons. FITS files (and folders of them) are read and
    /// preprocessed like `balmer inspect` does (id = file name); Ondřejov dataset CSV rows are
    /// min–max scaled onto [-1, 1] (id = the row's id; rows that cannot be scaled are rejects).
    func loadInputs(_ paths: [String]) throws -> (inputs: [(id: String, features: [Float])], rejects: [(id: String, reason: String)]) {
        var inputs: [(id: String, features: [Float])] = []
        var rejects: [(id: String, reason: String)] = []
        let expanded = SpectrumFiles.expand(paths)
        let fitsPaths = expanded.filter { SpectrumFiles.isSpectrumFile($0) }
        let extractor = FeatureExtractor(config: PreprocessingConfig(blurSigma: blur))
        let threadCount = threads ?? ComputeThreads.default
        for extraction in extractor.extract(paths: fitsPaths, threads: threadCount, keepSpectra: false) {
            let id = (extraction.path as NSString).lastPathComponent
            switch extraction.features {
            case .success(let features): inputs.append((id, features))
            case .failure(let failure): rejects.append((id, failure.description))
            }
        }
        for path in expanded where !SpectrumFiles.isSpectrumFile(path) {
            let rows: [OndrejovDatasetRow]
            do { rows = try OndrejovDatasetCSV.read(contentsOf: path) } catch { throw CLIFailure(2, error.description) }
            for row in rows {
                var flux = row.flux
                guard FeatureScaling.minMax(&flux) else {
                    rejects.append((row.id, "flat-flux: flat or non-finite flux"))
                    continue
                }
                inputs.append((row.id, flux))
            }
        }
        if inputs.isEmpty {
            throw CLIFailure(2, "no usable spectra in \(paths.joined(separator: ", "))\(rejects.isEmpty ? "" : " (\(rejects.count) rejected)")")
        }
        return (inputs, rejects)
    }
}

private func jsonQuoted(_ s: String) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed]),
          let text = String(data: data, encoding: .utf8) else { return "\"\"" }
    return String(text.dropFirst().dropLast())
}
