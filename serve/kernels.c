/* ragtune's CPU kernels for decoding steps (serve/kernels.py builds and loads this file; see its docstring).
 *
 * Every function takes row-major buffers of `dtype` 0 = float32 or 1 = bfloat16 (norm scales: float32) and
 * rounds to the dtype at the points where torch's eager operations do, so a step computes what the
 * library's forward computes, up to the order of a sum.
 */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__AVX512F__) && defined(__AVX512BW__)
#include <immintrin.h>
#define RT_AVX512 1
#endif

#define MAX_ROWS 8

static float *scratch(size_t floats) { /* the calling thread's work memory, grown as needed, kept between calls */
    static __thread float *buf;
    static __thread size_t held;
    if (floats > held) {
        free(buf);
        buf = malloc(floats * sizeof(float));
        held = buf ? floats : 0;
    }
    return buf;
}

static inline float from_bf16(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline uint16_t to_bf16(float f) { /* round to nearest even, as torch does */
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static inline float load(const void *p, int64_t i, int bf) { return bf ? from_bf16(((const uint16_t *)p)[i]) : ((const float *)p)[i]; }
static inline void store(void *p, int64_t i, float v, int bf) {
    if (bf) ((uint16_t *)p)[i] = to_bf16(v);
    else ((float *)p)[i] = v;
}
static inline float rounded(float v, int bf) { return bf ? from_bf16(to_bf16(v)) : v; } /* v as the dtype holds it */

/* ---- y (rows x n) = x (rows x k) @ (w * scale[:, None])^T; w int8 (n x k), one scale per output row ---- */

#ifdef RT_AVX512
#define PREFETCH_ROWS 8 /* output rows ahead of the ones being summed: the weights stream from memory once */

static inline __m512 w16(const int8_t *p) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p))); }

static void gemv_one_row(const float *x, int k, const int8_t *w, float *sums, int o0, int o1) {
    int o = o0;
    for (; o + 4 <= o1; o += 4) {
        const int8_t *w0 = w + (int64_t)o * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        int j = 0;
        for (; j + 16 <= k; j += 16) {
            if ((j & 63) == 0) {
                const char *ahead = (const char *)(w0 + (int64_t)PREFETCH_ROWS * k + j);
                _mm_prefetch(ahead, _MM_HINT_T0), _mm_prefetch(ahead + k, _MM_HINT_T0);
                _mm_prefetch(ahead + 2 * k, _MM_HINT_T0), _mm_prefetch(ahead + 3 * k, _MM_HINT_T0);
            }
            __m512 xv = _mm512_loadu_ps(x + j);
            a0 = _mm512_fmadd_ps(w16(w0 + j), xv, a0);
            a1 = _mm512_fmadd_ps(w16(w1 + j), xv, a1);
            a2 = _mm512_fmadd_ps(w16(w2 + j), xv, a2);
            a3 = _mm512_fmadd_ps(w16(w3 + j), xv, a3);
        }
        float s0 = _mm512_reduce_add_ps(a0), s1 = _mm512_reduce_add_ps(a1), s2 = _mm512_reduce_add_ps(a2), s3 = _mm512_reduce_add_ps(a3);
        for (; j < k; j++) s0 += x[j] * w0[j], s1 += x[j] * w1[j], s2 += x[j] * w2[j], s3 += x[j] * w3[j];
        sums[o] = s0, sums[o + 1] = s1, sums[o + 2] = s2, sums[o + 3] = s3;
    }
    for (; o < o1; o++) {
        const int8_t *wo = w + (int64_t)o * k;
        __m512 a = _mm512_setzero_ps();
        int j = 0;
        for (; j + 16 <= k; j += 16) a = _mm512_fmadd_ps(w16(wo + j), _mm512_loadu_ps(x + j), a);
        float s = _mm512_reduce_add_ps(a);
        for (; j < k; j++) s += x[j] * wo[j];
        sums[o] = s;
    }
}

static void gemv_rows(const float *x, int rows, int k, const int8_t *w, float *sums, int n, int o0, int o1) {
    for (int o = o0; o < o1; o++) {
        const int8_t *wo = w + (int64_t)o * k;
        __m512 acc[MAX_ROWS];
        for (int r = 0; r < rows; r++) acc[r] = _mm512_setzero_ps();
        int j = 0;
        for (; j + 16 <= k; j += 16) {
            if ((j & 63) == 0) _mm_prefetch((const char *)(wo + (int64_t)PREFETCH_ROWS * k + j), _MM_HINT_T0);
            __m512 wv = w16(wo + j);
            for (int r = 0; r < rows; r++) acc[r] = _mm512_fmadd_ps(wv, _mm512_loadu_ps(x + (int64_t)r * k + j), acc[r]);
        }
        for (int r = 0; r < rows; r++) {
            float s = _mm512_reduce_add_ps(acc[r]);
            for (int t = j; t < k; t++) s += x[(int64_t)r * k + t] * wo[t];
            sums[(int64_t)r * n + o] = s;
        }
    }
}
#else
static void gemv_rows(const float *x, int rows, int k, const int8_t *w, float *sums, int n, int o0, int o1) {
    for (int o = o0; o < o1; o++) {
        const int8_t *wo = w + (int64_t)o * k;
        for (int r = 0; r < rows; r++) {
            const float *xr = x + (int64_t)r * k;
            float s = 0;
            for (int j = 0; j < k; j++) s += xr[j] * (float)wo[j];
            sums[(int64_t)r * n + o] = s;
        }
    }
}
#endif

