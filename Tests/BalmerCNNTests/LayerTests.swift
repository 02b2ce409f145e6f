import Foundation
import Testing
@testable import BalmerCNN

/// Each layer against the double-precision reference loops, and its gradients against central
/// finite differences of that reference.
@Suite struct LayerTests {
    struct ConvCase: Sendable, CustomStringConvertible {
        var n: Int, length: Int, cin: Int, cout: Int, kernel: Int, pad: Int, threads: Int
        var description: String { "n\(n) L\(length) \(cin)→\(cout) k\(kernel) pad\(pad) t\(threads)" }
    }

    static let convCases = [
        ConvCase(n: 3, length: 7, cin: 3, cout: 4, kernel: 3, pad: 1, threads: 1),
        ConvCase(n: 2, length: 6, cin: 2, cout: 5, kernel: 5, pad: 2, threads: 2),
        ConvCase(n: 2, length: 5, cin: 4, cout: 3, kernel: 3, pad: 2, threads: 2),
        ConvCase(n: 3, length: 6, cin: 1, cout: 4, kernel: 3, pad: 1, threads: 2),
        ConvCase(n: 2, length: 9, cin: 5, cout: 40, kernel: 3, pad: 1, threads: 2),
        ConvCase(n: 1, length: 8, cin: 6, cout: 64, kernel: 5, pad: 2, threads: 2),
    ]

    /// Both GEMM schedules: phased windows (large batches) and per-tap column splits (tiny ones).
    @Test(arguments: convCases, [false, true])
    func convForwardMatchesNaiveLoop(_ c: ConvCase, splitColumns: Bool) throws {
        let x = TestData.random(c.n * c.length * c.cin, seed: 1)
        let w = TestData.random(c.kernel * c.cin * c.cout, seed: 2)
        let b = TestData.random(c.cout, seed: 3, scale: 0.2)
        let px = TestData.padded(x, n: c.n, length: c.length, channels: c.cin, pad: c.pad)
        var py = [Float](repeating: .nan, count: c.n * (c.length + 2 * c.pad) * c.cout)
        let s = Conv1D.Shape(batch: c.n, length: c.length, pad: c.pad, cin: c.cin, cout: c.cout, kernel: c.kernel)
        Conv1D.forward(s, input: px, weight: w, bias: b, output: &py, relu: true, threads: c.threads,
                       splitColumns: splitColumns)
        let (y, padsZero) = TestData.unpadded(py, n: c.n, length: c.length, channels: c.cout, pad: c.pad)
        let ref = Reference.conv(x.map(Double.init), n: c.n, length: c.length, cin: c.cin, cout: c.cout,
                                 kernel: c.kernel, weight: w.map(Double.init), bias: b.map(Double.init), relu: true)
        let (ok, worst) = TestData.close(y, ref, atol: 1e-5, rtol: 1e-5)
        #expect(ok, "max abs diff \(worst)")
        #expect(padsZero)
        #expect(ref.contains { $0 == 0 } && ref.contains { $0 > 0 }, "ReLU exercised both ways")
    }

    static let kernelCases = convCases + [ConvCase(n: 3, length: 35, cin: 64, cout: 70, kernel: 3, pad: 1, threads: 2),
                                          ConvCase(n: 2, length: 13, cin: 17, cout: 33, kernel: 3, pad: 1, threads: 1)]

    /// Balmer's AVX-512 kernel (packed weights, overlapping windows, fused bias + ReLU) against
    /// the same reference, row- and panel-split, with row counts that leave partial tiles and
    /// column counts that leave partial panels.
    @Test(.enabled(if: ConvKernel.supported(2), "this CPU lacks AVX-512F: the AVX-512 kernel cannot run here"),
          arguments: kernelCases, [false, true])
    func convAVX512KernelMatchesNaiveLoop(_ c: ConvCase, splitColumns: Bool) throws {
        try checkKernel(c, splitColumns: splitColumns, level: 2)
    }

    /// The same for the AVX2 + FMA kernel (6-row tiles, 16-column halves of the same panels).
    @Test(.enabled(if: ConvKernel.supported(1), "this CPU lacks AVX2 + FMA: the AVX2 kernel cannot run here"),
          arguments: kernelCases, [false, true])
    func convAVX2KernelMatchesNaiveLoop(_ c: ConvCase, splitColumns: Bool) throws {
        try checkKernel(c, splitColumns: splitColumns, level: 1)
    }

