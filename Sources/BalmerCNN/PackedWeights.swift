internal import CConvKernel

/// A model's weights packed for Balmer's kernels (``ConvKernel``; column panels of 32, see
/// `ConvKernel.h`, the same for AVX-512 and AVX2): one buffer per conv layer with more than one
/// input channel and, when asked for on the AVX-512 kernel, per dense layer; and the kernel level
/// that runs them. Made once per set of parameters (a ``Predictor`` at start, with the dense
/// layers; a training step before its forward pass, convs only: re-packing the 8.9 MB of the
/// paper's first dense layer every step would cost what OpenBLAS's own packing does).
final class PackedWeights {
    /// Whether a kernel runs the convolutions in this process (``ConvKernel/chosenLevel`` above
    /// 0: the CPU has AVX2 + FMA or AVX-512 and `BALMER_CNN_KERNEL` is not `blas`); read once.
    static let available = ConvKernel.chosenLevel > 0

    /// The kernel that runs these weights: 2 (AVX-512) or 1 (AVX2 + FMA).
    let level: Int
    /// Whether the dense layers are packed too (asked for, at level 2).
    let dense: Bool
    private(set) var buffers: [UnsafeMutablePointer<Float>?]
    /// Per layer: the conv weight flipped for the input gradient, when asked for.
    private let flipped: [UnsafeMutablePointer<Float>?]
    /// Zeros, as many as the widest layer input: the bias of the input-gradient convolution.
    private let zeros: UnsafeMutablePointer<Float>
    private let plan: NetworkPlan

    /// Weights for the kernel of `level` (by default the process's ``ConvKernel/chosenLevel``);
    /// nil when that is 0 or this CPU cannot run it. `dense`: also the dense layers, at level 2
    /// (``Dense/packedForward(_:input:packed:bias:output:relu:threads:)``); at level 1 they stay
    /// on OpenBLAS.
    /// `backward`: also each conv's weight flipped for its input gradient (``Conv1D/KernelBackward``;
    /// training), for every conv layer after the first.
    init?(plan: NetworkPlan, level: Int = ConvKernel.chosenLevel, dense: Bool = false, backward: Bool = false) {
        guard level > 0, ConvKernel.supported(level) else { return nil }
        self.level = level
        let packsDense = dense && level == 2
        self.dense = packsDense
        self.plan = plan
        flipped = plan.layers.enumerated().map { i, layer in
            guard backward, i > 0, case let .conv(kernel) = layer.op else { return nil }
            return UnsafeMutablePointer<Float>.allocate(
                capacity: Self.count(kernel: kernel, cin: layer.output.channels, cout: layer.input.channels))
        }
        let widest = plan.layers.map(\.input.channels).max() ?? 1
        zeros = .allocate(capacity: widest)
        zeros.initialize(repeating: 0, count: widest)
        buffers = plan.layers.map { layer in
            switch layer.op {
            case let .conv(kernel) where layer.input.channels > 1:
                return UnsafeMutablePointer<Float>.allocate(
                    capacity: Self.count(kernel: kernel, cin: layer.input.channels, cout: layer.output.channels))
            case .dense where packsDense:
                return UnsafeMutablePointer<Float>.allocate(
                    capacity: Self.count(kernel: 1, cin: layer.input.features, cout: layer.output.channels))
            default:
                return nil
            }
        }
    }

    deinit {
        for buffer in buffers + flipped { buffer?.deallocate() }
        zeros.deallocate()
    }

    /// Packs the weights of `parameters` (laid out as in the plan) into the buffers made at init.
    func pack(_ parameters: UnsafePointer<Float>) {
        for (layer, buffer) in zip(plan.layers, buffers) {
            guard let buffer else { continue }
            switch layer.op {
            case let .conv(kernel):
                Self.pack(parameters + layer.weightOffset, kernel: kernel, cin: layer.input.channels,
                          cout: layer.output.channels, into: buffer)
            case .dense:
                Self.pack(parameters + layer.weightOffset, kernel: 1, cin: layer.input.features,
                          cout: layer.output.channels, into: buffer)
            default:
                continue
            }
        }
        for (layer, buffer) in zip(plan.layers, flipped) {
            guard let buffer, case let .conv(kernel) = layer.op else { continue }
            balmer_conv_pack_flipped(parameters + layer.weightOffset, Int32(kernel), Int32(layer.input.channels),
                                     Int32(layer.output.channels), buffer)
        }
    }

    /// Floats of one conv layer's packed weight.
    static func count(kernel: Int, cin: Int, cout: Int) -> Int {
        balmer_conv_packed_count(Int32(kernel * cin), Int32(cout))
    }

    /// Packs one conv weight `[kernel][cin][cout]` into `buffer` (``count(kernel:cin:cout:)`` floats).
    static func pack(_ weight: UnsafePointer<Float>, kernel: Int, cin: Int, cout: Int,
                     into buffer: UnsafeMutablePointer<Float>) {
        balmer_conv_pack(weight, Int32(kernel * cin), Int32(cout), Int32(cout), buffer)
    }

    /// The packed weight of layer `index`, nil for layers the kernels do not run.
    subscript(index: Int) -> UnsafePointer<Float>? { buffers[index].map { UnsafePointer($0) } }

    /// Layer `index`'s weight packed for its input gradient on the kernel, nil unless packed.
    func kernelBackward(_ index: Int) -> Conv1D.KernelBackward? {
        flipped[index].map { Conv1D.KernelBackward(flipped: UnsafePointer($0), zeros: UnsafePointer(zeros), level: level) }
    }
}

extension BLASCore {
    /// What runs the forward convolutions (inference, and training's forward pass): Balmer's
    /// kernel, "balmer-avx512" or "balmer-avx2" (``PackedWeights``), or "openblas".
    public static var convolutions: String { ConvKernel.name(level: ConvKernel.chosenLevel) }
}
