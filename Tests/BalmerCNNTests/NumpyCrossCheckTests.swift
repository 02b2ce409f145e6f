import Foundation
import Testing
@testable import BalmerCNN

/// A saved model of the default (paper) architecture, evaluated by an independent numpy
/// implementation that parses the safetensors file itself (`ops/check_cnn_numpy.py`).
@Suite struct NumpyCrossCheckTests {
    static var script: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("ops/check_cnn_numpy.py")
    }

    @Test func numpyReproducesBalmerProbabilities() throws {
        let arch = Architecture.paper()
        var model = try CNNModel(architecture: arch, seed: 21, info: ModelInfo(classNames: ["single", "double", "other"]))
        // Random biases too, so every tensor matters.
        TestData.randomizeBiases(&model, seed: 22)
        var rng = SeededGenerator(seed: 23)
        let n = 8
        let inputs = (0..<(n * arch.inputSize)).map { _ in rng.nextUnitFloat() * 2 - 1 }
        let probabilities = try Predictor(model: model, maxBatch: 3, threads: 2).probabilities(inputs)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("balmer-numpy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let modelPath = dir.appendingPathComponent("model.safetensors").path
        try model.write(to: modelPath)
        func raw(_ v: [Float]) -> Data { v.withUnsafeBytes { Data($0) } }   // x86/arm64: little-endian
        try raw(inputs).write(to: dir.appendingPathComponent("inputs.f32"))
        try raw(probabilities).write(to: dir.appendingPathComponent("probs.f32"))

        #expect(FileManager.default.fileExists(atPath: Self.script.path), "missing \(Self.script.path)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script.path, modelPath, dir.appendingPathComponent("inputs.f32").path,
                             dir.appendingPathComponent("probs.f32").path, "1e-4"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0,
                "python3 with numpy is required (ops/test installs it); check_cnn_numpy said: \(text)")
        #expect(text.contains("max_abs_diff"), "\(text)")
    }
}