    func checkKernel(_ c: ConvCase, splitColumns: Bool, level: Int) throws {
        let plan = try NetworkPlan(Architecture.paper())
        #expect(PackedWeights(plan: plan, level: level)?.level == level)
        guard c.cin > 1 else { return }  // the first layer's direct loop is the same on both paths
        let x = TestData.random(c.n * c.length * c.cin, seed: 11)
        let w = TestData.random(c.kernel * c.cin * c.cout, seed: 12)
        let b = TestData.random(c.cout, seed: 13, scale: 0.2)
        var packed = [Float](repeating: .nan, count: PackedWeights.count(kernel: c.kernel, cin: c.cin, cout: c.cout))
        packed.withUnsafeMutableBufferPointer { PackedWeights.pack(w, kernel: c.kernel, cin: c.cin, cout: c.cout, into: $0.baseAddress!) }
        let px = TestData.padded(x, n: c.n, length: c.length, channels: c.cin, pad: c.pad)
        var py = [Float](repeating: .nan, count: c.n * (c.length + 2 * c.pad) * c.cout)
        let s = Conv1D.Shape(batch: c.n, length: c.length, pad: c.pad, cin: c.cin, cout: c.cout, kernel: c.kernel)
        Conv1D.forward(s, input: px, weight: w, bias: b, output: &py, relu: true, threads: c.threads,
                       splitColumns: splitColumns, packed: packed, kernelLevel: level)
        let (y, padsZero) = TestData.unpadded(py, n: c.n, length: c.length, channels: c.cout, pad: c.pad)
        let ref = Reference.conv(x.map(Double.init), n: c.n, length: c.length, cin: c.cin, cout: c.cout,
                                 kernel: c.kernel, weight: w.map(Double.init), bias: b.map(Double.init), relu: true)
        let (ok, worst) = TestData.close(y, ref, atol: 1e-5, rtol: 1e-5)
        #expect(ok, "max abs diff \(worst)")
        #expect(padsZero)
    }

    @Test(arguments: convCases)
    func convGradientsMatchFiniteDifferences(_ c: ConvCase) throws {
        let x = TestData.random(c.n * c.length * c.cin, seed: 11)
        let w = TestData.random(c.kernel * c.cin * c.cout, seed: 12)
        let b = TestData.random(c.cout, seed: 13, scale: 0.2)
        let g = TestData.random(c.n * c.length * c.cout, seed: 14)   // dL/dY, L = Σ g·y
        let rows = c.length + 2 * c.pad
        let px = TestData.padded(x, n: c.n, length: c.length, channels: c.cin, pad: c.pad)
        var py = [Float](repeating: 0, count: c.n * rows * c.cout)
        let s = Conv1D.Shape(batch: c.n, length: c.length, pad: c.pad, cin: c.cin, cout: c.cout, kernel: c.kernel)
        Conv1D.forward(s, input: px, weight: w, bias: b, output: &py, relu: true, threads: c.threads)
        var dy = TestData.padded(g, n: c.n, length: c.length, channels: c.cout, pad: c.pad)
        var dw = [Float](repeating: .nan, count: w.count), db = [Float](repeating: .nan, count: b.count)
        var dx = [Float](repeating: .nan, count: px.count)
        Conv1D.backward(s, input: px, weight: w, output: py, dOutput: &dy, dWeight: &dw, dBias: &db,
                        dInput: &dx, relu: true, threads: c.threads)
        let (dxValid, padsZero) = TestData.unpadded(dx, n: c.n, length: c.length, channels: c.cin, pad: c.pad)
        #expect(padsZero)

        let xd = x.map(Double.init), wd = w.map(Double.init), bd = b.map(Double.init), gd = g.map(Double.init)
        func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
            zip(Reference.conv(x, n: c.n, length: c.length, cin: c.cin, cout: c.cout, kernel: c.kernel,
                               weight: w, bias: b, relu: true), gd).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let numX = Reference.numericGradient(xd) { loss($0, wd, bd) }
        let numW = Reference.numericGradient(wd) { loss(xd, $0, bd) }
        let numB = Reference.numericGradient(bd) { loss(xd, wd, $0) }
        let (okX, wx) = TestData.close(dxValid, numX)
        let (okW, ww) = TestData.close(dw, numW)
        let (okB, wb) = TestData.close(db, numB)
        #expect(okX, "dX max diff \(wx)")
        #expect(okW, "dW max diff \(ww)")
        #expect(okB, "db max diff \(wb)")
    }

