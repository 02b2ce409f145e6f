import Foundation
@testable import BalmerCNN

/// Slow double-precision reference implementations on unpadded `[n][length][channels]` arrays,
/// written as plain loops, independent of the engine's padded layout and GEMMs.
enum Reference {
    static func conv(_ x: [Double], n: Int, length: Int, cin: Int, cout: Int, kernel: Int,
                     weight: [Double], bias: [Double], relu: Bool) -> [Double] {
        var y = [Double](repeating: 0, count: n * length * cout)
        let h = kernel / 2
        for s in 0..<n {
            for l in 0..<length {
                for co in 0..<cout {
                    var acc = bias[co]
                    for j in 0..<kernel {
                        let src = l + j - h
                        guard src >= 0, src < length else { continue }
                        for ci in 0..<cin {
                            acc += x[(s * length + src) * cin + ci] * weight[(j * cin + ci) * cout + co]
                        }
                    }
                    y[(s * length + l) * cout + co] = relu ? max(acc, 0) : acc
                }
            }
        }
        return y
    }

    static func maxPool(_ x: [Double], n: Int, length: Int, channels: Int, size: Int) -> [Double] {
        let out = length / size
        var y = [Double](repeating: 0, count: n * out * channels)
        for s in 0..<n {
            for i in 0..<out {
                for c in 0..<channels {
                    var m = -Double.infinity
                    for t in 0..<size { m = max(m, x[(s * length + i * size + t) * channels + c]) }
                    y[(s * out + i) * channels + c] = m
                }
            }
        }
        return y
    }

    static func dense(_ x: [Double], n: Int, features: Int, units: Int, weight: [Double], bias: [Double],
                      relu: Bool) -> [Double] {
        var y = [Double](repeating: 0, count: n * units)
        for s in 0..<n {
            for u in 0..<units {
                var acc = bias[u]
                for f in 0..<features { acc += x[s * features + f] * weight[f * units + u] }
                y[s * units + u] = relu ? max(acc, 0) : acc
            }
        }
        return y
    }

    static func softmax(_ z: [Double], n: Int, k: Int) -> [Double] {
        var p = z
        for s in 0..<n {
            let row = z[(s * k)..<(s * k + k)]
            let m = row.max()!
            let e = row.map { exp($0 - m) }
            let sum = e.reduce(0, +)
            for c in 0..<k { p[s * k + c] = e[c] / sum }
        }
        return p
    }

    /// Probabilities of the whole network; `masks[i]` (flat `[n][features]`) replaces dropout
    /// layer `i` when given, else dropout is the identity.
    static func probabilities(plan: NetworkPlan, parameters: [Double], input: [Double], n: Int,
                              masks: [Int: [Double]] = [:]) -> [Double] {
        var x = input
        for (i, layer) in plan.layers.enumerated() {
            let w = Array(parameters[layer.weightOffset..<(layer.weightOffset + layer.weightCount)])
            let b = Array(parameters[layer.biasOffset..<(layer.biasOffset + layer.biasCount)])
            switch layer.op {
            case let .conv(kernel):
                x = conv(x, n: n, length: layer.input.length, cin: layer.input.channels,
                         cout: layer.output.channels, kernel: kernel, weight: w, bias: b, relu: true)
            case let .maxPool(size):
                x = maxPool(x, n: n, length: layer.input.length, channels: layer.input.channels, size: size)
            case let .dense(relu):
                x = dense(x, n: n, features: layer.input.features, units: layer.output.channels,
                          weight: w, bias: b, relu: relu)
            case .dropout:
                if let m = masks[i] { x = zip(x, m).map { $0 * $1 } }
            }
        }
        return softmax(x, n: n, k: plan.architecture.classes)
    }

    static func loss(plan: NetworkPlan, parameters: [Double], input: [Double], labels: [Int],
                     masks: [Int: [Double]] = [:]) -> Double {
        let k = plan.architecture.classes
        let p = probabilities(plan: plan, parameters: parameters, input: input, n: labels.count, masks: masks)
        return labels.enumerated().reduce(0.0) { $0 - log(p[$1.offset * k + $1.element]) } / Double(labels.count)
    }

    /// Central finite differences of `f` at `x`.
    static func numericGradient(_ x: [Double], eps: Double = 1e-5, _ f: ([Double]) -> Double) -> [Double] {
        var x = x
        return x.indices.map { i in
            let v = x[i]
            x[i] = v + eps; let up = f(x)
            x[i] = v - eps; let down = f(x)
            x[i] = v
            return (up - down) / (2 * eps)
        }
    }
}

/// Test helpers for padded buffers and random data.
enum TestData {
    static func random(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in (rng.nextUnitFloat() * 2 - 1) * scale }
    }

    /// Gives every layer random biases in [-0.1, 0.1) (a new model's are zero), so a bias read
    /// from the wrong place changes the results.
    static func randomizeBiases(_ model: inout CNNModel, seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for layer in model.plan.layers where layer.biasCount > 0 {
            for i in layer.biasOffset..<(layer.biasOffset + layer.biasCount) {
                model.parameters[i] = (rng.nextUnitFloat() - 0.5) * 0.2
            }
        }
    }

    /// `[n][length][c]` → padded `[n][length + 2·pad][c]`.
    static func padded(_ x: [Float], n: Int, length: Int, channels: Int, pad: Int) -> [Float] {
        var out = [Float](repeating: 0, count: n * (length + 2 * pad) * channels)
        for s in 0..<n {
            for l in 0..<length {
                for c in 0..<channels {
                    out[((s * (length + 2 * pad)) + pad + l) * channels + c] = x[(s * length + l) * channels + c]
                }
            }
        }
        return out
    }

    /// Padded → unpadded, plus whether every pad value is exactly zero.
    static func unpadded(_ x: [Float], n: Int, length: Int, channels: Int, pad: Int) -> (values: [Float], padsZero: Bool) {
        var out = [Float](repeating: 0, count: n * length * channels)
        var padsZero = true
        let rows = length + 2 * pad
        for s in 0..<n {
            for r in 0..<rows {
                for c in 0..<channels {
                    let v = x[(s * rows + r) * channels + c]
                    if r < pad || r >= pad + length { if v != 0 { padsZero = false } }
                    else { out[(s * length + r - pad) * channels + c] = v }
                }
            }
        }
        return (out, padsZero)
    }

    static func close(_ a: [Float], _ b: [Double], atol: Double = 1e-4, rtol: Double = 1e-3) -> (Bool, Double) {
        guard a.count == b.count else { return (false, .infinity) }
        var worst = 0.0, ok = true
        for (x, y) in zip(a, b) {
            let d = abs(Double(x) - y)
            worst = max(worst, d)
            if d > atol + rtol * abs(y) { ok = false }
        }
        return (ok, worst)
    }
}
