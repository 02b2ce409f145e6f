/// Inverted dropout: in training each value is kept with probability `1 − rate` and scaled by
/// `1 / (1 − rate)`; at inference the layer is the identity. The mask (0 or the scale, one
/// float per value) is drawn from a seeded generator and kept for the backward pass.
enum Dropout {
    static func forward(count: Int, rate: Float, input: UnsafePointer<Float>,
                        output: UnsafeMutablePointer<Float>, mask: UnsafeMutablePointer<Float>,
                        rng: inout SeededGenerator) {
        let scale = 1 / (1 - rate)
        for i in 0..<count {
            mask[i] = rng.nextUnitFloat() >= rate ? scale : 0
            output[i] = input[i] * mask[i]
        }
    }

    static func backward(count: Int, mask: UnsafePointer<Float>, dOutput: UnsafePointer<Float>,
                         dInput: UnsafeMutablePointer<Float>) {
        for i in 0..<count { dInput[i] = dOutput[i] * mask[i] }
    }
}