    @Test(arguments: [(2, 1), (2, 2), (3, 2)])
    func maxPoolForwardAndGradient(size: Int, threads: Int) throws {
        // 11 channels: one 8-lane vector and a scalar tail.
        let n = 2, length = 7, c = 11, pad = 1
        let x = TestData.random(n * length * c, seed: 21)
        let out = length / size
        let px = TestData.padded(x, n: n, length: length, channels: c, pad: pad)
        var py = [Float](repeating: .nan, count: n * (out + 2 * pad) * c)
        let s = MaxPool1D.Shape(batch: n, inLength: length, channels: c, size: size, pad: pad)
        MaxPool1D.forward(s, input: px, output: &py, threads: threads)
        let (y, padsZero) = TestData.unpadded(py, n: n, length: out, channels: c, pad: pad)
        let ref = Reference.maxPool(x.map(Double.init), n: n, length: length, channels: c, size: size)
        #expect(TestData.close(y, ref, atol: 0, rtol: 0).0)
        #expect(padsZero)

        let g = TestData.random(n * out * c, seed: 22)
        let dy = TestData.padded(g, n: n, length: out, channels: c, pad: pad)
        var dx = [Float](repeating: .nan, count: px.count)
        MaxPool1D.backward(s, input: px, dOutput: dy, dInput: &dx, threads: threads)
        let (dxValid, dxPadsZero) = TestData.unpadded(dx, n: n, length: length, channels: c, pad: pad)
        #expect(dxPadsZero)
        let num = Reference.numericGradient(x.map(Double.init)) { xs in
            zip(Reference.maxPool(xs, n: n, length: length, channels: c, size: size), g).reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        let (ok, worst) = TestData.close(dxValid, num)
        #expect(ok, "max diff \(worst)")
    }

    /// Ties (as after ReLU): the whole gradient goes to the first element of each window.
    @Test func maxPoolTiesRouteToFirst() throws {
        let n = 2, length = 6, c = 12, pad = 1, size = 2
        let px = [Float](repeating: 0, count: n * (length + 2 * pad) * c)
        let g = TestData.random(n * (length / size) * c, seed: 23)
        let dy = TestData.padded(g, n: n, length: length / size, channels: c, pad: pad)
        var dx = [Float](repeating: .nan, count: px.count)
        let s = MaxPool1D.Shape(batch: n, inLength: length, channels: c, size: size, pad: pad)
        MaxPool1D.backward(s, input: px, dOutput: dy, dInput: &dx, threads: 1)
        let (dxValid, _) = TestData.unpadded(dx, n: n, length: length, channels: c, pad: pad)
        for sample in 0..<n {
            for l in 0..<length {
                for ch in 0..<c {
                    let got = dxValid[(sample * length + l) * c + ch]
                    let want: Float = l % size == 0 ? g[(sample * (length / size) + l / size) * c + ch] : 0
                    #expect(got == want, "sample \(sample) row \(l) channel \(ch)")
                }
            }
        }
    }

    /// The vectorised Adam step against the scalar formula, summing two gradient buffers
    /// (37 values: vectors and a scalar tail).
    @Test func adamMatchesScalarFormula() throws {
        let count = 37, steps = 3
        var options = AdamOptions()
        options.learningRate = 0.01
        var adam = Adam(count: count, options: options)
        let initial = TestData.random(count, seed: 41)
        var p = initial
        var refP = p.map(Double.init), refM = [Double](repeating: 0, count: count), refV = refM
        for step in 1...steps {
            let g0 = TestData.random(count, seed: 42 + UInt64(step)), g1 = TestData.random(count, seed: 52 + UInt64(step))
            g0.withUnsafeBufferPointer { a in
                g1.withUnsafeBufferPointer { b in
                    adam.update(parameters: &p, gradients: [a.baseAddress!, b.baseAddress!], threads: 2)
                }
            }
            let t = Double(step), b1 = Double(options.beta1), b2 = Double(options.beta2)
            let alpha = Double(options.learningRate) * (1 - pow(b2, t)).squareRoot() / (1 - pow(b1, t))
            for i in 0..<count {
                let g = Double(g0[i]) + Double(g1[i])
                refM[i] = b1 * refM[i] + (1 - b1) * g
                refV[i] = b2 * refV[i] + (1 - b2) * g * g
                refP[i] -= alpha * refM[i] / (refV[i].squareRoot() + Double(options.epsilon))
            }
        }
        let (ok, worst) = TestData.close(p, refP, atol: 1e-5, rtol: 1e-4)
        #expect(ok, "max diff \(worst)")
        #expect(zip(p, initial).allSatisfy { abs($0 - $1) > 1e-4 }, "every parameter moved")
    }

    @Test(arguments: [true, false])
    func denseStridedGradients(relu: Bool) throws {
        // Input rows strided as a padded conv buffer: 2 pad rows × 2 channels around 3 × 2 values.
        let n = 3, features = 6, units = 4, stride = 10, offset = 2
        let x = TestData.random(n * features, seed: 31)
        var px = [Float](repeating: 0, count: n * stride)
        for s in 0..<n { for f in 0..<features { px[s * stride + offset + f] = x[s * features + f] } }
        let w = TestData.random(features * units, seed: 32), b = TestData.random(units, seed: 33, scale: 0.3)
        var y = [Float](repeating: 0, count: n * units)
        let shape = Dense.Shape(batch: n, features: features, units: units, inStride: stride)
        px.withUnsafeBufferPointer { p in
            Dense.forward(shape, input: p.baseAddress! + offset, weight: w, bias: b, output: &y, relu: relu, threads: 2)
        }
        let xd = x.map(Double.init), wd = w.map(Double.init), bd = b.map(Double.init)
        let ref = Reference.dense(xd, n: n, features: features, units: units, weight: wd, bias: bd, relu: relu)
        #expect(TestData.close(y, ref, atol: 1e-6, rtol: 1e-5).0)

        let g = TestData.random(n * units, seed: 34)
        var dy = g
        var dw = [Float](repeating: .nan, count: w.count), db = [Float](repeating: .nan, count: b.count)
        var dx = [Float](repeating: 0, count: n * stride)
        px.withUnsafeBufferPointer { p in
            dx.withUnsafeMutableBufferPointer { d in
                Dense.backward(shape, input: p.baseAddress! + offset, weight: w, output: y, dOutput: &dy,
                               dWeight: &dw, dBias: &db, dInput: d.baseAddress! + offset, relu: relu, threads: 2)
            }
        }
        var dxValid: [Float] = []
        for s in 0..<n {
            dxValid += dx[(s * stride + offset)..<(s * stride + offset + features)]
            #expect(dx[(s * stride)..<(s * stride + offset)].allSatisfy { $0 == 0 }, "gaps untouched")
        }
        func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
            zip(Reference.dense(x, n: n, features: features, units: units, weight: w, bias: b, relu: relu), g)
                .reduce(0) { $0 + $1.0 * Double($1.1) }
        }
        #expect(TestData.close(dxValid, Reference.numericGradient(xd) { loss($0, wd, bd) }).0)
        #expect(TestData.close(dw, Reference.numericGradient(wd) { loss(xd, $0, bd) }).0)
        #expect(TestData.close(db, Reference.numericGradient(bd) { loss(xd, wd, $0) }).0)
    }

