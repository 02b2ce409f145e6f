import Foundation

/// The few distributions precision estimation needs: Student's t and the beta distribution.
public enum Statistics {
    /// Regularized incomplete beta function I_x(a, b), for a, b > 0 and 0 ≤ x ≤ 1.
    public static func incompleteBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use symmetry otherwise.
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(x, a, b) / a
        }
        return 1 - exp(logFront) * continuedFraction(1 - x, b, a) / b
    }

    /// Lentz's evaluation of the continued fraction for the incomplete beta function.
    private static func continuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...500 {
            let m = Double(m)
            let evenTerm = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 + evenTerm * d
            if abs(d) < tiny { d = tiny }
            c = 1 + evenTerm / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            let oddTerm = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 + oddTerm * d
            if abs(d) < tiny { d = tiny }
            c = 1 + oddTerm / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }

    /// The p-quantile of the beta distribution Beta(a, b), by bisection (accurate to 1e-12).
    public static func betaQuantile(_ p: Double, _ a: Double, _ b: Double) -> Double {
        var low = 0.0
        var high = 1.0
        for _ in 0..<100 {
            let mid = (low + high) / 2
            if incompleteBeta(mid, a, b) < p { low = mid } else { high = mid }
            if high - low < 1e-12 { break }
        }
        return (low + high) / 2
    }

    /// The CDF of Student's t distribution with `dof` degrees of freedom.
    public static func studentTCDF(_ t: Double, dof: Double) -> Double {
        let tail = 0.5 * incompleteBeta(dof / (dof + t * t), dof / 2, 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// The p-quantile of Student's t distribution (e.g. 0.95, 29 → 1.6991).
    public static func studentTQuantile(_ p: Double, dof: Double) -> Double {
        var low = -1000.0
        var high = 1000.0
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if studentTCDF(mid, dof: dof) < p { low = mid } else { high = mid }
            if high - low < 1e-12 { break }
        }
        return (low + high) / 2
    }
}
