// The native backend's convolutions (conv.h): im2col / col2im, the data movement, and convGemm /
// convGemmBackward, which run a batch through them, blocks of whole images dealt to our worker
// threads: one image at a time through single-threaded OpenBLAS, or, on small maps (fewer than 128
// output pixels), a group of images at a time through our own fixed-order kernel, fixedGemm (see the
// comment above convGemm).
//
// im2col and col2im walk one (image, channel) plane at a time — x's plane and that channel's
// kernelH·kernelW rows of cols — so workers can share the planes of a large call with no two writing
// the same memory, and the result does not depend on how many there are.
//
// For a kernel tap (i, j) the valid output columns ox (those reading inside the image) form one
// range [lo, hi), computed once per tap, so the inner loops have no bounds tests. Two paths:
// - stride 1 with the output as wide as the image (3×3 with padding 1, any 'same'): a tap's valid
//   rows are one contiguous copy (im2col) or add (col2im), then the few entries per row that
//   wrapped into the next row are fixed (`contiguousRows`);
// - otherwise row by row: a copy or add at stride 1, a strided gather otherwise, zero fills for
//   the padding.
// For 32 channels 3×3 on 28×28 (0.9 MB of columns per image), im2col and col2im each take about
// 1.5 times a memcpy of the columns: 23–26 µs per image on the Zen 5 this was written on, against
// 47 / 54 µs row by row with library calls (below) and 16 µs for the memcpy.
//
// The rows are short (28 floats for MNIST), and g++ -O3 turns a short copy or zero loop into a call
// to memcpy / memset (loop distribution), which then costs more than the copy: the pragma keeps
// them inline loops; long copies call std::memcpy explicitly.
#pragma GCC optimize("no-tree-loop-distribute-patterns")

#include "conv.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <atomic>
#include <initializer_list>
#include <vector>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "pool.h"

// OpenBLAS, declared here as in latentlab.cc (linked with -lopenblas); single-threaded since Init.
extern "C" void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a, int lda,
                            const float* b, int ldb, float beta, float* c, int ldc);

