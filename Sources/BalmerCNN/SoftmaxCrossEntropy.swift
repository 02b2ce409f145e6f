import Foundation

/// Softmax fused with categorical cross-entropy, numerically stable (max subtracted).
enum SoftmaxCrossEntropy {
    /// Writes `probabilities[n][k]` from `logits[n][k]`.
    static func softmax(batch: Int, classes k: Int, logits: UnsafePointer<Float>,
                        probabilities: UnsafeMutablePointer<Float>) {
        for n in 0..<batch {
            let z = logits + n * k, p = probabilities + n * k
            var m = z[0]
            for c in 1..<k { m = max(m, z[c]) }
            var sum: Float = 0
            for c in 0..<k { p[c] = exp(z[c] - m); sum += p[c] }
            let inv = 1 / sum
            for c in 0..<k { p[c] *= inv }
        }
    }

    /// Loss `Σ_n w_n · (−log p[n][y_n]) / N` (Keras "sum over batch size" reduction) and its
    /// gradient with respect to the logits, `w_n (p − onehot(y_n)) / N`, written to `dLogits`.
    /// `N` is `normaliser` (the whole mini-batch when this is one worker's share) or `batch`.
    /// `sampleWeights` nil means all ones.
    static func lossAndGradient(batch: Int, classes k: Int, probabilities: UnsafePointer<Float>,
                                labels: UnsafePointer<Int32>, sampleWeights: UnsafePointer<Float>?,
                                dLogits: UnsafeMutablePointer<Float>, normaliser: Int? = nil) -> Double {
        var loss = 0.0
        let total = normaliser ?? batch
        let invBatch = 1 / Float(total)
        for n in 0..<batch {
            let p = probabilities + n * k, g = dLogits + n * k
            let y = Int(labels[n])
            let w = sampleWeights?[n] ?? 1
            loss += Double(w) * -log(Double(max(p[y], .leastNormalMagnitude)))
            for c in 0..<k { g[c] = w * invBatch * (p[c] - (c == y ? 1 : 0)) }
        }
        return loss / Double(total)
    }
}

