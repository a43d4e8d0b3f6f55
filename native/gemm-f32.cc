// float32 GEMM with AVX-512F and AVX2+FMA kernels, for the small products of a training step (a
// DESOM step: 256 rows, 10 … 2000 wide, 23 products of 0.01 to 0.5 GFLOP each).
//
// Layout (GotoBLAS's, trimmed for small products): C is cut into MR×NR tiles. Each worker owns a
// range of C's columns (or rows) and walks it kNC columns at a time, and each of those in blocks of
// at most kKC values along k: op(B)'s block is packed into panels of NR columns (NR consecutive
// floats per k) when B is stored n×k (a transpose through 16×16 register blocks) or when its rows
// are a multiple of 512 bytes apart; stored k×n it is read in place. Then every MR-row slice of
// op(A) meets every panel. A is never packed: a tile reads its MR rows straight from A (A stored
// m×k: MR streams along k; stored k×m: MR consecutive floats per k), and they stay in L1 while
// the panels stream from L2. The micro-kernel keeps the MR×NR sums in registers (AVX-512: 8×48 in
// 24 zmm; AVX2: 6×16 in 12 ymm), one broadcast of A times NR/16 (or NR/8) vectors of B per row and
// k. Edge tiles use the same code with fewer rows or vectors (a template instance per size) and
// masked stores, so no element is computed differently; with the k blocks fixed by k alone, neither
// the thread count nor the path changes a bit of the result.
//
// Single-threaded it runs the hot kernel at 95 % of the FMA limit (8×48 tiles; 6×64 and 8×48 were
// within 1 %, 12×32 and 14×32 ran out of general registers), whole DESOM products at 75–90 %
// (operands from memory to operands in cache; OpenBLAS's own AVX-512 kernel does about as well there).
//
// Both families are compiled with target attributes (not -march), and picked at run time.

#include "gemm-f32.h"
#include "pool.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
// g++ 12 warns that the intrinsics' internal "undefined" source operands may be uninitialized
// (a false positive once they are inlined into the transposes).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#define LATENTLAB_F32_X86 1
#define LL_AVX512 __attribute__((target("avx512f,avx2,fma")))
#define LL_AVX2 __attribute__((target("avx2,fma")))
#endif

namespace latentlab {

#ifdef LATENTLAB_F32_X86
namespace {

using f32::Family;
using f32::kKC;
using f32::kMaxMR;
using f32::kMaxNV;
using f32::Operand;
using f32::Tile;

// Columns of op(B) packed at once (a multiple of both paths' NR): kKC × kNC floats = 576 KB in L2.
// kKC and kNC: 256 … 512 measured within 3 % of each other on the products of a DESOM step (Zen 5).
constexpr int kNC = 384;

// ---------------------------------------------------------------------------------------------
// AVX-512F: 8 × 48 tiles (24 accumulators), 16-float vectors.
// ---------------------------------------------------------------------------------------------

LL_AVX512 inline __mmask16 mask16(int count) {
  return count >= 16 ? static_cast<__mmask16>(0xFFFF) : count <= 0 ? 0 : static_cast<__mmask16>((1u << count) - 1);
}

// In-place 16×16 transpose: r[j] lane i ← r[i] lane j.
LL_AVX512 inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // Within each 128-bit lane L of u[4i + q]: element 4L + q of rows 4i … 4i+3.
  __m512 u[16];
  for (int i = 0; i < 4; i++) {
    const __m512d a0 = _mm512_castps_pd(t[4 * i]), a1 = _mm512_castps_pd(t[4 * i + 1]);
    const __m512d a2 = _mm512_castps_pd(t[4 * i + 2]), a3 = _mm512_castps_pd(t[4 * i + 3]);
    u[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a2));
    u[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a2));
    u[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, a3));
    u[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, a3));
  }
  // Then a 4×4 transpose of 128-bit lanes across u[q], u[4+q], u[8+q], u[12+q].
  for (int q = 0; q < 4; q++) {
    const __m512 x0 = _mm512_shuffle_f32x4(u[q], u[4 + q], 0x44), x1 = _mm512_shuffle_f32x4(u[q], u[4 + q], 0xEE);
    const __m512 y0 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0x44);
    const __m512 y1 = _mm512_shuffle_f32x4(u[8 + q], u[12 + q], 0xEE);
    r[q] = _mm512_shuffle_f32x4(x0, y0, 0x88);
    r[4 + q] = _mm512_shuffle_f32x4(x0, y0, 0xDD);
    r[8 + q] = _mm512_shuffle_f32x4(x1, y1, 0x88);
    r[12 + q] = _mm512_shuffle_f32x4(x1, y1, 0xDD);
  }
}

