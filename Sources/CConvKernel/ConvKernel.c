#include "ConvKernel.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#define PANEL 32
#define ROWS 14

int balmer_cpu_vector_level(void) {
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 0;
}

int balmer_conv_kernel_available(void) {
    const char *choice = getenv("BALMER_CNN_KERNEL");
    if (choice != NULL && strcmp(choice, "blas") == 0) return 0;
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
#else
    return 0;
#endif
}

size_t balmer_conv_packed_count(int k, int n) {
    size_t panels = (size_t)(n + PANEL - 1) / PANEL;
    return panels * (size_t)k * PANEL;
}

void balmer_conv_pack(const float *w, int k, int n, int ldw, float *packed) {
    int panels = (n + PANEL - 1) / PANEL;
    for (int q = 0; q < panels; q++) {
        int first = q * PANEL;
        int width = n - first < PANEL ? n - first : PANEL;
        float *out = packed + (size_t)q * k * PANEL;
        for (int p = 0; p < k; p++) {
            const float *row = w + (size_t)p * ldw + first;
            for (int j = 0; j < PANEL; j++) out[(size_t)p * PANEL + j] = j < width ? row[j] : 0.0f;
        }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))

#define TARGET __attribute__((target("avx512f,fma")))

// `rows` (1...ROWS) output rows by one panel of 32 columns; the accumulators stay in registers
// (2 * ROWS accumulators + 2 weight rows + 1 broadcast <= 32 zmm). `block` holds the rows' inputs
// transposed, [k][ROWS], so every broadcast is a constant offset from one moving pointer. Always
// inlined with a constant `rows`, so each call site is a fully unrolled kernel.
static inline __attribute__((always_inline)) TARGET void
tile(const int rows, int k, const float *block, const float *panel, const float *bias,
     int relu, float *c, int ldc, __mmask16 mask0, __mmask16 mask1) {
    __m512 acc0[ROWS], acc1[ROWS];
    _Pragma("clang loop unroll(full)")
    for (int i = 0; i < rows; i++) {
        acc0[i] = _mm512_setzero_ps();
        acc1[i] = _mm512_setzero_ps();
    }
    const float *ap = block;
    const float *bp = panel;
    for (int p = 0; p < k; p++, ap += ROWS, bp += PANEL) {
        __m512 b0 = _mm512_loadu_ps(bp);
        __m512 b1 = _mm512_loadu_ps(bp + 16);
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < rows; i++) {
            __m512 x = _mm512_set1_ps(ap[i]);
            acc0[i] = _mm512_fmadd_ps(x, b0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(x, b1, acc1[i]);
        }
    }
    __m512 bias0 = _mm512_maskz_loadu_ps(mask0, bias);
    __m512 bias1 = _mm512_maskz_loadu_ps(mask1, bias + 16);
    __m512 zero = _mm512_setzero_ps();
    _Pragma("clang loop unroll(full)")
    for (int i = 0; i < rows; i++) {
        __m512 y0 = _mm512_add_ps(acc0[i], bias0);
        __m512 y1 = _mm512_add_ps(acc1[i], bias1);
        if (relu) {
            y0 = _mm512_max_ps(y0, zero);
            y1 = _mm512_max_ps(y1, zero);
        }
        _mm512_mask_storeu_ps(c + (size_t)i * ldc, mask0, y0);
        _mm512_mask_storeu_ps(c + (size_t)i * ldc + 16, mask1, y1);
    }
}

static TARGET __attribute__((noinline)) void
full_tile(int k, const float *block, const float *panel, const float *bias, int relu, float *c, int ldc,
          __mmask16 mask0, __mmask16 mask1) {
    tile(ROWS, k, block, panel, bias, relu, c, ldc, mask0, mask1);
}

static TARGET __attribute__((noinline)) void
tail_tile(int rows, int k, const float *block, const float *panel, const float *bias, int relu, float *c,
          int ldc, __mmask16 mask0, __mmask16 mask1) {
    switch (rows) {
#define CASE(r) case r: tile(r, k, block, panel, bias, relu, c, ldc, mask0, mask1); break;
        CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7)
        CASE(8) CASE(9) CASE(10) CASE(11) CASE(12) CASE(13)
#undef CASE
        default: break;
    }
}

static TARGET void gemm_avx512(int m, int n, int k, const float *a, int lda, const float *packed,
                               const float *bias, int relu, float *c, int ldc, float *block) {
    int panels = (n + PANEL - 1) / PANEL;
    // Rows outer, panels inner: a block's transposed inputs (k x ROWS floats) stay in L1 while
    // the packed weight (at most a few hundred kB) streams from L2.
    for (int r = 0; r < m; r += ROWS) {
        int rows = m - r < ROWS ? m - r : ROWS;
        const float *ar = a + (size_t)r * lda;
        for (int i = 0; i < rows; i++) {
            const float *row = ar + (size_t)i * lda;
            for (int p = 0; p < k; p++) block[(size_t)p * ROWS + i] = row[p];
        }
        float *cr = c + (size_t)r * ldc;
        for (int q = 0; q < panels; q++) {
            int width = n - q * PANEL < PANEL ? n - q * PANEL : PANEL;
            __mmask16 mask0 = width >= 16 ? 0xFFFF : (__mmask16)((1u << width) - 1);
            __mmask16 mask1 = width >= PANEL ? 0xFFFF : width <= 16 ? 0 : (__mmask16)((1u << (width - 16)) - 1);
            const float *panel = packed + (size_t)q * k * PANEL;
            if (rows == ROWS) {
                full_tile(k, block, panel, bias + q * PANEL, relu, cr + q * PANEL, ldc, mask0, mask1);
            } else {
                tail_tile(rows, k, block, panel, bias + q * PANEL, relu, cr + q * PANEL, ldc, mask0, mask1);
            }
        }
    }
}

void balmer_conv_gemm(int m, int n, int k, const float *a, int lda, const float *packed,
                      const float *bias, int relu, float *c, int ldc) {
    float *block = aligned_alloc(64, ((size_t)k * ROWS * sizeof(float) + 63) / 64 * 64);
    if (block == NULL) abort();
    gemm_avx512(m, n, k, a, lda, packed, bias, relu, c, ldc, block);
    free(block);
}

#else

void balmer_conv_gemm(int m, int n, int k, const float *a, int lda, const float *packed,
                      const float *bias, int relu, float *c, int ldc) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)packed; (void)bias; (void)relu; (void)c; (void)ldc;
    abort();
}

#endif
