#ifndef BALMER_CONV_KERNEL_H
#define BALMER_CONV_KERNEL_H

// Balmer's own fp32 GEMM micro-kernel for the CNN's convolutions (AVX-512F, chosen at run time).
//
// C[r][j] = act(bias[j] + sum_p A[r][p] * W[p][j]) for rows r < m and columns j < n, where row r
// of A is the k floats at a + r * lda. Rows of A may overlap (lda < k): a 'same' convolution in a
// padded channels-last buffer reads, for output row r, the kernel * cin contiguous floats
// starting at input row r - kernel/2, so lda = cin and no im2col copy is needed.
//
// W is packed once into column panels of 32 ([panel][k][32], zero beyond n), so the kernel
// streams it with aligned-free contiguous loads; the bias and ReLU are applied in registers
// before the single store of each output row.

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What this CPU's vector units can do: 2 for AVX-512 (F, BW, VL, DQ, CD), 1 for AVX2 with FMA,
/// 0 otherwise (or not x86-64).
int balmer_cpu_vector_level(void);

/// 1 when this CPU runs the AVX-512F kernel (and BALMER_CNN_KERNEL is not "blas"), else 0.
int balmer_conv_kernel_available(void);

/// Floats needed to pack a k x n weight matrix (panels of 32 columns).
size_t balmer_conv_packed_count(int k, int n);

/// Packs the row-major k x n matrix w (leading dimension ldw) into packed.
void balmer_conv_pack(const float *w, int k, int n, int ldw, float *packed);

/// C = act(bias + A W) as described above, for columns [0, n) of the packed panels starting at
/// `packed` (pass packed + panel * k * 32 and bias + panel * 32 to start at a later panel).
/// Only call when balmer_conv_kernel_available() returned 1.
void balmer_conv_gemm(int m, int n, int k, const float *a, int lda, const float *packed,
                      const float *bias, int relu, float *c, int ldc);

#ifdef __cplusplus
}
#endif

#endif