template <int NR>
LL_AVX512 void packB512(const Operand& B, int64_t j0, int64_t k0, int nc, int kc, float* out) {
  for (int jp = 0; jp < nc; jp += NR) {
    const int w = std::min(NR, (nc - jp + 15) / 16 * 16);  // this panel's width
    float* o = out + static_cast<int64_t>(jp) * kc;
    if (!B.kContig) {
      // op(B) row p is contiguous: copy w floats per p.
      const float* src = B.base + k0 * B.ld + j0 + jp;
      for (int p = 0; p < kc; p++) {
        for (int v = 0; v < w; v += 16) {
          _mm512_store_ps(o + p * w + v, _mm512_maskz_loadu_ps(mask16(nc - jp - v), src + p * B.ld + v));
        }
      }
    } else {
      // Column j of op(B) is row j of B: 16 columns × 16 k values through a transpose.
      for (int v = 0; v < w; v += 16) {
        const int cols = nc - jp - v;
        const float* src = B.base + (j0 + jp + v) * B.ld + k0;
        for (int p0 = 0; p0 < kc; p0 += 16) {
          const __mmask16 km = mask16(kc - p0);
          __m512 r[16];
          for (int i = 0; i < 16; i++) {
            r[i] = i < cols ? _mm512_maskz_loadu_ps(km, src + i * B.ld + p0) : _mm512_setzero_ps();
          }
          transpose16(r);
          const int np = std::min(16, kc - p0);
          for (int i = 0; i < np; i++) _mm512_store_ps(o + (p0 + i) * w + v, r[i]);
        }
      }
    }
  }
}

template <int MR, int NV, bool TA>
LL_AVX512 void tile512(int kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int nr,
                       float alpha, float beta, bool first, const float* next) {
  __m512 s[MR][NV];
  for (int i = 0; i < MR; i++)
    for (int v = 0; v < NV; v++) s[i][v] = _mm512_setzero_ps();
  const float* ar[MR];
  for (int i = 0; i < MR; i++) ar[i] = a + i * (TA ? 1 : lda);
  const int64_t astep = TA ? lda : 1;
  for (int p = 0; p < kc; p++) {
    if constexpr (!TA) {
      // The next tile's rows of A, a cache line per row every 16 values of k (see Tile).
      if (next != nullptr && (p & 15) == 0) {
        for (int i = 0; i < MR; i++) _mm_prefetch(reinterpret_cast<const char*>(next + i * lda + p), _MM_HINT_T0);
      }
    }
    __m512 bv[NV];
    for (int v = 0; v < NV; v++) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) {
      const __m512 ai = _mm512_set1_ps(*ar[i]);
      for (int v = 0; v < NV; v++) s[i][v] = _mm512_fmadd_ps(ai, bv[v], s[i][v]);
      ar[i] += astep;
    }
    b += ldb;
  }
  // alpha · sum, then (first block) + beta · C or (later blocks) + C, as the AVX2 kernel does.
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) s[i][v] = _mm512_mul_ps(va, s[i][v]);
  const int mode = !first ? 1 : beta != 0.0f ? 2 : 0;
  const __mmask16 last = mask16(nr - 16 * (NV - 1));  // only the last vector can be partial
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      const __mmask16 m = v + 1 < NV ? static_cast<__mmask16>(0xFFFF) : last;
      float* cp = c + i * ldc + 16 * v;
      __m512 r = s[i][v];
      if (mode == 1) r = _mm512_add_ps(r, _mm512_maskz_loadu_ps(m, cp));
      else if (mode == 2) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m, cp), r);
      _mm512_mask_storeu_ps(cp, m, r);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// AVX2 + FMA: 6 × 16 tiles (12 accumulators), 8-float vectors.
