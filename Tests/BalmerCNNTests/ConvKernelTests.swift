import Foundation
import Testing
@testable import BalmerCNN

/// Balmer's conv GEMM kernels called directly (AVX2 + FMA and AVX-512 against a double-precision
/// loop over awkward sizes, nothing written outside `m × n`), the kernel choice, and whole
/// forward passes on the AVX2 kernel against OpenBLAS. A kernel's tests are skipped, with the
/// reason shown, only on a CPU that cannot run it.
@Suite struct ConvKernelTests {
    static let avx2 = ConvKernel.supported(1)
    static let avx512 = ConvKernel.supported(2)

    /// Row counts (`m`) cover a tile (6 rows on AVX2, 14 on AVX-512) and its tails; on AVX2 also
    /// the 24-row chunks of tiles that share a weight panel, and a tail chunk (25, 53).
    /// Depths and row strides: k = 1; overlapping rows (lda < k, as in a convolution, lda = cin);
    /// disjoint rows with a gap (lda > k).
    static let depths: [(k: Int, lda: Int)] = [(1, 1), (12, 4), (15, 5), (40, 43)]
    static let columns = [1, 15, 16, 17, 31, 32, 33, 64, 100]

    struct Outcome {
        var values: [Float]
        var worst = 0.0
        var mismatches = 0
        var writesOutside = 0
    }

    /// Runs `level`'s kernel on seeded data with C (`ldc = n + 3`, one spare row) filled with NaN
    /// and compares rows `< m`, columns `< n` with the double loop; counts every other entry of C
    /// that is no longer NaN.
    /// `dense`: the AVX-512 dense-layer entry (``ConvKernel/denseGEMM(m:n:k:a:lda:packed:bias:relu:c:ldc:)``,
    /// depth in slices) instead of `level`'s kernel.
    static func run(level: Int, m: Int, n: Int, k: Int, lda: Int, relu: Bool, seed: UInt64,
                    dense: Bool = false) -> Outcome {
        let a = TestData.random((m - 1) * lda + k, seed: seed)
        let w = TestData.random(k * n, seed: seed + 1)
        let bias = TestData.random(n, seed: seed + 2, scale: 0.5)
        var packed = [Float](repeating: .nan, count: PackedWeights.count(kernel: 1, cin: k, cout: n))
        packed.withUnsafeMutableBufferPointer { PackedWeights.pack(w, kernel: 1, cin: k, cout: n, into: $0.baseAddress!) }
        let ldc = n + 3
        var c = [Float](repeating: .nan, count: (m + 1) * ldc)
        c.withUnsafeMutableBufferPointer { out in
            if dense {
                ConvKernel.denseGEMM(m: m, n: n, k: k, a: a, lda: lda, packed: packed, bias: bias, relu: relu,
                                     c: out.baseAddress!, ldc: ldc)
            } else {
                ConvKernel.gemm(level: level, m: m, n: n, k: k, a: a, lda: lda, packed: packed, bias: bias,
                                relu: relu, c: out.baseAddress!, ldc: ldc)
            }
        }
        var outcome = Outcome(values: c)
        for r in 0...m {
            for j in 0..<ldc {
                let v = c[r * ldc + j]
                guard r < m, j < n else {
                    if !v.isNaN { outcome.writesOutside += 1 }
                    continue
                }
                var sum = Double(bias[j]), magnitude = 0.0
                for p in 0..<k {
                    let product = Double(a[r * lda + p]) * Double(w[p * n + j])
                    sum += product
                    magnitude += abs(product)
                }
                if relu { sum = max(sum, 0) }
                let d = abs(Double(v) - sum)
                // Float rounding grows with the depth: a long sum (a dense layer's k in the
                // thousands) may differ by a few 1e-7 of its products' magnitudes.
                if !(d <= 1e-5 + 1e-5 * abs(sum) + 3e-7 * magnitude) { outcome.mismatches += 1 }
                outcome.worst = max(outcome.worst, d.isNaN ? .infinity : d)
            }
        }
        return outcome
    }

