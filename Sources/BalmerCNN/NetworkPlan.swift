/// The shape of one activation buffer per sample.
///
/// Conv-stack activations are stored channels-last with `pad` zero rows before and after each
/// sample (`padded`), so a 'same' convolution is a few GEMMs over shifted row views of the whole
/// batch without im2col copies. Dense activations are plain `length × channels` rows.
struct ActivationShape: Sendable, Hashable {
    var length: Int
    var channels: Int
    var padded: Bool

    /// Valid features per sample (`length × channels`).
    var features: Int { length * channels }
    /// Rows per sample in the buffer, including padding.
    func rows(pad: Int) -> Int { padded ? length + 2 * pad : length }
    /// Floats per sample in the buffer, including padding.
    func stride(pad: Int) -> Int { rows(pad: pad) * channels }
    /// Offset in floats from a sample's start to its first valid value.
    func offset(pad: Int) -> Int { padded ? pad * channels : 0 }
}

/// One layer resolved against its input shape, with its slice of the parameter buffer.
struct PlannedLayer: Sendable, Hashable {
    enum Op: Sendable, Hashable {
        case conv(kernel: Int)
        case maxPool(size: Int)
        case dense(relu: Bool)
        case dropout(rate: Float)
    }

    var op: Op
    var input: ActivationShape
    var output: ActivationShape
    /// Tensor name prefix (`conv1`, `dense3`), nil for layers without parameters.
    var name: String?
    var weightShape: [Int] = []
    var weightOffset = 0
    var weightCount = 0
    var biasOffset = 0
    var biasCount = 0
}

/// An ``Architecture`` resolved into layers, activation shapes and a parameter layout
/// (all parameters in one flat buffer: for each layer its weight then its bias).
struct NetworkPlan: Sendable, Hashable {
    let architecture: Architecture
    /// Zero rows before and after each sample in padded buffers (max kernel / 2).
    let pad: Int
    let layers: [PlannedLayer]
    let parameterCount: Int

    /// Shape of stage `i`: 0 is the input, `i + 1` the output of layer `i`.
    var stages: [ActivationShape] { [layers[0].input] + layers.map(\.output) }

    /// Largest input length, channel count, kernel, filter count, unit count or class count.
    static let maxDimension = 1 << 24
    /// Largest activation (floats per sample), weight tensor or parameter total. With both limits
    /// no size arithmetic can overflow, whatever a model file's architecture says.
    static let maxElements = 1 << 31

    init(_ a: Architecture) throws(CNNError) {
        guard a.inputLength > 0, a.inputChannels > 0 else {
            throw .invalidArchitecture("input shape must be positive")
        }
        guard a.classes >= 2 else { throw .invalidArchitecture("at least 2 classes are needed") }
        let dimensions = [a.inputLength, a.inputChannels, a.classes] + a.layers.flatMap { layer -> [Int] in
            switch layer {
            case let .conv(kernel, filters): [kernel, filters]
            case let .dense(units): [units]
            case .maxPool, .dropout: []
            }
        }
        guard dimensions.allSatisfy({ $0 <= Self.maxDimension }) else {
            throw .invalidArchitecture("a size exceeds \(Self.maxDimension)")
        }
        guard a.inputLength * a.inputChannels <= Self.maxElements else {
            throw .invalidArchitecture("input of \(a.inputLength) × \(a.inputChannels) exceeds \(Self.maxElements) values")
        }
        let pad = a.layers.reduce(0) { p, l in
            if case let .conv(k, _) = l { return max(p, k / 2) }
            return p
        }
        var shape = ActivationShape(
            length: a.inputLength, channels: a.inputChannels,
            padded: a.layers.first.map { if case .conv = $0 { true } else if case .maxPool = $0 { true } else { false } } ?? false)
        var layers: [PlannedLayer] = []
        var offset = 0, convs = 0, denses = 0
        func addParameters(_ layer: inout PlannedLayer, name: String, weightShape: [Int], bias: Int) throws(CNNError) {
            var count = 1
            for size in weightShape {
                let (product, overflow) = count.multipliedReportingOverflow(by: size)
                guard !overflow, product <= Self.maxElements else {
                    throw .invalidArchitecture("\(name) weights \(weightShape) exceed \(Self.maxElements) values")
                }
                count = product
            }
            guard offset + count + bias <= Self.maxElements else {
                throw .invalidArchitecture("more than \(Self.maxElements) parameters")
            }
            layer.name = name
            layer.weightShape = weightShape
            layer.weightOffset = offset
            layer.weightCount = count
            layer.biasOffset = offset + layer.weightCount
            layer.biasCount = bias
            offset += layer.weightCount + bias
        }
        for spec in a.layers {
            switch spec {
            case let .conv(kernel, filters):
                guard shape.padded else { throw .invalidArchitecture("\(spec.notation) after a dense layer") }
                guard kernel >= 1, kernel % 2 == 1 else { throw .invalidArchitecture("\(spec.notation): kernel must be odd") }
                guard filters > 0 else { throw .invalidArchitecture("\(spec.notation): no filters") }
                guard shape.length * filters <= Self.maxElements else {
                    throw .invalidArchitecture("\(spec.notation) makes more than \(Self.maxElements) values per sample")
                }
                let out = ActivationShape(length: shape.length, channels: filters, padded: true)
                var layer = PlannedLayer(op: .conv(kernel: kernel), input: shape, output: out)
                convs += 1
                try addParameters(&layer, name: "conv\(convs)", weightShape: [kernel, shape.channels, filters], bias: filters)
                layers.append(layer)
                shape = out
            case let .maxPool(size):
                guard shape.padded else { throw .invalidArchitecture("\(spec.notation) after a dense layer") }
                guard size >= 1, shape.length / size >= 1 else {
                    throw .invalidArchitecture("\(spec.notation) on length \(shape.length)")
                }
                let out = ActivationShape(length: shape.length / size, channels: shape.channels, padded: true)
                layers.append(PlannedLayer(op: .maxPool(size: size), input: shape, output: out))
                shape = out
            case let .dense(units):
                guard units > 0 else { throw .invalidArchitecture("\(spec.notation): no units") }
                let out = ActivationShape(length: 1, channels: units, padded: false)
                var layer = PlannedLayer(op: .dense(relu: true), input: shape, output: out)
                denses += 1
                try addParameters(&layer, name: "dense\(denses)", weightShape: [shape.features, units], bias: units)
                layers.append(layer)
                shape = out
            case let .dropout(rate):
                guard rate >= 0, rate < 1 else { throw .invalidArchitecture("\(spec.notation): rate must be in [0, 1)") }
                layers.append(PlannedLayer(op: .dropout(rate: rate), input: shape, output: shape))
            }
        }
        let out = ActivationShape(length: 1, channels: a.classes, padded: false)
        var last = PlannedLayer(op: .dense(relu: false), input: shape, output: out)
        denses += 1
        try addParameters(&last, name: "dense\(denses)", weightShape: [shape.features, a.classes], bias: a.classes)
        layers.append(last)
        self.architecture = a
        self.pad = pad
        self.layers = layers
        self.parameterCount = offset
    }
}