// ---------------------------------------------------------------------------------------------

LL_AVX2 inline __m256i mask8(int count) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(count), lanes);
}

// In-place 8×8 transpose.
LL_AVX2 inline void transpose8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; i++) {
    u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
    u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
  }
  for (int q = 0; q < 4; q++) {
    r[q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x20);
    r[4 + q] = _mm256_permute2f128_ps(u[q], u[4 + q], 0x31);
  }
}

template <int NR>
LL_AVX2 void packB256(const Operand& B, int64_t j0, int64_t k0, int nc, int kc, float* out) {
  for (int jp = 0; jp < nc; jp += NR) {
    const int w = std::min(NR, (nc - jp + 7) / 8 * 8);
    float* o = out + static_cast<int64_t>(jp) * kc;
    if (!B.kContig) {
      const float* src = B.base + k0 * B.ld + j0 + jp;
      for (int p = 0; p < kc; p++) {
        for (int v = 0; v < w; v += 8) {
          const int left = nc - jp - v;
          const float* s = src + p * B.ld + v;
          _mm256_store_ps(o + p * w + v, left >= 8 ? _mm256_loadu_ps(s) : _mm256_maskload_ps(s, mask8(left)));
        }
      }
    } else {
      for (int v = 0; v < w; v += 8) {
        const int cols = nc - jp - v;
        const float* src = B.base + (j0 + jp + v) * B.ld + k0;
        for (int p0 = 0; p0 < kc; p0 += 8) {
          const int left = kc - p0;
          __m256 r[8];
          for (int i = 0; i < 8; i++) {
            const float* s = src + i * B.ld + p0;
            r[i] = i >= cols ? _mm256_setzero_ps() : left >= 8 ? _mm256_loadu_ps(s) : _mm256_maskload_ps(s, mask8(left));
          }
          transpose8(r);
          const int np = std::min(8, left);
          for (int i = 0; i < np; i++) _mm256_store_ps(o + (p0 + i) * w + v, r[i]);
        }
      }
    }
  }
}

template <int MR, int NV, bool TA>
LL_AVX2 void tile256(int kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int nr,
                     float alpha, float beta, bool first, const float* next) {
  constexpr int W = 8 * NV;
  __m256 s[MR][NV];
  for (int i = 0; i < MR; i++)
    for (int v = 0; v < NV; v++) s[i][v] = _mm256_setzero_ps();
  const float* ar[MR];
  for (int i = 0; i < MR; i++) ar[i] = a + i * (TA ? 1 : lda);
  const int64_t astep = TA ? lda : 1;
  for (int p = 0; p < kc; p++) {
    if constexpr (!TA) {
      if (next != nullptr && (p & 15) == 0) {
        for (int i = 0; i < MR; i++) _mm_prefetch(reinterpret_cast<const char*>(next + i * lda + p), _MM_HINT_T0);
      }
    }
    __m256 bv[NV];
    for (int v = 0; v < NV; v++) bv[v] = _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) {
      const __m256 ai = _mm256_broadcast_ss(ar[i]);
      for (int v = 0; v < NV; v++) s[i][v] = _mm256_fmadd_ps(ai, bv[v], s[i][v]);
      ar[i] += astep;
    }
    b += ldb;
  }
  // alpha · sum, then (first block) + beta · C or (later blocks) + C. Written as one pass per case
  // and a separate pass for a partial last vector: with 16 registers, g++ 12 otherwise keeps a
  // copy of some sums in memory and stores it on every k.
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 8
  for (int i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) s[i][v] = _mm256_mul_ps(va, s[i][v]);
  const int mode = !first ? 1 : beta != 0.0f ? 2 : 0;
  if (nr == W) {
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        float* cp = c + i * ldc + 8 * v;
        __m256 r = s[i][v];
        if (mode == 1) r = _mm256_add_ps(r, _mm256_loadu_ps(cp));
        else if (mode == 2) r = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cp), r);
        _mm256_storeu_ps(cp, r);
      }
    }
  } else {
    const __m256i last = mask8(nr - 8 * (NV - 1));  // only the last vector can be partial
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) {
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) {
        float* cp = c + i * ldc + 8 * v;
        const __m256i m = v + 1 < NV ? _mm256_set1_epi32(-1) : last;
        __m256 r = s[i][v];
        if (mode == 1) r = _mm256_add_ps(r, _mm256_maskload_ps(cp, m));
        else if (mode == 2) r = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cp, m), r);
        _mm256_maskstore_ps(cp, m, r);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The families' tables.
