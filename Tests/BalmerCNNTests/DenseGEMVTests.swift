import Testing
@testable import BalmerCNN

/// Balmer's GEMV for the dense layers of tiny batches (`balmer_dense_gemv`): against a double
/// loop over awkward sizes with strided inputs and weights, nothing written outside the columns
/// asked for, and each column's value independent of how the columns are split.
@Suite struct DenseGEMVTests {
    static let avx2 = ConvKernel.supported(1)

    /// Runs the GEMV on seeded data (x rows `k + 3` apart, weight rows `n + 5` apart, y rows
    /// `n + 2` apart and filled with NaN) for `columns` of the `n`.
    static func run(samples: Int, n: Int, k: Int, relu: Bool, columns: [Range<Int>], seed: UInt64)
        -> (y: [Float], x: [Float], w: [Float], bias: [Float]) {
        let ldx = k + 3, ldw = n + 5, ldy = n + 2
        let x = TestData.random(samples * ldx, seed: seed)
        let w = TestData.random(k * ldw, seed: seed + 1, scale: 0.3)
        let bias = TestData.random(n, seed: seed + 2, scale: 0.5)
        var y = [Float](repeating: .nan, count: samples * ldy)
        w.withUnsafeBufferPointer { wp in
            bias.withUnsafeBufferPointer { bp in
                y.withUnsafeMutableBufferPointer { out in
                    for part in columns where !part.isEmpty {
                        ConvKernel.denseGEMV(samples: samples, n: part.count, k: k, x: x, ldx: ldx,
                                             w: wp.baseAddress! + part.lowerBound, ldw: ldw,
                                             bias: bp.baseAddress! + part.lowerBound, relu: relu,
                                             y: out.baseAddress! + part.lowerBound, ldy: ldy)
                    }
                }
            }
        }
        return (y, x, w, bias)
    }

    @Test(.enabled(if: avx2, "this CPU lacks AVX2 + FMA: Balmer's GEMV cannot run here"),
          arguments: [(1, 5), (2, 40), (3, 17), (2, 1)], [false, true])
    func matchesDoubleLoop(shape: (samples: Int, k: Int), relu: Bool) {
        let (samples, k) = shape
        for n in [1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 100] {
            let (y, x, w, bias) = Self.run(samples: samples, n: n, k: k, relu: relu, columns: [0..<n], seed: UInt64(n * 31 + k))
            let ldx = k + 3, ldw = n + 5, ldy = n + 2
            var mismatches = 0, outside = 0
            for s in 0..<samples {
                for j in 0..<ldy {
                    let v = y[s * ldy + j]
                    guard j < n else {
                        if !v.isNaN { outside += 1 }
                        continue
                    }
                    var sum = Double(bias[j])
                    for i in 0..<k { sum += Double(x[s * ldx + i]) * Double(w[i * ldw + j]) }
                    if relu { sum = max(sum, 0) }
                    if !(abs(Double(v) - sum) <= 1e-5 + 1e-5 * abs(sum)) { mismatches += 1 }
                }
            }
            #expect(mismatches == 0, "samples \(samples) n \(n) k \(k) relu \(relu)")
            #expect(outside == 0, "samples \(samples) n \(n) k \(k): \(outside) writes outside the n columns")
        }
    }

    /// The team and the plain tiny path split a layer's columns differently from one thread to
    /// the whole: every split gives the same bits.
    @Test(.enabled(if: avx2, "this CPU lacks AVX2 + FMA: Balmer's GEMV cannot run here"),
          arguments: [1, 2, 3])
    func columnSplitsGiveIdenticalBits(samples: Int) {
        let n = 130, k = 70
        let whole = Self.run(samples: samples, n: n, k: k, relu: true, columns: [0..<n], seed: 5).y
        for splits in [[0..<57, 57..<130], [0..<64, 64..<130], [0..<1, 1..<9, 9..<100, 100..<130]] {
            let parts = Self.run(samples: samples, n: n, k: k, relu: true, columns: splits, seed: 5).y
            #expect(parts.elementsEqual(whole) { $0 == $1 || ($0.isNaN && $1.isNaN) }, "split \(splits)")
        }
    }
}
