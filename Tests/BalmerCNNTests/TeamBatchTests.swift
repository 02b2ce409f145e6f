import Foundation
import Testing
@testable import BalmerCNN

/// Tiny inference batches on the spinning team (columns split over members) give the same
/// probabilities as the same thread count without the team (conv on one thread, the dense
/// GEMVs split alike), and match the double-precision reference.
@Suite struct TeamBatchTests {
    /// Conv layers with one and two weight panels (the second partial), a pool after a split
    /// conv and one after the direct first layer, pad 2, and a dense layer split in two parts.
    static let architecture = Architecture(
        inputLength: 24,
        layers: [.conv(kernel: 3, filters: 8), .maxPool(size: 2), .conv(kernel: 3, filters: 40),
                 .conv(kernel: 5, filters: 70), .maxPool(size: 2), .dense(units: 130), .dropout(rate: 0.5),
                 .dense(units: 20)],
        classes: 3)

    static let levels = [1, 2].filter { ConvKernel.supported($0) }
    /// (kernel level, batch, team size) for every level this CPU runs; on AVX-512 also small
    /// batches (3…16 samples) whose dense layers run on the kernel, within one and over two
    /// register tiles, and one batch above the team's limit (the plain pass on both sides).
    static let cases = levels.flatMap { level in
        ([(1, 2), (2, 2), (1, 3), (2, 3)] + (level == 2 ? [(3, 2), (14, 3), (16, 2), (20, 2)] : []))
            .map { (level, $0.0, $0.1) }
    }

    @Test(.enabled(if: !levels.isEmpty, "this CPU runs neither Balmer conv kernel (AVX2 + FMA or AVX-512)"),
          arguments: cases)
    func teamMatchesPlainForward(level: Int, batch: Int, members: Int) throws {
        let info = ModelInfo(classNames: ["a", "b", "c"], created: Date(timeIntervalSince1970: 1_700_000_000))
        var model = try CNNModel(architecture: Self.architecture, seed: 21, info: info)
        TestData.randomizeBiases(&model, seed: 23)
        let packed = try #require(PackedWeights(plan: model.plan, level: level, dense: true))
        #expect(packed.dense == (level == 2))
        model.parameters.withUnsafeBufferPointer { packed.pack($0.baseAddress!) }
        let team = SpinTeam(size: members)
        defer { team.stop() }
        let teamSpace = Workspace(plan: model.plan, capacity: batch, training: false, workers: members)
        let oneSpace = Workspace(plan: model.plan, capacity: batch, training: false, workers: 1)
        for round in 0..<3 {   // later rounds run on dirty buffers
            let x = TestData.random(batch * 24, seed: UInt64(30 + round))
            var outputs: [[Float]] = []
            for (space, useTeam) in [(teamSpace, true), (oneSpace, false)] {
                x.withUnsafeBufferPointer { f in for i in 0..<batch { space.setInput(slot: i, from: f.baseAddress! + i * 24) } }
                var rng = SeededGenerator(seed: 0)
                model.parameters.withUnsafeBufferPointer { p in
                    Network.forward(space, parameters: p.baseAddress!, batch: batch, rng: &rng, threads: members,
                                    packed: packed, team: useTeam ? team : nil)
                }
                outputs.append(Array(UnsafeBufferPointer(start: space.probabilities, count: batch * 3)))
            }
            #expect(outputs[0] == outputs[1], "round \(round)")
            let ref = Reference.probabilities(plan: model.plan, parameters: model.parameters.map(Double.init),
                                              input: x.map(Double.init), n: batch)
            let (ok, worst) = TestData.close(outputs[0], ref, atol: 1e-6, rtol: 1e-5)
            #expect(ok, "round \(round): max diff \(worst)")
        }
    }

    /// The predictor takes the team for batches of one and two (up to 16 on AVX-512) and the
    /// chunked path above that, with the same results for a spectrum either way.
    @Test(.enabled(if: PackedWeights.available, "Balmer's conv kernel does not run on this CPU"))
    func predictorTinyAndLargeBatchesAgree() throws {
        let info = ModelInfo(classNames: ["a", "b", "c"], created: Date(timeIntervalSince1970: 1_700_000_000))
        var model = try CNNModel(architecture: Self.architecture, seed: 22, info: info)
        TestData.randomizeBiases(&model, seed: 24)
        let x = TestData.random(40 * 24, seed: 40)
        let predictor = Predictor(model: model, maxBatch: 64, threads: 2)
        let whole = try predictor.probabilities(x)
        for i in [0, 17, 39] {
            let one = try predictor.probabilities(Array(x[(i * 24)..<((i + 1) * 24)]))
            let (ok, worst) = TestData.close(one, whole[(i * 3)..<((i + 1) * 3)].map(Double.init), atol: 1e-6, rtol: 1e-5)
            #expect(ok, "spectrum \(i): max diff \(worst)")
        }
        let some = try predictor.probabilities(Array(x[(5 * 24)..<(17 * 24)]))
        let (ok, worst) = TestData.close(some, whole[(5 * 3)..<(17 * 3)].map(Double.init), atol: 1e-6, rtol: 1e-5)
        #expect(ok, "spectra 5..<17 as one batch: max diff \(worst)")
    }
}