// ---------------------------------------------------------------------------------------------

template <int MR, int NV, bool TA>
struct K512 {
  static constexpr Tile f = tile512<MR, NV, TA>;
};
template <int MR, int NV, bool TA>
struct K256 {
  static constexpr Tile f = tile256<MR, NV, TA>;
};

// t[MR − 1][v − 1] for v ≤ NV.
template <template <int, int, bool> class K, int MR, int NV>
void fillRow(Tile (&t)[kMaxMR][kMaxNV][2]) {
  if constexpr (NV >= 1) {
    t[MR - 1][NV - 1][0] = K<MR, NV, false>::f;
    t[MR - 1][NV - 1][1] = K<MR, NV, true>::f;
    fillRow<K, MR, NV - 1>(t);
  }
}

// t[r − 1][v − 1] = the r-row, v-vector tile, for r ≤ MR and v ≤ NV.
template <template <int, int, bool> class K, int MR, int NV>
void fillTiles(Tile (&t)[kMaxMR][kMaxNV][2]) {
  if constexpr (MR >= 1) {
    fillRow<K, MR, NV>(t);
    fillTiles<K, MR - 1, NV>(t);
  }
}

const Family& avx512Family() {
  static const Family f = [] {
    Family r{8, 3, 16, 6, 4, packB512<48>, packB512<64>, {}};
    fillTiles<K512, 8, 3>(r.tile);
    fillTiles<K512, 6, 4>(r.tile);  // 24 sums + 4 vectors of B + 1 broadcast: 29 of the 32 registers
    return r;
  }();
  return f;
}

const Family& avx2Family() {
  static const Family f = [] {
    Family r{6, 2, 8, 6, 2, packB256<16>, packB256<16>, {}};
    fillTiles<K256, 6, 2>(r.tile);
    return r;
  }();
  return f;
}

// ---------------------------------------------------------------------------------------------
// Blocking and threads (ISA-independent).
// ---------------------------------------------------------------------------------------------