    static func checkSizes(level: Int, m: Int, relu: Bool) {
        for n in columns {
            for (k, lda) in depths {
                let o = run(level: level, m: m, n: n, k: k, lda: lda, relu: relu, seed: UInt64(m * 1000 + n * 10 + k))
                #expect(o.mismatches == 0, "level \(level) m \(m) n \(n) k \(k) lda \(lda) relu \(relu): max diff \(o.worst)")
                #expect(o.writesOutside == 0, "level \(level) m \(m) n \(n) k \(k) lda \(lda): \(o.writesOutside) writes outside m × n")
            }
        }
    }

    @Test(.enabled(if: avx2, "this CPU lacks AVX2 + FMA: the AVX2 kernel cannot run here"),
          arguments: [1, 5, 6, 7, 13, 24, 25, 53], [false, true])
    func avx2KernelMatchesDoubleLoop(m: Int, relu: Bool) {
        Self.checkSizes(level: 1, m: m, relu: relu)
    }

    @Test(.enabled(if: avx512, "this CPU lacks AVX-512F: the AVX-512 kernel cannot run here"),
          arguments: [1, 5, 13, 14, 15, 29], [false, true])
    func avx512KernelMatchesDoubleLoop(m: Int, relu: Bool) {
        Self.checkSizes(level: 2, m: m, relu: relu)
    }

    /// Both kernels add the same products in the same order (one FMA per depth step, then the
    /// bias), so where both run their results are identical.
    @Test(.enabled(if: avx2 && avx512, "this CPU does not run both kernels"))
    func avx2AndAVX512AgreeExactly() {
        for (m, n) in [(29, 100), (7, 33), (1, 17)] {
            let x = Self.run(level: 1, m: m, n: n, k: 40, lda: 8, relu: true, seed: 77)
            let y = Self.run(level: 2, m: m, n: n, k: 40, lda: 8, relu: true, seed: 77)
            #expect(x.values.elementsEqual(y.values) { $0 == $1 || ($0.isNaN && $1.isNaN) }, "m \(m) n \(n)")
        }
    }

    /// Full AVX-512 tiles of a 3-tap convolution over 64, 128 or 256 channels (the paper's
    /// network) read their rows in place instead of a transposed copy; tails still use the copy.
    /// Same products in the same order: they match the double loop, and the AVX2 kernel exactly.
    @Test(.enabled(if: avx2 && avx512, "this CPU does not run both kernels"), arguments: [64, 128, 256])
    func inPlaceConvTilesMatchDoubleLoopAndAVX2(cin: Int) {
        for (m, n) in [(14, 32), (29, 100), (43, 17)] {
            let y = Self.run(level: 2, m: m, n: n, k: 3 * cin, lda: cin, relu: true, seed: UInt64(cin + m))
            #expect(y.mismatches == 0, "cin \(cin) m \(m) n \(n): max diff \(y.worst)")
            #expect(y.writesOutside == 0, "cin \(cin) m \(m) n \(n): \(y.writesOutside) writes outside m × n")
            let x = Self.run(level: 1, m: m, n: n, k: 3 * cin, lda: cin, relu: true, seed: UInt64(cin + m))
            #expect(x.values.elementsEqual(y.values) { $0 == $1 || ($0.isNaN && $1.isNaN) }, "cin \(cin) m \(m) n \(n)")
        }
    }

    /// The dense-layer entry takes the depth in slices of 512 whose partial sums wait in C; a
    /// float stored and reloaded is unchanged, so it gives the bits of the one-pass AVX-512 kernel
    /// (and matches the double loop) for depths below, at and across slice boundaries, tile tails
    /// and partial panels, writing nothing outside m × n.
    @Test(.enabled(if: avx512, "this CPU lacks AVX-512F: the AVX-512 kernel cannot run here"),
          arguments: [1, 13, 14, 15, 43])
    func denseSlicesMatchOnePassKernelExactly(m: Int) {
        for (n, k) in [(3, 1), (17, 511), (32, 512), (100, 513), (33, 1300)] {
            for relu in [false, true] {
                let seed = UInt64(m * 10_000 + k)
                let sliced = Self.run(level: 2, m: m, n: n, k: k, lda: k + 5, relu: relu, seed: seed, dense: true)
                let onePass = Self.run(level: 2, m: m, n: n, k: k, lda: k + 5, relu: relu, seed: seed)
                let label = "m \(m) n \(n) k \(k) relu \(relu)"
                #expect(sliced.mismatches == 0, "\(label): max diff \(sliced.worst)")
                #expect(sliced.writesOutside == 0, "\(label): \(sliced.writesOutside) writes outside m × n")
                #expect(sliced.values.elementsEqual(onePass.values) { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(label)")
            }
        }
    }

