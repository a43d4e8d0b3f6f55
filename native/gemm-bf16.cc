// bfloat16 GEMM with AVX512-BF16 (vdpbf16ps): twice the multiply-adds per instruction of float32
// FMA, which is what lets a DESOM step go faster than OpenBLAS's sgemm can on the same cores.
//
// The layout is GotoBLAS's: C is cut into MR×NR tiles; for each block of KC values along k, B's
// columns are packed into NR-wide panels and A's rows into MR-high panels, both as bfloat16 pairs
// (k, k+1) in one 32-bit word, which is the operand vdpbf16ps multiplies-and-adds lane by lane.
// KC = 512 was the fastest of 128 … 2048 on the products of a DESOM step (Zen 4): an NR panel of
// B (48 KB) and the A panels of an MC block (128 KB) are read from L2. Each C element is summed in
// the same order whatever the tiling and thread count.

#include "gemm-bf16.h"
#include "pool.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#if defined(__AVX512BF16__) && defined(__AVX512BW__) && defined(__AVX512F__)
// g++ 12 warns that the intrinsics' internal "undefined" source operands may be uninitialized
// (a false positive inside avx512fintrin.h once they are inlined into transpose16).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#define LATENTLAB_BF16 1
#endif

namespace latentlab {

#ifdef LATENTLAB_BF16
namespace {

constexpr int kMR = 8;       // rows of a C tile
constexpr int kNV = 3;       // 16-float vectors per tile row
constexpr int kNR = 16 * kNV;  // columns of a C tile
constexpr int kKC = 512;     // k values per packed block (even: whole pairs)
constexpr int kMC = 128;     // rows of A packed at once (16 panels, 128 KB: L2)

inline __mmask16 lowMask(int count) {
  return count >= 16 ? static_cast<__mmask16>(0xFFFF) : count <= 0 ? 0 : static_cast<__mmask16>((1u << count) - 1);
}

// An operand seen as rows × k ("rows" are A's rows or B's columns). kContig: element (r, kk) at
// p[r·ld + kk] (A not transposed, B transposed); otherwise at p[kk·ld + r].
struct Operand {
  const float* p;
  int64_t ld;
  bool kContig;
  const float* at(int64_t r, int64_t kk) const { return kContig ? p + r * ld + kk : p + kk * ld + r; }
};

// Packs `rows` (≤ W) rows × kc values of a k-strided operand into W-wide pair words:
// out[p·W + r] = (x[r, 2p], x[r, 2p+1]) as bfloat16, rows 2p and 2p+1 of the source interleaved
// 16 lanes at a time; rows past `rows` and the odd tail are zeros.
void packKStrided(const float* src, int64_t ld, int rows, int kc, int W, uint32_t* out) {
  const int kp = (kc + 1) / 2;
  // bfloat16 element 2i ← x0[i] (element i), 2i+1 ← x1[i] (element 16+i)
  const __m512i interleave = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6, 21,
                                              5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  for (int p = 0; p < kp; p++) {
    const float* r0 = src + static_cast<int64_t>(2 * p) * ld;
    const bool odd = 2 * p + 1 < kc;
    for (int c = 0; c < W; c += 16) {
      const __mmask16 m = lowMask(rows - c);
      const __m512 x0 = _mm512_maskz_loadu_ps(m, r0 + c);
      const __m512 x1 = odd ? _mm512_maskz_loadu_ps(m, r0 + ld + c) : _mm512_setzero_ps();
      const __m512i pairs = _mm512_permutexvar_epi16(interleave, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(x1, x0)));
      _mm512_mask_storeu_epi32(out + static_cast<int64_t>(p) * W + c, lowMask(W - c), pairs);
    }
  }
}

// 16×16 transpose of 32-bit words: c[j] lane i = r[i] lane j.
inline void transpose16(const __m512i r[16], __m512i c[16]) {
  __m512i t[16], u[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  // u[4i + q], 128-bit lane L: word 4L + q of rows 4i … 4i+3
  for (int i = 0; i < 4; i++) {
    u[4 * i] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
    u[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
    u[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
  }
  // then a 4×4 transpose of 128-bit lanes across u[q], u[4+q], u[8+q], u[12+q]
  for (int q = 0; q < 4; q++) {
    const __m512i x0 = _mm512_shuffle_i32x4(u[q], u[4 + q], 0x44), x1 = _mm512_shuffle_i32x4(u[q], u[4 + q], 0xEE);
    const __m512i y0 = _mm512_shuffle_i32x4(u[8 + q], u[12 + q], 0x44), y1 = _mm512_shuffle_i32x4(u[8 + q], u[12 + q], 0xEE);
    c[q] = _mm512_shuffle_i32x4(x0, y0, 0x88);
    c[4 + q] = _mm512_shuffle_i32x4(x0, y0, 0xDD);
    c[8 + q] = _mm512_shuffle_i32x4(x1, y1, 0x88);
    c[12 + q] = _mm512_shuffle_i32x4(x1, y1, 0xDD);
  }
}

// Packs rows [0, R) of a k-contiguous operand into ceil(R / W) panels of W rows (kp·W words each,
// row r in panel r / W, lane r % W), 16 rows × 16 pair words at a time through a transpose rather
// than one scattered word at a time. W is 8 (a 16-row group fills two panels) or a multiple of 16.
void packKContigPanels(const float* src, int64_t ld, int R, int kc, int W, uint32_t* out) {
  const int kp = (kc + 1) / 2;
  const int panels = (R + W - 1) / W;
  __m512i rows[16], cols[16];
  for (int r0 = 0; r0 < panels * W; r0 += 16) {
    for (int p0 = 0; p0 < kp; p0 += 16) {
      const int left = kc - 2 * p0;
      for (int i = 0; i < 16; i++) {
        if (r0 + i < R) {
          const float* s = src + (r0 + i) * ld + 2 * p0;
          const __m512 lo = _mm512_maskz_loadu_ps(lowMask(left), s);
          const __m512 hi = _mm512_maskz_loadu_ps(lowMask(left - 16), s + 16);
          rows[i] = reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo));
        } else {
          rows[i] = _mm512_setzero_si512();
        }
      }
      transpose16(rows, cols);
      const int np = std::min(16, kp - p0);
      if (W == 8) {
        uint32_t* a = out + static_cast<int64_t>(r0 / 8) * kp * 8;
        const bool second = r0 + 8 < panels * W;
        for (int i = 0; i < np; i++) {
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(a + static_cast<int64_t>(p0 + i) * 8), _mm512_castsi512_si256(cols[i]));
          if (second) {
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(a + static_cast<int64_t>(kp) * 8 + static_cast<int64_t>(p0 + i) * 8),
                                _mm512_extracti64x4_epi64(cols[i], 1));
          }
        }
      } else {
        uint32_t* a = out + static_cast<int64_t>(r0 / W) * kp * W + r0 % W;
        for (int i = 0; i < np; i++) _mm512_storeu_si512(a + static_cast<int64_t>(p0 + i) * W, cols[i]);
      }
    }
  }
}

