import Synchronization

/// Forward and backward passes of a planned network over a ``Workspace``.
///
/// `parameters` and `gradients` are flat buffers laid out as in ``NetworkPlan`` (each layer's
/// weight then bias). Backward overwrites every entry of `gradients`.
enum Network {
    /// Runs the layers on the first `batch` samples of stage 0 and writes softmax probabilities
    /// to `workspace.probabilities` (`[batch][classes]`). In training, dropout masks are drawn
    /// from `rng`; otherwise dropout is the identity.
    /// `packed`, when given, holds `parameters`' conv weights (and maybe dense weights) packed for
    /// Balmer's kernel (of `packed.level`), which then runs those layers instead of OpenBLAS. With `packed` and a
    /// `team` of more than one thread, small inference batches run on the team
    /// (``teamForward(_:parameters:batch:team:packed:)``).
    static func forward(_ ws: Workspace, parameters: UnsafePointer<Float>, batch: Int,
                        rng: inout SeededGenerator, threads: Int, packed: PackedWeights? = nil,
                        team: SpinTeam? = nil) {
        let plan = ws.plan
        // A tiny batch on Balmer's kernels and GEMV calls no OpenBLAS routine, so it leaves
        // OpenBLAS's process-wide thread count alone (a training on another thread depends on
        // it); on OpenBLAS it runs with that count at one.
        let tinyCallsBLAS = packed == nil || !ConvKernel.denseGEMVAvailable
        if let team, let packed, team.size > 1, !ws.training, batch <= teamBatchLimit(packed, ws) {
            if tinyCallsBLAS { BLASThreads.set(1) }
            defer { if tinyCallsBLAS { BLASThreads.set(threads) } }
            teamForward(ws, parameters: parameters, batch: batch, team: team, packed: packed)
            return
        }
        let level = packed?.level ?? 0
        // Tiny inference batches: single-threaded BLAS (thread hand-offs cost more than the
        // work); the dense layers split their GEMVs over `threads` themselves, and so do the
        // conv layers on OpenBLAS (output columns). On Balmer's kernel without a team the convs
        // of a tiny batch run on one thread: splitting them with GCD cost more than it saved
        // (batch 1: 0.97 → 0.69 ms); the spinning team above is what makes the split pay.
        let tiny = !ws.training && batch <= Dense.gemvBatchLimit && threads > 1
        let tinyBLAS = tiny && tinyCallsBLAS
        if tinyBLAS { BLASThreads.set(1) }
        defer { if tinyBLAS { BLASThreads.set(threads) } }
        // The conv stack chunk by chunk (cache-resident in inference), then the dense stack.
        let chunks = (batch + ws.chunk - 1) / ws.chunk
        if !ws.training, ws.workers > 1, chunks > 1 {
            // Data-parallel: each worker takes the next chunk and runs it with single-threaded
            // BLAS in its own buffers; a chunk's result does not depend on the worker. Balmer's
            // kernels call no BLAS, so with them OpenBLAS's process-wide count is left alone.
            let blas = packed == nil
            if blas { BLASThreads.set(1) }
            let next = ChunkCounter()
            ParallelLoop.chunks(ws.workers, threads: ws.workers) { workers, _ in
                for worker in workers {
                    var local = SeededGenerator(seed: 0)
                    while true {
                        let c = next.take()
                        guard c < chunks else { break }
                        let start = c * ws.chunk, n = min(ws.chunk, batch - start)
                        for i in 0..<ws.convLayers {
                            layerForward(ws, i, parameters: parameters, x: ws.pointer(stage: i, start: start, worker: worker),
                                         y: ws.pointer(stage: i + 1, start: start, worker: worker), batch: n,
                                         maskStart: start, rng: &local, threads: 1, packed: packed?[i],
                                         kernelLevel: level)
                        }
                    }
                }
            }
            if blas { BLASThreads.set(threads) }
        } else {
            var start = 0
            while start < batch {
                let n = min(ws.chunk, batch - start)
                for i in 0..<ws.convLayers {
                    layerForward(ws, i, parameters: parameters, x: ws.pointer(stage: i, start: start),
                                 y: ws.pointer(stage: i + 1, start: start), batch: n, maskStart: start, rng: &rng,
                                 threads: tiny && packed != nil ? 1 : threads, splitColumns: tiny && packed == nil,
                                 packed: packed?[i], kernelLevel: level)
                }
                start += n
            }
        }
        for i in ws.convLayers..<plan.layers.count {
            layerForward(ws, i, parameters: parameters, x: ws.activations[i], y: ws.activations[i + 1],
                         batch: batch, maskStart: 0, rng: &rng, threads: threads, packed: packed?[i],
                         kernelLevel: level)
        }
        SoftmaxCrossEntropy.softmax(batch: batch, classes: plan.architecture.classes,
                                    logits: ws.activations[plan.layers.count], probabilities: ws.probabilities)
    }

