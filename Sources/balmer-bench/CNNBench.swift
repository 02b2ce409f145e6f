import ArgumentParser
import BalmerCNN
import BalmerCore
import Foundation

/// `balmer-bench cnn`: inference throughput and training epoch time of the paper's network.
struct CNNBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cnn",
        abstract: "CNN inference spectra/s at batch 1/64/256/1024 and training s/epoch on 18,306 samples.")

    @Option(help: "Compute threads (default: all processors).")
    var threads: Int?
    @Flag(help: "Time 1/8 of each training epoch and extrapolate; shorter inference runs.")
    var quick = false
    @Option(help: "Seconds to spend per inference measurement.")
    var seconds = 3.0
    @Option(help: "Inference batch sizes, comma-separated.")
    var batches = "1,64,256,1024"
    @Flag(help: "Skip the training measurements.")
    var noTraining = false

    struct Measurement: Sendable {
        var metric: String, value: Double, unit: String, note: String
    }

    func run() async throws {
        let threadCount = threads ?? ComputeThreads.default
        let quick = quick, budget = quick ? min(seconds, 1.0) : seconds
        let sizes = batches.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 }
        let training = !noTraining
        let results = try await ComputeThread.run {
            try Self.measure(threads: threadCount, quick: quick, budget: budget, batches: sizes, training: training)
        }
        print("balmer-bench cnn: paper architecture (input 140, 3 classes), fp32, \(threadCount) threads\(quick ? ", quick" : ""); "
              + "OpenBLAS kernels \(BLASCore.name), forward convolutions on \(BLASCore.convolutions)")
        var report = BenchReport()
        report.add("cnn", "threads", Double(threadCount), "threads")
        for m in results { report.add("cnn", m.metric, m.value, m.unit, note: m.note.isEmpty ? nil : m.note) }
        report.print()
    }

    static func measure(threads: Int, quick: Bool, budget: Double, batches: [Int], training: Bool) throws -> [Measurement] {
        let arch = Architecture.paper()
        let model = try CNNModel(architecture: arch, seed: 1, info: ModelInfo(classNames: ["single", "double", "other"]))
        var rng = SeededGenerator(seed: 2)
        var results: [Measurement] = []
        for batch in batches {
            let predictor = Predictor(model: model, maxBatch: batch, threads: threads)
            let input = (0..<(batch * arch.inputSize)).map { _ in Float(rng.unit()) * 2 - 1 }
            _ = try predictor.probabilities(input)   // warm-up
            var calls = 0
            var fastest = Double.infinity
            let start = Date()
            let cpuStart = cpuSeconds()
            repeat {
                let callStart = Date()
                _ = try predictor.probabilities(input)
                fastest = min(fastest, Date().timeIntervalSince(callStart))
                calls += 1
            } while Date().timeIntervalSince(start) < budget
            let elapsed = Date().timeIntervalSince(start)
            let cpu = cpuSeconds() - cpuStart
            results.append(Measurement(metric: "inference_batch_\(batch)", value: Double(calls * batch) / elapsed,
                                       unit: "spectra/s", note: ""))
            // The fastest call: robust to other processes on a shared machine.
            results.append(Measurement(metric: "inference_batch_\(batch)_best", value: Double(batch) / fastest,
                                       unit: "spectra/s", note: "fastest of \(calls) calls"))
            results.append(Measurement(metric: "inference_batch_\(batch)_cpu", value: Double(calls * batch) / cpu,
                                       unit: "spectra/cpu-s", note: ""))
            if batch == 1 {
                results.append(Measurement(metric: "inference_latency_batch_1", value: elapsed / Double(calls) * 1000,
                                           unit: "ms/spectrum", note: ""))
            }
        }
        guard training else { return results }
        let total = 18_306
        let count = quick ? total / 8 : total
        var features = [Float](repeating: 0, count: count * arch.inputSize)
        for i in features.indices { features[i] = Float(rng.unit()) * 2 - 1 }
        let labels = (0..<count).map { _ in Int(rng.next() % 3) }
        let data = TrainingData(features: features, labels: labels)
        for batch in [32, 128] {
            var options = TrainingOptions()
            options.epochs = 1; options.batchSize = batch; options.validationSplit = 0; options.threads = threads
            var epochSeconds = 0.0
            let cpuStart = cpuSeconds()
            _ = try Trainer.train(model, on: data, options: options) { epochSeconds = $0.seconds }
            let cpu = cpuSeconds() - cpuStart
            let scale = Double(total) / Double(count)
            let note = quick ? "extrapolated from \(count) samples" : ""
            results.append(Measurement(metric: "train_epoch_18306_batch_\(batch)", value: epochSeconds * scale,
                                       unit: "s/epoch", note: note))
            results.append(Measurement(metric: "train_epoch_18306_batch_\(batch)_cpu", value: cpu * scale,
                                       unit: "cpu-s/epoch", note: note))
        }
        return results
    }
}

/// User + system CPU seconds of this process so far (all threads).
func cpuSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