// Rows [r0, r0 + R) × k values [k0, k0 + kc) of x into ceil(R / W) panels of W rows.
void packPanels(const Operand& x, int64_t r0, int64_t k0, int R, int kc, int W, uint32_t* out) {
  const int kp = (kc + 1) / 2;
  if (x.kContig) {
    packKContigPanels(x.at(r0, k0), x.ld, R, kc, W, out);
    return;
  }
  for (int q = 0; q * W < R; q++) packKStrided(x.at(r0 + q * W, k0), x.ld, std::min(W, R - q * W), kc, W, out + static_cast<int64_t>(q) * kp * W);
}

// One MR×NR tile over kp pair words: C = alpha·AB + (first ? beta·C : C); mr × nr of it stored.
void tile(int kp, const uint32_t* a, const uint32_t* b, float* c, int64_t ldc, int mr, int nr, float alpha, float beta,
          bool first) {
  __m512 s[kMR][kNV];
  for (int i = 0; i < kMR; i++)
    for (int v = 0; v < kNV; v++) s[i][v] = _mm512_setzero_ps();
  for (int p = 0; p < kp; p++) {
    const __m512bh b0 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(b));
    const __m512bh b1 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(b + 16));
    const __m512bh b2 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(b + 32));
#pragma GCC unroll 8
    for (int i = 0; i < kMR; i++) {
      const __m512bh ai = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(a[i])));
      s[i][0] = _mm512_dpbf16_ps(s[i][0], ai, b0);
      s[i][1] = _mm512_dpbf16_ps(s[i][1], ai, b1);
      s[i][2] = _mm512_dpbf16_ps(s[i][2], ai, b2);
    }
    a += kMR;
    b += kNR;
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  for (int i = 0; i < mr; i++) {
    for (int v = 0; v < kNV && 16 * v < nr; v++) {
      const __mmask16 m = lowMask(nr - 16 * v);
      float* cp = c + i * ldc + 16 * v;
      __m512 r = _mm512_mul_ps(va, s[i][v]);
      if (!first) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(m, cp));
      else if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m, cp), r);
      _mm512_mask_storeu_ps(cp, m, r);
    }
  }
}