    static func layerForward(_ ws: Workspace, _ i: Int, parameters: UnsafePointer<Float>,
                             x xm: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>, batch: Int,
                             maskStart: Int, rng: inout SeededGenerator, threads: Int, splitColumns: Bool = false,
                             packed: UnsafePointer<Float>? = nil, kernelLevel: Int = ConvKernel.chosenLevel) {
        let layer = ws.plan.layers[i], pad = ws.plan.pad
        let x = UnsafePointer(xm)
        switch layer.op {
        case let .conv(kernel):
            let s = Conv1D.Shape(batch: batch, length: layer.input.length, pad: pad,
                                 cin: layer.input.channels, cout: layer.output.channels, kernel: kernel)
            Conv1D.forward(s, input: x, weight: parameters + layer.weightOffset,
                           bias: parameters + layer.biasOffset, output: y, relu: true, threads: threads,
                           splitColumns: splitColumns, packed: packed, kernelLevel: kernelLevel)
        case let .maxPool(size):
            let s = MaxPool1D.Shape(batch: batch, inLength: layer.input.length,
                                    channels: layer.input.channels, size: size, pad: pad)
            MaxPool1D.forward(s, input: x, output: y, threads: threads)
        case let .dense(relu):
            let s = Dense.Shape(batch: batch, features: layer.input.features,
                                units: layer.output.channels, inStride: layer.input.stride(pad: pad))
            Dense.forward(s, input: x + layer.input.offset(pad: pad), weight: parameters + layer.weightOffset,
                          bias: parameters + layer.biasOffset, output: y, relu: relu, threads: threads,
                          packed: packed)
        case let .dropout(rate):
            if ws.training {
                let stride = layer.input.stride(pad: pad)
                Dropout.forward(count: batch * stride, rate: rate, input: x, output: y,
                                mask: ws.masks[i]! + maskStart * stride, rng: &rng)
            }
        }
    }

    /// Cross-entropy of `workspace.probabilities` against `workspace.labels` (weighted by
    /// `workspace.sampleWeights` when `weighted`), writing the logits' gradient to the last
    /// gradient buffer. Returns the loss summed over the batch divided by `normaliser`
    /// (default: the batch, i.e. the mean).
    static func loss(_ ws: Workspace, batch: Int, weighted: Bool, normaliser: Int? = nil) -> Double {
        SoftmaxCrossEntropy.lossAndGradient(
            batch: batch, classes: ws.plan.architecture.classes, probabilities: ws.probabilities,
            labels: ws.labels, sampleWeights: weighted ? UnsafePointer(ws.sampleWeights) : nil,
            dLogits: ws.gradients[ws.plan.layers.count], normaliser: normaliser)
    }

    /// Backpropagates the gradient in the last gradient buffer, overwriting `gradients`, except
    /// the weight gradient of dense layer `deferring` (left untouched; see
    /// ``DeferredWeightGradient``). `packed`, when it holds flipped conv weights, runs the convs'
    /// input gradients (and on AVX-512 their weight gradients) on Balmer's kernel.
    static func backward(_ ws: Workspace, parameters: UnsafePointer<Float>,
                         gradients: UnsafeMutablePointer<Float>, batch: Int, threads: Int, deferring: Int? = nil,
                         packed: PackedWeights? = nil) {
        let plan = ws.plan, pad = plan.pad
        for (i, layer) in plan.layers.enumerated().reversed() {
            let x = UnsafePointer(ws.activations[i]), y = UnsafePointer(ws.activations[i + 1])
            let dy = ws.gradients[i + 1]
            let dx: UnsafeMutablePointer<Float>? = i == 0 ? nil : ws.gradients[i]
            switch layer.op {
            case let .conv(kernel):
                let s = Conv1D.Shape(batch: batch, length: layer.input.length, pad: pad,
                                     cin: layer.input.channels, cout: layer.output.channels, kernel: kernel)
                Conv1D.backward(s, input: x, weight: parameters + layer.weightOffset, output: y, dOutput: dy,
                                dWeight: gradients + layer.weightOffset, dBias: gradients + layer.biasOffset,
                                dInput: dx, relu: true, threads: threads, scratch: ws.convScratch,
                                kernel: packed?.kernelBackward(i))
            case let .maxPool(size):
                guard let dx else { continue }
                let s = MaxPool1D.Shape(batch: batch, inLength: layer.input.length,
                                        channels: layer.input.channels, size: size, pad: pad)
                MaxPool1D.backward(s, input: x, dOutput: dy, dInput: dx, threads: threads)
            case let .dense(relu):
                let offset = layer.input.offset(pad: pad)
                let s = Dense.Shape(batch: batch, features: layer.input.features,
                                    units: layer.output.channels, inStride: layer.input.stride(pad: pad))
                Dense.backward(s, input: x + offset, weight: parameters + layer.weightOffset, output: y,
                               dOutput: dy, dWeight: i == deferring ? nil : gradients + layer.weightOffset,
                               dBias: gradients + layer.biasOffset, dInput: dx.map { $0 + offset },
                               relu: relu, threads: threads)
            case .dropout:
                guard let dx else { continue }
                Dropout.backward(count: batch * layer.input.stride(pad: pad), mask: ws.masks[i]!,
                                 dOutput: dy, dInput: dx)
            }
        }
    }
}

/// Hands out chunk indices 0, 1, 2, … to concurrent workers.
final class ChunkCounter: Sendable {
    private let value = Mutex(0)
    func take() -> Int { value.withLock { v in defer { v += 1 }; return v } }
}
