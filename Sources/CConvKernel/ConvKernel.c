#include "ConvKernel.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define PANEL 32
#define ROWS 14
#define DIRECT_TAPS 3
#define ROWS2 6
#define HALF 16
#define CHUNK2 4
#define DENSE_SLICE 512
#define GRAD_SLICE 256

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define BALMER_X86 1
#include <immintrin.h>
#endif

int balmer_cpu_vector_level(void) {
#ifdef BALMER_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
#endif
    return 0;
}

int balmer_conv_kernel_supported(int level) {
    if (level == 0) return 1;
#ifdef BALMER_X86
    __builtin_cpu_init();
    if (level == 1) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? 1 : 0;
    if (level == 2) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma") ? 1 : 0;
#endif
    return 0;
}

int balmer_conv_kernel_level(void) {
    int best = balmer_conv_kernel_supported(2) ? 2 : balmer_conv_kernel_supported(1) ? 1 : 0;
    const char *choice = getenv("BALMER_CNN_KERNEL");
    if (choice == NULL) return best;
    if (strcmp(choice, "blas") == 0) return 0;
    if (strcmp(choice, "avx2") == 0 && balmer_conv_kernel_supported(1)) return 1;
    if (strcmp(choice, "avx512") == 0 && balmer_conv_kernel_supported(2)) return 2;
    return best;
}

int balmer_conv_kernel_available(void) {
    return balmer_conv_kernel_level() > 0 ? 1 : 0;
}

