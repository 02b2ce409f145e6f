import Foundation

/// Adam hyper-parameters; defaults are Keras's (lr 1e-3, β1 0.9, β2 0.999, ε 1e-7).
public struct AdamOptions: Sendable, Equatable, Codable {
    public var learningRate: Float = 1e-3
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-7
    public init() {}
}

/// Adam optimiser state over one flat parameter buffer, updating as Keras does:
/// `m ← β1 m + (1−β1) g`, `v ← β2 v + (1−β2) g²`,
/// `w ← w − lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)`.
struct Adam {
    let options: AdamOptions
    private(set) var m: [Float]
    private(set) var v: [Float]
    private(set) var step = 0

    init(count: Int, options: AdamOptions) {
        self.options = options
        m = [Float](repeating: 0, count: count)
        v = [Float](repeating: 0, count: count)
    }

    /// One step with the gradient `Σ gradients[w]` (summed in order: per-worker partial gradients).
    mutating func update(parameters: UnsafeMutablePointer<Float>, gradients: [UnsafePointer<Float>], threads: Int) {
        step += 1
        let o = options
        let t = Double(step)
        let alpha = Float(Double(o.learningRate) * (1 - pow(Double(o.beta2), t)).squareRoot()
            / (1 - pow(Double(o.beta1), t)))
        let count = m.count
        m.withUnsafeMutableBufferPointer { mb in
            v.withUnsafeMutableBufferPointer { vb in
                let mp = mb.baseAddress!, vp = vb.baseAddress!
                ParallelLoop.chunks(count, threads: threads, minimumPerChunk: 65_536) { range, _ in
                    let g0 = gradients[0]
                    let (b1, b2, c1, c2, eps) = (o.beta1, o.beta2, 1 - o.beta1, 1 - o.beta2, o.epsilon)
                    @inline(__always) func apply(_ i: Int, _ g: Float) {
                        let m = b1 * mp[i] + c1 * g
                        let v = b2 * vp[i] + c2 * g * g
                        mp[i] = m; vp[i] = v
                        parameters[i] -= alpha * m / (v.squareRoot() + eps)
                    }
                    switch gradients.count {
                    case 1:
                        for i in range { apply(i, g0[i]) }
                    case 2:
                        let g1 = gradients[1]
                        for i in range { apply(i, g0[i] + g1[i]) }
                    default:
                        for i in range {
                            var g = g0[i]
                            for w in 1..<gradients.count { g += gradients[w][i] }
                            apply(i, g)
                        }
                    }
                }
            }
        }
    }
}