namespace latentlab {

namespace {

// Valid output columns of tap offset `off` (= j·dilationW − padLeft): 0 ≤ ox·stride + off < width.
inline void validRange(int64_t off, int64_t stride, int64_t width, int64_t outW, int64_t* lo, int64_t* hi) {
  const int64_t l = off >= 0 ? 0 : (-off + stride - 1) / stride;
  const int64_t h = width - 1 - off < 0 ? 0 : std::min(outW, (width - 1 - off) / stride + 1);
  *hi = h;
  *lo = std::min(l, h);
}

// Valid output rows of tap row i at stride 1: 0 ≤ oy − padTop + i·dilationH < height.
inline void validRows(const ConvGeom& g, int64_t i, int64_t* lo, int64_t* hi) {
  const int64_t shift = i * g.dilationH - g.padTop;
  *lo = std::min(g.outH, std::max<int64_t>(0, -shift));
  *hi = std::max(*lo, std::min(g.outH, g.height - shift));
}

// Stride 1 with outW = width (PyTorch's 'same', or any padding that keeps the width): output row oy
// of a tap reads input row oy + shift shifted by `off`, and consecutive output rows read consecutive
// input rows, so the valid rows of a tap are ONE contiguous copy of the image (shifted by off);
// only the |off| entries per row that wrapped into the neighbouring row are then set to 0: 288
// copies per image for 32 channels 3×3 on 28×28, instead of 8 064 rows of 28 floats.
inline bool contiguousRows(const ConvGeom& g) { return g.strideH == 1 && g.strideW == 1 && g.outW == g.width; }

void im2colPlaneContiguous(const float* __restrict xp, const ConvGeom& g, float* __restrict out, int64_t ld) {
  const int64_t P = g.outH * g.outW, W = g.outW;
  for (int64_t i = 0; i < g.kernelH; i++) {
    int64_t r0, r1;
    validRows(g, i, &r0, &r1);
    for (int64_t j = 0; j < g.kernelW; j++) {
      float* __restrict row = out + (i * g.kernelW + j) * ld;
      const int64_t off = j * g.dilationW - g.padLeft;
      int64_t lo, hi;
      validRange(off, 1, g.width, W, &lo, &hi);
      if (r0 == r1 || lo == hi) {
        std::fill(row, row + P, 0.0f);
        continue;
      }
      std::fill(row, row + r0 * W, 0.0f);
      std::fill(row + r1 * W, row + P, 0.0f);
      // dst[k] = x[base + k] for k in [lo, (r1 − r0 − 1)·W + hi), base = (r0 + shift)·W + off: inside the image
      float* __restrict dst = row + r0 * W;
      const int64_t base = (r0 + i * g.dilationH - g.padTop) * W + off;
      const int64_t last = (r1 - r0 - 1) * W + hi;
      std::memcpy(dst + lo, xp + (base + lo), static_cast<size_t>(last - lo) * sizeof(float));
      // column by column (strided): row by row, g++ turns each 1-element loop into a memset call
      for (int64_t ox = 0; ox < lo; ox++) {
        for (int64_t r = 0; r < r1 - r0; r++) dst[r * W + ox] = 0.0f;
      }
      for (int64_t ox = hi; ox < W; ox++) {
        for (int64_t r = 0; r < r1 - r0; r++) dst[r * W + ox] = 0.0f;
      }
    }
  }
}

// col2im's counterpart: each tap's valid rows are one contiguous add. The entries that wrap into a
// neighbouring row receive nothing from this tap (a tap shifts the image, so a wrapped-into pixel's
// own source would lie outside), so their values are saved before the add and put back after:
// bit for bit the row-by-row result. A tap shifted by `off` wraps |off| ≤ dilationW·(kernelW − 1)
// entries per row; past kMaxWrap the saving costs more than it saves, and the row loop runs.
constexpr int64_t kMaxWrap = 8;

void col2imPlaneContiguous(const float* __restrict in, const ConvGeom& g, float* __restrict xp, int64_t ld) {
  const int64_t W = g.outW;
  thread_local std::vector<float> saved;
  for (int64_t i = 0; i < g.kernelH; i++) {
    int64_t r0, r1;
    validRows(g, i, &r0, &r1);
    if (r0 == r1) continue;
    for (int64_t j = 0; j < g.kernelW; j++) {
      const int64_t off = j * g.dilationW - g.padLeft;
      int64_t lo, hi;
      validRange(off, 1, g.width, W, &lo, &hi);
      if (lo == hi) continue;
      const int64_t rows = r1 - r0, wrap = W - (hi - lo);
      const float* __restrict src = in + (i * g.kernelW + j) * ld + r0 * W;
      const int64_t base = (r0 + i * g.dilationH - g.padTop) * W + off;  // src[k] goes to x[base + k]
      const int64_t last = (rows - 1) * W + hi;
      // positions k in [lo, last) with k mod W outside [lo, hi): the ends of rows 0 … rows − 2 and the
      // starts of rows 1 … rows − 1
      if (static_cast<int64_t>(saved.size()) < rows * wrap) saved.resize(static_cast<size_t>(rows * wrap));
      float* __restrict keep = saved.data();
      // column by column (strided), as in im2colPlaneContiguous
      int64_t t = 0;
      for (int64_t ox = hi; ox < W; ox++) {
        for (int64_t r = 0; r + 1 < rows; r++) keep[t++] = xp[base + r * W + ox];
      }
      for (int64_t ox = 0; ox < lo; ox++) {
        for (int64_t r = 1; r < rows; r++) keep[t++] = xp[base + r * W + ox];
      }
      float* __restrict dst = xp + (base + lo);
      const float* __restrict from = src + lo;
      for (int64_t k = 0; k < last - lo; k++) dst[k] += from[k];
      t = 0;
      for (int64_t ox = hi; ox < W; ox++) {
        for (int64_t r = 0; r + 1 < rows; r++) xp[base + r * W + ox] = keep[t++];
      }
      for (int64_t ox = 0; ox < lo; ox++) {
        for (int64_t r = 1; r < rows; r++) xp[base + r * W + ox] = keep[t++];
      }
    }
  }
}

// The kernelH·kernelW rows of cols for one channel plane `xp`, ld apart (P for one image's column
// matrix, more inside a block's: convGemm).
void im2colPlane(const float* __restrict xp, const ConvGeom& g, float* __restrict out, int64_t ld) {
  if (contiguousRows(g)) {
    im2colPlaneContiguous(xp, g, out, ld);
    return;
  }
  for (int64_t i = 0; i < g.kernelH; i++) {
    for (int64_t j = 0; j < g.kernelW; j++) {
      float* __restrict row = out + (i * g.kernelW + j) * ld;
      const int64_t off = j * g.dilationW - g.padLeft;
      int64_t lo, hi;
      validRange(off, g.strideW, g.width, g.outW, &lo, &hi);
      for (int64_t oy = 0; oy < g.outH; oy++) {
        float* __restrict r = row + oy * g.outW;
        const int64_t iy = oy * g.strideH - g.padTop + i * g.dilationH;
        if (iy < 0 || iy >= g.height || lo == hi) {
          std::fill(r, r + g.outW, 0.0f);
          continue;
        }
        const float* __restrict src = xp + iy * g.width;
        for (int64_t ox = 0; ox < lo; ox++) r[ox] = 0.0f;
        if (g.strideW == 1) {
          for (int64_t ox = lo; ox < hi; ox++) r[ox] = src[ox + off];
        } else {
          for (int64_t ox = lo; ox < hi; ox++) r[ox] = src[ox * g.strideW + off];
        }
        for (int64_t ox = hi; ox < g.outW; ox++) r[ox] = 0.0f;
      }
    }
  }
}

// One channel plane `xp` of col2im from that channel's kernelH·kernelW rows of cols, ld apart.
void col2imPlane(const float* __restrict in, const ConvGeom& g, float* __restrict xp, bool accumulate, int64_t ld) {
  if (!accumulate) std::fill(xp, xp + g.height * g.width, 0.0f);
  if (contiguousRows(g) && g.dilationW * (g.kernelW - 1) <= kMaxWrap) {
    col2imPlaneContiguous(in, g, xp, ld);
    return;
  }
  for (int64_t i = 0; i < g.kernelH; i++) {
    for (int64_t j = 0; j < g.kernelW; j++) {
      const float* __restrict row = in + (i * g.kernelW + j) * ld;
      const int64_t off = j * g.dilationW - g.padLeft;
      int64_t lo, hi;
      validRange(off, g.strideW, g.width, g.outW, &lo, &hi);
      if (lo == hi) continue;
      for (int64_t oy = 0; oy < g.outH; oy++) {
        const int64_t iy = oy * g.strideH - g.padTop + i * g.dilationH;
        if (iy < 0 || iy >= g.height) continue;
        const float* __restrict r = row + oy * g.outW;
        float* __restrict dst = xp + iy * g.width;
        if (g.strideW == 1) {
          for (int64_t ox = lo; ox < hi; ox++) dst[ox + off] += r[ox];
        } else {
          for (int64_t ox = lo; ox < hi; ox++) dst[ox * g.strideW + off] += r[ox];
        }
      }
    }
  }
}

// Runs f(plane) over the images·channels planes, on up to `threads` workers when the call moves more
// than L2 can hold (2²¹ floats, 8 MB: a batch, not one image). One image's columns are read next by
// a GEMM: split by plane (rows) here and by column there, each core would read half its operand
// from the other core's cache — threading one image's im2col made a 2-thread training step slower
// (im2col 15 → 28 ms for 512 images of 32 channels 3×3).
template <typename F>
void forPlanes(int64_t planes, int64_t workPerPlane, int threads, F f) {
  const int parts = static_cast<int>(std::min<int64_t>(planes * workPerPlane >= (int64_t{1} << 21) ? threads : 1, planes));
  if (parts <= 1) {
    for (int64_t p = 0; p < planes; p++) f(p);
    return;
  }
  parallelFor(parts, [&](int t) {
    for (int64_t p = planes * t / parts; p < planes * (t + 1) / parts; p++) f(p);
  });
}

// ---- convGemm / convGemmBackward: whole images dealt to the worker threads ----
//
// Called per image from JS, with the GEMM split in two column halves, a 2-thread training step was
// no faster than 1 thread (200 vs 180 ms for the 32→64 3×3 stack on 256 MNIST images) and 4 times
// slower whenever another process held the second core: each core read half of every column matrix
// from the other core's cache, and each of ~1 500 per-image barriers waited for a worker that had
// been descheduled. Here a thread takes a block of images at a time and does all of each image —
// im2col into its own L2, single-threaded OpenBLAS, col2im — with one barrier per call.
//
// Small maps: one product per group of images. With P = outH·outW columns per image, the late layers
// of a stride-2 stack have P = 16 (4×4) or 4 (2×2): one image's GEMM (256 × 4 × 1152) packs all of W
// to multiply it by 4 columns, 25 GFLOP/s, and the weight gradient's (inner size P) rewrites the whole
// m × K partial for every image. So below kSmallMap pixels a block's images are taken `group` at a time
// (group·P ≥ kGroupCols columns), their column matrices side by side in one K × group·P matrix
// (column lb·P + p: image lb, pixel p; im2col and col2im take that row stride, ld), and each product
// is one fixedGemm over the group: out_b and d_b (m × P each, image-major) are copied out of / into an
// m × group·P matrix (d transposed for the weight gradient), little beside the K or m multiply-adds
// per entry. For 256 images on one thread (Zen 5, OpenBLAS's Haswell kernels as OPENBLAS_CORETYPE sets
// on this machine; thread CPU time, the least of 4 runs on a shared machine), forward / input gradient
// / weight gradient went from 23 / 24 / 28 ms to 4.0 / 4.3 / 5.0 for 128 → 256 channels 4×4 → 2×2,
// 11 / 11 / 14 to 4.2 / 4.5 / 4.8 for 64 → 128 7×7 → 4×4, and 8.6 / 11.5 / 9.2 to 4.7 / 5.2 / 5.0
// for 32 → 64 14×14 → 7×7; a conv DESOM training step (conv-desom-step bench, 2 threads) from ~470 to
// ~220 ms.

constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;

// C (m×n) = alpha·op(A)·op(B) + beta·C, row-major, single-threaded; beta = 0 ignores C.
void sgemm1(bool tA, bool tB, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float beta, float* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // OpenBLAS rejects lda = 0
    for (int64_t i = 0; i < m * n; i++) c[i] = beta == 0.0f ? 0.0f : beta * c[i];
    return;
  }
  cblas_sgemm(kRowMajor, tA ? kTrans : kNoTrans, tB ? kTrans : kNoTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), 1.0f, a, static_cast<int>(tA ? m : k), b, static_cast<int>(tB ? k : n), beta, c,
              static_cast<int>(n));
}