int balmer_conv_kernel_rows(int level) {
    switch (level) {
        case 2: return ROWS;
        case 1: return ROWS2;
        default: return 1;
    }
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

void balmer_conv_pack_flipped(const float *w, int kernel, int cin, int cout, float *packed) {
    int k = kernel * cout;
    int panels = (cin + PANEL - 1) / PANEL;
    for (int q = 0; q < panels; q++) {
        int first = q * PANEL;
        int width = cin - first < PANEL ? cin - first : PANEL;
        float *out = packed + (size_t)q * k * PANEL;
        for (int t = 0; t < kernel; t++) {
            const float *tap = w + (size_t)(kernel - 1 - t) * cin * cout;
            for (int co = 0; co < cout; co++) {
                float *line = out + ((size_t)t * cout + co) * PANEL;
                for (int j = 0; j < PANEL; j++) line[j] = j < width ? tap[(size_t)(first + j) * cout + co] : 0.0f;
            }
        }
    }
}

#ifdef BALMER_X86

// ---- AVX-512F: ROWS x 32 per register tile -------------------------------------------------

#define TARGET __attribute__((target("avx512f,fma")))

// F(r) for every tail row count of a register tile, 1 ... ROWS - 1 (a switch's cases over them),
// and a switch over every row count 1 ... ROWS whose cases F(r) writes.
#define TAIL_ROWS(F) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13)
#define SWITCH_ROWS(rows, F) switch (rows) { TAIL_ROWS(F) F(ROWS) default: break; }

// How a row block's inputs are laid out for the tiles. Row i of A (i < rows) is the k floats at
// a + i * lda. When the rows overlap as a convolution's windows do (lda < k, k = taps * lda), element
// p = t * lda + ch of row i is element ch of row i + t, so the block holds only the rows + taps - 1
// distinct rows, transposed: block[ch * stride + j] = a[j * lda + ch] for ch < width = lda, and tap t
// of row i reads block[ch * stride + i + t]. Otherwise taps = 1, width = k: the rows themselves,
// transposed. Either way the tile's multiply-adds run over p = 0 ... k - 1 in order, so the result
// is the same to the bit.
typedef struct {
    int taps, width, stride;
} BlockShape;

static inline BlockShape block_shape(int k, int lda) {
    BlockShape s;
    if (lda > 0 && lda < k && k % lda == 0) {
        s.taps = k / lda;
        s.width = lda;
    } else {
        s.taps = 1;
        s.width = k;
    }
    s.stride = ROWS + s.taps - 1;
    return s;
}

// `rows` (1...ROWS) output rows by one panel of 32 columns; the accumulators stay in registers
// (2 * ROWS accumulators + 2 weight rows + 1 broadcast <= 32 zmm). Input element p = t * width + ch
// of row i is a[t * tap_step + ch * ch_step + i * row_step]; with `rows` and `row_step` constant at
// the call site each broadcast is a constant offset from one moving pointer. Always inlined, so
// each call site is a fully unrolled kernel. The multiply-adds run over p in order whatever the
// steps, so every layout of the same inputs gives the same result to the bit.
//
// The weight rows normally come from a packed panel (`panel_step` PANEL, zero beyond n); a weight
// gradient reads them from an activation gradient's rows instead (`panel_step` its row length,
// `masked` loads so that a partial panel reads nothing beyond its columns).
//
// A dense layer's long sums go in slices of the depth (see dense_avx512): `resume` starts the
// accumulators from C's partial sums instead of zero, and `finish` is 0 for every slice but the
// last, which alone adds the bias and applies the ReLU. A float stored and loaded again is the same
// float, so the slices give the bits of one pass.
static inline __attribute__((always_inline)) TARGET void
tile_at(const int rows, int taps, int width, const float *a, int tap_step, int ch_step, const int row_step,
        const float *panel, const int panel_step, const int masked, const float *bias, int relu, float *c, int ldc,
        __mmask16 mask0, __mmask16 mask1, const int resume, const int finish) {
    __m512 acc0[ROWS], acc1[ROWS];
    _Pragma("clang loop unroll(full)")
    for (int i = 0; i < rows; i++) {
        acc0[i] = resume ? _mm512_maskz_loadu_ps(mask0, c + (size_t)i * ldc) : _mm512_setzero_ps();
        acc1[i] = resume ? _mm512_maskz_loadu_ps(mask1, c + (size_t)i * ldc + 16) : _mm512_setzero_ps();
    }
    const float *bp = panel;
    for (int t = 0; t < taps; t++) {
        const float *ap = a + (size_t)t * tap_step;
        for (int ch = 0; ch < width; ch++, ap += ch_step, bp += panel_step) {
            __m512 b0 = masked ? _mm512_maskz_loadu_ps(mask0, bp) : _mm512_loadu_ps(bp);
            __m512 b1 = masked ? _mm512_maskz_loadu_ps(mask1, bp + 16) : _mm512_loadu_ps(bp + 16);
            _Pragma("clang loop unroll(full)")
            for (int i = 0; i < rows; i++) {
                __m512 x = _mm512_set1_ps(ap[i * row_step]);
                acc0[i] = _mm512_fmadd_ps(x, b0, acc0[i]);
                acc1[i] = _mm512_fmadd_ps(x, b1, acc1[i]);
            }
        }
    }
    if (!finish) {
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < rows; i++) {
            _mm512_mask_storeu_ps(c + (size_t)i * ldc, mask0, acc0[i]);
            _mm512_mask_storeu_ps(c + (size_t)i * ldc + 16, mask1, acc1[i]);
        }
        return;
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

// A tile over `block`, the rows' inputs transposed (see BlockShape): tap t of row i, channel ch
// at block[ch * stride + i + t].
static inline __attribute__((always_inline)) TARGET void
tile(const int rows, BlockShape shape, const float *block, const float *panel, const float *bias,
     int relu, float *c, int ldc, __mmask16 mask0, __mmask16 mask1) {
    tile_at(rows, shape.taps, shape.width, block, 1, shape.stride, 1, panel, PANEL, 0, bias, relu, c, ldc, mask0, mask1,
            0, 1);
}

/// Copies `rows` rows of k floats (row i at a + i * lda) into block transposed: block[p * stride + i].
static inline void transpose_rows(const float *a, int rows, int k, int lda, float *block, int stride) {
    for (int i = 0; i < rows; i++) {
        const float *row = a + (size_t)i * lda;
        for (int p = 0; p < k; p++) block[(size_t)p * stride + i] = row[p];
    }
}

static TARGET __attribute__((noinline)) void
full_tile(BlockShape shape, const float *block, const float *panel, const float *bias, int relu, float *c,
          int ldc, __mmask16 mask0, __mmask16 mask1) {
    tile(ROWS, shape, block, panel, bias, relu, c, ldc, mask0, mask1);
}

static TARGET __attribute__((noinline)) void
tail_tile(int rows, BlockShape shape, const float *block, const float *panel, const float *bias, int relu,
          float *c, int ldc, __mmask16 mask0, __mmask16 mask1) {
    switch (rows) {
#define CASE(r) case r: tile(r, shape, block, panel, bias, relu, c, ldc, mask0, mask1); break;
        TAIL_ROWS(CASE)
#undef CASE
        default: break;
    }
}

// A full tile of a 3-tap convolution over `cin` input channels read in place, without the
// transposed block: element p = t * cin + ch of row i is a[(i + t) * cin + ch], so with `cin` a
// compile-time constant every broadcast is a constant offset from one moving pointer.
static inline __attribute__((always_inline)) TARGET void
direct_tile(const int cin, const float *a, const float *panel, const float *bias, int relu, float *c, int ldc,
            __mmask16 mask0, __mmask16 mask1) {
    tile_at(ROWS, DIRECT_TAPS, cin, a, cin, 1, cin, panel, PANEL, 0, bias, relu, c, ldc, mask0, mask1, 0, 1);
}

#define DIRECT(cin)                                                                                              \
    static TARGET __attribute__((noinline)) void direct_tile_##cin(const float *a, const float *panel,          \
                                                                   const float *bias, int relu, float *c, int ldc, \
                                                                   __mmask16 mask0, __mmask16 mask1) {          \
        direct_tile(cin, a, panel, bias, relu, c, ldc, mask0, mask1);                                            \
    }
DIRECT(64) DIRECT(128) DIRECT(256)
#undef DIRECT

// The in-place tile for `cin` channels, or NULL when `cin` has none (the block path runs then).
typedef void (*DirectTile)(const float *, const float *, const float *, int, float *, int, __mmask16, __mmask16);
static DirectTile direct_tile_for(int taps, int cin) {
    if (taps != DIRECT_TAPS) return NULL;
    switch (cin) {
        case 64: return direct_tile_64;
        case 128: return direct_tile_128;
        case 256: return direct_tile_256;
        default: return NULL;
    }
}

static TARGET void gemm_avx512(int m, int n, int k, const float *a, int lda, const float *packed,
                               const float *bias, int relu, float *c, int ldc, float *block) {
    int panels = (n + PANEL - 1) / PANEL;
    BlockShape shape = block_shape(k, lda);
    DirectTile direct = direct_tile_for(shape.taps, shape.width);
    // Rows outer, panels inner: a block's inputs (read in place, or transposed: at most k x ROWS
    // floats) stay in L1 while the packed weight (at most a few hundred kB) streams from L2.
    for (int r = 0; r < m; r += ROWS) {
        int rows = m - r < ROWS ? m - r : ROWS;
        int in_place = rows == ROWS && direct != NULL;
        const float *ar = a + (size_t)r * lda;
        if (!in_place) transpose_rows(ar, rows + shape.taps - 1, shape.width, lda, block, shape.stride);
        float *cr = c + (size_t)r * ldc;
        for (int q = 0; q < panels; q++) {
            int width = n - q * PANEL < PANEL ? n - q * PANEL : PANEL;
            __mmask16 mask0 = width >= 16 ? 0xFFFF : (__mmask16)((1u << width) - 1);
            __mmask16 mask1 = width >= PANEL ? 0xFFFF : width <= 16 ? 0 : (__mmask16)((1u << (width - 16)) - 1);
            const float *panel = packed + (size_t)q * k * PANEL;
            if (in_place) {
                direct(ar, panel, bias + q * PANEL, relu, cr + q * PANEL, ldc, mask0, mask1);
            } else if (rows == ROWS) {
                full_tile(shape, block, panel, bias + q * PANEL, relu, cr + q * PANEL, ldc, mask0, mask1);
            } else {
                tail_tile(rows, shape, block, panel, bias + q * PANEL, relu, cr + q * PANEL, ldc, mask0, mask1);
            }
        }
    }
}

// ---- AVX-512F dense layers: the depth in slices ----------------------------------------------

// A slice of the depth of `rows` (1...ROWS) rows by one packed panel: element p of row i at
// a[p * ROWS + i] (the rows' inputs transposed into a block), the slice of the panel at `panel`.
static TARGET __attribute__((noinline)) void
slice_tile(int rows, int depth, const float *a, const float *panel, const float *bias, int relu, float *c, int ldc,
           __mmask16 mask0, __mmask16 mask1, int resume, int finish) {
#define STEP(r, re, fi) tile_at(r, 1, depth, a, 0, ROWS, 1, panel, PANEL, 0, bias, relu, c, ldc, mask0, mask1, re, fi)
#define FLAGS(r)                                                                                                 \
    case r:                                                                                                      \
    if (resume) {                                                                                                \
        if (finish) STEP(r, 1, 1); else STEP(r, 1, 0);                                                           \
    } else {                                                                                                     \
        if (finish) STEP(r, 0, 1); else STEP(r, 0, 0);                                                           \
    }                                                                                                            \
    break;
    SWITCH_ROWS(rows, FLAGS)
#undef FLAGS
#undef STEP
}

// A slice of a weight gradient's depth for `rows` (1...ROWS) rows: element p of row i at
// a[p * lda + i] (a conv's input windows, in place), the weight rows straight from the output
// gradient's rows `ldy` apart (masked loads: a partial panel reads nothing beyond its columns).
// The partial sums are stored as they are (no bias, no ReLU).
static TARGET __attribute__((noinline)) void
gradient_tile(int rows, int depth, const float *a, int lda, const float *dy, int ldy, float *c, int ldc,
              __mmask16 mask0, __mmask16 mask1, int resume) {
#define STEP(r, re) tile_at(r, 1, depth, a, 0, lda, 1, dy, ldy, 1, NULL, 0, c, ldc, mask0, mask1, re, 0)
#define FLAGS(r)                                                                                                 \
    case r:                                                                                                      \
    if (resume) STEP(r, 1); else STEP(r, 0);                                                                     \
    break;
    SWITCH_ROWS(rows, FLAGS)
#undef FLAGS
#undef STEP
}

// C = act(bias + A W) for a dense layer: k in the thousands, so one tile's full-depth pass would
// stream a whole panel (k x 32 floats, over half a megabyte for the paper's first dense layer) per
// 14 rows. Instead the depth goes in slices of DENSE_SLICE: each slice of every row tile is
// transposed once into `blocks` (m x DENSE_SLICE floats, in L2), then each panel's slice (64 kB)
// is read from memory once and reused from L1/L2 by every row tile. The partial sums wait in C.
static TARGET void dense_avx512(int m, int n, int k, const float *a, int lda, const float *packed,
                                const float *bias, int relu, float *c, int ldc, float *blocks) {
    int panels = (n + PANEL - 1) / PANEL;
    int tiles = (m + ROWS - 1) / ROWS;
    for (int k0 = 0; k0 < k; k0 += DENSE_SLICE) {
        int depth = k - k0 < DENSE_SLICE ? k - k0 : DENSE_SLICE;
        int resume = k0 > 0, finish = k0 + depth == k;
        for (int t = 0; t < tiles; t++) {
            int rows = m - t * ROWS < ROWS ? m - t * ROWS : ROWS;
            transpose_rows(a + (size_t)t * ROWS * lda + k0, rows, depth, lda, blocks + (size_t)t * ROWS * depth, ROWS);
        }
        for (int q = 0; q < panels; q++) {
            int width = n - q * PANEL < PANEL ? n - q * PANEL : PANEL;
            __mmask16 mask0 = width >= 16 ? 0xFFFF : (__mmask16)((1u << width) - 1);
            __mmask16 mask1 = width >= PANEL ? 0xFFFF : width <= 16 ? 0 : (__mmask16)((1u << (width - 16)) - 1);
            const float *panel = packed + (size_t)q * k * PANEL + (size_t)k0 * PANEL;
            for (int t = 0; t < tiles; t++) {
                int rows = m - t * ROWS < ROWS ? m - t * ROWS : ROWS;
                slice_tile(rows, depth, blocks + (size_t)t * ROWS * depth, panel, bias + q * PANEL, relu,
                           c + (size_t)t * ROWS * ldc + q * PANEL, ldc, mask0, mask1, resume, finish);
            }
        }
    }
}

// A conv's weight gradient, C[p][j] = sum over r < depth of a[r * lda + p] * dy[r * ldy + j]: output
// row p of C is column p of the input windows, read in place (ROWS consecutive floats of each
// input row); the output gradient's rows serve as the weight rows, unpacked. The depth (every
// buffer row of the batch) goes in slices as for a dense layer, so a slice of the output
// gradient's panel (GRAD_SLICE x 32 floats) is reused from L1/L2 by every row tile.
void balmer_conv_weight_gradient(int m, int n, int depth, const float *a, int lda, const float *dy, int ldy,
                                 float *c, int ldc) {
    if (!balmer_conv_kernel_supported(2)) abort();
    if (m <= 0 || n <= 0) return;
    int panels = (n + PANEL - 1) / PANEL;
    if (depth <= 0) {
        for (int p = 0; p < m; p++) memset(c + (size_t)p * ldc, 0, (size_t)n * sizeof(float));
        return;
    }
    for (int r0 = 0; r0 < depth; r0 += GRAD_SLICE) {
        int slice = depth - r0 < GRAD_SLICE ? depth - r0 : GRAD_SLICE;
        for (int q = 0; q < panels; q++) {
            int width = n - q * PANEL < PANEL ? n - q * PANEL : PANEL;
            __mmask16 mask0 = width >= 16 ? 0xFFFF : (__mmask16)((1u << width) - 1);
            __mmask16 mask1 = width >= PANEL ? 0xFFFF : width <= 16 ? 0 : (__mmask16)((1u << (width - 16)) - 1);
            for (int p = 0; p < m; p += ROWS) {
                int rows = m - p < ROWS ? m - p : ROWS;
                gradient_tile(rows, slice, a + (size_t)r0 * lda + p, lda, dy + (size_t)r0 * ldy + q * PANEL, ldy,
                              c + (size_t)p * ldc + q * PANEL, ldc, mask0, mask1, r0 > 0);
            }
        }
    }
}

void balmer_dense_gemm(int m, int n, int k, const float *a, int lda, const float *packed, const float *bias,
                       int relu, float *c, int ldc) {
    if (!balmer_conv_kernel_supported(2)) abort();
    if (m <= 0 || n <= 0) return;
    int tiles = (m + ROWS - 1) / ROWS;
    int depth = k < DENSE_SLICE ? (k > 0 ? k : 1) : DENSE_SLICE;
    size_t bytes = ((size_t)tiles * ROWS * depth * sizeof(float) + 63) / 64 * 64;
    float *blocks = aligned_alloc(64, bytes);
    if (blocks == NULL) abort();
    dense_avx512(m, n, k, a, lda, packed, bias, relu, c, ldc, blocks);
    free(blocks);
}

// ---- AVX2 + FMA: ROWS2 x 16 per register tile ------------------------------------------------

#define TARGET2 __attribute__((target("avx2,fma")))

// `rows` (1...ROWS2) output rows by one half panel: columns [0, width) of the 16 starting at
// `half` (a 32-wide packed panel plus 0 or 16), `width` in 1...16. 2 * ROWS2 accumulators + 2
// weight vectors + 1 broadcast = 15 of the 16 ymm registers. The inputs are broadcast straight
// from the rows (row i at a + i * lda): six row pointers fit in the general registers, so unlike
// the 14-row AVX-512 tile no transposed copy is needed. The packed panel is zero beyond n, so the
// loads stay inside it; the bias is read and C written only for the `width` valid columns
// (masked when width < 16).
static inline __attribute__((always_inline)) TARGET2 void
tile2(const int rows, int k, const float *a, int lda, const float *half, const float *bias,
      int relu, float *c, int ldc, int width) {
    __m256 acc0[ROWS2], acc1[ROWS2];
    const float *row[ROWS2];
    _Pragma("clang loop unroll(full)")
    for (int i = 0; i < rows; i++) {
        acc0[i] = _mm256_setzero_ps();
        acc1[i] = _mm256_setzero_ps();
        row[i] = a + (size_t)i * lda;
    }
    const float *bp = half;
    for (int p = 0; p < k; p++, bp += PANEL) {
        __m256 b0 = _mm256_loadu_ps(bp);
        __m256 b1 = _mm256_loadu_ps(bp + 8);
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < rows; i++) {
            __m256 x = _mm256_broadcast_ss(row[i] + p);
            acc0[i] = _mm256_fmadd_ps(x, b0, acc0[i]);
            acc1[i] = _mm256_fmadd_ps(x, b1, acc1[i]);
        }
    }
    __m256 zero = _mm256_setzero_ps();
    if (width == HALF) {
        __m256 bias0 = _mm256_loadu_ps(bias);
        __m256 bias1 = _mm256_loadu_ps(bias + 8);
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < rows; i++) {
            __m256 y0 = _mm256_add_ps(acc0[i], bias0);
            __m256 y1 = _mm256_add_ps(acc1[i], bias1);
            if (relu) {
                y0 = _mm256_max_ps(y0, zero);
                y1 = _mm256_max_ps(y1, zero);
            }
            _mm256_storeu_ps(c + (size_t)i * ldc, y0);
            _mm256_storeu_ps(c + (size_t)i * ldc + 8, y1);
        }
    } else {
        // Lane l of a mask is all ones when column l (or 8 + l) is below width.
        __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        __m256i mask0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(width), lane);
        __m256i mask1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(width - 8), lane);
        __m256 bias0 = _mm256_maskload_ps(bias, mask0);
        __m256 bias1 = _mm256_maskload_ps(bias + 8, mask1);
        _Pragma("clang loop unroll(full)")
        for (int i = 0; i < rows; i++) {
            __m256 y0 = _mm256_add_ps(acc0[i], bias0);
            __m256 y1 = _mm256_add_ps(acc1[i], bias1);
            if (relu) {
                y0 = _mm256_max_ps(y0, zero);
                y1 = _mm256_max_ps(y1, zero);
            }
            _mm256_maskstore_ps(c + (size_t)i * ldc, mask0, y0);
            _mm256_maskstore_ps(c + (size_t)i * ldc + 8, mask1, y1);
        }
    }
}

