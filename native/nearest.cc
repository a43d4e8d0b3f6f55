// The fused nearest-prototype search (nearest.h): the distance GEMM of f32Gemm and the argmin in
// one pass, a tile of rows at a time.
//
// The prototypes are packed once per call, as f32Gemm packs op(B) = Mᵀ but in the family's widest
// panels (64 columns with AVX-512), in blocks of at most kMaxBlock prototypes (so that a block's
// packed panels, d × block floats, stay in L2). The workers take groups of rows in turn; for each
// block, a group is walked wideMr rows at a time: the wideMr × block scores are initialised to
// ‖m_j‖², accumulated by the GEMM's own tile kernels (alpha −2, beta 1, the same k blocks, hence
// the same bits as f32Gemm), then scanned for the best and second-best prototype of each row while
// they are still in L1 (and copied out once when the caller wants the scores). Across blocks, each
// row's running best and second (index and score) carry over, and the blocks are scanned in index
// order, so the result is that of one scan over all K.

#include "nearest.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <vector>

#include "pool.h"

#if defined(__x86_64__) || defined(_M_X64)
// g++ 12 warns that the intrinsics' internal "undefined" source operands may be uninitialized
// (a false positive once they are inlined).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#define LATENTLAB_NEAREST_X86 1
#define LL_AVX512 __attribute__((target("avx512f,avx2,fma")))
#endif

namespace latentlab {
namespace {

// Prototypes per block: wideMr × kMaxBlock scores (24 KB with 6 rows) stay in L1.
constexpr int kMaxBlock = 1024;
// Row tiles per group that a worker takes at a time (96 rows with AVX-512).
constexpr int kGroupTiles = 16;
// Floats of packed prototypes per block (d × block): 512 KB, half of a Zen 4/5 L2.
constexpr int64_t kPackedBudget = 131072;

// Running best and second of one row: the js backend's streaming rule (argmin2Rows): a strictly
// smaller score replaces the best (which becomes the second), else a strictly smaller score than
// the second replaces it.
struct Best {
  int32_t b1 = -1, b2 = -1;
  float v1 = 0.0f, v2 = INFINITY;

  void scan(const float* s, int count, int32_t j0) {
    int i = 0;
    if (b1 < 0) {
      b1 = j0;
      v1 = s[0];
      i = 1;
    }
    for (; i < count; i++) {
      const float v = s[i];
      if (v < v1) {
        b2 = b1;
        v2 = v1;
        b1 = j0 + i;
        v1 = v;
      } else if (v < v2) {
        b2 = j0 + i;
        v2 = v;
      }
    }
  }

  // The rule over this row's earlier scores then a block of finite scores whose first-index best
  // (c1, w1) and first-index best of the rest (c2, w2; −1 and +∞ for a single score) are given.
  // With finite scores the streaming rule picks exactly those (the first index of the smallest,
  // then the first index of the smallest among the others), so blocks combine by comparison.
  // Used when the earlier scores were finite too (and there were at least two of them).
  void merge(int32_t c1, float w1, int32_t c2, float w2) {
    if (b1 < 0) {
      b1 = c1, v1 = w1, b2 = c2, v2 = w2;
    } else if (w1 < v1) {  // the block's best wins; the second is the better of the old best and the block's second
      if (!(w2 < v1)) c2 = b1, w2 = v1;
      b2 = c2, v2 = w2, b1 = c1, v1 = w1;
    } else if (w1 < v2) {  // the old best stays; the block's best becomes the second
      b2 = c1, v2 = w1;
    }
  }