// ---- fixedGemm: the small maps' products ----
//
// OpenBLAS does not compute every column of a product alike: with its Haswell kernels (this machine,
// and OpenBLAS's choice on AVX2 cores) a column's bits depend on its position and on how many columns
// there are (the first and last 8 of a 256-column product differ from the rest). One image per GEMM,
// every image sat in the same place of a same-shaped product, so its output did not depend on the
// rest of the batch (Autoencoder.encode in chunks of 3 or of 1 024 gives the same bits); side by side
// in a group it would. So the groups go through this kernel instead: C[r, j] = Σ_k A(r, k)·B[k, j],
// every element one FMA chain k = 0, 1, …, inner − 1, whatever its tile, its lane or the product's
// shape (and the same bits from the AVX-512, AVX2 and scalar versions). Register tiles of kMR rows ×
// kNV vectors, the inner dimension in blocks of kKC (C holds the running sums between blocks: exact,
// so the chain is unbroken): a kKC × kNR panel of B (24 KB with AVX-512) stays in L1 while kMR-row
// strips of A go past, the A block (rows × kKC, 128 KB at 256 rows) in L2. With AVX-512 it runs the
// conv DESOM's small-map products at 100–145 GFLOP/s on one Zen 5 core, where OpenBLAS reaches ~95
// with its Haswell kernels and ~165 with its AVX-512 ones on wide products (8×3 tiles and kKC = 128
// were among the best of 8×3, 6×4, 12×2, 4×4 and 64, 128, 256, within the noise of a shared machine).
#if defined(__AVX512F__)
constexpr int kLanes = 16, kMR = 8, kNV = 3;  // 24 of the 32 zmm registers accumulate
using Vec = __m512;
using Mask = __mmask16;
inline Mask lanes(int64_t n) { return n >= 16 ? static_cast<Mask>(0xFFFF) : static_cast<Mask>((1u << n) - 1); }
inline Vec vload(const float* p) { return _mm512_loadu_ps(p); }
inline Vec vloadTail(const float* p, Mask m) { return _mm512_maskz_loadu_ps(m, p); }
inline void vstore(float* p, Vec v) { _mm512_storeu_ps(p, v); }
inline void vstoreTail(float* p, Vec v, Mask m) { _mm512_mask_storeu_ps(p, m, v); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec vset(float x) { return _mm512_set1_ps(x); }
inline Vec vzero() { return _mm512_setzero_ps(); }
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int kLanes = 8, kMR = 4, kNV = 3;  // 12 of the 16 ymm registers accumulate
using Vec = __m256;
using Mask = __m256i;
inline Mask lanes(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::min<int64_t>(n, 8))), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline Vec vload(const float* p) { return _mm256_loadu_ps(p); }
inline Vec vloadTail(const float* p, Mask m) { return _mm256_maskload_ps(p, m); }
inline void vstore(float* p, Vec v) { _mm256_storeu_ps(p, v); }
inline void vstoreTail(float* p, Vec v, Mask m) { _mm256_maskstore_ps(p, m, v); }
inline Vec vfma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec vset(float x) { return _mm256_set1_ps(x); }
inline Vec vzero() { return _mm256_setzero_ps(); }
#else
#define LATENTLAB_SCALAR_FIXED_GEMM 1
#endif

constexpr int64_t kKC = 128;

#ifndef LATENTLAB_SCALAR_FIXED_GEMM
constexpr int64_t kNR = int64_t{kLanes} * kNV;

