internal import COpenBLAS

/// OpenBLAS's own thread pool (a process-wide setting of the library).
public enum BLASThreads {
    /// Sets how many threads OpenBLAS uses for one call (at least 1).
    public static func set(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }
    /// How many threads OpenBLAS uses for one call.
    public static var current: Int { Int(openblas_get_num_threads()) }
}

/// Row-major single-precision GEMM: `C = alpha * op(A) * op(B) + beta * C`, with `op(A)` m×k,
/// `op(B)` k×n and C m×n; leading dimensions are in elements.
@inline(__always)
func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0 else { return }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
                beta, c, blasint(ldc))
}

/// Row-major single-precision `y = Aᵀ x` for A `rows × cols` (leading dimension `lda`):
/// the dense layer of one sample, streaming the weights once instead of packing them.
@inline(__always)
func sgemvTransposed(rows: Int, cols: Int, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
                     y: UnsafeMutablePointer<Float>) {
    cblas_sgemv(CblasRowMajor, CblasTrans, blasint(rows), blasint(cols), 1, a, blasint(lda), x, 1, 0, y, 1)
}
