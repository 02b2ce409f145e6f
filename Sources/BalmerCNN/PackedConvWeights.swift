internal import CConvKernel

/// The convolution weights of a model packed for Balmer's conv kernels (``ConvKernel``; column
/// panels of 32, see `ConvKernel.h`, the same for AVX-512 and AVX2), one buffer per conv layer
/// with more than one input channel, and the kernel level that runs them. Made once per set of
/// parameters (a ``Predictor`` at start, a training step before its forward pass).
final class PackedConvWeights {
    /// Whether a kernel runs the convolutions in this process (``ConvKernel/chosenLevel`` above
    /// 0: the CPU has AVX2 + FMA or AVX-512 and `BALMER_CNN_KERNEL` is not `blas`); read once.
    static let available = ConvKernel.chosenLevel > 0

    /// The kernel that runs these weights: 2 (AVX-512) or 1 (AVX2 + FMA).
    let level: Int
    private(set) var buffers: [UnsafeMutablePointer<Float>?]
    private let plan: NetworkPlan

    /// Weights for the kernel of `level` (by default the process's ``ConvKernel/chosenLevel``);
    /// nil when that is 0 or this CPU cannot run it.
    init?(plan: NetworkPlan, level: Int = ConvKernel.chosenLevel) {
        guard level > 0, ConvKernel.supported(level) else { return nil }
        self.level = level
        self.plan = plan
        buffers = plan.layers.map { layer in
            guard case let .conv(kernel) = layer.op, layer.input.channels > 1 else { return nil }
            return UnsafeMutablePointer<Float>.allocate(
                capacity: Self.count(kernel: kernel, cin: layer.input.channels, cout: layer.output.channels))
        }
    }

    deinit { for buffer in buffers { buffer?.deallocate() } }

    /// Packs the conv weights of `parameters` (laid out as in the plan).
    func pack(_ parameters: UnsafePointer<Float>) {
        for (layer, buffer) in zip(plan.layers, buffers) {
            guard let buffer, case let .conv(kernel) = layer.op else { continue }
            Self.pack(parameters + layer.weightOffset, kernel: kernel, cin: layer.input.channels,
                      cout: layer.output.channels, into: buffer)
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

    /// The packed weight of layer `index`, nil for layers the kernel does not run.
    subscript(index: Int) -> UnsafePointer<Float>? { buffers[index].map { UnsafePointer($0) } }
}

extension BLASCore {
    /// What runs the forward convolutions (inference, and training's forward pass): Balmer's
    /// kernel, "balmer-avx512" or "balmer-avx2" (``PackedConvWeights``), or "openblas".
    public static var convolutions: String { ConvKernel.name(level: ConvKernel.chosenLevel) }
}