// One kMR × (NV vectors) tile of C over kc values of k, the last vector `tail`-masked when Tail; rows
// past `rows` repeat the last row of A and are not stored. first: C starts at 0 instead of its value.
template <int NV, bool Tail>
void fixedTile(int64_t rows, int64_t kc, const float* a, int64_t ar, int64_t ak, const float* b, int64_t ldb, float* c,
               int64_t ldc, bool first, Mask tail) {
  Vec acc[kMR][NV];
  const float* ap[kMR];
  for (int r = 0; r < kMR; r++) {
    ap[r] = a + std::min<int64_t>(r, rows - 1) * ar;
    for (int v = 0; v < NV; v++) {
      const float* cp = c + std::min<int64_t>(r, rows - 1) * ldc + v * kLanes;
      acc[r][v] = first ? vzero() : Tail && v == NV - 1 ? vloadTail(cp, tail) : vload(cp);
    }
  }
  for (int64_t k = 0; k < kc; k++) {
    Vec bv[NV];
    for (int v = 0; v < NV; v++) bv[v] = Tail && v == NV - 1 ? vloadTail(b + k * ldb + v * kLanes, tail) : vload(b + k * ldb + v * kLanes);
    for (int r = 0; r < kMR; r++) {
      const Vec av = vset(ap[r][k * ak]);
      for (int v = 0; v < NV; v++) acc[r][v] = vfma(av, bv[v], acc[r][v]);
    }
  }
  for (int r = 0; r < std::min<int64_t>(kMR, rows); r++) {
    for (int v = 0; v < NV; v++) {
      float* cp = c + r * ldc + v * kLanes;
      if (Tail && v == NV - 1) {
        vstoreTail(cp, acc[r][v], tail);
      } else {
        vstore(cp, acc[r][v]);
      }
    }
  }
}

template <int NV, bool Tail>
void fixedPanel(int64_t rows, int64_t kc, const float* a, int64_t ar, int64_t ak, const float* b, int64_t ldb, float* c,
                int64_t ldc, bool first, Mask tail) {
  for (int64_t r0 = 0; r0 < rows; r0 += kMR) {
    fixedTile<NV, Tail>(std::min<int64_t>(kMR, rows - r0), kc, a + r0 * ar, ar, ak, b, ldb, c + r0 * ldc, ldc, first, tail);
  }
}
#endif

// C (rows × cols, row stride ldc) = (accumulate ? C : 0) + A · B (B: inner × cols, row stride ldb),
// A(r, k) = a[r·ar + k·ak]: a row-major matrix (ar = its row length, ak = 1) or the transpose of one
// (ar = 1, ak = its row length). accumulate continues C's chains (a block's weight gradient, group by group).
void fixedGemm(int64_t rows, int64_t cols, int64_t inner, const float* a, int64_t ar, int64_t ak, const float* b, int64_t ldb,
               float* c, int64_t ldc, bool accumulate) {
  if (rows == 0 || cols == 0) return;
  if (inner == 0) {
    if (!accumulate) {
      for (int64_t r = 0; r < rows; r++) std::fill(c + r * ldc, c + r * ldc + cols, 0.0f);
    }
    return;
  }
#ifdef LATENTLAB_SCALAR_FIXED_GEMM
  for (int64_t r = 0; r < rows; r++) {
    for (int64_t j = 0; j < cols; j++) {
      float s = accumulate ? c[r * ldc + j] : 0.0f;
      for (int64_t k = 0; k < inner; k++) s = std::fma(a[r * ar + k * ak], b[k * ldb + j], s);
      c[r * ldc + j] = s;
    }
  }
#else
  for (int64_t k0 = 0; k0 < inner; k0 += kKC) {
    const int64_t kc = std::min(kKC, inner - k0);
    const float* ak0 = a + k0 * ak;
    const float* bk0 = b + k0 * ldb;
    for (int64_t j0 = 0; j0 < cols; j0 += kNR) {
      const int64_t jn = std::min(kNR, cols - j0), nv = (jn + kLanes - 1) / kLanes;
      const bool tail = jn % kLanes != 0;
      const Mask m = lanes(jn - (nv - 1) * kLanes);
      const float* bp = bk0 + j0;
      float* cp = c + j0;
      const bool first = k0 == 0 && !accumulate;
      switch (nv * 2 + (tail ? 1 : 0)) {
        case 2: fixedPanel<1, false>(rows, kc, ak0, ar, ak, bp, ldb, cp, ldc, first, m); break;
        case 3: fixedPanel<1, true>(rows, kc, ak0, ar, ak, bp, ldb, cp, ldc, first, m); break;
        case 4: fixedPanel<2, false>(rows, kc, ak0, ar, ak, bp, ldb, cp, ldc, first, m); break;
        case 5: fixedPanel<2, true>(rows, kc, ak0, ar, ak, bp, ldb, cp, ldc, first, m); break;
        case 6: fixedPanel<3, false>(rows, kc, ak0, ar, ak, bp, ldb, cp, ldc, first, m); break;
        default: fixedPanel<3, true>(rows, kc, ak0, ar, ak, bp, ldb, cp, ldc, first, m); break;
      }
    }
  }
#endif
}

// im2col is the identity (1×1 kernel, stride 1, no padding, same size): the GEMM reads the image.
bool identityIm2col(const ConvGeom& g) {
  return g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0 && g.padLeft == 0 &&
         g.outH == g.height && g.outW == g.width;
}

// Maps of fewer than kSmallMap pixels go by groups (fixedGemm, and im2col by table: Columns),
// kGroupCols columns or more a product. OpenBLAS's single-threaded sgemm reaches ~95 % of its
// large-size rate from ~128 columns on (m × n × K = 256 × n × 1152, 128 × n × 576), against 30 % at
// n = 4 and 75 % at n = 16; at P = 196 and K = 9 (the first layer of a stride-2 stack on MNIST) the
// copies cost more than the wider product saves (forward 0.6 → 0.8 ms for 256 images), so a map that
// wide keeps one image per GEMM.
constexpr int64_t kSmallMap = 128, kGroupCols = 256;

// How a call's images are cut up: `group` images per product (1 on larger maps), `per` (a multiple of
// group) per block of work and of weight-gradient partial sum, `blocks` blocks. Blocks: up to 8
// images, fewer for small batches so that there are about 32 blocks to share — or whole groups when a
// group is larger. A function of the batch size and the geometry only: the backward's sums over blocks
// do not depend on the threads.
struct Blocking {
  int64_t group, per, blocks;
};

bool smallMap(const ConvGeom& g) { return g.outH * g.outW < kSmallMap; }

