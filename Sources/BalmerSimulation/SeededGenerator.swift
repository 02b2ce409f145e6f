import Foundation

/// A small, fast, seedable pseudo-random generator (SplitMix64) with the draws the simulator needs.
///
/// Every spectrum gets its own generators derived from `(seed, stream, index)`, so any spectrum can
/// be regenerated alone, in any order and on any thread. Never uses the system generator.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// The second value of the last Box–Muller pair, if not used yet.
    private var spareGaussian: Double?

    /// A generator for one `(seed, stream, index)` triple; streams separate independent concerns
    /// (object parameters, pixel noise, plan-wide metadata) so they never shift one another.
    init(seed: UInt64, stream: UInt64, index: UInt64) {
        var s = Self.mix(seed &+ 0x9E37_79B9_7F4A_7C15)
        s = Self.mix(s ^ (stream &* 0xD1B5_4A32_D192_ED03))
        s = Self.mix(s ^ (index &* 0x8CB9_2BA7_2F3D_8DD7))
        state = s
    }

    /// The SplitMix64 finaliser.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// Uniform in [0, 1).
    @inline(__always)
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [lo, hi).
    @inline(__always)
    mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * unit() }

    /// Log-uniform in [lo, hi), both > 0.
    mutating func logUniform(_ lo: Double, _ hi: Double) -> Double {
        exp(log(lo) + (log(hi) - log(lo)) * unit())
    }

    /// Uniform integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// `true` with probability `p`.
    @inline(__always)
    mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// A random sign, +1 or -1.
    mutating func sign() -> Double { chance(0.5) ? 1 : -1 }

    /// Standard normal deviate (Marsaglia's polar method, pairs cached).
    @inline(__always)
    mutating func gaussian() -> Double {
        if let spare = spareGaussian {
            spareGaussian = nil
            return spare
        }
        while true {
            let u = 2 * unit() - 1
            let v = 2 * unit() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let factor = (-2 * log(s) / s).squareRoot()
                spareGaussian = v * factor
                return u * factor
            }
        }
    }

    /// Normal deviate with the given mean and standard deviation.
    mutating func normal(_ mean: Double, _ sigma: Double) -> Double { mean + sigma * gaussian() }

    /// Picks one of `options` with probability proportional to its weight (weights ≥ 0, sum > 0).
    mutating func pick<T>(_ options: [(T, Double)]) -> T {
        let total = options.reduce(0) { $0 + $1.1 }
        var target = unit() * total
        for (value, weight) in options {
            if target < weight { return value }
            target -= weight
        }
        return options[options.count - 1].0
    }
}
