// Our own float32 GEMM for the native backend (gemm-f32.cc): AVX-512F and AVX2+FMA kernels chosen
// at run time, used by latentlab.cc's gemm where it beats OpenBLAS (the policy table there), and
// the building blocks that the fused nearest-prototype kernel (nearest.cc) shares with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace latentlab {

// Which kernel family runs a product: kNone means this CPU has neither (then only OpenBLAS).
enum class F32Path : int { kNone = 0, kAvx2 = 1, kAvx512 = 2 };

// The widest family this CPU runs (__builtin_cpu_supports): AVX-512F, else AVX2 with FMA, else none.
F32Path f32BestPath();

// "avx512", "avx2" or "none".
const char* f32PathName(F32Path path);

// C (m×n) = alpha · op(A) · op(B) + beta · C, row-major, with cblas_sgemm's conventions (op(A) is
// m×k: A stored m×k, or k×m when transA; op(B) is k×n: B stored k×n, or n×k when transB; beta = 0
// ignores C's contents, NaN included; alpha = 0 or k = 0 leaves beta · C and reads neither A nor B).
// Each element of C is summed over k in f32::kBlocks(k) blocks (bounds that depend on k alone);
// within a block the products are accumulated in order by fused multiply-adds from zero, the
// block's sum s is rounded to alpha·s, then the first block stores fma(beta, C, alpha·s) and the
// next ones C + alpha·s. So the result is the same for any `threads`, for
// either path and wherever the element falls in a tile.
// `path` must be one this CPU runs (f32BestPath() or narrower). `threads` ≥ 1 workers (pool.h).
void f32Gemm(F32Path path, bool transA, bool transB, int m, int n, int k, float alpha, const float* a, const float* b,
             float beta, float* c, int threads);

// The measured FMA limit: `threads` threads (on the pool) each running independent chains of
// fused multiply-adds of the path's width for about `seconds` of their own CPU time; the sum over
// threads of 2 flops per lane per FMA divided by each thread's CPU time, in GFLOP/s.
double f32FmaPeakGflops(F32Path path, int threads, double seconds);

namespace f32 {

// ---- The building blocks, shared with nearest.cc. ----

// At most this many k values per block.
constexpr int kKC = 384;

// Blocks along k for an inner dimension k; block b is [k·b/blocks, k·(b+1)/blocks).
inline int kBlocks(int k) { return (k + kKC - 1) / kKC; }
inline int kBlockStart(int k, int blocks, int b) { return static_cast<int>(static_cast<int64_t>(k) * b / blocks); }

// An operand seen as rows × k: kContig means element (r, p) at base[r·ld + p], else base[p·ld + r].
struct Operand {
  const float* base;
  int64_t ld;
  bool kContig;
};

//   packB: columns [j0, j0 + nc) × k values [k0, k0 + kc) of op(B) (column j = operand row j) into
//     panels of nr() columns, the last one narrowed to a multiple of vl (zeros past nc); panel q
//     starts at out + q·nr()·kc; 64-byte aligned when out is.
//   tile[rows − 1][vectors − 1][transA]: C[0..rows) × [0..w) (w ≤ vectors·vl) over kc values, A at
//     a (a[i·lda + p], or a[p·lda + i] when transA), op(B) at b (b[p·ldb + j]: a packed panel, or
//     op(B) itself when it is stored k×n; vectors·vl floats are read per p); the block step of
//     f32Gemm (first: C = alpha·s + beta·C, else C = C + alpha·s). `next` (A not transposed; or
//     null): the next tile's A, same lda, prefetched a cache line per row every 16 values of k —
//     spread over the tile's work, where a burst of prefetches ahead of it stalls on the misses.
using PackB = void (*)(const Operand& B, int64_t j0, int64_t k0, int nc, int kc, float* out);
using Tile = void (*)(int kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc, int w,
                      float alpha, float beta, bool first, const float* next);

constexpr int kMaxMR = 8, kMaxNV = 4;

// A 64-byte aligned float buffer that only grows (callers keep one thread_local per worker).
struct AlignedBuffer {
  float* p = nullptr;
  size_t n = 0;
  float* get(size_t want) {
    if (want > n) {
      std::free(p);
      n = want + 4096;
      p = static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64));
    }
    return p;
  }
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(p); }
};

struct Family {
  int mr, nv, vl;       // f32Gemm's tiles: mr rows × nv vectors of vl floats
  int wideMr, wideNv;   // the widest tiles (nearest.cc): wideMr rows × wideNv vectors
  PackB packB;          // panels of nr() columns
  PackB packWide;       // panels of wideNr() columns
  Tile tile[kMaxMR][kMaxNV][2];  // every rows ≤ mr with vectors ≤ nv, and rows ≤ wideMr with vectors ≤ wideNv
  int nr() const { return nv * vl; }
  int wideNr() const { return wideNv * vl; }
};

// The kernels of a path (null for kNone or a path this build has no kernels for).
const Family* family(F32Path path);


}  // namespace f32

}  // namespace latentlab