// C rows [i0, i1) × columns [j0, j1), all of k. op(B) stored k×n (B not transposed) is read in place
// (rows of whole vectors; only a last panel with a partial vector is packed, zero-padded); stored
// n×k it is packed, transposed, kNC columns at a time. (Packing the A sliver of a tile as well, for A
// stored k×m, measured 2–10 % slower.)
void region(const Family& f, const Operand& A, const Operand& B, int i0, int i1, int j0, int j1, int k, float alpha,
            float beta, float* c, int64_t ldc) {
  thread_local f32::AlignedBuffer packed;
  const int nr = f.nr(), vl = f.vl;
  // Rows of B a multiple of 512 bytes apart fall in a few sets of L1 and L2, and a panel read in
  // place then evicts itself (1024×1024×1024: 150 → 170 GFLOP/s packed): pack those as well.
  const bool inPlace = !B.kContig && B.ld % 128 != 0;
  const int blocks = f32::kBlocks(k);
  // k blocks inside column blocks: a column block of C stays in L2 while its k blocks add up.
  for (int jc = j0; jc < j1; jc += kNC) {
    const int nc = std::min(kNC, j1 - jc);
    for (int kb = 0; kb < blocks; kb++) {
      const int k0 = f32::kBlockStart(k, blocks, kb);
      const int kc = f32::kBlockStart(k, blocks, kb + 1) - k0;
      // In place, only a ragged last panel (starting at `ragged`) is packed.
      const int ragged = inPlace ? (nc % vl == 0 ? nc : (nc - 1) / nr * nr) : 0;
      float* pb = nullptr;
      if (ragged < nc) {
        pb = packed.get(static_cast<size_t>((nc - ragged + vl - 1) / vl * vl) * kc);
        f.packB(B, jc + ragged, k0, nc - ragged, kc, pb);
      }
      for (int ic = i0; ic < i1; ic += f.mr) {
        const int mr = std::min(f.mr, i1 - ic);
        const float* a = A.kContig ? A.base + ic * A.ld + k0 : A.base + k0 * A.ld + ic;
        for (int jp = 0; jp < nc; jp += nr) {
          const int w = std::min(nr, nc - jp);
          const int nv = (w + vl - 1) / vl;
          const float* b;
          int64_t ldb;
          if (jp < ragged) {
            b = B.base + k0 * B.ld + jc + jp;
            ldb = B.ld;
          } else {
            b = pb + static_cast<int64_t>(jp - ragged) * kc;
            ldb = nv * vl;
          }
          float* ct = c + static_cast<int64_t>(ic) * ldc + jc + jp;
          // While the first panel meets this slice of A, the next slice (a full one) is fetched.
          const float* next = jp == 0 && A.kContig && ic + 2 * f.mr <= i1 ? a + f.mr * A.ld : nullptr;
          f.tile[mr - 1][nv - 1][A.kContig ? 0 : 1](kc, a, A.ld, b, ldb, ct, ldc, w, alpha, beta, kb == 0, next);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The FMA limit.
// ---------------------------------------------------------------------------------------------

constexpr int kChains = 12;  // ≥ 2 pipes × 4 cycles of latency; fits AVX2's 16 registers

LL_AVX512 float fmaLoop512(int64_t iters, float x) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; i++) acc[i] = _mm512_set1_ps(x * static_cast<float>(i));
  const __m512 m = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-7f);
  for (int64_t t = 0; t < iters; t++) {
    for (int i = 0; i < kChains; i++) acc[i] = _mm512_fmadd_ps(acc[i], m, add);
  }
  __m512 s = acc[0];
  for (int i = 1; i < kChains; i++) s = _mm512_add_ps(s, acc[i]);
  float lanes[16];
  _mm512_storeu_ps(lanes, s);
  float sum = 0;
  for (float v : lanes) sum += v;
  return sum;
}

LL_AVX2 float fmaLoop256(int64_t iters, float x) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; i++) acc[i] = _mm256_set1_ps(x * static_cast<float>(i));
  const __m256 m = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-7f);
  for (int64_t t = 0; t < iters; t++) {
    for (int i = 0; i < kChains; i++) acc[i] = _mm256_fmadd_ps(acc[i], m, add);
  }
  __m256 s = acc[0];
  for (int i = 1; i < kChains; i++) s = _mm256_add_ps(s, acc[i]);
  float lanes[8];
  _mm256_storeu_ps(lanes, s);
  float sum = 0;
  for (float v : lanes) sum += v;
  return sum;
}

volatile float gSink;

// CPU time of the calling thread, in seconds.
double threadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

}  // namespace

const Family* f32::family(F32Path path) {
  if (path == F32Path::kAvx512) return &avx512Family();
  if (path == F32Path::kAvx2) return &avx2Family();
  return nullptr;
}

