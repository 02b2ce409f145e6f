/// One hidden layer of a network, in the paper's notation (Fig. 4).
///
/// Convolutions and fully connected hidden layers are followed by ReLU; the output layer
/// (a dense layer with one unit per class and softmax) is implied by ``Architecture/classes``.
public enum LayerSpec: Sendable, Hashable {
    /// 1-D convolution, 'same' zero padding, stride 1, bias, ReLU. `kernel` must be odd.
    /// Written `conv3-64` (kernel 3, 64 filters).
    case conv(kernel: Int, filters: Int)
    /// Max pooling with pool size and stride `size`, no padding (floor). Written `maxpool2`.
    case maxPool(size: Int)
    /// Fully connected layer with bias and ReLU; flattens a conv stack first (length-major,
    /// then channel, as Keras channels_last). Written `fc-512`.
    case dense(units: Int)
    /// Inverted dropout at `rate` (training only). Written `dropout-0.5`.
    case dropout(rate: Float)

    /// The paper's notation for this layer, e.g. `conv3-64`, `maxpool2`, `fc-512`, `dropout-0.5`.
    public var notation: String {
        switch self {
        case let .conv(kernel, filters): "conv\(kernel)-\(filters)"
        case let .maxPool(size): "maxpool\(size)"
        case let .dense(units): "fc-\(units)"
        case let .dropout(rate): "dropout-\(rate)"
        }
    }

    /// Parses ``notation``; returns nil for anything else.
    public init?(notation: String) {
        if notation.hasPrefix("conv") {
            let parts = notation.dropFirst(4).split(separator: "-")
            guard parts.count == 2, let k = Int(parts[0]), let f = Int(parts[1]) else { return nil }
            self = .conv(kernel: k, filters: f)
        } else if notation.hasPrefix("maxpool") {
            guard let s = Int(notation.dropFirst(7)) else { return nil }
            self = .maxPool(size: s)
        } else if notation.hasPrefix("fc-") {
            guard let u = Int(notation.dropFirst(3)) else { return nil }
            self = .dense(units: u)
        } else if notation.hasPrefix("dropout-") {
            guard let r = Float(notation.dropFirst(8)) else { return nil }
            self = .dropout(rate: r)
        } else {
            return nil
        }
    }
}

/// A network described as data: input shape, hidden layers and the number of classes.
///
/// Input is one sample of `inputLength × inputChannels` floats (channels-last). The output is a
/// dense layer of `classes` units followed by softmax.
public struct Architecture: Sendable, Hashable {
    /// Samples per input vector (default 140).
    public var inputLength: Int
    /// Channels per input sample (default 1).
    public var inputChannels: Int
    /// Hidden layers in order.
    public var layers: [LayerSpec]
    /// Number of output classes (default 3).
    public var classes: Int

    public init(inputLength: Int, inputChannels: Int = 1, layers: [LayerSpec], classes: Int) {
        self.inputLength = inputLength
        self.inputChannels = inputChannels
        self.layers = layers
        self.classes = classes
    }

    /// The paper's network (Fig. 4): conv3-64, conv3-64, maxpool2, conv3-128, conv3-128, maxpool2,
    /// conv3-256, conv3-256, maxpool2, fc-512, dropout 0.5, fc-512, dropout 0.5, fc-K softmax.
    public static func paper(inputLength: Int = 140, classes: Int = 3) -> Architecture {
        Architecture(
            inputLength: inputLength,
            layers: [
                .conv(kernel: 3, filters: 64), .conv(kernel: 3, filters: 64), .maxPool(size: 2),
                .conv(kernel: 3, filters: 128), .conv(kernel: 3, filters: 128), .maxPool(size: 2),
                .conv(kernel: 3, filters: 256), .conv(kernel: 3, filters: 256), .maxPool(size: 2),
                .dense(units: 512), .dropout(rate: 0.5), .dense(units: 512), .dropout(rate: 0.5),
            ],
            classes: classes)
    }

    /// Features per input sample (`inputLength × inputChannels`).
    public var inputSize: Int { inputLength * inputChannels }

    /// The parameter tensors in file order: name (`conv{i}.weight`, `conv{i}.bias`,
    /// `dense{j}.weight`, `dense{j}.bias`) and shape (conv weight [kernel, C_in, C_out],
    /// dense weight [in, out]). Throws when the architecture is inconsistent.
    public func parameterTensors() throws(CNNError) -> [(name: String, shape: [Int])] {
        try NetworkPlan(self).layers.flatMap { layer -> [(name: String, shape: [Int])] in
            guard let name = layer.name else { return [] }
            return [(name + ".weight", layer.weightShape), (name + ".bias", [layer.biasCount])]
        }
    }

    /// Total number of trainable parameters.
    public func parameterCount() throws(CNNError) -> Int { try NetworkPlan(self).parameterCount }

    /// Compact textual form used in model files:
    /// `input=140x1 conv3-64 … dropout-0.5 classes=3`.
    public var notation: String {
        (["input=\(inputLength)x\(inputChannels)"] + layers.map(\.notation) + ["classes=\(classes)"])
            .joined(separator: " ")
    }

    /// Parses ``notation``.
    public init(notation: String) throws(CNNError) {
        let tokens = notation.split(separator: " ").map(String.init)
        guard tokens.count >= 2, tokens[0].hasPrefix("input="), tokens.last!.hasPrefix("classes="),
              let classes = Int(tokens.last!.dropFirst(8))
        else { throw CNNError.invalidArchitecture("cannot parse '\(notation)'") }
        let dims = tokens[0].dropFirst(6).split(separator: "x")
        guard dims.count == 2, let length = Int(dims[0]), let channels = Int(dims[1]) else {
            throw CNNError.invalidArchitecture("cannot parse input shape in '\(notation)'")
        }
        var layers: [LayerSpec] = []
        for token in tokens.dropFirst().dropLast() {
            guard let layer = LayerSpec(notation: token) else {
                throw CNNError.invalidArchitecture("unknown layer '\(token)'")
            }
            layers.append(layer)
        }
        self.init(inputLength: length, inputChannels: channels, layers: layers, classes: classes)
        _ = try NetworkPlan(self)
    }
}
