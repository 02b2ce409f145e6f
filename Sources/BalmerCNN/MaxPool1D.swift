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
        let c = s.channels, pad = s.pad
        let inStride = (s.inLength + 2 * pad) * c, outStride = (s.outLength + 2 * pad) * c
        ParallelLoop.chunks(s.batch, threads: threads) { samples, _ in
            for n in samples {
                let x = input + n * inStride + pad * c
                let y = output + n * outStride
                y.update(repeating: 0, count: pad * c)
                (y + (pad + s.outLength) * c).update(repeating: 0, count: pad * c)
                for i in 0..<s.outLength {
                    let row = y + (pad + i) * c
                    let first = x + i * s.size * c
                    for ch in 0..<c { row[ch] = first[ch] }
                    for t in 1..<max(1, s.size) {
                        let other = first + t * c
                        for ch in 0..<c { row[ch] = other[ch] > row[ch] ? other[ch] : row[ch] }
                    }
                }
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
                    for ch in 0..<c {
                        var best = i * s.size * c + ch
                        for t in 1..<max(1, s.size) {
                            let k = (i * s.size + t) * c + ch
                            if x[k] > x[best] { best = k }
                        }
                        dxValid[best] = dy[i * c + ch]
                    }
                }
            }
        }
    }
}
