#include "ConvKernel.h"

#include <math.h>
#include <stdlib.h>

// y[s][j] = act(bias[j] + sum_i x[s][i] * w[i][j]) for one or two samples. The weight streams
// row by row, eight rows per pass over the columns, accumulating in y, which stays in L1: the
// paper's first dense layer has 8.9 MB of weights, so the order of memory reads decides the
// speed (eight rows per pass halve the accumulator traffic of four, and matched OpenBLAS's
// single-sample GEMV on a Zen 3 core). Each element is one fused multiply-add chain over i in
// order, then the bias, in vector lanes and in the scalar column tail alike, so an element's
// value does not depend on how the columns were blocked or split over threads.

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#define GEMV_TARGET __attribute__((target("avx2,fma")))

// Adds rows [i, i + rows) of w times x's inputs there to the accumulators y (rows 1...8).
static inline __attribute__((always_inline)) GEMV_TARGET void
gemv_rows(const int samples, const int rows, int n, int i, const float *x, int ldx, const float *w, int ldw,
          float *y, int ldy) {
    const float *wr[8];
    __m256 xv[2][8];
    float xs[2][8];
    _Pragma("clang loop unroll(full)")
    for (int r = 0; r < rows; r++) {
        wr[r] = w + (size_t)(i + r) * ldw;
        _Pragma("clang loop unroll(full)")
        for (int s = 0; s < samples; s++) {
            xs[s][r] = x[(size_t)s * ldx + i + r];
            xv[s][r] = _mm256_set1_ps(xs[s][r]);
        }
    }
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 wv[8];
        _Pragma("clang loop unroll(full)")
        for (int r = 0; r < rows; r++) wv[r] = _mm256_loadu_ps(wr[r] + j);
        _Pragma("clang loop unroll(full)")
        for (int s = 0; s < samples; s++) {
            float *ys = y + (size_t)s * ldy + j;
            __m256 acc = _mm256_loadu_ps(ys);
            _Pragma("clang loop unroll(full)")
            for (int r = 0; r < rows; r++) acc = _mm256_fmadd_ps(xv[s][r], wv[r], acc);
            _mm256_storeu_ps(ys, acc);
        }
    }
    for (; j < n; j++) {
        _Pragma("clang loop unroll(full)")
        for (int s = 0; s < samples; s++) {
            float acc = y[(size_t)s * ldy + j];
            _Pragma("clang loop unroll(full)")
            for (int r = 0; r < rows; r++) acc = fmaf(xs[s][r], wr[r][j], acc);
            y[(size_t)s * ldy + j] = acc;
        }
    }
}

static inline __attribute__((always_inline)) GEMV_TARGET void
gemv(const int samples, int n, int k, const float *x, int ldx, const float *w, int ldw, const float *bias,
     int relu, float *y, int ldy) {
    for (int s = 0; s < samples; s++) {
        for (int j = 0; j < n; j++) y[(size_t)s * ldy + j] = 0;
    }
    int i = 0;
    for (; i + 8 <= k; i += 8) gemv_rows(samples, 8, n, i, x, ldx, w, ldw, y, ldy);
    for (; i < k; i++) gemv_rows(samples, 1, n, i, x, ldx, w, ldw, y, ldy);
    for (int s = 0; s < samples; s++) {
        float *ys = y + (size_t)s * ldy;
        for (int j = 0; j < n; j++) {
            float out = ys[j] + bias[j];
            ys[j] = relu && !(out > 0) ? 0 : out;
        }
    }
}

static GEMV_TARGET __attribute__((noinline)) void
gemv_one(int n, int k, const float *x, const float *w, int ldw, const float *bias, int relu, float *y) {
    gemv(1, n, k, x, 0, w, ldw, bias, relu, y, 0);
}

static GEMV_TARGET __attribute__((noinline)) void
gemv_two(int n, int k, const float *x, int ldx, const float *w, int ldw, const float *bias, int relu,
         float *y, int ldy) {
    gemv(2, n, k, x, ldx, w, ldw, bias, relu, y, ldy);
}

void balmer_dense_gemv(int samples, int n, int k, const float *x, int ldx, const float *w, int ldw,
                       const float *bias, int relu, float *y, int ldy) {
    if (!balmer_conv_kernel_supported(1)) abort();
    for (int s = 0; s < samples; s += 2) {
        const float *xs = x + (size_t)s * ldx;
        float *ys = y + (size_t)s * ldy;
        if (samples - s >= 2) {
            gemv_two(n, k, xs, ldx, w, ldw, bias, relu, ys, ldy);
        } else {
            gemv_one(n, k, xs, w, ldw, bias, relu, ys);
        }
    }
}

#else

void balmer_dense_gemv(int samples, int n, int k, const float *x, int ldx, const float *w, int ldw,
                       const float *bias, int relu, float *y, int ldy) {
    (void)samples; (void)n; (void)k; (void)x; (void)ldx; (void)w; (void)ldw; (void)bias; (void)relu; (void)y;
    (void)ldy;
    abort();
}

#endif