Blocking blocking(int64_t images, const ConvGeom& g) {
  const int64_t P = g.outH * g.outW;
  int64_t group = P == 0 || !smallMap(g) ? 1 : std::max<int64_t>(1, std::min(images, (kGroupCols + P - 1) / P));
  const int64_t groups = (images + group - 1) / group;
  if (groups > 0) group = (images + groups - 1) / groups;  // the same number of groups, evened out
  const int64_t blockImages = std::max<int64_t>(1, std::min<int64_t>(8, (images + 31) / 32));
  const int64_t per = group * ((blockImages + group - 1) / group);
  return {group, per, (images + per - 1) / per};
}

// f(block) for every block, the blocks taken by up to `threads` workers as each finishes its last.
template <typename F>
void forBlocks(int64_t blocks, int threads, int64_t work, F f) {
  const int parts = static_cast<int>(std::min<int64_t>(work >= (int64_t{1} << 18) ? threads : 1, blocks));
  if (parts <= 1) {
    for (int64_t b = 0; b < blocks; b++) f(b);
    return;
  }
  std::atomic<int64_t> next{0};
  parallelFor(parts, [&](int) {
    for (int64_t b = next.fetch_add(1); b < blocks; b = next.fetch_add(1)) f(b);
  });
}

// This thread's scratch buffer `slot` (0: columns, K × group·P; 1: a group's m × group·P product or
// gradient; 2: the gradient transposed, group·P × m), kept between calls.
float* threadBuffer(int slot, int64_t size) {
  thread_local std::vector<float> bufs[3];
  std::vector<float>& buf = bufs[slot];
  if (static_cast<int64_t>(buf.size()) < size) buf.resize(static_cast<size_t>(size));
  return buf.data();
}

// One image's im2col / col2im, its kernel-tap rows ld apart in cols. Small maps go by a table of
// where each of a channel's kernelH·kernelW·P column entries is read from (its index in the plane, −1
// in the padding; the same for every channel): for a 2×2 output the row loops above spend more on
// ranges and bounds than on the 4 floats a tap moves (with them, im2col and col2im took 40 % of the
// 128 → 256 channel 4×4 → 2×2 layer's time; with the table, they and the groups' copies take ~20 %).
// A table spanning a group's rows (ld entries, reaching into every image of the group) was slower.
// col2im adds a pixel's taps in the same order either way.
class Columns {
 public:
  explicit Columns(const ConvGeom& g) : g_(g), P_(g.outH * g.outW), taps_(g.kernelH * g.kernelW), plane_(g.height * g.width) {
    if (!smallMap(g) || plane_ > INT32_MAX) return;
    thread_local std::vector<int32_t> table;  // the calling thread's: workers only read it
    table.resize(static_cast<size_t>(taps_ * P_));
    int32_t* t = table.data();
    for (int64_t i = 0; i < g.kernelH; i++) {
      for (int64_t j = 0; j < g.kernelW; j++) {
        for (int64_t oy = 0; oy < g.outH; oy++) {
          const int64_t iy = oy * g.strideH - g.padTop + i * g.dilationH;
          for (int64_t ox = 0; ox < g.outW; ox++) {
            const int64_t ix = ox * g.strideW - g.padLeft + j * g.dilationW;
            *t++ = iy >= 0 && iy < g.height && ix >= 0 && ix < g.width ? static_cast<int32_t>(iy * g.width + ix) : -1;
          }
        }
      }
    }
    table_ = table.data();
  }

  void im2col(const float* __restrict x, float* __restrict cols, int64_t ld) const {
    if (table_ == nullptr) {
      for (int64_t c = 0; c < g_.channels; c++) im2colPlane(x + c * plane_, g_, cols + c * taps_ * ld, ld);
      return;
    }
    for (int64_t c = 0; c < g_.channels; c++) {
      const float* __restrict xp = x + c * plane_;
      for (int64_t t = 0; t < taps_; t++) {
        const int32_t* __restrict src = table_ + t * P_;
        float* __restrict row = cols + (c * taps_ + t) * ld;
        for (int64_t p = 0; p < P_; p++) row[p] = src[p] >= 0 ? xp[src[p]] : 0.0f;
      }
    }
  }

  void col2im(const float* __restrict cols, float* __restrict x, bool accumulate, int64_t ld) const {
    if (table_ == nullptr) {
      for (int64_t c = 0; c < g_.channels; c++) col2imPlane(cols + c * taps_ * ld, g_, x + c * plane_, accumulate, ld);
      return;
    }
    if (!accumulate) std::fill(x, x + g_.channels * plane_, 0.0f);
    for (int64_t c = 0; c < g_.channels; c++) {
      float* __restrict xp = x + c * plane_;
      for (int64_t t = 0; t < taps_; t++) {
        const int32_t* __restrict src = table_ + t * P_;
        const float* __restrict row = cols + (c * taps_ + t) * ld;
        for (int64_t p = 0; p < P_; p++) {
          if (src[p] >= 0) xp[src[p]] += row[p];
        }
      }
    }
  }

 private:
  const ConvGeom& g_;
  const int64_t P_, taps_, plane_;
  const int32_t* table_ = nullptr;
};

// Σ x[0…n) in double, four lanes.
double sumD(const float* __restrict x, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += x[i];
    s1 += x[i + 1];
    s2 += x[i + 2];
    s3 += x[i + 3];
  }
  for (; i < n; i++) s0 += x[i];
  return (s0 + s1) + (s2 + s3);
}

}  // namespace

