/// Element-wise loops over float rows, 8 lanes at a time with a scalar tail.
///
/// The compiler does not vectorise the plain loops (the pointers may alias, and the ReLU masks
/// compile to branches). Each lane does exactly the scalar operations in the same order, so the
/// results are bit-identical to the scalar loops. Pointers need no alignment.
enum VectorLoops {
    typealias V = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always)
    static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
    }

    /// `row[c] = max(row[c] + bias[c], 0)` (with `relu`) or `row[c] += bias[c]`, `c < count`.
    @inline(__always)
    static func addBias(_ row: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, count: Int, relu: Bool) {
        var c = 0
        if relu {
            let zero = V(repeating: 0)
            while c + 8 <= count {
                let v = load(row + c) + load(bias + c)
                store(v.replacing(with: zero, where: v .< zero), row + c)
                c += 8
            }
            while c < count { row[c] = max(row[c] + bias[c], 0); c += 1 }
        } else {
            while c + 8 <= count { store(load(row + c) + load(bias + c), row + c); c += 8 }
            while c < count { row[c] += bias[c]; c += 1 }
        }
    }

    /// ReLU derivative: `g[c] = y[c] > 0 ? g[c] : 0`, and `sum[c] += g[c]` when `sum` is given.
    @inline(__always)
    static func reluMask(_ g: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>,
                         sum: UnsafeMutablePointer<Float>?, count: Int) {
        var c = 0
        let zero = V(repeating: 0)
        while c + 8 <= count {
            let v = load(g + c).replacing(with: zero, where: .!(load(y + c) .> zero))
            store(v, g + c)
            if let sum { store(load(sum + c) + v, sum + c) }
            c += 8
        }
        while c < count {
            let v = y[c] > 0 ? g[c] : 0
            g[c] = v
            if let sum { sum[c] += v }
            c += 1
        }
    }

    /// `sum[c] += g[c]`.
    @inline(__always)
    static func accumulate(_ sum: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, count: Int) {
        var c = 0
        while c + 8 <= count { store(load(sum + c) + load(g + c), sum + c); c += 8 }
        while c < count { sum[c] += g[c]; c += 1 }
    }

    /// `row[c] = other[c] > row[c] ? other[c] : row[c]` (ties keep `row`).
    @inline(__always)
    static func maxInto(_ row: UnsafeMutablePointer<Float>, _ other: UnsafePointer<Float>, count: Int) {
        var c = 0
        while c + 8 <= count {
            let r = load(row + c), o = load(other + c)
            store(r.replacing(with: o, where: o .> r), row + c)
            c += 8
        }
        while c < count { if other[c] > row[c] { row[c] = other[c] }; c += 1 }
    }
}
