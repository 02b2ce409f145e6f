import ArgumentParser
import BalmerCNN
import BalmerCore
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
    @Argument(help: "Input files (Ondřejov-layout CSV).")
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
        let inputs = try loadInputs(files)
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
        FileHandle.standardOutput.write(Data(out.utf8))
    }

    /// Reads every input file into (id, preprocessed features) pairs, in order. Today: Ondřejov
    /// dataset CSV rows, min–max scaled onto [-1, 1]; rows that cannot be scaled are reported on
    /// stderr and skipped. Extend here for FITS inputs.
    func loadInputs(_ paths: [String]) throws -> [(id: String, features: [Float])] {
        var inputs: [(id: String, features: [Float])] = []
        var skipped = 0
        for path in paths {
            let rows: [OndrejovDatasetRow]
            do { rows = try OndrejovDatasetCSV.read(contentsOf: path) } catch { throw CLIFailure(2, error.description) }
            for row in rows {
                var flux = row.flux
                guard FeatureScaling.minMax(&flux) else {
                    FileHandle.standardError.write(Data("balmer predict: \(path): \(row.id): flat or non-finite flux, skipped\n".utf8))
                    skipped += 1
                    continue
                }
                inputs.append((row.id, flux))
            }
        }
        if inputs.isEmpty { throw CLIFailure(2, "no usable spectra in \(paths.joined(separator: ", "))\(skipped > 0 ? " (\(skipped) skipped)" : "")") }
        return inputs
    }
}

private func jsonQuoted(_ s: String) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed]),
          let text = String(data: data, encoding: .utf8) else { return "\"\"" }
    return String(text.dropFirst().dropLast())
}
