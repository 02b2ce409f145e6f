#ifndef BALMER_CONV_KERNEL_H
#define BALMER_CONV_KERNEL_H

// Balmer's own fp32 GEMM micro-kernels for the CNN's convolutions, chosen at run time: one for
// AVX-512F (14 rows x 32 columns per register tile) and one for AVX2 with FMA (6 rows x 16
// columns, each 32-column panel walked as two halves). Both read the same packed weights.
//
// C[r][j] = act(bias[j] + sum_p A[r][p] * W[p][j]) for rows r < m and columns j < n, where row r
// of A is the k floats at a + r * lda. Rows of A may overlap (lda < k): a 'same' convolution in a
// padded channels-last buffer reads, for output row r, the kernel * cin contiguous floats
// starting at input row r - kernel/2, so lda = cin and no im2col copy is needed.
//
// W is packed once into column panels of 32 ([panel][k][32], zero beyond n), so the kernels
// stream it with aligned-free contiguous loads; the bias and ReLU are applied in registers
// before the single store of each output row. Columns j >= n of C are never written, bias is
// read only for j < n.
//
// Kernel levels: 2 = AVX-512F, 1 = AVX2 + FMA, 0 = none (the caller uses OpenBLAS). The level a
// process uses is the best its CPU runs, unless the environment variable BALMER_CNN_KERNEL says
// "blas" (0: OpenBLAS), "avx2" (1, also on an AVX-512 CPU; for tests and comparisons) or
// "avx512" (2); a level the CPU cannot run falls back to the best it can.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What this CPU's vector units can do: 2 for AVX-512 (F, BW, VL, DQ, CD), 1 for AVX2 with FMA,
/// 0 otherwise (or not x86-64).
int balmer_cpu_vector_level(void);

/// 1 when this CPU can run the kernel of `level` (1: AVX2 + FMA, 2: AVX-512F), else 0.
/// Level 0 (OpenBLAS, not a kernel here) is always "supported".
int balmer_conv_kernel_supported(int level);

/// The kernel level to use (0, 1 or 2): the best supported one, after BALMER_CNN_KERNEL (see
/// above). Reads the environment on every call; callers read it once.
int balmer_conv_kernel_level(void);

/// 1 when balmer_conv_kernel_level() is above 0, else 0.
int balmer_conv_kernel_available(void);

/// Rows of the register tile of `level`'s kernel (14 for AVX-512, 6 for AVX2): the natural unit
/// for splitting rows over threads. 1 for level 0.
int balmer_conv_kernel_rows(int level);

/// Floats needed to pack a k x n weight matrix (panels of 32 columns).
size_t balmer_conv_packed_count(int k, int n);

/// Packs the row-major k x n matrix w (leading dimension ldw) into packed.
void balmer_conv_pack(const float *w, int k, int n, int ldw, float *packed);

/// Packs a conv weight w [kernel][cin][cout] for the backward pass's input gradient: the
/// (kernel * cout) x cin matrix W'[t][co][ci] = w[kernel - 1 - t][ci][co] (taps reversed, each
/// tap transposed), in the panels of balmer_conv_pack (balmer_conv_packed_count(kernel * cout, cin)
/// floats). With it the input gradient of a 'same' convolution is one more 'same' convolution of
/// the output gradient: dX[r][ci] = sum over t, co of dY[r - kernel/2 + t][co] * W'[t][co][ci].
void balmer_conv_pack_flipped(const float *w, int kernel, int cin, int cout, float *packed);

/// C = act(bias + A W) as described above on the kernel of `level` (1 or 2), for columns
/// [0, n) of the packed panels starting at `packed` (pass packed + panel * k * 32 and
/// bias + panel * 32 to start at a later panel). Only call with a level that
/// balmer_conv_kernel_supported() accepts; aborts otherwise.
void balmer_conv_gemm_level(int level, int m, int n, int k, const float *a, int lda, const float *packed,
                            const float *bias, int relu, float *c, int ldc);

/// balmer_conv_gemm_level() at balmer_conv_kernel_level() (read once per process).
/// Only call when balmer_conv_kernel_available() returned 1.
void balmer_conv_gemm(int m, int n, int k, const float *a, int lda, const float *packed,
                      const float *bias, int relu, float *c, int ldc);

/// balmer_conv_gemm_level() at level 2 for a dense layer (k in the thousands, rows that do not
/// overlap: lda >= k): the depth goes in slices whose partial sums wait in C, so each slice of a
/// panel is read once per call rather than once per 14 rows. The same bits as
/// balmer_conv_gemm_level(2, ...) on the same arguments. Needs AVX-512F
/// (balmer_conv_kernel_supported(2)); aborts otherwise.
void balmer_dense_gemm(int m, int n, int k, const float *a, int lda, const float *packed, const float *bias,
                       int relu, float *c, int ldc);

/// A convolution's weight gradient on the AVX-512 kernel: C[p][j] = sum over r < depth of
/// a[r * lda + p] * dy[r * ldy + j] for p < m, j < n (C overwritten, leading dimension ldc). With a
/// 'same' conv's padded channels-last input (a at the first window, lda = cin, m = kernel * cin)
/// and its masked output gradient (pad rows zero, ldy = n = cout), that is dW for the whole batch
/// in one pass, the windows read in place. Needs AVX-512F (balmer_conv_kernel_supported(2)); aborts
/// otherwise.
void balmer_conv_weight_gradient(int m, int n, int depth, const float *a, int lda, const float *dy, int ldy,
                                 float *c, int ldc);

/// Y = act(bias + X W) for `samples` rows of X (sample s at x + s * ldx, k floats) and columns
/// [0, n) of the row-major k x n' weight w (leading dimension ldw >= n), written to y + s * ldy:
/// the dense layers of tiny inference batches, one pass over the weights per two samples. Each
/// output is one fused multiply-add chain over the k inputs in order, then + bias, so it does
/// not depend on how the columns are split over threads. Needs AVX2 + FMA
/// (balmer_conv_kernel_supported(1)); aborts otherwise.
void balmer_dense_gemv(int samples, int n, int k, const float *x, int ldx, const float *w, int ldw,
                       const float *bias, int relu, float *y, int ldy);

/// A spin-wait hint (x86 PAUSE): lets the core save power and the sibling hyperthread run while
/// a thread waits for another (see SpinTeam.swift). A no-op elsewhere.
static inline void balmer_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

#ifdef __cplusplus
}
#endif

#endif
