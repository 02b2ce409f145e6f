internal import CConvKernel

/// Balmer's own GEMM micro-kernels for the forward convolutions (`Sources/CConvKernel`), by
/// level: 2 = AVX-512F, 1 = AVX2 + FMA, 0 = none (OpenBLAS runs the convolutions). Both kernels
/// read the same packed weights (``PackedWeights``).
enum ConvKernel {
    /// The level this process uses: the best the CPU runs unless `BALMER_CNN_KERNEL` says `blas`
    /// (0), `avx2` (1, also on an AVX-512 CPU) or `avx512` (2); read once.
    static let chosenLevel = Int(balmer_conv_kernel_level())

    /// Whether this CPU runs the kernel of `level` (level 0 always "runs").
    static func supported(_ level: Int) -> Bool { balmer_conv_kernel_supported(Int32(level)) == 1 }

    /// Rows of `level`'s register tile, the unit of the row split over threads.
    static func rows(level: Int) -> Int { Int(balmer_conv_kernel_rows(Int32(level))) }

    /// What `level` is called in logs: "balmer-avx512", "balmer-avx2" or "openblas".
    static func name(level: Int) -> String {
        switch level {
        case 2: "balmer-avx512"
        case 1: "balmer-avx2"
        default: "openblas"
        }
    }

    /// Whether the dense layers of tiny batches run on Balmer's GEMV (``denseGEMV``) rather than
    /// OpenBLAS's: whenever this process uses one of Balmer's conv kernels (both need AVX2 + FMA).
    /// Balmer's GEMV takes no part in OpenBLAS's process-wide thread count, which another thread's
    /// training or scoring may change at any moment, and its results do not depend on the split.
    static let denseGEMVAvailable = chosenLevel >= 1

    /// `y = act(bias + x·W)` for `samples` rows of `x` (`ldx` apart, `k` floats) and the `n`
    /// columns of the row-major `W` at `w` (`ldw` floats per row); see `balmer_dense_gemv` in
    /// `ConvKernel.h`. Only when ``denseGEMVAvailable``.
    @inline(__always)
    static func denseGEMV(samples: Int, n: Int, k: Int, x: UnsafePointer<Float>, ldx: Int, w: UnsafePointer<Float>,
                          ldw: Int, bias: UnsafePointer<Float>, relu: Bool, y: UnsafeMutablePointer<Float>, ldy: Int) {
        balmer_dense_gemv(Int32(samples), Int32(n), Int32(k), x, Int32(ldx), w, Int32(ldw), bias, relu ? 1 : 0,
                          y, Int32(ldy))
    }

    /// `c = act(bias + a·W)` for `m` rows (row `r` of `a` is the `k` floats at `a + r·lda`, rows
    /// may overlap) and columns `0..<n` of the packed panels at `packed`; see `ConvKernel.h`.
    /// `level` must be 1 or 2 and ``supported(_:)``.
    @inline(__always)
    static func gemm(level: Int, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                     packed: UnsafePointer<Float>, bias: UnsafePointer<Float>, relu: Bool,
                     c: UnsafeMutablePointer<Float>, ldc: Int) {
        balmer_conv_gemm_level(Int32(level), Int32(m), Int32(n), Int32(k), a, Int32(lda), packed, bias,
                               relu ? 1 : 0, c, Int32(ldc))
    }

    /// ``gemm(level:m:n:k:a:lda:packed:bias:relu:c:ldc:)`` at level 2 for a dense layer (rows that
    /// do not overlap, `k` in the thousands), its depth in slices: see `balmer_dense_gemm` in
    /// `ConvKernel.h`. Same bits; only when ``supported(_:)`` accepts level 2.
    @inline(__always)
    static func denseGEMM(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, packed: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>, relu: Bool, c: UnsafeMutablePointer<Float>, ldc: Int) {
        balmer_dense_gemm(Int32(m), Int32(n), Int32(k), a, Int32(lda), packed, bias, relu ? 1 : 0, c, Int32(ldc))
    }

    /// A conv's weight gradient `c[p][j] = Σ_r a[r·lda + p] · dy[r·ldy + j]` (`p < m`, `j < n`,
    /// `r < depth`) on the AVX-512 kernel: see `balmer_conv_weight_gradient` in `ConvKernel.h`.
    /// Only when ``supported(_:)`` accepts level 2.
    @inline(__always)
    static func weightGradient(m: Int, n: Int, depth: Int, a: UnsafePointer<Float>, lda: Int, dy: UnsafePointer<Float>,
                               ldy: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        balmer_conv_weight_gradient(Int32(m), Int32(n), Int32(depth), a, Int32(lda), dy, Int32(ldy), c, Int32(ldc))
    }
}