void convGemm(const float* a, int64_t images, const ConvGeom& g, const float* w, int64_t m, float* out, bool accumulate,
              int threads) {
  const int64_t K = g.channels * g.kernelH * g.kernelW, P = g.outH * g.outW, image = g.channels * g.height * g.width;
  const bool direct = identityIm2col(g), small = smallMap(g);
  const Blocking bl = blocking(images, g);
  const Columns columns(g);
  forBlocks(bl.blocks, threads, images * m * K * P, [&](int64_t blk) {
    const int64_t end = std::min(images, (blk + 1) * bl.per);
    for (int64_t b0 = blk * bl.per; b0 < end; b0 += bl.group) {
      float* outG = out + b0 * m * P;
      if (!small) {  // one image
        const float* ab = a + b0 * image;
        float* cols = direct ? nullptr : threadBuffer(0, K * P);
        if (!direct) columns.im2col(ab, cols, P);
        sgemm1(false, false, m, P, K, w, direct ? ab : cols, accumulate ? 1.0f : 0.0f, outG);
        continue;
      }
      const int64_t n = std::min(bl.group, end - b0), ld = n * P;
      float* cols = threadBuffer(0, K * ld);
      for (int64_t lb = 0; lb < n; lb++) columns.im2col(a + (b0 + lb) * image, cols + lb * P, ld);
      float* prod = threadBuffer(1, m * ld);
      fixedGemm(m, ld, K, w, K, 1, cols, ld, prod, ld, false);
      // out[b0 + lb, o, :] (+)= prod[o, lb·P …]
      for (int64_t lb = 0; lb < n; lb++) {
        for (int64_t o = 0; o < m; o++) {
          float* __restrict dst = outG + (lb * m + o) * P;
          const float* __restrict src = prod + o * ld + lb * P;
          if (accumulate) {
            for (int64_t p = 0; p < P; p++) dst[p] += src[p];
          } else {
            for (int64_t p = 0; p < P; p++) dst[p] = src[p];
          }
        }
      }
    }
  });
}

void convGemmBackward(const float* a, const float* d, int64_t images, const ConvGeom& g, const float* w, int64_t m,
                      float* dw, bool accumulateW, float* db, bool accumulateB, float* da, bool accumulateA, int threads) {
  const int64_t K = g.channels * g.kernelH * g.kernelW, P = g.outH * g.outW, image = g.channels * g.height * g.width;
  const bool small = smallMap(g), direct = identityIm2col(g) && !small;
  const Blocking bl = blocking(images, g);
  const Columns columns(g);
  const int64_t blocks = bl.blocks;
  // dw: one partial sum per block of images (float32, as the GEMM accumulates), added up in block order
  // in double below; db: one float32 row sum per image and channel, likewise.
  thread_local std::vector<float> partial;
  thread_local std::vector<double> sums;
  if (dw != nullptr && static_cast<int64_t>(partial.size()) < blocks * m * K) partial.resize(static_cast<size_t>(blocks * m * K));
  if (db != nullptr && static_cast<int64_t>(sums.size()) < images * m) sums.resize(static_cast<size_t>(images * m));
  float* const part = partial.data();
  double* const rowSums = sums.data();
  forBlocks(blocks, threads, images * m * K * P, [&](int64_t blk) {
    float* pw = dw != nullptr ? part + blk * m * K : nullptr;
    const int64_t end = std::min(images, (blk + 1) * bl.per);
    for (int64_t b0 = blk * bl.per; b0 < end; b0 += bl.group) {
      const int64_t n = std::min(bl.group, end - b0), ld = n * P;
      const bool firstInBlock = b0 == blk * bl.per;
      const float* dG = d + b0 * m * P;  // d_b0 … d_b0+n−1, image after image
      if (db != nullptr) {
        for (int64_t b = b0; b < b0 + n; b++) {
          for (int64_t o = 0; o < m; o++) rowSums[b * m + o] = sumD(d + (b * m + o) * P, P);
        }
      }
      if (!small) {  // one image, OpenBLAS
        float* cols = direct ? nullptr : threadBuffer(0, K * P);
        if (pw != nullptr) {
          if (!direct) columns.im2col(a + b0 * image, cols, P);
          sgemm1(false, true, m, K, P, dG, direct ? a + b0 * image : cols, firstInBlock ? 0.0f : 1.0f, pw);
        }
        if (da != nullptr) {
          if (direct) {
            sgemm1(true, false, K, P, m, w, dG, accumulateA ? 1.0f : 0.0f, da + b0 * image);
          } else {
            sgemm1(true, false, K, P, m, w, dG, 0.0f, cols);
            columns.col2im(cols, da + b0 * image, accumulateA, P);
          }
        }
        continue;
      }
      float* cols = threadBuffer(0, K * ld);
      if (pw != nullptr) {
        // pwᵀ (K × m) (+)= cols (K × ld) · dᵀ (ld × m), dᵀ[lb·P + p, o] = d_b0+lb[o, p]
        float* dT = threadBuffer(2, ld * m);
        for (int64_t lb = 0; lb < n; lb++) {
          for (int64_t o = 0; o < m; o++) {
            const float* __restrict src = dG + (lb * m + o) * P;
            for (int64_t p = 0; p < P; p++) dT[(lb * P + p) * m + o] = src[p];
          }
        }
        for (int64_t lb = 0; lb < n; lb++) columns.im2col(a + (b0 + lb) * image, cols + lb * P, ld);
        fixedGemm(K, m, ld, cols, ld, 1, dT, m, pw, m, !firstInBlock);
      }
      if (da != nullptr) {
        // cols (K × ld) = wᵀ · D (m × ld), D[o, lb·P + p] = d_b0+lb[o, p]
        const float* D = dG;
        if (n > 1) {
          float* gathered = threadBuffer(1, m * ld);
          for (int64_t lb = 0; lb < n; lb++) {
            for (int64_t o = 0; o < m; o++) std::memcpy(gathered + o * ld + lb * P, dG + (lb * m + o) * P, static_cast<size_t>(P) * sizeof(float));
          }
          D = gathered;
        }
        fixedGemm(K, ld, m, w, 1, K, D, ld, cols, ld, false);
        for (int64_t lb = 0; lb < n; lb++) columns.col2im(cols + lb * P, da + (b0 + lb) * image, accumulateA, ld);
      }
    }
  });
  if (dw != nullptr) {
    // the partials are m × K (OpenBLAS) or, on small maps, K × m (fixedGemm), read in their order: the
    // transposed walk over dw touches m lines per row of K, which stay in L1
    const int64_t rows = small ? K : m, cols = small ? m : K, rs = small ? 1 : K, cs = small ? K : 1;  // dw[r·rs + c·cs]
    // rows shared by the threads when the partials outgrow L2: each sum is in block order whatever the split
    const int parts = static_cast<int>(std::min<int64_t>(blocks * m * K >= (int64_t{1} << 18) ? threads : 1, rows));
    auto addRows = [&](int64_t r0, int64_t r1) {
      thread_local std::vector<double> rowSum;
      rowSum.resize(static_cast<size_t>(cols));
      double* __restrict t = rowSum.data();
      for (int64_t r = r0; r < r1; r++) {
        for (int64_t c = 0; c < cols; c++) t[c] = accumulateW ? dw[r * rs + c * cs] : 0.0;
        for (int64_t blk = 0; blk < blocks; blk++) {
          const float* __restrict pr = part + blk * m * K + r * cols;
          for (int64_t c = 0; c < cols; c++) t[c] += pr[c];
        }
        for (int64_t c = 0; c < cols; c++) dw[r * rs + c * cs] = static_cast<float>(t[c]);
      }
    };
    if (parts <= 1) {
      addRows(0, rows);
    } else {
      parallelFor(parts, [&](int t) { addRows(rows * t / parts, rows * (t + 1) / parts); });
    }
  }
  if (db != nullptr) {
    for (int64_t o = 0; o < m; o++) {
      double s = accumulateB ? db[o] : 0.0;
      for (int64_t b = 0; b < images; b++) s += rowSums[b * m + o];
      db[o] = static_cast<float>(s);
    }
  }
}