static TARGET2 __attribute__((noinline)) void
full_tile2(int k, const float *a, int lda, const float *half, const float *bias, int relu, float *c, int ldc,
           int width) {
    tile2(ROWS2, k, a, lda, half, bias, relu, c, ldc, width);
}

static TARGET2 __attribute__((noinline)) void
tail_tile2(int rows, int k, const float *a, int lda, const float *half, const float *bias, int relu, float *c,
           int ldc, int width) {
    switch (rows) {
#define CASE(r) case r: tile2(r, k, a, lda, half, bias, relu, c, ldc, width); break;
        CASE(1) CASE(2) CASE(3) CASE(4) CASE(5)
#undef CASE
        default: break;
    }
}

static TARGET2 void gemm_avx2(int m, int n, int k, const float *a, int lda, const float *packed,
                              const float *bias, int relu, float *c, int ldc) {
    int panels = (n + PANEL - 1) / PANEL;
    // Chunks of CHUNK2 tiles outer, then panels and their halves, then the chunk's tiles: a half
    // panel (k x 16 floats, up to 48 kB) is loaded from L3 once per chunk and reused from L2 by
    // its tiles, whose input rows (overlapping windows, a few kB) stay in L1.
    for (int r0 = 0; r0 < m; r0 += CHUNK2 * ROWS2) {
        int r1 = m - r0 < CHUNK2 * ROWS2 ? m : r0 + CHUNK2 * ROWS2;
        for (int q = 0; q < panels; q++) {
            const float *panel = packed + (size_t)q * k * PANEL;
            for (int h = 0; h < PANEL / HALF; h++) {
                int first = q * PANEL + h * HALF;
                if (first >= n) break;
                int width = n - first < HALF ? n - first : HALF;
                for (int r = r0; r < r1; r += ROWS2) {
                    const float *ar = a + (size_t)r * lda;
                    float *cr = c + (size_t)r * ldc + first;
                    if (r1 - r >= ROWS2) {
                        full_tile2(k, ar, lda, panel + h * HALF, bias + first, relu, cr, ldc, width);
                    } else {
                        tail_tile2(r1 - r, k, ar, lda, panel + h * HALF, bias + first, relu, cr, ldc, width);
                    }
                }
            }
        }
    }
}

