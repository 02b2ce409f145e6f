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

    /// One step with the gradient `Σ gradients[w]` (summed in order: per-worker partial gradients),
    /// except for the weights of `deferred`, whose gradient is formed here tile by tile.
    mutating func update(parameters: UnsafeMutablePointer<Float>, gradients: [UnsafePointer<Float>], threads: Int,
                         deferred: DeferredWeightGradient? = nil) {
        step += 1
        let o = options
        let t = Double(step)
        let alpha = Float(Double(o.learningRate) * (1 - pow(Double(o.beta2), t)).squareRoot()
            / (1 - pow(Double(o.beta1), t)))
        let count = m.count
        let skipped = deferred?.weights ?? count..<count
        m.withUnsafeMutableBufferPointer { mb in
            v.withUnsafeMutableBufferPointer { vb in
                let state = State(m: mb.baseAddress!, v: vb.baseAddress!, parameters: parameters)
                ParallelLoop.chunks(count, threads: threads, minimumPerChunk: 65_536) { range, _ in
                    for part in [range.clamped(to: 0..<skipped.lowerBound), range.clamped(to: skipped.upperBound..<count)]
                    where !part.isEmpty {
                        Self.apply(o, state, first: part.lowerBound, count: part.count,
                                   gradients: gradients.map { $0 + part.lowerBound }, alpha: alpha)
                    }
                }
                guard let deferred else { return }
                let tiles = (deferred.features + DeferredWeightGradient.tileRows - 1) / DeferredWeightGradient.tileRows
                ParallelLoop.chunks(tiles, threads: threads) { tileRange, _ in
                    let tile = UnsafeMutablePointer<Float>.allocate(capacity: DeferredWeightGradient.tileRows * deferred.units)
                    defer { tile.deallocate() }
                    for t in tileRange {
                        let rows = (t * DeferredWeightGradient.tileRows)..<min(deferred.features,
                                                                               (t + 1) * DeferredWeightGradient.tileRows)
                        deferred.gradient(rows: rows, into: tile)
                        Self.apply(o, state, first: deferred.weightOffset + rows.lowerBound * deferred.units,
                                   count: rows.count * deferred.units, gradients: [UnsafePointer(tile)], alpha: alpha)
                    }
                }
            }
        }
    }

    /// Where the optimiser's state and the parameters are, for one step.
    private struct State {
        var m: UnsafeMutablePointer<Float>
        var v: UnsafeMutablePointer<Float>
        var parameters: UnsafeMutablePointer<Float>
    }

    /// The update of parameters `first ..< first + count`, whose gradient is `Σ gradients[w][j]`
    /// for `j` in `0..<count`: 8 lanes at a time, then a scalar tail with the same operations.
    private static func apply(_ o: AdamOptions, _ s: State, first: Int, count: Int, gradients: [UnsafePointer<Float>],
                              alpha: Float) {
        let (b1, b2, c1, c2, eps) = (o.beta1, o.beta2, 1 - o.beta1, 1 - o.beta2, o.epsilon)
        let mp = s.m + first, vp = s.v + first, pp = s.parameters + first, g0 = gradients[0]
        typealias V = VectorLoops.V
        let (vb1, vb2, vc1, vc2) = (V(repeating: b1), V(repeating: b2), V(repeating: c1), V(repeating: c2))
        let (veps, valpha) = (V(repeating: eps), V(repeating: alpha))
        var i = 0
        while i + 8 <= count {
            var g = VectorLoops.load(g0 + i)
            for w in 1..<gradients.count { g += VectorLoops.load(gradients[w] + i) }
            let m = vb1 * VectorLoops.load(mp + i) + vc1 * g
            let v = vb2 * VectorLoops.load(vp + i) + vc2 * g * g
            VectorLoops.store(m, mp + i)
            VectorLoops.store(v, vp + i)
            VectorLoops.store(VectorLoops.load(pp + i) - valpha * m / (v.squareRoot() + veps), pp + i)
            i += 8
        }
        while i < count {
            var g = g0[i]
            for w in 1..<gradients.count { g += gradients[w][i] }
            let m = b1 * mp[i] + c1 * g
            let v = b2 * vp[i] + c2 * g * g
            mp[i] = m; vp[i] = v
            pp[i] -= alpha * m / (v.squareRoot() + eps)
            i += 1
        }
    }
}