    /// The level follows the CPU and `BALMER_CNN_KERNEL`, and packed weights exist exactly for
    /// the levels the CPU runs.
    @Test func kernelChoiceFollowsCPUAndEnvironment() throws {
        let best = Self.avx512 ? 2 : Self.avx2 ? 1 : 0
        let expected = switch ProcessInfo.processInfo.environment["BALMER_CNN_KERNEL"] {
        case "blas": 0
        case "avx2": Self.avx2 ? 1 : best
        default: best
        }
        #expect(ConvKernel.chosenLevel == expected)
        #expect(PackedWeights.available == (expected > 0))
        #expect(BLASCore.convolutions == ["openblas", "balmer-avx2", "balmer-avx512"][expected])
        #expect(ConvKernel.supported(0))
        #expect(ConvKernel.rows(level: 1) == 6 && ConvKernel.rows(level: 2) == 14)
        let plan = try NetworkPlan(Architecture.paper())
        #expect(PackedWeights(plan: plan, level: 0) == nil)
        for level in [1, 2] {
            let packed = PackedWeights(plan: plan, level: level)
            #expect((packed != nil) == ConvKernel.supported(level))
            #expect(packed.map { $0.level == level } ?? true)
        }
        #expect(PackedWeights(plan: plan)?.level == (expected > 0 ? expected : nil))
    }

    /// Conv layers with partial panels and halves (20, 37, 70 filters), pad 2 from the kernel of 5.
    static let wide = Architecture(
        inputLength: 40,
        layers: [.conv(kernel: 3, filters: 20), .conv(kernel: 5, filters: 37), .maxPool(size: 2),
                 .conv(kernel: 3, filters: 70), .maxPool(size: 4), .dense(units: 10), .dropout(rate: 0.5)],
        classes: 3)

    struct ForwardCase: Sendable, CustomStringConvertible {
        var batch: Int, chunk: Int, workers: Int, training: Bool
        var description: String { "batch \(batch) chunk \(chunk) workers \(workers)\(training ? " training" : "")" }
    }

    /// The tiny-batch path (one thread), the row split over threads, the data-parallel workers
    /// and a training forward pass (same dropout masks from the same seed).
    @Test(.enabled(if: avx2, "this CPU lacks AVX2 + FMA: the AVX2 kernel cannot run here"),
          arguments: [ForwardCase(batch: 1, chunk: 64, workers: 1, training: false),
                      ForwardCase(batch: 9, chunk: 64, workers: 1, training: false),
                      ForwardCase(batch: 9, chunk: 4, workers: 2, training: false),
                      ForwardCase(batch: 6, chunk: 64, workers: 1, training: true)])
    func networkForwardOnAVX2MatchesOpenBLAS(_ c: ForwardCase) throws {
        try Self.checkForward(Self.wide, c, level: 1, dense: false)
    }