void balmer_conv_gemm_level(int level, int m, int n, int k, const float *a, int lda, const float *packed,
                            const float *bias, int relu, float *c, int ldc) {
    if ((level != 1 && level != 2) || !balmer_conv_kernel_supported(level)) abort();
    if (m <= 0 || n <= 0) return;
    if (level == 1) {
        gemm_avx2(m, n, k, a, lda, packed, bias, relu, c, ldc);
        return;
    }
    size_t bytes = ((size_t)(k > 0 ? k : 1) * ROWS * sizeof(float) + 63) / 64 * 64;
    float *block = aligned_alloc(64, bytes);
    if (block == NULL) abort();
    gemm_avx512(m, n, k, a, lda, packed, bias, relu, c, ldc, block);
    free(block);
}

#else

void balmer_conv_weight_gradient(int m, int n, int depth, const float *a, int lda, const float *dy, int ldy,
                                 float *c, int ldc) {
    (void)m; (void)n; (void)depth; (void)a; (void)lda; (void)dy; (void)ldy; (void)c; (void)ldc;
    abort();
}

void balmer_dense_gemm(int m, int n, int k, const float *a, int lda, const float *packed, const float *bias,
                       int relu, float *c, int ldc) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)packed; (void)bias; (void)relu; (void)c; (void)ldc;
    abort();
}

void balmer_conv_gemm_level(int level, int m, int n, int k, const float *a, int lda, const float *packed,
                            const float *bias, int relu, float *c, int ldc) {
    (void)level; (void)m; (void)n; (void)k; (void)a; (void)lda; (void)packed; (void)bias; (void)relu; (void)c;
    (void)ldc;
    abort();
}

#endif

void balmer_conv_gemm(int m, int n, int k, const float *a, int lda, const float *packed,
                      const float *bias, int relu, float *c, int ldc) {
    // The process's level, read once (a race only computes the same value twice).
    static atomic_int cached = -1;
    int level = atomic_load_explicit(&cached, memory_order_relaxed);
    if (level < 0) {
        level = balmer_conv_kernel_level();
        atomic_store_explicit(&cached, level, memory_order_relaxed);
    }
    balmer_conv_gemm_level(level, m, n, k, a, lda, packed, bias, relu, c, ldc);
}
