/// Max pooling with pool size = stride = `size`, no padding (floor), on padded channels-last
/// buffers: input `[n][inLength + 2·pad][c]`, output `[n][inLength / size + 2·pad][c]`.
/// Ties go to the first element of the window (as in Keras/TensorFlow).
enum MaxPool1D {
    struct Shape {
        var batch: Int
        var inLength: Int
        var channels: Int
        var size: Int
        var pad: Int
        var outLength: Int { inLength / size }
    }

    static func forward(_ s: Shape, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                        threads: Int) {
        ParallelLoop.chunks(s.batch, threads: threads) { samples, _ in
            forward(s, input: input, output: output, samples: samples, channels: 0..<s.channels)
        }
    }

    /// The forward pass of samples `samples`, channels `channels` only, on the calling thread
    /// (a chunk of the threaded pass, or one member's share in
    /// ``Network/teamForward(_:parameters:batch:team:packed:)``).
    static func forward(_ s: Shape, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                        samples: Range<Int>, channels: Range<Int>) {
        let c = s.channels, pad = s.pad, first = channels.lowerBound, width = channels.count
        let inStride = (s.inLength + 2 * pad) * c, outStride = (s.outLength + 2 * pad) * c
        for n in samples {
            let x = input + n * inStride + pad * c + first
            let y = output + n * outStride + first
            for r in 0..<(2 * pad + s.outLength) where r < pad || r >= pad + s.outLength {
                (y + r * c).update(repeating: 0, count: width)
            }
            for i in 0..<s.outLength {
                let row = y + (pad + i) * c
                let window = x + i * s.size * c
                row.update(from: window, count: width)
                for t in 1..<max(1, s.size) { VectorLoops.maxInto(row, window + t * c, count: width) }
            }
        }
    }

    /// Routes each output gradient to the first maximum of its window; every other input
    /// position (including rows dropped by the floor and pad rows) gets zero.
    static func backward(_ s: Shape, input: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
                         dInput: UnsafeMutablePointer<Float>, threads: Int) {
        let c = s.channels, pad = s.pad
        let inStride = (s.inLength + 2 * pad) * c, outStride = (s.outLength + 2 * pad) * c
        ParallelLoop.chunks(s.batch, threads: threads) { samples, _ in
            for n in samples {
                let x = input + n * inStride + pad * c
                let dx = dInput + n * inStride
                dx.update(repeating: 0, count: inStride)
                let dxValid = dx + pad * c
                let dy = dOutput + n * outStride + pad * c
                for i in 0..<s.outLength {
                    let window = x + i * s.size * c, dWindow = dxValid + i * s.size * c, g = dy + i * c
                    var ch = 0
                    while ch + 8 <= c {
                        // The window's maximum, then its first occurrence takes the gradient.
                        var best = VectorLoops.load(window + ch)
                        for t in 1..<max(1, s.size) {
                            let v = VectorLoops.load(window + t * c + ch)
                            best.replace(with: v, where: v .> best)
                        }
                        let gv = VectorLoops.load(g + ch), zero = VectorLoops.V(repeating: 0)
                        var taken = SIMDMask<SIMD8<Int32>>(repeating: false)
                        for t in 0..<s.size {
                            let hit = (VectorLoops.load(window + t * c + ch) .== best) .& .!taken
                            VectorLoops.store(zero.replacing(with: gv, where: hit), dWindow + t * c + ch)
                            taken = taken .| hit
                        }
                        ch += 8
                    }
                    while ch < c {
                        var best = ch
                        for t in 1..<max(1, s.size) where window[t * c + ch] > window[best] { best = t * c + ch }
                        dWindow[best] = g[ch]
                        ch += 1
                    }
                }
            }
        }
    }
}
