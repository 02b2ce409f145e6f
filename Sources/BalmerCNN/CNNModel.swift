internal import BalmerCore
import Foundation

/// Descriptive metadata stored with a model (safetensors `__metadata__`).
public struct ModelInfo: Sendable, Equatable {
    /// One name per output class, in output order (e.g. `single`, `double`, `other`).
    public var classNames: [String]
    /// Free-form description of the input preprocessing (e.g. a JSON object with the wavelength
    /// window, point count and scaling); the engine stores it verbatim.
    public var preprocessing: String
    /// Creation time (stored to the second, ISO 8601 UTC).
    public var created: Date
    /// SHA-256 (hex) of the parent model's tensors when warm-started, else nil.
    public var parent: String?
    /// Summary of the training that produced the weights, if any.
    public var training: TrainingSummary?

    public init(classNames: [String], preprocessing: String = "", created: Date = Date(),
                parent: String? = nil, training: TrainingSummary? = nil) {
        self.classNames = classNames
        self.preprocessing = preprocessing
        self.created = Date(timeIntervalSince1970: created.timeIntervalSince1970.rounded(.down))
        self.parent = parent
        self.training = training
    }
}

/// A network: its architecture, all parameters in one flat buffer and its metadata.
///
/// Parameter layout: for each layer with parameters, in order, the weight (conv
/// `[kernel][C_in][C_out]`, dense `[in][out]`) then the bias, as listed by
/// ``Architecture/parameterTensors()``.
public struct CNNModel: Sendable, Equatable {
    public let architecture: Architecture
    /// All weights and biases, `parameterCount` floats.
    public var parameters: [Float]
    public var info: ModelInfo
    let plan: NetworkPlan

    /// A freshly initialised model: Glorot-uniform kernels (Keras's default, fan-in/fan-out
    /// counting the kernel width for convolutions) drawn from `seed`, zero biases.
    public init(architecture: Architecture, seed: UInt64, info: ModelInfo) throws(CNNError) {
        let plan = try NetworkPlan(architecture)
        guard info.classNames.count == architecture.classes else {
            throw .invalidArchitecture("\(info.classNames.count) class names for \(architecture.classes) classes")
        }
        var rng = SeededGenerator(seed: seed)
        var parameters = [Float](repeating: 0, count: plan.parameterCount)
        for layer in plan.layers where layer.name != nil {
            let shape = layer.weightShape
            let receptive = shape.count == 3 ? shape[0] : 1
            let fanIn = receptive * shape[shape.count - 2], fanOut = receptive * shape[shape.count - 1]
            let limit = Float((6.0 / Double(fanIn + fanOut)).squareRoot())
            for i in layer.weightOffset..<(layer.weightOffset + layer.weightCount) {
                parameters[i] = (rng.nextUnitFloat() * 2 - 1) * limit
            }
        }
        self.architecture = architecture
        self.parameters = parameters
        self.info = info
        self.plan = plan
    }

    /// A model from existing parameters (checked against the architecture).
    public init(architecture: Architecture, parameters: [Float], info: ModelInfo) throws(CNNError) {
        let plan = try NetworkPlan(architecture)
        guard parameters.count == plan.parameterCount else {
            throw .invalidInput("\(parameters.count) parameters for an architecture with \(plan.parameterCount)")
        }
        guard info.classNames.count == architecture.classes else {
            throw .invalidArchitecture("\(info.classNames.count) class names for \(architecture.classes) classes")
        }
        self.architecture = architecture
        self.parameters = parameters
        self.info = info
        self.plan = plan
    }

    /// The values of one named tensor (`conv1.weight`, `dense3.bias`, …), or nil.
    public func tensor(named name: String) -> ArraySlice<Float>? {
        for layer in plan.layers {
            guard let prefix = layer.name else { continue }
            if name == prefix + ".weight" { return parameters[layer.weightOffset..<(layer.weightOffset + layer.weightCount)] }
            if name == prefix + ".bias" { return parameters[layer.biasOffset..<(layer.biasOffset + layer.biasCount)] }
        }
        return nil
    }

    /// SHA-256 (lowercase hex) of the parameters as little-endian float32 bytes, i.e. of the
    /// tensor data section of the model file. Serves as the model's identity.
    public var sha256: String { SHA256.hex(tensorBytes()) }

    /// The parameters as little-endian float32 bytes (the model file's data section).
    func tensorBytes() -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: parameters.count * 4)
        bytes.withUnsafeMutableBytes { raw in
            for (i, v) in parameters.enumerated() {
                raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
            }
        }
        return bytes
    }

    public static func == (a: CNNModel, b: CNNModel) -> Bool {
        a.architecture == b.architecture && a.info == b.info
            && a.parameters.withUnsafeBytes { x in b.parameters.withUnsafeBytes { y in x.elementsEqual(y) } }
    }
}