// Rows [i0, i1) × columns [j0, j1) of C, all of k.
void block(const Operand& A, const Operand& B, int i0, int i1, int j0, int j1, int k, float alpha, float beta, float* c,
           int64_t ldc) {
  thread_local std::vector<uint32_t> pa, pb;
  const int nc = j1 - j0;
  const int nPanels = (nc + kNR - 1) / kNR;
  for (int k0 = 0; k0 < k; k0 += kKC) {
    const int kc = std::min(kKC, k - k0);
    const int kp = (kc + 1) / 2;
    pb.resize(static_cast<size_t>(nPanels) * kp * kNR);
    packPanels(B, j0, k0, nc, kc, kNR, pb.data());
    for (int m0 = i0; m0 < i1; m0 += kMC) {
      const int mc = std::min(kMC, i1 - m0);
      const int mPanels = (mc + kMR - 1) / kMR;
      pa.resize(static_cast<size_t>(mPanels) * kp * kMR);
      packPanels(A, m0, k0, mc, kc, kMR, pa.data());
      for (int qb = 0; qb < nPanels; qb++) {
        for (int qa = 0; qa < mPanels; qa++) {
          tile(kp, pa.data() + static_cast<size_t>(qa) * kp * kMR, pb.data() + static_cast<size_t>(qb) * kp * kNR,
               c + static_cast<int64_t>(m0 + qa * kMR) * ldc + j0 + qb * kNR, ldc, std::min(kMR, mc - qa * kMR),
               std::min(kNR, nc - qb * kNR), alpha, beta, k0 == 0);
        }
      }
    }
  }
}

// C (m×n, row-major, ld n) over `threads` workers: the larger side of C cut into whole tiles, one
// contiguous range per worker.
void run(const Operand& A, const Operand& B, int m, int n, int k, float alpha, float beta, float* c, int threads) {
  const bool byCols = n >= m;
  const int unit = byCols ? kNR : kMR;
  const int tiles = ((byCols ? n : m) + unit - 1) / unit;
  const int parts = std::max(1, std::min(threads, tiles));
  const std::function<void(int)> part = [&](int t) {
    const int lo = static_cast<int>(static_cast<int64_t>(tiles) * t / parts) * unit;
    const int hi = std::min(byCols ? n : m, static_cast<int>(static_cast<int64_t>(tiles) * (t + 1) / parts) * unit);
    if (lo >= hi) return;
    if (byCols) block(A, B, 0, m, lo, hi, k, alpha, beta, c, n);
    else block(A, B, lo, hi, 0, n, k, alpha, beta, c, n);
  };
  parallelFor(parts, part);
}

}  // namespace

bool bf16GemmAvailable() { return true; }

void bf16Gemm(bool transA, bool transB, int m, int n, int k, float alpha, const float* a, const float* b, float beta,
              float* c, int threads) {
  if (m <= 0 || n <= 0 || k <= 0) return;  // the caller handles k = 0 (C = beta·C)
  const Operand A{a, transA ? m : k, !transA};
  const Operand B{b, transB ? k : n, transB};
  if (n < 16 && m > n) {
    // A narrow C (the latent layer's 10 columns) would fill a tenth of each 48-wide tile: compute
    // Cᵀ = op(B)ᵀ·op(A)ᵀ instead (op(B)ᵀ is B read with its rows and k swapped), then transpose.
    thread_local std::vector<float> ct;
    ct.resize(static_cast<size_t>(n) * m);
    run(B, A, n, m, k, 1.0f, 0.0f, ct.data(), threads);
    for (int i = 0; i < m; i++) {
      float* ci = c + static_cast<int64_t>(i) * n;
      for (int j = 0; j < n; j++) {
        const float v = alpha * ct[static_cast<size_t>(j) * m + i];
        ci[j] = beta == 0.0f ? v : v + beta * ci[j];
      }
    }
    return;
  }
  run(A, B, m, n, k, alpha, beta, c, threads);
}

#else  // no AVX512-BF16 in this build

bool bf16GemmAvailable() { return false; }

void bf16Gemm(bool, bool, int, int, int, float, const float*, const float*, float, float*, int) {}

#endif

}  // namespace latentlab
