/// 1-D convolution, stride 1, 'same' zero padding, bias and optional ReLU, on padded
/// channels-last buffers (see ``ActivationShape``).
///
/// Shapes: input `[n][length + 2·pad][cin]`, output `[n][length + 2·pad][cout]`, weight
/// `[kernel][cin][cout]` (Keras layout), bias `[cout]`. Pad rows of the output are written as
/// zeros.
///
/// No im2col: in channels-last layout the `kernel` input rows `r − h … r + h` that output row `r`
/// reads are contiguous, `kernel·cin` floats, which is exactly row `r` of the im2col matrix; the
/// weight is that matrix's `(kernel·cin) × cout` right factor as stored. A GEMM cannot take
/// overlapping rows (`lda ≥ k`), so the rows are split into `kernel` phases: phase `t` takes
/// output rows `t, t + kernel, t + 2·kernel, …`, whose windows do not overlap (`lda = kernel·cin`,
/// `ldc = kernel·cout`). Each output row is written by one GEMM with the full depth `kernel·cin`.
/// The zero pad rows between samples make the windows exact; the rows of the result that fall on
/// padding are cleared by the epilogue (bias + ReLU).
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
                        relu: Bool, threads: Int, splitColumns: Bool = false,
                        packed: UnsafePointer<Float>? = nil, kernelLevel: Int = ConvKernel.chosenLevel) {
        let h = s.kernel / 2
        if let packed, s.cin > 1 {
            kernelForward(s, input: input, packed: packed, bias: bias, output: output, relu: relu,
                          threads: threads, splitColumns: splitColumns, level: kernelLevel)
            return
        }
        if s.cin == 1 {
            direct(s, input: input, weight: weight, bias: bias, output: output, relu: relu, threads: threads)
            return
        }
        let k = s.kernel
        if splitColumns {
            // Tiny batches (single-threaded BLAS): the output columns are split over threads, one
            // GEMM per tap, so each weight is packed once in all (the GEMMs are too short to
            // amortise packing the whole weight per thread or per phase).
            // Columns go in blocks of 16 (the BLAS kernel's unroll); the last part takes the rest.
            let blockCount = max(1, s.cout / 16)
            let parts = ParallelLoop.chunkCount(blockCount, threads: threads, minimumPerChunk: 2)
            ParallelLoop.chunks(parts, threads: parts) { partRange, _ in
                for part in partRange {
                    let blocks = ParallelLoop.range(of: part, count: blockCount, chunks: parts)
                    let first = blocks.lowerBound * 16
                    let last = blocks.upperBound == blockCount ? s.cout : blocks.upperBound * 16
                    for j in 0..<k {
                        sgemm(m: s.gemmRows, n: last - first, k: s.cin,
                              a: input + (s.pad + j - h) * s.cin, lda: s.cin,
                              b: weight + j * s.cin * s.cout + first, ldb: s.cout,
                              beta: j == 0 ? 0 : 1, c: output + s.pad * s.cout + first, ldc: s.cout)
                    }
                }
            }
        } else {
            for t in 0..<k {
                let m = phaseRows(0..<s.gemmRows, phase: t, kernel: k)
                let r = s.pad + t
                sgemm(m: m, n: s.cout, k: k * s.cin,
                      a: input + (r - h) * s.cin, lda: k * s.cin,
                      b: weight, ldb: s.cout,
                      beta: 0, c: output + r * s.cout, ldc: k * s.cout)
            }
        }
        epilogue(s, output: output, bias: bias, relu: relu, threads: threads)
    }

    /// Output columns per packed weight panel.
    static let kernelPanel = 32

    /// The forward pass on Balmer's kernel of `level` (2: AVX-512, 1: AVX2 + FMA; see
    /// ``ConvKernel`` and `ConvKernel.h`) with `packed` weights (``PackedWeights``): one GEMM
    /// over every buffer row with overlapping input windows (`lda = cin`), bias and ReLU applied
    /// in registers; rows split over threads in whole register tiles (or, for tiny batches, the
    /// weight panels). Then the pad rows are cleared.
    static func kernelForward(_ s: Shape, input: UnsafePointer<Float>, packed: UnsafePointer<Float>,
                              bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                              relu: Bool, threads: Int, splitColumns: Bool, level: Int) {
        let h = s.kernel / 2, depth = s.kernel * s.cin
        let a = input + (s.pad - h) * s.cin, c = output + s.pad * s.cout
        let rows = s.gemmRows, cin = s.cin, cout = s.cout, kernelRows = ConvKernel.rows(level: level)
        if splitColumns {
            let panels = (cout + kernelPanel - 1) / kernelPanel
            let parts = ParallelLoop.chunkCount(panels, threads: threads)
            ParallelLoop.chunks(parts, threads: parts) { partRange, _ in
                for part in partRange {
                    let range = ParallelLoop.range(of: part, count: panels, chunks: parts)
                    let first = range.lowerBound * kernelPanel
                    let width = min(cout, range.upperBound * kernelPanel) - first
                    ConvKernel.gemm(level: level, m: rows, n: width, k: depth, a: a, lda: cin,
                                    packed: packed + first * depth, bias: bias + first, relu: relu,
                                    c: c + first, ldc: cout)
                }
            }
        } else {
            let blocks = (rows + kernelRows - 1) / kernelRows
            ParallelLoop.chunks(blocks, threads: threads) { blockRange, _ in
                let first = blockRange.lowerBound * kernelRows
                let count = min(rows, blockRange.upperBound * kernelRows) - first
                ConvKernel.gemm(level: level, m: count, n: cout, k: depth, a: a + first * cin, lda: cin,
                                packed: packed, bias: bias, relu: relu, c: c + first * cout, ldc: cout)
            }
        }
        zeroPadRows(s, output: output, threads: threads)
    }

    /// Clears the `pad` rows before and after every sample of `output`.
    static func zeroPadRows(_ s: Shape, output: UnsafeMutablePointer<Float>, threads: Int) {
        guard s.pad > 0 else { return }
        ParallelLoop.chunks(s.batch, threads: threads, minimumPerChunk: 64) { samples, _ in
            zeroPadRows(s, output: output, samples: samples, columns: 0..<s.cout)
        }
    }

    /// Clears columns `columns` of the `pad` rows before and after samples `samples` of
    /// `output`, on the calling thread (a chunk of the threaded pass, or one member's share of a
    /// split conv).
    static func zeroPadRows(_ s: Shape, output: UnsafeMutablePointer<Float>, samples: Range<Int>,
                            columns: Range<Int>) {
        let cout = s.cout, rps = s.rowsPerSample
        for n in samples {
            for r in 0..<rps where r < s.pad || r >= s.pad + s.length {
                (output + (n * rps + r) * cout + columns.lowerBound).update(repeating: 0, count: columns.count)
            }
        }
    }

    /// Rows of `rows` in phase `phase` (offsets `phase, phase + kernel, …` from its start).
    @inline(__always)
    static func phaseRows(_ rows: Range<Int>, phase: Int, kernel: Int) -> Int {
        max(0, (rows.count - phase + kernel - 1) / kernel)
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
                    VectorLoops.addBias(row, bias, count: cout, relu: relu)
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
                if kernel == 3 {
                    // The paper's kernel in one pass per row: the same sums in the same order
                    // as the general loop below, without storing and reloading the row per tap.
                    let w0 = weight, w1 = weight + cout, w2 = weight + 2 * cout
                    for l in 0..<length {
                        let row = base + (pad + l) * cout
                        let x0 = x[pad + l - 1], x1 = x[pad + l], x2 = x[pad + l + 1]
                        for c in 0..<cout {
                            let v = bias[c] + x0 * w0[c] + x1 * w1[c] + x2 * w2[c]
                            row[c] = relu ? max(v, 0) : v
                        }
                    }
                    continue
                }
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
    /// `scratch`, when given, holds at least `kernel·cin·cout` floats (else one is allocated).
    /// The backward pass on Balmer's kernel: the conv weight packed for the input gradient
    /// (`balmer_conv_pack_flipped` in `ConvKernel.h`: taps reversed, each transposed), zeros for
    /// its bias, and the kernel level; at level 2 (AVX-512) the weight gradient runs on the kernel
    /// too (`balmer_conv_weight_gradient`).
    struct KernelBackward {
        var flipped: UnsafePointer<Float>
        var zeros: UnsafePointer<Float>
        var level: Int
    }

    static func backward(_ s: Shape, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         output: UnsafePointer<Float>, dOutput: UnsafeMutablePointer<Float>,
                         dWeight: UnsafeMutablePointer<Float>, dBias: UnsafeMutablePointer<Float>,
                         dInput: UnsafeMutablePointer<Float>?, relu: Bool, threads: Int,
                         scratch: UnsafeMutablePointer<Float>? = nil, kernel: KernelBackward? = nil) {
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
                        VectorLoops.reluMask(g, output: y, sum: sum, count: cout)
                    } else {
                        VectorLoops.accumulate(sum, g, count: cout)
                    }
                    g += cout; y += cout
                }
            }
        }
        dBias.update(repeating: 0, count: cout)
        for chunk in 0..<chunks { for c in 0..<cout { dBias[c] += partial[chunk * cout + c] } }
        // dW = Σ_r window(r)ᵀ · dOutput[r]: on the AVX-512 kernel in one pass over the rows
        // (windows read in place), else on OpenBLAS phase by phase (windows of one phase do not
        // overlap).
        let rows = 0..<s.gemmRows, k = s.kernel, cin = s.cin
        if let kernel, kernel.level == 2 {
            ConvKernel.weightGradient(m: k * cin, n: cout, depth: s.gemmRows, a: input + (pad - h) * cin, lda: cin,
                                      dy: dOutput + pad * cout, ldy: cout, c: dWeight, ldc: cout)
        } else {
            for t in 0..<k {
                let r = pad + t
                sgemm(transA: true, m: k * cin, n: cout, k: phaseRows(rows, phase: t, kernel: k),
                      a: input + (r - h) * cin, lda: k * cin,
                      b: dOutput + r * cout, ldb: k * cout,
                      beta: t == 0 ? 0 : 1, c: dWeight, ldc: cout)
            }
        }
        guard let dInput else { return }
        if let kernel {
            // The input gradient is a 'same' convolution of the (masked, pad rows zero) output
            // gradient with the flipped weight: the forward pass on the kernel, cin and cout swapped.
            let t = Shape(batch: s.batch, length: s.length, pad: s.pad, cin: s.cout, cout: s.cin, kernel: s.kernel)
            kernelForward(t, input: dOutput, packed: kernel.flipped, bias: kernel.zeros, output: dInput, relu: false,
                          threads: threads, splitColumns: false, level: kernel.level)
            return
        }
        // dX[r] = Σ_q dOutput[r − h + q] · W[k−1−q]ᵀ: the window of dOutput rows around r times
        // the kernel-flipped weight, stored `[cin][kernel·cout]` and used transposed.
        let flippedCount = cin * k * cout
        let flipped = scratch ?? UnsafeMutablePointer<Float>.allocate(capacity: flippedCount)
        defer { if scratch == nil { flipped.deallocate() } }
        for ci in 0..<cin {
            for q in 0..<k {
                (flipped + (ci * k + q) * cout).update(from: weight + ((k - 1 - q) * cin + ci) * cout, count: cout)
            }
        }
        for t in 0..<k {
            let r = pad + t
            sgemm(transB: true, m: phaseRows(rows, phase: t, kernel: k), n: cin, k: k * cout,
                  a: dOutput + (r - h) * cout, lda: k * cout,
                  b: flipped, ldb: k * cout,
                  beta: 0, c: dInput + r * cin, ldc: k * cin)
        }
        ParallelLoop.chunks(s.batch, threads: threads) { samples, _ in
            for n in samples {
                let base = dInput + n * rps * cin
                base.update(repeating: 0, count: pad * cin)
                (base + (pad + length) * cin).update(repeating: 0, count: pad * cin)
            }
        }
    }
}