    @Test func dropoutIsInvertedSeededAndRoutesGradients() throws {
        let count = 4000, rate: Float = 0.5
        let x = TestData.random(count, seed: 41)
        var y1 = [Float](repeating: 0, count: count), m1 = y1, y2 = y1, m2 = y1
        var r1 = SeededGenerator(seed: 7), r2 = SeededGenerator(seed: 7)
        Dropout.forward(count: count, rate: rate, input: x, output: &y1, mask: &m1, rng: &r1)
        Dropout.forward(count: count, rate: rate, input: x, output: &y2, mask: &m2, rng: &r2)
        #expect(m1 == m2, "same seed, same mask")
        #expect(m1.allSatisfy { $0 == 0 || $0 == 2 })
        let kept = Double(m1.filter { $0 > 0 }.count) / Double(count)
        #expect(abs(kept - 0.5) < 0.05, "kept fraction \(kept)")
        #expect(zip(zip(x, m1), y1).allSatisfy { $0.0 * $0.1 == $1 })
        let g = TestData.random(count, seed: 42)
        var dx = [Float](repeating: .nan, count: count)
        Dropout.backward(count: count, mask: m1, dOutput: g, dInput: &dx)
        #expect(zip(zip(g, m1), dx).allSatisfy { $0.0 * $0.1 == $1 })
    }

    @Test func softmaxCrossEntropyGradientAndStability() throws {
        let n = 3, k = 4
        let z = TestData.random(n * k, seed: 51, scale: 3)
        let labels: [Int32] = [0, 3, 2]
        let weights: [Float] = [1, 2.5, 0.5]
        var p = [Float](repeating: 0, count: n * k), dz = p
        SoftmaxCrossEntropy.softmax(batch: n, classes: k, logits: z, probabilities: &p)
        let loss = SoftmaxCrossEntropy.lossAndGradient(batch: n, classes: k, probabilities: p, labels: labels,
                                                       sampleWeights: weights, dLogits: &dz)
        func ref(_ z: [Double]) -> Double {
            let p = Reference.softmax(z, n: n, k: k)
            var total = 0.0
            for s in 0..<n { total -= Double(weights[s]) * log(p[s * k + Int(labels[s])]) }
            return total / Double(n)
        }
        let zd = z.map(Double.init)
        #expect(abs(loss - ref(zd)) < 1e-5)
        #expect(TestData.close(dz, Reference.numericGradient(zd, ref)).0)
        // Huge logits stay finite.
        var big = [Float](repeating: 0, count: k)
        SoftmaxCrossEntropy.softmax(batch: 1, classes: k, logits: [1000, -1000, 999, 0], probabilities: &big)
        #expect(big.allSatisfy { $0.isFinite })
        #expect(abs(big.reduce(0, +) - 1) < 1e-6)
    }
}