namespace {

// ---- N-API glue (raw C calls, as native/latentlab.cc's, for the same per-call cost) ----

bool fail(napi_env env, const char* fn, const char* what) {
  char msg[320];
  std::snprintf(msg, sizeof msg, "latentlab_native.%s: %s", fn, what);
  napi_throw_error(env, nullptr, msg);
  return false;
}

bool f32(napi_env env, const char* fn, napi_value v, const char* name, int64_t need, float** out) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  char msg[192];
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_float32_array) {
    std::snprintf(msg, sizeof msg, "expected %s to be a Float32Array", name);
    return fail(env, fn, msg);
  }
  if (static_cast<int64_t>(length) < need) {
    std::snprintf(msg, sizeof msg, "%s has %zu elements, expected at least %lld", name, length, static_cast<long long>(need));
    return fail(env, fn, msg);
  }
  *out = static_cast<float*>(data);
  return true;
}

bool integer(napi_env env, const char* fn, napi_value v, const char* name, int64_t min, int64_t max, int64_t* out) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= static_cast<double>(min) && d <= static_cast<double>(max) && d == std::floor(d))) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "expected %s to be an integer in [%lld, %lld]", name, static_cast<long long>(min), static_cast<long long>(max));
    return fail(env, fn, msg);
  }
  *out = static_cast<int64_t>(d);
  return true;
}

// Elements needed for a product of sizes; saturates so that the length check fails instead of overflowing.
int64_t product(std::initializer_list<int64_t> xs) {
  int64_t r = 1;
  for (int64_t x : xs) {
    if (__builtin_mul_overflow(r, x, &r)) return INT64_MAX;
  }
  return r;
}

bool readGeom(napi_env env, const char* fn, napi_value v, ConvGeom* g) {
  static const char* const names[13] = {"channels", "height",  "width",   "kernelH",   "kernelW",   "strideH", "strideW",
                                        "padTop",   "padLeft", "dilationH", "dilationW", "outH",      "outW"};
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_int32_array || length < 13) {
    return fail(env, fn, "expected the geometry to be an Int32Array of 13 values");
  }
  const int32_t* a = static_cast<const int32_t*>(data);
  int64_t* fields[13] = {&g->channels, &g->height,  &g->width,     &g->kernelH,   &g->kernelW, &g->strideH, &g->strideW,
                         &g->padTop,   &g->padLeft, &g->dilationH, &g->dilationW, &g->outH,    &g->outW};
  for (int f = 0; f < 13; f++) {
    const int32_t min = (f >= 3 && f <= 6) || f == 9 || f == 10 ? 1 : 0;  // kernel, stride, dilation ≥ 1
    if (a[f] < min) {
      char msg[128];
      std::snprintf(msg, sizeof msg, "expected geometry.%s ≥ %d, got %d", names[f], min, a[f]);
      return fail(env, fn, msg);
    }
    *fields[f] = a[f];
  }
  return true;
}

// Reads (data, images, geometry, cols, …): the image and column operands, validated against the geometry.
struct ConvArgs {
  float* images = nullptr;
  float* cols = nullptr;
  int64_t n = 0;
  ConvGeom g{};

  bool read(napi_env env, const char* fn, napi_value* argv, int imagesArg, int colsArg) {
    if (!integer(env, fn, argv[1], "images", 0, int64_t{1} << 40, &n) || !readGeom(env, fn, argv[2], &g)) return false;
    const int64_t imageLen = product({n, g.channels, g.height, g.width});
    const int64_t colsLen = product({n, g.channels, g.kernelH, g.kernelW, g.outH, g.outW});
    return f32(env, fn, argv[imagesArg], "x", imageLen, &images) && f32(env, fn, argv[colsArg], "cols", colsLen, &cols);
  }
};

// im2col(x, images, geometry, cols, threads)
napi_value Im2col(napi_env env, napi_callback_info info) {
  const char* fn = "im2col";
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 5) {
    fail(env, fn, "expected 5 arguments (x, images, geometry, cols, threads)");
    return nullptr;
  }
  ConvArgs a;
  int64_t threads = 1;
  if (!a.read(env, fn, argv, 0, 3) || !integer(env, fn, argv[4], "threads", 1, 1024, &threads)) return nullptr;
  im2col(a.images, a.n, a.g, a.cols, static_cast<int>(threads));
  return nullptr;
}

// col2im(cols, images, geometry, x, accumulate, threads)
napi_value Col2im(napi_env env, napi_callback_info info) {
  const char* fn = "col2im";
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 6) {
    fail(env, fn, "expected 6 arguments (cols, images, geometry, x, accumulate, threads)");
    return nullptr;
  }
  ConvArgs a;
  int64_t threads = 1;
  bool accumulate = false;
  if (!a.read(env, fn, argv, 3, 0) || !integer(env, fn, argv[5], "threads", 1, 1024, &threads)) return nullptr;
  if (napi_get_value_bool(env, argv[4], &accumulate) != napi_ok) {
    fail(env, fn, "expected accumulate to be a boolean");
    return nullptr;
  }
  col2im(a.cols, a.n, a.g, a.images, accumulate, static_cast<int>(threads));
  return nullptr;
}

bool isNull(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_null || t == napi_undefined);
}

