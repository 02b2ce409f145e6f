/// Activation (and, for training, gradient) buffers for batches of up to `capacity` samples.
///
/// One buffer per stage (stage 0 is the input, stage `i + 1` the output of layer `i`). For
/// inference the conv stack runs in chunks of ``chunk`` samples through two small ping-pong
/// buffers that stay in cache (``chunkLocal`` stages); the input, the flatten stage and the
/// dense ping-pong buffers hold the whole batch; dropout layers alias their input. All buffers
/// start zeroed, which the padded layout relies on. Not thread-safe: one workspace per thread.
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
    /// Per stage: whether the buffer holds only one chunk of samples (inference conv stack).
    private(set) var chunkLocal: [Bool] = []
    /// Layers `0..<convLayers` form the conv stack (before the first dense layer).
    let convLayers: Int
    /// Samples per conv-stack chunk in inference (the whole batch in training).
    let chunk: Int
    let probabilities: UnsafeMutablePointer<Float>
    let labels: UnsafeMutablePointer<Int32>
    let sampleWeights: UnsafeMutablePointer<Float>
    /// Training: scratch for the largest conv weight (the flipped kernel of the input gradient).
    private(set) var convScratch: UnsafeMutablePointer<Float>?
    private var owned: [UnsafeMutablePointer<Float>] = []

    /// Default samples per conv-stack chunk in inference: a chunk's activations fit in L2/L3.
    static let defaultChunk = 32

    /// Inference: workers that each run conv-stack chunks with their own buffers.
    let workers: Int
    /// Per worker (inference): the two chunk-local ping-pong buffers.
    private(set) var chunkBuffers: [[UnsafeMutablePointer<Float>]] = []
    /// Per stage: which chunk buffer (0 or 1) a chunk-local stage uses.
    private(set) var chunkSlot: [Int] = []

    init(plan: NetworkPlan, capacity: Int, training: Bool, chunk: Int = Workspace.defaultChunk, workers: Int = 1) {
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
        let convLayers = plan.layers.firstIndex { if case .dense = $0.op { true } else { false } } ?? plan.layers.count
        self.convLayers = convLayers
        let chunk = training ? capacity : min(capacity, max(1, chunk))
        self.chunk = chunk
        self.workers = training ? 1 : max(1, workers)
        chunkLocal = stages.indices.map { !training && $0 > 0 && $0 < convLayers }
        if training {
            activations = sizes.map(alloc)
            gradients = sizes.map(alloc)
            owned = activations + gradients
            masks = plan.layers.map { layer in
                if case .dropout = layer.op { alloc(layer.output.features * capacity) } else { nil }
            }
            owned += masks.compactMap { $0 }
            let largestConv = plan.layers.map { if case .conv = $0.op { $0.weightCount } else { 0 } }.max() ?? 0
            if largestConv > 0 {
                let scratch = alloc(largestConv)
                convScratch = scratch
                owned.append(scratch)
            }
        } else {
            // Conv stack: chunk-local ping-pong; flatten stage (convLayers) and input: own buffers;
            // dense stack: whole-batch ping-pong.
            let strides = stages.map { $0.stride(pad: plan.pad) }
            let convLargest = (1..<max(1, convLayers)).map { strides[$0] }.max() ?? 1
            let denseLargest = stages.indices.filter { $0 > convLayers }.map { sizes[$0] }.max() ?? 1
            let input = alloc(sizes[0])
            let flat = convLayers > 0 ? alloc(sizes[convLayers]) : input
            chunkBuffers = (0..<self.workers).map { _ in [alloc(convLargest * chunk), alloc(convLargest * chunk)] }
            let convPing = chunkBuffers[0][0], convPong = chunkBuffers[0][1]
            let densePing = alloc(denseLargest), densePong = alloc(denseLargest)
            owned = chunkBuffers.flatMap { $0 } + [densePing, densePong] + (convLayers > 0 ? [input, flat] : [input])
            activations = [input]
            var current = input
            for (i, layer) in plan.layers.enumerated() {
                let stage = i + 1
                if case .dropout = layer.op {
                } else if stage == convLayers {
                    current = flat
                } else if stage < convLayers {
                    current = current == convPing ? convPong : convPing
                } else {
                    current = current == densePing ? densePong : densePing
                }
                activations.append(current)
            }
            masks = plan.layers.map { _ in nil }
            chunkSlot = activations.map { $0 == convPong ? 1 : 0 }
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

    /// The buffer position of sample `start` in stage `stage` (chunk-local stages hold the
    /// current chunk from their start).
    func pointer(stage: Int, start: Int, worker: Int = 0) -> UnsafeMutablePointer<Float> {
        chunkLocal[stage] ? chunkBuffers[worker][chunkSlot[stage]]
            : activations[stage] + start * plan.stages[stage].stride(pad: plan.pad)
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