    /// A conv's weight gradient on the AVX-512 kernel, `c[p][j] = Σ_r a[r·lda + p] · dy[r·ldy + j]`,
    /// against the double loop: overlapping windows (lda < m), row tails, partial panels, depths
    /// below, at and across the 256-row slices (and none: zeros); nothing written outside m × n.
    @Test(.enabled(if: avx512, "this CPU lacks AVX-512F: the AVX-512 kernel cannot run here"),
          arguments: [(5, 5), (14, 7), (29, 10), (192, 64)])
    func weightGradientMatchesDoubleLoop(m: Int, lda: Int) {
        for n in [1, 17, 33, 64] {
            for depth in [0, 1, 255, 256, 257, 700] {
                let ldy = n + 2, ldc = n + 3
                let a = TestData.random(max(1, depth + 1) * lda + m, seed: UInt64(m * 100 + depth))
                let dy = TestData.random(max(1, depth) * ldy, seed: UInt64(n * 1000 + depth))
                var c = [Float](repeating: .nan, count: (m + 1) * ldc)
                c.withUnsafeMutableBufferPointer { out in
                    ConvKernel.weightGradient(m: m, n: n, depth: depth, a: a, lda: lda, dy: dy, ldy: ldy,
                                              c: out.baseAddress!, ldc: ldc)
                }
                var mismatches = 0, outside = 0, worst = 0.0
                for p in 0...m {
                    for j in 0..<ldc {
                        let v = c[p * ldc + j]
                        guard p < m, j < n else {
                            if !v.isNaN { outside += 1 }
                            continue
                        }
                        var sum = 0.0, magnitude = 0.0
                        for r in 0..<depth {
                            let product = Double(a[r * lda + p]) * Double(dy[r * ldy + j])
                            sum += product
                            magnitude += abs(product)
                        }
                        let d = abs(Double(v) - sum)
                        if !(d <= 1e-5 + 3e-7 * magnitude) { mismatches += 1 }
                        worst = max(worst, d.isNaN ? .infinity : d)
                    }
                }
                let label = "m \(m) lda \(lda) n \(n) depth \(depth)"
                #expect(mismatches == 0, "\(label): max diff \(worst)")
                #expect(outside == 0, "\(label): \(outside) writes outside m × n")
            }
        }
    }

    /// In training the convs' input gradients run on the kernel as 'same' convolutions of the
    /// output gradient with the flipped weight (taps reversed, each transposed), and on AVX-512
    /// their weight gradients too (kernels of 3 and 5, partial panels of 20, 37 and 70 channels):
    /// every parameter gradient agrees with the OpenBLAS backward pass after the same forward pass.
    @Test(.enabled(if: avx2, "this CPU lacks AVX2 + FMA: the AVX2 kernel cannot run here"),
          arguments: [1, 2].filter { ConvKernel.supported($0) })
    func backwardOnTheKernelMatchesOpenBLAS(level: Int) throws {
        var model = try CNNModel(architecture: Self.wide, seed: 41,
                                 info: ModelInfo(classNames: ["a", "b", "c"], created: Date(timeIntervalSince1970: 0)))
        TestData.randomizeBiases(&model, seed: 42)
        let packed = try #require(PackedWeights(plan: model.plan, level: level, backward: true))
        for (i, layer) in model.plan.layers.enumerated() {
            if case .conv = layer.op { #expect((packed.kernelBackward(i) != nil) == (i > 0), "layer \(i)") }
        }
        model.parameters.withUnsafeBufferPointer { packed.pack($0.baseAddress!) }
        let n = 7, x = TestData.random(n * 40, seed: 43)
        func gradients(_ backwardPacked: PackedWeights?) -> [Float] {
            let ws = Workspace(plan: model.plan, capacity: n, training: true)
            x.withUnsafeBufferPointer { f in for i in 0..<n { ws.setInput(slot: i, from: f.baseAddress! + i * 40) } }
            for i in 0..<n { ws.labels[i] = Int32(i % 3) }
            var grads = [Float](repeating: .nan, count: model.parameters.count)
            var rng = SeededGenerator(seed: 44)
            model.parameters.withUnsafeBufferPointer { p in
                Network.forward(ws, parameters: p.baseAddress!, batch: n, rng: &rng, threads: 1, packed: packed)
                _ = Network.loss(ws, batch: n, weighted: false)
                Network.backward(ws, parameters: p.baseAddress!, gradients: &grads, batch: n, threads: 1,
                                 packed: backwardPacked)
            }
            return grads
        }
        let blas = gradients(nil), kernel = gradients(packed)
        let (ok, worst) = TestData.close(kernel, blas.map(Double.init), atol: 1e-6, rtol: 1e-4)
        #expect(ok, "max diff \(worst)")
        let firstConv = model.plan.layers[0]
        #expect(blas[firstConv.weightOffset..<(firstConv.weightOffset + firstConv.weightCount)].contains { $0 != 0 },
                "the gradient reaches the first layer")
    }