F32Path f32BestPath() {
  static const F32Path best = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return F32Path::kAvx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return F32Path::kAvx2;
    return F32Path::kNone;
  }();
  return best;
}

void f32Gemm(F32Path path, bool transA, bool transB, int m, int n, int k, float alpha, const float* a, const float* b,
             float beta, float* c, int threads) {
  if (m <= 0 || n <= 0) return;
  if (k == 0 || alpha == 0.0f) {
    const int64_t len = static_cast<int64_t>(m) * n;
    if (beta == 0.0f) std::fill(c, c + len, 0.0f);
    else if (beta != 1.0f)
      for (int64_t i = 0; i < len; i++) c[i] *= beta;
    return;
  }
  const Family* f = f32::family(path);
  if (f == nullptr) return;
  const Operand A{a, transA ? m : k, !transA};
  const Operand B{b, transB ? k : n, transB};
  // The larger side of C is cut into whole vectors (columns) or tile rows, one range per worker.
  // (Letting an idle worker take over the rest of a late one's range, in pieces, measured 10–20 %
  // slower in median wall time on a loaded 2-core machine, for 2 to 16 pieces per range.)
  const bool byCols = n >= m;
  const int unit = byCols ? f->vl : f->mr;
  const int units = ((byCols ? n : m) + unit - 1) / unit;
  const int parts = std::max(1, std::min(threads, units));
  parallelFor(parts, [&](int t) {
    const int lo = static_cast<int>(static_cast<int64_t>(units) * t / parts) * unit;
    const int hi = std::min(byCols ? n : m, static_cast<int>(static_cast<int64_t>(units) * (t + 1) / parts) * unit);
    if (lo >= hi) return;
    if (byCols) region(*f, A, B, 0, m, lo, hi, k, alpha, beta, c, n);
    else region(*f, A, B, lo, hi, 0, n, k, alpha, beta, c, n);
  });
}

double f32FmaPeakGflops(F32Path path, int threads, double seconds) {
  if (path == F32Path::kNone || threads < 1) return 0.0;
  const int lanes = path == F32Path::kAvx512 ? 16 : 8;
  const auto loop = [path](int64_t iters, float x) {
    return path == F32Path::kAvx512 ? fmaLoop512(iters, x) : fmaLoop256(iters, x);
  };
  // Calibrate the iterations on one thread, then run them on all threads at once; each thread's
  // own CPU time is the divisor, so time the scheduler gives other processes is not counted (the
  // limit of the silicon, not of a busy machine).
  int64_t iters = 1 << 16;
  for (;;) {
    const double t0 = threadSeconds();
    gSink = loop(iters, 1.0f);
    const double dt = threadSeconds() - t0;
    if (dt >= seconds / 8 || iters >= (int64_t{1} << 40)) {
      iters = static_cast<int64_t>(static_cast<double>(iters) * seconds / std::max(dt, 1e-9));
      break;
    }
    iters *= 4;
  }
  std::vector<double> secs(static_cast<size_t>(threads));
  parallelFor(threads, [&](int t) {
    const double t0 = threadSeconds();
    gSink = loop(iters, 1.0f + static_cast<float>(t));
    secs[static_cast<size_t>(t)] = threadSeconds() - t0;
  });
  double total = 0;
  for (double s : secs) total += static_cast<double>(iters) * kChains * lanes * 2 / s;
  return total / 1e9;
}

#else  // not x86-64: OpenBLAS only

F32Path f32BestPath() { return F32Path::kNone; }
const f32::Family* f32::family(F32Path) { return nullptr; }
void f32Gemm(F32Path, bool, bool, int, int, int, float, const float*, const float*, float, float*, int) {}
double f32FmaPeakGflops(F32Path, int, double) { return 0.0; }

#endif

const char* f32PathName(F32Path path) {
  return path == F32Path::kAvx512 ? "avx512" : path == F32Path::kAvx2 ? "avx2" : "none";
}

}  // namespace latentlab
