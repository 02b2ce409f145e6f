/// Fully connected layer with bias and optional ReLU.
///
/// Input rows may be strided: sample `n` reads `features` floats at `input + n · inStride`, which
/// flattens a padded conv buffer in place (length-major, then channel). Weight `[features][units]`
/// (Keras layout), bias `[units]`, output `[n][units]`.
///
/// The forward pass runs on Balmer's GEMV for batches of up to ``gemvBatchLimit`` samples, on
/// the AVX-512 kernel when the caller has packed the weight (``PackedWeights``, inference), and
/// on OpenBLAS otherwise.
enum Dense {
    struct Shape {
        var batch: Int
        var features: Int
        var units: Int
        /// Floats between consecutive samples' first features (≥ features).
        var inStride: Int
    }

    /// Up to this many samples, one GEMV per sample beats a GEMM, which repacks the weights.
    static let gemvBatchLimit = 2

    static func forward(_ s: Shape, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                        bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                        relu: Bool, threads: Int, packed: UnsafePointer<Float>? = nil) {
        if let packed, s.batch > gemvBatchLimit {
            packedForward(s, input: input, packed: packed, bias: bias, output: output, relu: relu, threads: threads)
            return
        }
        if s.batch <= gemvBatchLimit {
            // Split the output columns over threads: each streams its part of the weights.
            let parts = gemvParts(units: s.units, threads: threads)
            ParallelLoop.chunks(parts, threads: parts) { range, _ in
                for part in range {
                    forwardColumns(s, input: input, weight: weight, bias: bias, output: output, relu: relu,
                                   columns: ParallelLoop.range(of: part, count: s.units, chunks: parts))
                }
            }
            return
        }
        sgemm(m: s.batch, n: s.units, k: s.features, a: input, lda: s.inStride,
              b: weight, ldb: s.units, beta: 0, c: output, ldc: s.units)
        let u = s.units
        ParallelLoop.chunks(s.batch, threads: threads, minimumPerChunk: 16) { rows, _ in
            for n in rows {
                let row = output + n * u
                VectorLoops.addBias(row, bias, count: u, relu: relu)
            }
        }
    }

    /// Register-tile rows of the AVX-512 kernel (``ConvKernel/rows(level:)`` at level 2).
    private static let tileRows = ConvKernel.rows(level: 2)

    /// The forward pass on Balmer's AVX-512 kernel with the weight packed in panels of 32 columns
    /// (``PackedWeights``): small batches split the panels over threads (each thread reads
    /// only its columns' weights), larger ones the rows in whole register tiles.
    static func packedForward(_ s: Shape, input: UnsafePointer<Float>, packed: UnsafePointer<Float>,
                              bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, relu: Bool,
                              threads: Int) {
        let panel = Conv1D.kernelPanel, tiles = (s.batch + tileRows - 1) / tileRows
        if tiles < 4 * threads {
            let panels = (s.units + panel - 1) / panel
            ParallelLoop.chunks(panels, threads: threads) { range, _ in
                let first = range.lowerBound * panel
                ConvKernel.denseGEMM(m: s.batch, n: min(s.units, range.upperBound * panel) - first, k: s.features,
                                     a: input, lda: s.inStride, packed: packed + first * s.features,
                                     bias: bias + first, relu: relu, c: output + first, ldc: s.units)
            }
        } else {
            ParallelLoop.chunks(tiles, threads: threads) { range, _ in
                let first = range.lowerBound * tileRows
                ConvKernel.denseGEMM(m: min(s.batch, range.upperBound * tileRows) - first, n: s.units, k: s.features,
                                     a: input + first * s.inStride, lda: s.inStride, packed: packed,
                                     bias: bias, relu: relu, c: output + first * s.units, ldc: s.units)
            }
        }
    }

    /// How many parts the GEMVs of a tiny batch split `units` output columns into over
    /// `threads` threads: parts of at least 64 units.
    static func gemvParts(units: Int, threads: Int) -> Int {
        ParallelLoop.chunkCount(units, threads: threads, minimumPerChunk: 64)
    }

    /// The forward pass of a tiny batch for output columns `columns` only (Balmer's GEMV, one
    /// pass over those columns' weights per two samples, or OpenBLAS's per sample when Balmer's
    /// kernels are off; then bias and ReLU), on the calling thread: one part of the
    /// split in ``forward(_:input:weight:bias:output:relu:threads:packed:)``, or one member's share in
    /// ``Network/teamForward(_:parameters:batch:team:packed:)``.
    static func forwardColumns(_ s: Shape, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               bias: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                               relu: Bool, columns: Range<Int>) {
        let first = columns.lowerBound
        if ConvKernel.denseGEMVAvailable {
            ConvKernel.denseGEMV(samples: s.batch, n: columns.count, k: s.features, x: input, ldx: s.inStride,
                                 w: weight + first, ldw: s.units, bias: bias + first, relu: relu,
                                 y: output + first, ldy: s.units)
            return
        }
        for n in 0..<s.batch {
            let row = output + n * s.units + first
            sgemvTransposed(rows: s.features, cols: columns.count, a: weight + first, lda: s.units,
                            x: input + n * s.inStride, y: row)
            VectorLoops.addBias(row, bias + first, count: columns.count, relu: relu)
        }
    }

    /// Backward pass: masks `dOutput` in place by the ReLU derivative when `relu`, overwrites
    /// `dBias`, `dWeight` when given (nil: the caller forms it later from `input` and the masked
    /// `dOutput`), and the valid features of `dInput` when given (strided like the input; the
    /// floats between samples are left untouched).
    static func backward(_ s: Shape, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                         output: UnsafePointer<Float>, dOutput: UnsafeMutablePointer<Float>,
                         dWeight: UnsafeMutablePointer<Float>?, dBias: UnsafeMutablePointer<Float>,
                         dInput: UnsafeMutablePointer<Float>?, relu: Bool, threads: Int) {
        let u = s.units
        if relu { VectorLoops.reluMask(dOutput, output: output, sum: nil, count: s.batch * u) }
        dBias.update(repeating: 0, count: u)
        for n in 0..<s.batch { VectorLoops.accumulate(dBias, dOutput + n * u, count: u) }
        if let dWeight {
            sgemm(transA: true, m: s.features, n: u, k: s.batch, a: input, lda: s.inStride,
                  b: dOutput, ldb: u, beta: 0, c: dWeight, ldc: u)
        }
        if let dInput {
            sgemm(transB: true, m: s.batch, n: s.features, k: u, a: dOutput, lda: u,
                  b: weight, ldb: u, beta: 0, c: dInput, ldc: s.inStride)
        }
    }
}