    /// Dense layers of 70 and 40 units (three and two panels, partial) after a conv.
    static let denseHeavy = Architecture(
        inputLength: 40,
        layers: [.conv(kernel: 3, filters: 8), .maxPool(size: 2), .dense(units: 70), .dropout(rate: 0.5),
                 .dense(units: 40)],
        classes: 3)

    /// On AVX-512 an inference's dense layers (batches above the GEMV's two samples) run on the
    /// kernel with packed weights: panels split over threads for small batches, rows for batches
    /// of at least four tiles per thread (120 samples here). The trainer packs no dense weights (it
    /// packs before every step), but a training forward pass with them agrees too.
    @Test(.enabled(if: avx512, "this CPU lacks AVX-512F: the AVX-512 kernel cannot run here"),
          arguments: [ForwardCase(batch: 3, chunk: 64, workers: 1, training: false),
                      ForwardCase(batch: 60, chunk: 16, workers: 2, training: false),
                      ForwardCase(batch: 120, chunk: 64, workers: 1, training: false),
                      ForwardCase(batch: 6, chunk: 64, workers: 1, training: true)])
    func networkForwardWithPackedDenseMatchesOpenBLAS(_ c: ForwardCase) throws {
        try Self.checkForward(Self.denseHeavy, c, level: 2, dense: true)
    }

    /// A forward pass with `architecture`'s weights packed for `level` (dense layers too when
    /// `dense`) against OpenBLAS alone: logits and probabilities within 1e-5.
    static func checkForward(_ architecture: Architecture, _ c: ForwardCase, level: Int, dense: Bool) throws {
        var model = try CNNModel(architecture: architecture, seed: 31,
                                 info: ModelInfo(classNames: ["a", "b", "c"], created: Date(timeIntervalSince1970: 0)))
        TestData.randomizeBiases(&model, seed: 34)
        let length = architecture.inputLength
        let x = TestData.random(c.batch * length, seed: 32)
        let packed = try #require(PackedWeights(plan: model.plan, level: level, dense: dense))
        #expect(packed.level == level)
        for (i, layer) in model.plan.layers.enumerated() {
            if case .dense = layer.op { #expect((packed[i] != nil) == (dense && level == 2), "layer \(i)") }
        }
        model.parameters.withUnsafeBufferPointer { packed.pack($0.baseAddress!) }
        let classes = 3, logitsIndex = model.plan.layers.count
        func forward(_ packed: PackedWeights?) -> (logits: [Float], probabilities: [Float]) {
            let ws = Workspace(plan: model.plan, capacity: c.batch, training: c.training,
                               chunk: c.chunk, workers: c.workers)
            x.withUnsafeBufferPointer { f in
                for i in 0..<c.batch { ws.setInput(slot: i, from: f.baseAddress! + i * length) }
            }
            var rng = SeededGenerator(seed: 33)
            model.parameters.withUnsafeBufferPointer { p in
                Network.forward(ws, parameters: p.baseAddress!, batch: c.batch, rng: &rng, threads: 2, packed: packed)
            }
            return (Array(UnsafeBufferPointer(start: ws.activations[logitsIndex], count: c.batch * classes)),
                    Array(UnsafeBufferPointer(start: ws.probabilities, count: c.batch * classes)))
        }
        let blas = forward(nil), kernel = forward(packed)
        let (okLogits, worstLogits) = TestData.close(kernel.logits, blas.logits.map(Double.init), atol: 1e-5, rtol: 1e-5)
        let (okProbabilities, worstProbabilities) = TestData.close(kernel.probabilities,
                                                                  blas.probabilities.map(Double.init),
                                                                  atol: 1e-5, rtol: 1e-5)
        #expect(okLogits, "logits: max diff \(worstLogits)")
        #expect(okProbabilities, "probabilities: max diff \(worstProbabilities)")
        #expect(Set(blas.logits).count > 1, "the network computes something")
    }
}
