internal import CConvKernel

/// The convolution weights of a model packed for Balmer's AVX-512 kernel (column panels of 32,
/// see `ConvKernel.h`), one buffer per conv layer with more than one input channel. Made once
/// per set of parameters (a ``Predictor`` at start, a training step before its forward pass).
final class PackedConvWeights {
    /// Whether this CPU runs the kernel (and `BALMER_CNN_KERNEL` is not `blas`); read once.
    static let available = balmer_conv_kernel_available() == 1

    private(set) var buffers: [UnsafeMutablePointer<Float>?]
    private let plan: NetworkPlan

    /// Nil when the kernel is unavailable on this CPU.
    init?(plan: NetworkPlan) {
        guard Self.available else { return nil }
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
    /// What runs the forward convolutions (inference, and training's forward pass): "balmer-avx512" (``PackedConvWeights``) or "openblas".
    public static var convolutions: String { PackedConvWeights.available ? "balmer-avx512" : "openblas" }

    /// One line for logs: threads, OpenBLAS's kernel set and what runs the convolutions.
    public static func computeSummary(threads: Int) -> String {
        "compute on \(threads) threads, OpenBLAS \(name) kernels, forward convolutions on \(convolutions)"
    }
}
