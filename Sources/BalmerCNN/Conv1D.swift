/// 1-D convolution, stride 1, 'same' zero padding, bias and optional ReLU, on padded
/// channels-last buffers (see ``ActivationShape``).
///
/// Shapes: input `[n][length + 2·pad][cin]`, output `[n][length + 2·pad][cout]`, weight
/// `[kernel][cin][cout]` (Keras layout), bias `[cout]`. Pad rows of the output are written as
/// zeros. The convolution is `kernel` GEMMs over the whole batch, each reading the input shifted
/// by one row: the zero pad rows between samples make the shift exact, and the rows of the
/// result that fall on padding are cleared by the epilogue (bias + ReLU).
enum Conv1D {
    struct Shape {
        var batch: Int
        var length: Int
        var pad: Int
        var cin: Int
        var cout: Int
        var kernel: Int
        var rowsPerSample: Int { length + 2 * pad }
        /// Rows covered by the GEMMs: every buffer row except the first and last `pad`.
        var gemmRows: Int { batch * rowsPerSample - 2 * pad }
    }

    static func forward(_ s: Shape, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                        relu: Bool, threads: Int, splitRows: Bool = false) {
        let h = s.kernel / 2
        if s.cin == 1 {
            direct(s, input: input, weight: weight, bias: bias, output: output, relu: relu, threads: threads)
            return
        }
        // With `splitRows` (single-threaded BLAS, tiny batches) the rows are split over threads.
        let parts = splitRows ? ParallelLoop.chunkCount(s.gemmRows, threads: threads, minimumPerChunk: 32) : 1
        ParallelLoop.chunks(parts, threads: parts) { partRange, _ in
            for part in partRange {
                let rows = ParallelLoop.range(of: part, count: s.gemmRows, chunks: parts)
                for j in 0..<s.kernel {
                    sgemm(m: rows.count, n: s.cout, k: s.cin,
                          a: input + (s.pad + rows.lowerBound + j - h) * s.cin, lda: s.cin,
                          b: weight + j * s.cin * s.cout, ldb: s.cout,
                          beta: j == 0 ? 0 : 1, c: output + (s.pad + rows.lowerBound) * s.cout, ldc: s.cout)
                }
            }
        }
        epilogue(s, output: output, bias: bias, relu: relu, threads: threads)
    }

    /// Adds the bias, applies ReLU on valid rows and zeroes the pad rows, per sample.
    static func epilogue(_ s: Shape, output: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                         relu: Bool, threads: Int) {
        let cout = s.cout, pad = s.pad, length = s.length, rps = s.rowsPerSample
        ParallelLoop.chunks(s.batch, threads: threads) { samples, _ in
            for n in samples {
                let base = output + n * rps * cout
                base.update(repeating: 0, count: pad * cout)
                (base + (pad + length) * cout).update(repeating: 0, count: pad * cout)
                var row = base + pad * cout
                for _ in 0..<length {
                    if relu {
                        for c in 0..<cout { row[c] = max(row[c] + bias[c], 0) }
                    } else {
                        for c in 0..<cout { row[c] += bias[c] }
                    }
                    row += cout
                }
            }
        }
    }

    /// Direct loop for a single input channel (the first layer), where a GEMM with k = 1 is slow.
    static func direct(_ s: Shape, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                       relu: Bool, threads: Int) {
        let cout = s.cout, pad = s.pad, length = s.length, rps = s.rowsPerSample, h = s.kernel / 2
        let kernel = s.kernel
        ParallelLoop.chunks(s.batch, threads: threads) { samples, _ in
            for n in samples {
                let x = input + n * rps
                let base = output + n * rps * cout
                base.update(repeating: 0, count: pad * cout)
                (base + (pad + length) * cout).update(repeating: 0, count: pad * cout)
                for l in 0..<length {
                    let row = base + (pad + l) * cout
                    for c in 0..<cout { row[c] = bias[c] }
                    for j in 0..<kernel {
                        let xv = x[pad + l + j - h]
                        let w = weight + j * cout
                        for c in 0..<cout { row[c] += xv * w[c] }
                    }
                    if relu { for c in 0..<cout { row[c] = max(row[c], 0) } }
                }
            }
        }
    }

    /// Backward pass. `dOutput` (pad rows zero) is masked in place by the ReLU derivative when
    /// `relu`; `dWeight`, `dBias` and `dInput` (when given; pad rows zero) are overwritten. `output` is this layer's forward output (post-ReLU).
    static func backward(_ s: Shape, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         output: UnsafePointer<Float>, dOutput: UnsafeMutablePointer<Float>,
                         dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
                         dInput: UnsafeMutablePointer<Float>?, relu: Bool, threads: Int) {
        let h = s.kernel / 2
        let cout = s.cout, pad = s.pad, length = s.length, rps = s.rowsPerSample
        // ReLU mask and per-chunk bias sums, reduced in chunk order (deterministic).
        let chunks = ParallelLoop.chunkCount(s.batch, threads: threads)
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: max(1, chunks) * cout)
        defer { partial.deallocate() }
        partial.initialize(repeating: 0, count: max(1, chunks) * cout)
        ParallelLoop.chunks(s.batch, threads: threads) { samples, chunk in
            let sum = partial + chunk * cout
            for n in samples {
                var g = dOutput + (n * rps + pad) * cout
                var y = output + (n * rps + pad) * cout
                for _ in 0..<length {
                    if relu {
                        for c in 0..<cout { let v = y[c] > 0 ? g[c] : 0; g[c] = v; sum[c] += v }
                    } else {
                        for c in 0..<cout { sum[c] += g[c] }
                    }
                    g += cout; y += cout
                }
            }
        }
        dBias.update(repeating: 0, count: cout)
        for chunk in 0..<chunks { for c in 0..<cout { dBias[c] += partial[chunk * cout + c] } }
        let rows = s.gemmRows
        for j in 0..<s.kernel {
            sgemm(transA: true, m: s.cin, n: cout, k: rows,
                  a: input + (pad + j - h) * s.cin, lda: s.cin,
                  b: dOutput + pad * cout, ldb: cout,
                  beta: 0, c: dWeight + j * s.cin * cout, ldc: cout)
        }
        guard let dInput else { return }
        for j in 0..<s.kernel {
            sgemm(transB: true, m: rows, n: s.cin, k: cout,
                  a: dOutput + (pad - j + h) * cout, lda: cout,
                  b: weight + j * s.cin * cout, ldb: cout,
                  beta: j == 0 ? 0 : 1, c: dInput + pad * s.cin, ldc: s.cin)
        }
        let cin = s.cin
        ParallelLoop.chunks(s.batch, threads: threads) { samples, _ in
            for n in samples {
                let base = dInput + n * rps * cin
                base.update(repeating: 0, count: pad * cin)
                (base + (pad + length) * cin).update(repeating: 0, count: pad * cin)
            }
        }
    }
}
