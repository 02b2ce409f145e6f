/// The weight gradient of one large dense layer, left out of the workers' backward passes and
/// formed inside Adam's step tile by tile: `Σ_w X_wᵀ · D_w` for a block of input features into a
/// cache-resident tile, then the Adam update of that block's weights. The layer's gradient then
/// never goes through memory (written per worker, zeroed first by OpenBLAS, read back and summed
/// by Adam); for the paper's network this is dense1, 2.2 M of its 2.8 M parameters.
///
/// As before, each worker's samples are summed by one GEMM and the workers' sums are added in
/// worker order.
struct DeferredWeightGradient {
    /// One worker's share of the batch: its layer input (`samples` rows of `features` floats,
    /// `inStride` apart) and the gradient of the layer's output (`samples × units`, ReLU-masked).
    struct Part {
        var input: UnsafePointer<Float>
        var dOutput: UnsafePointer<Float>
        var samples: Int
    }

    /// Where the layer's weight (`features × units`) starts in the parameter buffer.
    var weightOffset: Int
    var features: Int
    var units: Int
    var inStride: Int
    var parts: [Part]

    var weights: Range<Int> { weightOffset..<(weightOffset + features * units) }

    /// Input features per tile: a tile of the paper's dense1 (32 × 512 floats, 64 KB) stays in L2.
    static let tileRows = 32

    /// The dense layer of `plan` whose weight gradient a training step defers: the largest dense
    /// weight, if it has at least `minimumWeights` entries (smaller ones gain nothing).
    static func layer(in plan: NetworkPlan, minimumWeights: Int = 65_536) -> Int? {
        let dense = plan.layers.indices.filter { if case .dense = plan.layers[$0].op { true } else { false } }
        guard let largest = dense.max(by: { plan.layers[$0].weightCount < plan.layers[$1].weightCount }),
              plan.layers[largest].weightCount >= minimumWeights else { return nil }
        return largest
    }

    /// The gradient of input features `rows` (all units) into `tile` (`rows.count × units`).
    func gradient(rows: Range<Int>, into tile: UnsafeMutablePointer<Float>) {
        for (w, part) in parts.enumerated() {
            sgemm(transA: true, m: rows.count, n: units, k: part.samples,
                  a: part.input + rows.lowerBound, lda: inStride, b: part.dOutput, ldb: units,
                  beta: w == 0 ? 0 : 1, c: tile, ldc: units)
        }
    }
}