bool flag(napi_env env, const char* fn, napi_value v, const char* name, bool* out) {
  if (napi_get_value_bool(env, v, out) == napi_ok) return true;
  char msg[96];
  std::snprintf(msg, sizeof msg, "expected %s to be a boolean", name);
  return fail(env, fn, msg);
}

// A Float32Array of at least `need` elements, or nullptr when null is allowed and given.
bool f32OrNull(napi_env env, const char* fn, napi_value v, const char* name, int64_t need, float** out) {
  if (isNull(env, v)) {
    *out = nullptr;
    return true;
  }
  return f32(env, fn, v, name, need, out);
}

// convGemm(a, images, geometry, w, m, out, accumulate, threads)
napi_value ConvGemm(napi_env env, napi_callback_info info) {
  const char* fn = "convGemm";
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 8) {
    fail(env, fn, "expected 8 arguments (a, images, geometry, w, m, out, accumulate, threads)");
    return nullptr;
  }
  int64_t n = 0, m = 0, threads = 1;
  ConvGeom g{};
  float *a = nullptr, *w = nullptr, *out = nullptr;
  bool accumulate = false;
  if (!integer(env, fn, argv[1], "images", 0, int64_t{1} << 40, &n) || !readGeom(env, fn, argv[2], &g) ||
      !integer(env, fn, argv[4], "m", 1, INT32_MAX, &m) || !flag(env, fn, argv[6], "accumulate", &accumulate) ||
      !integer(env, fn, argv[7], "threads", 1, 1024, &threads)) {
    return nullptr;
  }
  const int64_t K = product({g.channels, g.kernelH, g.kernelW}), P = product({g.outH, g.outW});
  if (!f32(env, fn, argv[0], "a", product({n, g.channels, g.height, g.width}), &a) || !f32(env, fn, argv[3], "w", product({m, K}), &w) ||
      !f32(env, fn, argv[5], "out", product({n, m, P}), &out)) {
    return nullptr;
  }
  if (K > INT32_MAX || P > INT32_MAX) {
    fail(env, fn, "the column matrix is too large for OpenBLAS (more than 2³¹ − 1 rows or columns)");
    return nullptr;
  }
  convGemm(a, n, g, w, m, out, accumulate, static_cast<int>(threads));
  return nullptr;
}

// convGemmBackward(a | null, d, images, geometry, w, m, dw | null, accumulateW, db | null, accumulateB, da | null,
//                  accumulateA, threads)
napi_value ConvGemmBackward(napi_env env, napi_callback_info info) {
  const char* fn = "convGemmBackward";
  size_t argc = 13;
  napi_value argv[13];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 13) {
    fail(env, fn, "expected 13 arguments (a, d, images, geometry, w, m, dw, accumulateW, db, accumulateB, da, accumulateA, threads)");
    return nullptr;
  }
  int64_t n = 0, m = 0, threads = 1;
  ConvGeom g{};
  float *a = nullptr, *d = nullptr, *w = nullptr, *dw = nullptr, *db = nullptr, *da = nullptr;
  bool accW = false, accB = false, accA = false;
  if (!integer(env, fn, argv[2], "images", 0, int64_t{1} << 40, &n) || !readGeom(env, fn, argv[3], &g) ||
      !integer(env, fn, argv[5], "m", 1, INT32_MAX, &m) || !flag(env, fn, argv[7], "accumulateW", &accW) ||
      !flag(env, fn, argv[9], "accumulateB", &accB) || !flag(env, fn, argv[11], "accumulateA", &accA) ||
      !integer(env, fn, argv[12], "threads", 1, 1024, &threads)) {
    return nullptr;
  }
  const int64_t K = product({g.channels, g.kernelH, g.kernelW}), P = product({g.outH, g.outW});
  const int64_t image = product({n, g.channels, g.height, g.width});
  if (!f32OrNull(env, fn, argv[0], "a", image, &a) || !f32(env, fn, argv[1], "d", product({n, m, P}), &d) ||
      !f32(env, fn, argv[4], "w", product({m, K}), &w) || !f32OrNull(env, fn, argv[6], "dw", product({m, K}), &dw) ||
      !f32OrNull(env, fn, argv[8], "db", m, &db) || !f32OrNull(env, fn, argv[10], "da", image, &da)) {
    return nullptr;
  }
  if (!isNull(env, argv[6]) && isNull(env, argv[0])) {  // (an empty array's data pointer may be null too)
    fail(env, fn, "the weight gradient dw needs a");
    return nullptr;
  }
  if (K > INT32_MAX || P > INT32_MAX) {
    fail(env, fn, "the column matrix is too large for OpenBLAS (more than 2³¹ − 1 rows or columns)");
    return nullptr;
  }
  convGemmBackward(a, d, n, g, w, m, dw, accW, db, accB, da, accA, static_cast<int>(threads));
  return nullptr;
}

napi_value makeFunction(napi_env env, const char* name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, nullptr, &fn);
  return fn;
}

}  // namespace

void im2col(const float* x, int64_t images, const ConvGeom& g, float* cols, int threads) {
  const int64_t plane = g.height * g.width, rows = g.kernelH * g.kernelW * g.outH * g.outW;
  const int64_t P = g.outH * g.outW;
  forPlanes(images * g.channels, rows, threads, [&](int64_t p) { im2colPlane(x + p * plane, g, cols + p * rows, P); });
}

void col2im(const float* cols, int64_t images, const ConvGeom& g, float* x, bool accumulate, int threads) {
  const int64_t plane = g.height * g.width, rows = g.kernelH * g.kernelW * g.outH * g.outW;
  const int64_t P = g.outH * g.outW;
  forPlanes(images * g.channels, rows + plane, threads, [&](int64_t p) { col2imPlane(cols + p * rows, g, x + p * plane, accumulate, P); });
}

napi_value im2colFunction(napi_env env) { return makeFunction(env, "im2col", Im2col); }

napi_value col2imFunction(napi_env env) { return makeFunction(env, "col2im", Col2im); }

napi_value convGemmFunction(napi_env env) { return makeFunction(env, "convGemm", ConvGemm); }

napi_value convGemmBackwardFunction(napi_env env) { return makeFunction(env, "convGemmBackward", ConvGemmBackward); }

}  // namespace latentlab