  bool finiteSoFar() const { return b1 < 0 || (b2 >= 0 && std::isfinite(v1) && std::isfinite(v2)); }
};

// One row of a block: update `st` with the scores s[0 … count) of prototypes j0 …, and copy them to
// out (when not null).
void scanRow(const float* s, int count, int32_t j0, float* out, Best& st) {
  if (out != nullptr) std::copy(s, s + count, out);
  st.scan(s, count, j0);
}

#ifdef LATENTLAB_NEAREST_X86
LL_AVX512 inline __mmask16 mask16(int count) {
  return count >= 16 ? static_cast<__mmask16>(0xFFFF) : count <= 0 ? 0 : static_cast<__mmask16>((1u << count) - 1);
}

// The smallest lane (no NaN in v).
LL_AVX512 inline float minLane(__m512 v) {
  v = _mm512_min_ps(v, _mm512_shuffle_f32x4(v, v, 0x4E));
  v = _mm512_min_ps(v, _mm512_shuffle_f32x4(v, v, 0xB1));
  v = _mm512_min_ps(v, _mm512_permute_ps(v, 0x4E));
  v = _mm512_min_ps(v, _mm512_permute_ps(v, 0xB1));
  return _mm512_cvtss_f32(v);
}

// scanRow with AVX-512: the smallest score, the first index holding it, then the same over the
// others; the scalar rule when a score is NaN or infinite (or the earlier ones were).
LL_AVX512 void scanRow512(const float* s, int count, int32_t j0, float* out, Best& st) {
  const __m512 inf = _mm512_set1_ps(INFINITY);
  __m512 lo = inf;
  __mmask16 bad = 0;
  for (int j = 0; j < count; j += 16) {
    const __mmask16 m = mask16(count - j);
    const __m512 v = _mm512_mask_loadu_ps(inf, m, s + j);
    if (out != nullptr) _mm512_mask_storeu_ps(out + j, m, v);
    const __m512 z = _mm512_sub_ps(v, v);  // 0, or NaN for ±∞ and NaN
    bad |= _mm512_mask_cmp_ps_mask(m, z, z, _CMP_UNORD_Q);
    lo = _mm512_min_ps(lo, v);
  }
  if (bad != 0 || !st.finiteSoFar()) {
    st.scan(s, count, j0);
    return;
  }
  const float w1 = minLane(lo);
  int c1 = -1;
  for (int j = 0; c1 < 0; j += 16) {
    const __m512 v = _mm512_loadu_ps(s + j);
    const __mmask16 eq = _mm512_mask_cmp_ps_mask(mask16(count - j), v, _mm512_set1_ps(w1), _CMP_EQ_OQ);
    if (eq != 0) c1 = j + __builtin_ctz(eq);
  }
  float w2 = INFINITY;
  int c2 = -1;
  if (count > 1) {
    __m512 lo2 = inf;
    for (int j = 0; j < count; j += 16) {
      __mmask16 m = mask16(count - j);
      if (c1 >= j && c1 < j + 16) m &= static_cast<__mmask16>(~(1u << (c1 - j)));
      lo2 = _mm512_min_ps(lo2, _mm512_mask_loadu_ps(inf, m, s + j));
    }
    w2 = minLane(lo2);
    for (int j = 0; c2 < 0; j += 16) {
      const __m512 v = _mm512_loadu_ps(s + j);
      __mmask16 eq = _mm512_mask_cmp_ps_mask(mask16(count - j), v, _mm512_set1_ps(w2), _CMP_EQ_OQ);
      if (c1 >= j && c1 < j + 16) eq &= static_cast<__mmask16>(~(1u << (c1 - j)));
      if (eq != 0) c2 = j + __builtin_ctz(eq);
    }
  }
  st.merge(j0 + c1, w1, c2 < 0 ? -1 : j0 + c2, w2);
}
#endif

}  // namespace

void f32Nearest(F32Path path, const float* x, const float* mp, const float* mn, int64_t n, int64_t K, int64_t d,
                float* out, int32_t* best, int32_t* second, int threads) {
  const f32::Family* f = f32::family(path);
  if (f == nullptr || n <= 0 || K <= 0) return;
  const int nr = f->wideNr(), vl = f->vl, mr = f->wideMr;
  void (*scan)(const float*, int, int32_t, float*, Best&) = scanRow;
#ifdef LATENTLAB_NEAREST_X86
  if (path == F32Path::kAvx512) scan = scanRow512;
#endif
  const int dk = static_cast<int>(d);
  const int kblocks = f32::kBlocks(dk);
  // Prototypes per block: a multiple of nr, within the L1 and L2 budgets, at least one panel.
  const int64_t byL2 = kPackedBudget / std::max<int64_t>(d, 1) / nr * nr;
  const int64_t widest = std::max<int64_t>(nr, std::min<int64_t>(kMaxBlock / nr * nr, byL2));
  const int block = static_cast<int>(std::min<int64_t>(K, widest));
  const int pblocks = static_cast<int>((K + block - 1) / block);
  // Packed layout: prototype block pb, k block kb at offset[pb·kblocks + kb] (each padded to vl).
  std::vector<int64_t> offset(static_cast<size_t>(pblocks) * kblocks + 1);
  int64_t total = 0;
  for (int pb = 0; pb < pblocks; pb++) {
    const int width = static_cast<int>(std::min<int64_t>(block, K - static_cast<int64_t>(pb) * block));
    const int padded = (width + vl - 1) / vl * vl;
    for (int kb = 0; kb < kblocks; kb++) {
      offset[static_cast<size_t>(pb) * kblocks + kb] = total;
      const int kc = f32::kBlockStart(dk, kblocks, kb + 1) - f32::kBlockStart(dk, kblocks, kb);
      total += static_cast<int64_t>(padded) * kc;
    }
  }
  static thread_local f32::AlignedBuffer packedBuf;
  float* packed = packedBuf.get(static_cast<size_t>(std::max<int64_t>(total, 1)));
  const f32::Operand B{mp, d, true};  // op(B) = Mᵀ: column j is prototype row j
  const int units = pblocks * kblocks;
  const int packParts = std::max(1, std::min(units, K * d >= (int64_t{1} << 16) ? threads : 1));
  parallelFor(packParts, [&](int t) {
    for (int u = units * t / packParts; u < units * (t + 1) / packParts; u++) {
      const int pb = u / kblocks, kb = u % kblocks;
      const int width = static_cast<int>(std::min<int64_t>(block, K - static_cast<int64_t>(pb) * block));
      const int k0 = f32::kBlockStart(dk, kblocks, kb);
      const int kc = f32::kBlockStart(dk, kblocks, kb + 1) - k0;
      f->packWide(B, static_cast<int64_t>(pb) * block, k0, width, kc, packed + offset[u]);
    }
  });

  // Workers take groups of kGroupTiles row tiles in turn, each group through every prototype block
  // (its rows stay in L2 between blocks): a worker that the OS sets aside for a while (another
  // process on its core) then leaves its share to the others instead of holding up the call.
  const int64_t groupRows = static_cast<int64_t>(mr) * kGroupTiles;
  const int64_t groups = (n + groupRows - 1) / groupRows;
  const int64_t want = n * K * d >= (int64_t{1} << 18) ? threads : 1;
  const int parts = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(groups, want)));
  const int padMax = (block + vl - 1) / vl * vl;
  std::atomic<int64_t> nextGroup{0};
  parallelFor(parts, [&](int) {
    thread_local f32::AlignedBuffer scoreBuf;
    float* scores = scoreBuf.get(static_cast<size_t>(mr) * padMax);
    std::vector<Best> state(static_cast<size_t>(groupRows));
    for (int64_t g = nextGroup++; g < groups; g = nextGroup++) {
      const int64_t lo = g * groupRows, hi = std::min(n, lo + groupRows);
      std::fill(state.begin(), state.end(), Best{});
      for (int pb = 0; pb < pblocks; pb++) {
        const int64_t j0 = static_cast<int64_t>(pb) * block;
        const int width = static_cast<int>(std::min<int64_t>(block, K - j0));
        const int padded = (width + vl - 1) / vl * vl;
        for (int64_t i0 = lo; i0 < hi; i0 += mr) {
          const int rows = static_cast<int>(std::min<int64_t>(mr, hi - i0));
          // The next tile's rows of x are fetched while this one is computed (the kernel's `next`):
          // they stream from memory once, a cache line per row every 16 values of k, too slowly
          // for the hardware prefetcher to run far enough ahead.
          const float* next = i0 + mr < hi ? x + (i0 + mr) * d : nullptr;
          const int nextRows = static_cast<int>(std::min<int64_t>(mr, hi - i0 - mr));
          for (int r = 0; r < rows; r++) std::copy(mn + j0, mn + j0 + width, scores + r * padded);
          for (int kb = 0; kb < kblocks; kb++) {
            const int k0 = f32::kBlockStart(dk, kblocks, kb);
            const int kc = f32::kBlockStart(dk, kblocks, kb + 1) - k0;
            const float* pk = packed + offset[static_cast<size_t>(pb) * kblocks + kb];
            for (int jp = 0; jp < width; jp += nr) {
              const int w = std::min(nr, width - jp);
              const int nv = (w + vl - 1) / vl;
              // Prefetch during the first panel only, and only rows that exist (a full next tile).
              const float* pf = jp == 0 && next != nullptr && nextRows == rows ? next + k0 : nullptr;
              f->tile[rows - 1][nv - 1][0](kc, x + i0 * d + k0, d, pk + static_cast<int64_t>(jp) * kc, nv * vl,
                                           scores + jp, padded, w, -2.0f, 1.0f, kb == 0, pf);
            }
          }
          for (int r = 0; r < rows; r++) {
            const int64_t i = i0 + r;
            float* row = out == nullptr ? nullptr : out + i * K + j0;
            scan(scores + r * padded, width, static_cast<int32_t>(j0), row, state[static_cast<size_t>(i - lo)]);
          }
        }
      }
      for (int64_t i = lo; i < hi; i++) {
        best[i] = state[static_cast<size_t>(i - lo)].b1;
        if (second != nullptr) second[i] = state[static_cast<size_t>(i - lo)].b2;
      }
    }
  });
}

}  // namespace latentlab
