extension Network {
    /// The inference forward pass of a small batch (at most ``teamBatchLimit(_:_:)`` samples: two
    /// on Balmer's GEMV, up to 16 when the dense layers are packed for the AVX-512 kernel) on a
    /// ``SpinTeam``, for latency: every layer's output columns (conv and dense weight panels of
    /// 32, or the GEMV's dense units) are split over the members, so each streams only its share
    /// of the weights, and a max-pool right after a conv pools the channels its member computed.
    /// The first conv (one input channel) is split by samples instead, and the last dense layer
    /// (K columns) runs on member 0.
    ///
    /// Each conv output element is computed by the same kernel over the same depth as on one
    /// thread, each packed dense output by the same depth slices as in
    /// ``Dense/packedForward(_:input:packed:bias:output:relu:threads:)``, and the dense GEMVs are
    /// split as in ``Dense/forward(_:input:weight:bias:output:relu:threads:packed:)`` for
    /// `team.size` threads (on Balmer's GEMV, whose results do not depend on the split), so the
    /// results are identical to the forward pass without a team. No OpenBLAS call is made, so
    /// OpenBLAS's process-wide thread count, which other threads set, plays no part.
    /// Results in `workspace.probabilities`.
    static func teamForward(_ ws: Workspace, parameters: UnsafePointer<Float>, batch: Int, team: SpinTeam,
                            packed: PackedWeights) {
        precondition(batch <= teamBatchLimit(packed, ws), "a batch of \(batch) is too large for the team's pass")
        let plan = ws.plan, pad = plan.pad, layers = plan.layers, level = packed.level
        team.run { member in
            var i = 0
            while i < layers.count {
                let layer = layers[i]
                let x = UnsafePointer(ws.activations[i]), y = ws.activations[i + 1]
                switch layer.op {
                case let .conv(kernel):
                    let s = Conv1D.Shape(batch: batch, length: layer.input.length, pad: pad,
                                         cin: layer.input.channels, cout: layer.output.channels, kernel: kernel)
                    var pool: MaxPool1D.Shape?
                    if i + 1 < layers.count, case let .maxPool(size) = layers[i + 1].op {
                        pool = MaxPool1D.Shape(batch: batch, inLength: s.length, channels: s.cout, size: size, pad: pad)
                    }
                    // Each member's part: weight panels (columns) of a packed conv over every
                    // sample, or samples of the first conv (one input channel) over every column.
                    let columns: Range<Int>, samples: Range<Int>
                    if let weights = packed[i], s.cin > 1 {
                        columns = share(of: s.cout, unit: Conv1D.kernelPanel, member)
                        samples = 0..<batch
                        if !columns.isEmpty {
                            let depth = kernel * s.cin, h = kernel / 2
                            ConvKernel.gemm(level: level, m: s.gemmRows, n: columns.count, k: depth,
                                            a: x + (pad - h) * s.cin, lda: s.cin,
                                            packed: weights + columns.lowerBound * depth,
                                            bias: parameters + layer.biasOffset + columns.lowerBound, relu: true,
                                            c: y + pad * s.cout + columns.lowerBound, ldc: s.cout)
                            Conv1D.zeroPadRows(s, output: y, samples: 0..<batch, columns: columns)
                        }
                    } else {
                        samples = share(of: batch, unit: 1, member)
                        columns = samples.isEmpty ? 0..<0 : 0..<s.cout
                        if !samples.isEmpty {
                            var part = s
                            part.batch = samples.count
                            let rows = samples.lowerBound * s.rowsPerSample
                            Conv1D.forward(part, input: x + rows * s.cin, weight: parameters + layer.weightOffset,
                                           bias: parameters + layer.biasOffset, output: y + rows * s.cout, relu: true,
                                           threads: 1)
                        }
                    }
                    member.sync()
                    if let pool {
                        // The pool writes the conv's input buffer (ping-pong), hence after the
                        // barrier; each member pools the part it computed.
                        if !columns.isEmpty {
                            MaxPool1D.forward(pool, input: UnsafePointer(y), output: ws.activations[i + 2],
                                              samples: samples, channels: columns)
                        }
                        member.sync()
                        i += 1
                    }
                case let .maxPool(size):
                    if member.rank == 0 {
                        let s = MaxPool1D.Shape(batch: batch, inLength: layer.input.length,
                                                channels: layer.input.channels, size: size, pad: pad)
                        MaxPool1D.forward(s, input: x, output: y, threads: 1)
                    }
                    member.sync()
                case let .dense(relu):
                    let units = layer.output.channels
                    let s = Dense.Shape(batch: batch, features: layer.input.features, units: units,
                                        inStride: layer.input.stride(pad: pad))
                    if batch > Dense.gemvBatchLimit, let weights = packed[i] {
                        let columns = share(of: units, unit: Conv1D.kernelPanel, member)
                        if !columns.isEmpty {
                            let first = columns.lowerBound
                            ConvKernel.denseGEMM(m: batch, n: columns.count, k: s.features,
                                                 a: x + layer.input.offset(pad: pad), lda: s.inStride,
                                                 packed: weights + first * s.features,
                                                 bias: parameters + layer.biasOffset + first, relu: relu,
                                                 c: y + first, ldc: units)
                        }
                        member.sync()
                        break
                    }
                    let parts = Dense.gemvParts(units: units, threads: member.size)
                    let columns = member.rank < parts
                        ? ParallelLoop.range(of: member.rank, count: units, chunks: parts) : 0..<0
                    if !columns.isEmpty {
                        Dense.forwardColumns(s, input: x + layer.input.offset(pad: pad),
                                             weight: parameters + layer.weightOffset,
                                             bias: parameters + layer.biasOffset, output: y, relu: relu,
                                             columns: columns)
                    }
                    member.sync()
                case .dropout:
                    break  // identity in inference; the stage aliases its input
                }
                i += 1
            }
        }
        SoftmaxCrossEntropy.softmax(batch: batch, classes: plan.architecture.classes,
                                    logits: ws.activations[layers.count], probabilities: ws.probabilities)
    }

    /// The largest batch ``teamForward(_:parameters:batch:team:packed:)`` takes with `packed` on
    /// `ws`: the GEMV's ``Dense/gemvBatchLimit``, or with packed dense layers (AVX-512)
    /// ``smallBatchLimit``; never more than one conv-stack chunk (the team runs the whole batch
    /// through the chunk-sized buffers).
    static func teamBatchLimit(_ packed: PackedWeights, _ ws: Workspace) -> Int {
        min(ws.chunk, packed.dense ? smallBatchLimit : Dense.gemvBatchLimit)
    }

    /// Up to this many samples a batch on the AVX-512 kernel runs on the spinning team: handing
    /// each layer to GCD's threads costs more than such a batch's share of the work (batches of
    /// 4 and 8: +30–50 % spectra/s on a 2-core AVX-512 EPYC; 16: +5–20 %; 32: level, and more
    /// exposed to a busy second core, so larger batches stay on GCD).
    static let smallBatchLimit = 16

    /// Member `member`'s contiguous share of `count` columns, cut in whole `unit`s (the last
    /// share ends at `count`); empty for members beyond the number of units.
    static func share(of count: Int, unit: Int, _ member: SpinTeam.Member) -> Range<Int> {
        let units = (count + unit - 1) / unit
        let parts = min(member.size, units)
        guard member.rank < parts else { return 0..<0 }
        let r = ParallelLoop.range(of: member.rank, count: units, chunks: parts)
        return (r.lowerBound * unit)..<min(count, r.upperBound * unit)
    }
}
