/// Activation (and, for training, gradient) buffers for batches of up to `capacity` samples.
///
/// One buffer per stage (stage 0 is the input, stage `i + 1` the output of layer `i`). For
/// inference only two ping-pong buffers are allocated and dropout layers alias their input.
/// All buffers start zeroed, which the padded layout relies on. Not thread-safe: one workspace
/// per thread.
final class Workspace {
    let plan: NetworkPlan
    let capacity: Int
    let training: Bool
    /// Per stage: the buffer holding that stage's activations.
    private(set) var activations: [UnsafeMutablePointer<Float>] = []
    /// Per stage: the gradient buffer (training only).
    private(set) var gradients: [UnsafeMutablePointer<Float>] = []
    /// Per layer: dropout mask (training only, dropout layers only).
    private(set) var masks: [UnsafeMutablePointer<Float>?] = []
    let probabilities: UnsafeMutablePointer<Float>
    let labels: UnsafeMutablePointer<Int32>
    let sampleWeights: UnsafeMutablePointer<Float>
    private var owned: [UnsafeMutablePointer<Float>] = []

    init(plan: NetworkPlan, capacity: Int, training: Bool) {
        self.plan = plan
        let capacity = max(1, capacity)
        self.capacity = capacity
        self.training = training
        let stages = plan.stages
        func alloc(_ count: Int) -> UnsafeMutablePointer<Float> {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
            p.initialize(repeating: 0, count: max(1, count))
            return p
        }
        let sizes = stages.map { $0.stride(pad: plan.pad) * capacity }
        if training {
            activations = sizes.map(alloc)
            gradients = sizes.map(alloc)
            owned = activations + gradients
            masks = plan.layers.map { layer in
                if case .dropout = layer.op { alloc(layer.output.features * capacity) } else { nil }
            }
            owned += masks.compactMap { $0 }
        } else {
            let largest = sizes.max() ?? 1
            let ping = alloc(largest), pong = alloc(largest)
            owned = [ping, pong]
            var current = ping
            activations = [ping]
            for layer in plan.layers {
                if case .dropout = layer.op {} else { current = current == ping ? pong : ping }
                activations.append(current)
            }
            masks = plan.layers.map { _ in nil }
        }
        let k = plan.architecture.classes
        probabilities = alloc(capacity * k)
        labels = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        labels.initialize(repeating: 0, count: capacity)
        sampleWeights = alloc(capacity)
    }

    deinit {
        for p in owned { p.deallocate() }
        probabilities.deallocate()
        labels.deallocate()
        sampleWeights.deallocate()
    }

    /// Copies sample `source` (of `inputSize` floats) into batch slot `slot` of stage 0 and
    /// zeroes its pad rows (inference buffers are reused by later stages).
    func setInput(slot: Int, from source: UnsafePointer<Float>) {
        let shape = plan.stages[0], pad = plan.pad
        let start = activations[0] + slot * shape.stride(pad: pad)
        let offset = shape.offset(pad: pad)
        start.update(repeating: 0, count: offset)
        (start + offset).update(from: source, count: shape.features)
        (start + offset + shape.features).update(repeating: 0, count: shape.stride(pad: pad) - offset - shape.features)
    }
}