/* Returns 0, or -1 when rows is out of range or memory is short (the caller uses torch's kernel instead). */
int rt_gemv_i8(const void *x, int rows, int k, const int8_t *w, const void *scale, void *y, int n, int bf, int threads) {
    float *xf = scratch((size_t)rows * ((size_t)k + (size_t)n));
    if (rows < 1 || rows > MAX_ROWS || !xf) return -1;
    float *sums = xf + (int64_t)rows * k;
    for (int64_t i = 0; i < (int64_t)rows * k; i++) xf[i] = load(x, i, bf);
#pragma omp parallel num_threads(threads)
    {
        int t = omp_get_thread_num(), team = omp_get_num_threads();
        int per = ((n + team - 1) / team + 3) / 4 * 4, o0 = t * per, o1 = o0 + per < n ? o0 + per : n;
        if (o0 < o1) {
#ifdef RT_AVX512
            if (rows == 1) gemv_one_row(xf, k, w, sums, o0, o1);
            else
#endif
                gemv_rows(xf, rows, k, w, sums, n, o0, o1);
            for (int r = 0; r < rows; r++)
                for (int o = o0; o < o1; o++) store(y, (int64_t)r * n + o, sums[(int64_t)r * n + o] * load(scale, o, bf), bf);
        }
    }
    return 0;
}

/* ---- Gemma's norms, residuals, activation and rotary embedding, rounded as torch rounds them ---- */

/* 1 / sqrt(mean(x^2) + eps) over x[off : off + d], in float32 */
static inline float inv_rms(const void *x, int64_t off, int d, float eps, int bf) {
    float ss = 0;
    for (int i = 0; i < d; i++) {
        float v = load(x, off + i, bf);
        ss += v * v;
    }
    return 1.0f / sqrtf(ss / (float)d + eps);
}

/* out[i] = x[i] * rsqrt(mean(x^2) + eps) * scale[i], in float32, then rounded: Gemma3RMSNorm */
static void rms_row(const void *x, int64_t off, int d, const float *scale, float eps, void *out, int64_t out_off, int bf) {
    float inv = inv_rms(x, off, d, eps, bf);
    for (int i = 0; i < d; i++) store(out, out_off + i, (load(x, off + i, bf) * inv) * scale[i], bf);
}

void rt_rms(const void *x, int rows, int d, const float *scale, float eps, void *out, int bf) {
    for (int r = 0; r < rows; r++) rms_row(x, (int64_t)r * d, d, scale, eps, out, (int64_t)r * d, bf);
}

/* x += rms(y) * y_scale (in place, the residual stream); then, if `next` is given, next = rms(x) * next_scale */
void rt_residual_rms(void *x, const void *y, int rows, int d, const float *y_scale, const float *next_scale, float eps, void *next,
                     int bf) {
    for (int r = 0; r < rows; r++) {
        int64_t off = (int64_t)r * d;
        float inv = inv_rms(y, off, d, eps, bf);
        for (int i = 0; i < d; i++) store(x, off + i, load(x, off + i, bf) + rounded((load(y, off + i, bf) * inv) * y_scale[i], bf), bf);
        if (next) rms_row(x, off, d, next_scale, eps, next, off, bf);
    }
}

/* out[r, i] = gelu_tanh(gate[r, i]) * up[r, i] with gate_up[r] = [gate | up]: Gemma's MLP activation */
void rt_gelu_mul(const void *gate_up, int rows, int inter, void *out, int bf) {
    const float c = 0.7978845608028654f; /* sqrt(2 / pi) */
    for (int r = 0; r < rows; r++) {
        int64_t g0 = (int64_t)r * 2 * inter, o0 = (int64_t)r * inter;
        for (int i = 0; i < inter; i++) {
            float g = load(gate_up, g0 + i, bf), u = load(gate_up, g0 + inter + i, bf);
            float act = rounded(0.5f * g * (1.0f + tanhf(c * (g + 0.044715f * g * g * g))), bf);
            store(out, o0 + i, act * u, bf);
        }
    }
}

/* For each row's heads in qkv[r] = [q (heads x d) | k (kv_heads x d) | v]: q and k normed (q_scale, k_scale) and
 * rotated (x * cos + rotate_half(x) * sin, cos/sin: rows x d) into q_out (rows x heads x d), k_out (rows x kv_heads x d). */
int rt_qk_norm_rope(const void *qkv, int rows, int heads, int kv_heads, int d, const float *q_scale, const float *k_scale,
                     const void *cos, const void *sin, float eps, void *q_out, void *k_out, int bf) {
    int width = (heads + 2 * kv_heads) * d, half = d / 2;
    float *normed = scratch((size_t)d);
    if (!normed) return -1;
    for (int r = 0; r < rows; r++) {
        for (int h = 0; h < heads + kv_heads; h++) {
            int is_q = h < heads;
            int64_t in_off = (int64_t)r * width + (int64_t)h * d;
            int64_t out_off = is_q ? ((int64_t)r * heads + h) * d : ((int64_t)r * kv_heads + (h - heads)) * d;
            float inv = inv_rms(qkv, in_off, d, eps, bf);
            const float *scale = is_q ? q_scale : k_scale;
            for (int i = 0; i < d; i++) normed[i] = rounded((load(qkv, in_off + i, bf) * inv) * scale[i], bf);
            for (int i = 0; i < d; i++) {
                float rot = i < half ? -normed[i + half] : normed[i - half];
                float a = rounded(normed[i] * load(cos, (int64_t)r * d + i, bf), bf);
                float b = rounded(rot * load(sin, (int64_t)r * d + i, bf), bf);
                store(is_q ? q_out : k_out, out_off + i, a + b, bf);
            }
        }
    }
    return 0;
}
