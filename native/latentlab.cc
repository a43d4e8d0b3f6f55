// latentlab_native: the `native` Backend (src/tensor/backend.ts) as an N-API addon.
//
// float32 GEMM goes to our own AVX-512 kernels (gemm-f32.cc) on the shapes where they beat
// OpenBLAS (the policy table at ownPathFor), else to the system OpenBLAS, single-threaded, in
// blocks that our own worker threads (pool.cc) share out; nearest is fused (nearest.cc); every
// other kernel is a plain loop written so that g++ -O3 -march=native auto-vectorizes it (restrict
// pointers, branch-free bodies, template specialisation instead of per-element flags),
// single-threaded except Adam over large tensors.
// Arrays arrive as Float32Array and are used zero-copy: napi_get_typedarray_info already returns
// the ArrayBuffer's data pointer advanced by the view's byteOffset. Outputs are written in place.
//
// The callbacks use the raw N-API C calls (from node-addon-api's headers) rather than
// Napi::CallbackInfo: the latter heap-allocates for more than 6 arguments, and these functions
// are called thousands of times per second. Validation is limited to cheap checks (types,
// non-negative integer sizes, lengths sufficient for the sizes given); callers validate shapes.
// Global state: thread_local scratch buffers and one process-wide setting like OpenBLAS's own
// thread count (ours: setThreads); the module is context-aware and loads in worker threads.

#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "conv.h"
#include "gemm-bf16.h"
#include "gemm-f32.h"
#include "nearest.h"
#include "pool.h"

// ---- OpenBLAS, declared here so that no header path is needed (link with -lopenblas). ----
extern "C" {
void cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a,
                 int lda, const float* b, int ldb, float beta, float* c, int ldc);
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);
char* openblas_get_corename(void);
char* openblas_get_config(void);
}

namespace latentlab {
napi_value umapLayoutEpochFunction(napi_env env);  // native/umap.cc
}  // namespace latentlab

namespace {

// Threads asked for by setThreads (from Init on: OpenBLAS's default until then). Our own
// workers (pool.cc) use them: a GEMM is cut into column (or row) blocks, each a single-threaded
// OpenBLAS call, and Adam's large tensors are split the same way. OpenBLAS itself is kept to one
// thread, so that its idle threads never spin against ours (with OpenBLAS threading the GEMMs and
// our pool running Adam, Adam took 1.6–4.8 ms instead of 2.4; cut by us, the products of a DESOM
// step ran 10–15 % faster, the skinny ones twice as fast, and steps varied less).
std::atomic<int> gThreads{1};

int threadsWanted() { return gThreads.load(); }

constexpr int kRowMajor = 101;
constexpr int kNoTrans = 111;
constexpr int kTrans = 112;

// Keep in sync with ACTIVATION_CODE in src/tensor/backend.ts.
enum Act : int { kIdentity = 0, kRelu = 1, kLeakyRelu = 2, kTanh = 3, kSigmoid = 4 };

// ============================================================================================
// Vectorizable math. Accuracy (checked exhaustively over every float in range against libm in
// double): exp_f ≤ 8.5e-8 relative on [-87, 88]; tanh_f ≤ 1.5e-7; sigmoid_f ≤ 2.1e-7.
// NaN propagates (clamps are written as comparisons, which are false for NaN).
// ============================================================================================

inline float bits_to_float(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}
inline uint32_t float_to_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// e^x, Cephes expf: x = n·ln2 + r (ln2 split in two for an exact reduction), degree-6 polynomial
// for e^r, scale by 2^n built in the exponent bits. Inputs are clamped to [-87.34, 88]; below
// -87.34 (true result under FLT_MIN) it returns 0. Callers only pass arguments ≤ 20.
inline float exp_f(float x) {
  const float hi = 88.0f, lo = -87.33654f;
  float xc = x > hi ? hi : x;
  xc = xc < lo ? lo : xc;
  // Round x·log2(e) to the nearest integer with the 1.5·2^23 trick (no float→int conversion).
  const float t = xc * 1.44269504088896341f + 12582912.0f;
  const float n = t - 12582912.0f;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  const float z = r * r;
  float y = (((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r +
              1.6666665459e-1f) * r + 5.0000001201e-1f) * z + r + 1.0f;
  const uint32_t scaleBits = (float_to_bits(t) - 0x4B400000u + 127u) << 23;
  y *= bits_to_float(scaleBits);
  return x < lo ? 0.0f : y;
}

// tanh: odd polynomial (Cephes tanhf) below 0.625, else 1 − 2/(e^{2|x|}+1) with the sign of x.
inline float tanh_f(float x) {
  const float ax = std::fabs(x);
  const float z = x * x;
  const float small =
      ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z -
       3.33332819422e-1f) * z * x + x;
  const float c = ax > 10.0f ? 10.0f : ax;  // tanh(10) rounds to 1 in float
  const float e = exp_f(c + c);
  const float big = std::copysign(1.0f - 2.0f / (e + 1.0f), x);
  return ax < 0.625f ? small : big;
}

// sigmoid: with e = e^{−|x|} ≤ 1 (never overflows), 1/(1+e) for x ≥ 0, e/(1+e) otherwise —
// the same split the js reference uses.
inline float sigmoid_f(float x) {
  const float e = exp_f(-std::fabs(x));
  const float s = 1.0f / (1.0f + e);
  return x >= 0.0f ? s : e * s;
}

template <int A>
inline float act(float v, float slope) {
  if constexpr (A == kIdentity) return v;
  if constexpr (A == kRelu) return v > 0.0f ? v : 0.0f;
  if constexpr (A == kLeakyRelu) return v > 0.0f ? v : slope * v;
  if constexpr (A == kTanh) return tanh_f(v);
  if constexpr (A == kSigmoid) return sigmoid_f(v);
  return v;
}

// act'(·) through the output y (same forms as the js reference).
template <int A>
inline float actGrad(float y, float slope) {
  if constexpr (A == kIdentity) return 1.0f;
  if constexpr (A == kRelu) return y > 0.0f ? 1.0f : 0.0f;
  if constexpr (A == kLeakyRelu) return y > 0.0f ? 1.0f : slope;
  if constexpr (A == kTanh) return 1.0f - y * y;
  if constexpr (A == kSigmoid) return y * (1.0f - y);
  return 1.0f;
}

// Sum of f(i) for i < n in double, with 8 independent accumulators so the compiler can
// vectorize it without reassociation flags (the lanes are explicit).
template <typename F>
inline double blockedSum(int64_t n, F f) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; j++) acc[j] += f(i + j);
  }
  double tail = 0;
  for (; i < n; i++) tail += f(i);
  return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + tail;
}

// max over x[0..n) ignoring NaN (-inf when empty or all NaN), like the js `if (v > max)` loop;
// explicit lanes again, since max over non-NaN values does not depend on the order.
inline float blockedMax(int64_t n, const float* __restrict x) {
  float acc[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; j++) acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
  }
  float mx = -INFINITY;
  for (; i < n; i++) mx = x[i] > mx ? x[i] : mx;
  for (int j = 0; j < 8; j++) mx = acc[j] > mx ? acc[j] : mx;
  return mx;
}

// ============================================================================================
// Kernels
// ============================================================================================

// ---- Which GEMM runs a float32 product: our own kernels (gemm-f32.cc) or OpenBLAS. ----

// setGemm / LATENTLAB_GEMM (read by src/tensor/backends/native.ts): 'auto' follows the policy
// below, 'openblas' and 'own' force one side (own only when the CPU has a path: AVX2+FMA at least).
enum GemmChoice : int { kGemmAuto = 0, kGemmOpenblas = 1, kGemmOwn = 2 };
std::atomic<int> gGemmChoice{kGemmAuto};
// The kernel family our GEMM runs (the widest this CPU has, unless setGemm narrowed it).
std::atomic<int> gF32Path{static_cast<int>(latentlab::f32BestPath())};

// The policy of 'auto': which products go to our kernels. Measured single-threaded (CPU time, the
// best of 5 runs of each shape, so that other processes on the machine count for little) against
// OpenBLAS 0.3.21's own AVX-512 kernels (core Cooperlake) on a Zen 5, nn / nt / tn, m·n·k ≤ 2^30:
// m, n, k over {8, 16, 32, 64, 256, 500, 1024, 2000, 4096} for the first three rows, over
// {1, 4, 8, 16, 32, 64, 256, 1024, 4096} for the fourth. Ratio: our GFLOP/s over OpenBLAS's.
//
//   path    | product (MACs = m·n·k)               | shapes | ours / OpenBLAS           | runs on
//   --------+--------------------------------------+--------+---------------------------+---------
//   avx512  | MACs ≥ 2^20 and min(m, n) ≥ 8        |   1332 | median 1.23, 0.68 … 3.96  | ours
//   avx512  | 2^18 ≤ MACs < 2^20, min(m, n) ≥ 8    |    273 | median 1.05, 0.35 … 3.23  | OpenBLAS
//   avx512  | MACs < 2^18 (microseconds), min ≥ 8  |    423 | median 0.85, 0.29 … 2.39  | OpenBLAS
//   avx512  | min(m, n) < 8 (matrix–vector-like)   |    864 | median 0.51, 0.04 … 3.94  | OpenBLAS
//   avx2    | the 23 products of a DESOM step,     |     23 | 0.88 … 1.31, overall 0.97 | OpenBLAS
//           | against OpenBLAS's Haswell kernel    |        |                           |
//
// In the first row 59 shapes (4 %) fall below 0.95, large ones with k ≥ 2000 or a side ≥ 1024;
// the products of a DESOM step are all there (0.9–1.9 single-threaded, the 10-wide ones most;
// 1.02–1.05 over the step's 23 on two threads). Below 2^20 MACs
// OpenBLAS's small-matrix path wins too often, and for thin products its GEMV-like kernels. The
// AVX2 path only ties OpenBLAS's own AVX2 kernel, so 'auto' leaves those machines on OpenBLAS;
// 'own' still runs it, and the tests check it wherever the CPU has AVX2.
latentlab::F32Path ownPathFor(int m, int n, int k) {
  const int choice = gGemmChoice.load(std::memory_order_relaxed);
  const auto path = static_cast<latentlab::F32Path>(gF32Path.load(std::memory_order_relaxed));
  if (choice == kGemmOpenblas || path == latentlab::F32Path::kNone) return latentlab::F32Path::kNone;
  if (choice == kGemmOwn) return path;
  if (path != latentlab::F32Path::kAvx512) return latentlab::F32Path::kNone;
  const bool own = std::min(m, n) >= 8 && static_cast<int64_t>(m) * n * k >= (int64_t{1} << 20);
  return own ? path : latentlab::F32Path::kNone;
}

// The fused nearest kernel goes with our GEMM: always under 'own', on the AVX-512 path under 'auto',
// whatever the sizes: against OpenBLAS's GEMM then the argmin pass it took 0.37–0.88 of the CPU
// time (one thread; n × K × d = 20000 × {4, 10, 64, 400} × 784, 65536 × {10, 64} × 10, 4096 × 2000
// × 50), the small K most.
latentlab::F32Path ownNearestPath() {
  const int choice = gGemmChoice.load(std::memory_order_relaxed);
  const auto path = static_cast<latentlab::F32Path>(gF32Path.load(std::memory_order_relaxed));
  if (choice == kGemmOpenblas) return latentlab::F32Path::kNone;
  if (choice == kGemmOwn || path == latentlab::F32Path::kAvx512) return path;
  return latentlab::F32Path::kNone;
}

// One single-threaded product through the policy (for callers that share out blocks themselves).
void sgemmSingle(bool transA, bool transB, int m, int n, int k, float alpha, const float* a, const float* b, float beta,
                 float* c) {
  const latentlab::F32Path own = ownPathFor(m, n, k);
  if (own != latentlab::F32Path::kNone) {
    latentlab::f32Gemm(own, transA, transB, m, n, k, alpha, a, b, beta, c, 1);
  } else {
    cblas_sgemm(kRowMajor, transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans, m, n, k, alpha, a, transA ? m : k, b,
                transB ? k : n, beta, c, n);
  }
}

void sgemmRowMajor(bool transA, bool transB, int m, int n, int k, float alpha, const float* a, const float* b,
                   float beta, float* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    // OpenBLAS rejects lda = 0; C = beta·C (beta 0 ignores previous contents, even NaN).
    const int64_t len = static_cast<int64_t>(m) * n;
    if (beta == 0.0f) {
      for (int64_t i = 0; i < len; i++) c[i] = 0.0f;
    } else {
      for (int64_t i = 0; i < len; i++) c[i] *= beta;
    }
    return;
  }
  const int lda = transA ? m : k, ldb = transB ? k : n;
  // Below about 2.6e5 multiply-adds a second thread costs more than it saves.
  const int parts = static_cast<int64_t>(m) * n * k >= (int64_t{1} << 18) ? threadsWanted() : 1;
  const latentlab::F32Path own = ownPathFor(m, n, k);
  if (own != latentlab::F32Path::kNone) {
    latentlab::f32Gemm(own, transA, transB, m, n, k, alpha, a, b, beta, c, parts);
    return;
  }
  if (parts <= 1) {
    cblas_sgemm(kRowMajor, transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
    return;
  }
  // Column blocks when C is wide enough (each thread then packs all of op(A), the smaller side for
  // a training batch), row blocks for narrow C (the latent layer, distances to prototypes).
  const bool byCols = n >= 64 && n >= m / 4;
  const int total = byCols ? n : m, unit = byCols ? 16 : 8;
  const int blocks = (total + unit - 1) / unit;
  latentlab::parallelFor(parts, [&](int t) {
    const int lo = static_cast<int>(static_cast<int64_t>(blocks) * t / parts) * unit;
    const int hi = std::min(total, static_cast<int>(static_cast<int64_t>(blocks) * (t + 1) / parts) * unit);
    if (lo >= hi) return;
    if (byCols) {
      const float* bj = transB ? b + static_cast<int64_t>(lo) * k : b + lo;
      cblas_sgemm(kRowMajor, transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans, m, hi - lo, k, alpha, a, lda, bj, ldb, beta, c + lo, n);
    } else {
      const float* ai = transA ? a + lo : a + static_cast<int64_t>(lo) * k;
      cblas_sgemm(kRowMajor, transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans, hi - lo, n, k, alpha, ai, lda, b, ldb, beta, c + static_cast<int64_t>(lo) * n, n);
    }
  });
}

template <int A>
void biasActivationT(float* __restrict y, const float* __restrict bias, int64_t rows, int64_t cols, float slope) {
  if (bias == nullptr) {
    const int64_t len = rows * cols;
    for (int64_t i = 0; i < len; i++) y[i] = act<A>(y[i], slope);
    return;
  }
  for (int64_t r = 0; r < rows; r++) {
    float* __restrict row = y + r * cols;
    for (int64_t c = 0; c < cols; c++) row[c] = act<A>(row[c] + bias[c], slope);
  }
}

template <int A>
void activationT(const float* __restrict x, float* __restrict out, int64_t n, float slope) {
  // out may alias x exactly: each element is read before it is written, in the same iteration.
  for (int64_t i = 0; i < n; i++) out[i] = act<A>(x[i], slope);
}

template <int A>
void activationBackwardT(const float* __restrict y, const float* __restrict dy, float* __restrict dx, int64_t n,
                         float slope) {
  for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * actGrad<A>(y[i], slope);
}

void colSumK(const float* __restrict a, int64_t rows, int64_t cols, float* __restrict out, bool accumulate) {
  // Row by row into a cols-long double buffer: contiguous reads, no strided column walks.
  thread_local std::vector<double> buf;
  if (static_cast<int64_t>(buf.size()) < cols) buf.resize(static_cast<size_t>(cols));
  double* __restrict acc = buf.data();
  for (int64_t c = 0; c < cols; c++) acc[c] = 0.0;
  for (int64_t r = 0; r < rows; r++) {
    const float* __restrict row = a + r * cols;
    for (int64_t c = 0; c < cols; c++) acc[c] += row[c];
  }
  if (accumulate) {
    for (int64_t c = 0; c < cols; c++) out[c] = static_cast<float>(static_cast<double>(out[c]) + acc[c]);
  } else {
    for (int64_t c = 0; c < cols; c++) out[c] = static_cast<float>(acc[c]);
  }
}

double mseK(const float* __restrict y, const float* __restrict t, float* __restrict grad, int64_t n, double scale) {
  if (n == 0) return NAN;  // 0/0, as in js
  if (grad != nullptr) {
    const double g = (2.0 * scale) / static_cast<double>(n);
    for (int64_t i = 0; i < n; i++) grad[i] = static_cast<float>(g * (static_cast<double>(y[i]) - t[i]));
  }
  const double s = blockedSum(n, [=](int64_t i) {
    const double d = static_cast<double>(y[i]) - t[i];
    return d * d;
  });
  return s / static_cast<double>(n);
}

// Binary cross-entropy, PyTorch's clamp of the logs at -100, in double as the js backend: the
// logs of float probabilities are exact enough that a row's sum only carries summation rounding.
double bceK(const float* __restrict p, const float* __restrict t, int64_t rows, int64_t cols, double* __restrict rowSums,
            float* __restrict grad, double scale) {
  double total = 0;
  for (int64_t r = 0; r < rows; r++) {
    const float* pr = p + r * cols;
    const float* tr = t + r * cols;
    for (int64_t c = 0; c < cols; c++)
      if (!(pr[c] >= 0.0f && pr[c] <= 1.0f && tr[c] >= 0.0f && tr[c] <= 1.0f)) return NAN;
    const double s = blockedSum(cols, [=](int64_t c) {
      const double pi = pr[c], ti = tr[c];
      return -(ti * std::max(std::log(pi), -100.0) + (1.0 - ti) * std::max(std::log(1.0 - pi), -100.0));
    });
    if (grad != nullptr) {
      float* gr = grad + r * cols;
      for (int64_t c = 0; c < cols; c++) {
        const double pi = pr[c];
        gr[c] = static_cast<float>(scale * (pi - tr[c]) / std::max(pi * (1.0 - pi), 1e-12));
      }
    }
    if (rowSums != nullptr) rowSums[r] = s;
    total += s;
  }
  return total;
}

void softmaxK(const float* __restrict logits, float* __restrict probs, int64_t rows, int64_t cols) {
  // probs may alias logits exactly (element-wise read-then-write).
  for (int64_t r = 0; r < rows; r++) {
    const float* __restrict x = logits + r * cols;
    float* __restrict p = probs + r * cols;
    const float mx = blockedMax(cols, x);
    for (int64_t c = 0; c < cols; c++) p[c] = exp_f(x[c] - mx);
    const double sum = blockedSum(cols, [=](int64_t c) { return static_cast<double>(p[c]); });
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t c = 0; c < cols; c++) p[c] *= inv;
  }
}

void axpyK(int64_t n, float alpha, const float* __restrict x, float* __restrict y) {
  for (int64_t i = 0; i < n; i++) y[i] += alpha * x[i];
}

void scaleK(int64_t n, float alpha, float* __restrict x) {
  for (int64_t i = 0; i < n; i++) x[i] *= alpha;
}

// Adam / AdamW, one fused pass over p, g, m, v (PyTorch's formula, bias corrections folded into
// two scalars). Variants are compiled separately so the hot loop carries no flags.
template <bool Coupled, bool Decoupled>
void adamT(float* __restrict p, const float* __restrict g, float* __restrict m, float* __restrict v, int64_t n,
           float beta1, float beta2, float oneMinusBeta1, float oneMinusBeta2, float stepSize, float invBc2Sqrt,
           float eps, float wd, float decay) {
  for (int64_t i = 0; i < n; i++) {
    float pi = p[i];
    float gi = g[i];
    if constexpr (Coupled) gi += wd * pi;
    if constexpr (Decoupled) pi *= decay;
    const float mi = beta1 * m[i] + oneMinusBeta1 * gi;
    const float vi = beta2 * v[i] + oneMinusBeta2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] = pi - (stepSize * mi) / (std::sqrt(vi) * invBc2Sqrt + eps);
  }
}

// SGD. Mode 0: no momentum buffer; 1: first step (buf = g'); 2: buf = momentum·buf + (1−dampening)·g'.
template <bool Wd, int Mode, bool Nesterov>
void sgdT(float* __restrict p, const float* __restrict g, float* __restrict buf, int64_t n, float lr, float momentum,
          float oneMinusDampening, float wd) {
  for (int64_t i = 0; i < n; i++) {
    float d = g[i];
    if constexpr (Wd) d += wd * p[i];
    if constexpr (Mode != 0) {
      float b;
      if constexpr (Mode == 1) b = d;
      else b = momentum * buf[i] + oneMinusDampening * d;
      buf[i] = b;
      if constexpr (Nesterov) d = d + momentum * b;
      else d = b;
    }
    p[i] -= lr * d;
  }
}

// RMSprop. The state updates run in double and are rounded once per stored value, as js does:
// avg = sq − gAvg² cancels heavily once the gradient keeps its sign, and the momentum buffer sums
// terms of size up to 1/√(1−alpha) whose sum can be far smaller. The square root and the division
// (the expensive part, and not cancellation-prone) run in float.
template <bool Wd, bool Centered, bool Momentum>
void rmspropT(float* __restrict p, const float* __restrict g, float* __restrict sq, float* __restrict gAvg,
              float* __restrict buf, int64_t n, double lr, double alpha, double eps, double wd, double momentum) {
  const double oneMinusAlpha = 1.0 - alpha;
  const float epsF = static_cast<float>(eps);
  for (int64_t i = 0; i < n; i++) {
    double d = g[i];
    if constexpr (Wd) d += wd * p[i];
    const double s = alpha * sq[i] + oneMinusAlpha * d * d;
    sq[i] = static_cast<float>(s);
    double avg = s;
    if constexpr (Centered) {
      const double ga = alpha * gAvg[i] + oneMinusAlpha * d;
      gAvg[i] = static_cast<float>(ga);
      avg = s - ga * ga;
    }
    const float q = static_cast<float>(d) / (std::sqrt(static_cast<float>(avg)) + epsF);
    if constexpr (Momentum) {
      const double b = momentum * buf[i] + q;
      buf[i] = static_cast<float>(b);
      p[i] = static_cast<float>(p[i] - lr * b);
    } else {
      p[i] = static_cast<float>(p[i] - lr * q);
    }
  }
}

// ‖row‖² of each of the n rows of a (d wide), in double: the norms sqDistancesK adds.
void sqNormsK(const float* __restrict a, int64_t n, int64_t d, double* __restrict out) {
  for (int64_t i = 0; i < n; i++) {
    const float* __restrict row = a + i * d;
    out[i] = blockedSum(d, [=](int64_t q) { return static_cast<double>(row[q]) * row[q]; });
  }
}

// out (n×k) holds −2·X·Mᵀ: add ‖x_i‖² (xn[xi[i]], or computed when xn is null; xi null = i) and
// ‖m_j‖² (mn) in double, and clamp at 0.
void addSqNorms(const float* __restrict x, int64_t n, int64_t k, int64_t d, const double* __restrict xn,
                const int32_t* __restrict xi, const double* __restrict mn, float* __restrict out) {
  for (int64_t i = 0; i < n; i++) {
    const float* __restrict row = x + i * d;
    const double xni = xn != nullptr ? xn[xi != nullptr ? xi[i] : i]
                                     : blockedSum(d, [=](int64_t q) { return static_cast<double>(row[q]) * row[q]; });
    float* __restrict o = out + i * k;
    for (int64_t j = 0; j < k; j++) {
      const float v = static_cast<float>(static_cast<double>(o[j]) + xni + mn[j]);
      o[j] = v > 0.0f ? v : 0.0f;  // NaN → 0, as js
    }
  }
}

// xn / mn: the rows' norms from sqNormsK, or null to compute them here.
void sqDistancesK(const float* __restrict x, const float* __restrict mp, int64_t n, int64_t k, int64_t d,
                  float* __restrict out, const double* __restrict xn, const double* __restrict mn) {
  // out = −2·X·Mᵀ, then add ‖x_i‖² and ‖m_j‖² (computed in double) and clamp at 0.
  sgemmRowMajor(false, true, static_cast<int>(n), static_cast<int>(k), static_cast<int>(d), -2.0f, x, mp, 0.0f, out);
  thread_local std::vector<double> buf;
  if (mn == nullptr) {
    if (static_cast<int64_t>(buf.size()) < k) buf.resize(static_cast<size_t>(k));
    sqNormsK(mp, k, d, buf.data());
    mn = buf.data();
  }
  addSqNorms(x, n, k, d, xn, nullptr, mn, out);
}

// sqDistancesK for the rows x[rows[t]], t < m, without the caller gathering them first (k-means
// used to copy them into one large buffer in JS, which cost as much as the GEMM): blocks of rows
// are copied into a per-thread buffer that stays in L2 and go through one single-threaded GEMM
// each, our worker threads sharing the blocks; even for every row of x this measured no slower
// than sqDistancesK. OpenBLAS computes a row by its place in a tile of rows (24 rows on Haswell;
// a row in the tail of a GEMM can differ in the last bit), so a block holds a multiple of 48 rows:
// all rows but the last block's go through full tiles, as most rows of one long GEMM do.
// xn: the norms of all rows of x (indexed by row), or null.
void sqDistancesRowsK(const float* __restrict x, const int32_t* __restrict rows, int64_t m,
                      const float* __restrict mp, int64_t k, int64_t d, float* __restrict out,
                      const double* __restrict xn) {
  if (m == 0 || k == 0) return;
  std::vector<double> mn(static_cast<size_t>(k));
  sqNormsK(mp, k, d, mn.data());
  const int64_t block = std::max<int64_t>(48, 49152 / std::max<int64_t>(d, 1) / 48 * 48);  // ≈ 192 KB
  const int64_t blocks = (m + block - 1) / block;
  const int parts = static_cast<int>(std::min<int64_t>(m * k * d >= (int64_t{1} << 18) ? threadsWanted() : 1, blocks));
  latentlab::parallelFor(parts, [&](int t) {
    thread_local std::vector<float> buf;
    if (static_cast<int64_t>(buf.size()) < block * d) buf.resize(static_cast<size_t>(block * d));
    float* __restrict g = buf.data();
    for (int64_t b = blocks * t / parts; b < blocks * (t + 1) / parts; b++) {
      const int64_t lo = b * block, mm = std::min(block, m - lo);
      float* o = out + lo * k;
      if (d == 0) {
        std::fill(o, o + mm * k, 0.0f);  // OpenBLAS rejects lda = 0
      } else {
        for (int64_t r = 0; r < mm; r++) {
          std::memcpy(g + r * d, x + static_cast<int64_t>(rows[lo + r]) * d, static_cast<size_t>(d) * sizeof(float));
        }
        sgemmSingle(false, true, static_cast<int>(mm), static_cast<int>(k), static_cast<int>(d), -2.0f, g, mp, 0.0f, o);
      }
      addSqNorms(g, mm, k, d, xn, rows + lo, mn.data(), o);
    }
  });
}


// Nearest rows of M for each row of X without ‖x‖²: argminⱼ ‖x−mⱼ‖² = argminⱼ (‖mⱼ‖² − 2x·mⱼ), so
// scratch = ‖m‖² (broadcast) − 2·X·Mᵀ through one GEMM with β = 1, then one argmin pass. Skipping
// ‖x‖² saves a second read of X from memory (the GEMM already streamed it). Ties → lower index.
// When the policy gives this product to our kernels, the fused kernel (nearest.cc) computes the
// scores and the argmin a tile of rows at a time, writing the scores to scratch (when given) without
// reading them back.
void nearestK(const float* __restrict x, const float* __restrict mp, int64_t n, int64_t k, int64_t d,
              float* __restrict scratch, int32_t* __restrict best, int32_t* __restrict second) {
  thread_local std::vector<float> buf;
  if (static_cast<int64_t>(buf.size()) < k) buf.resize(static_cast<size_t>(k));
  float* __restrict mn = buf.data();
  for (int64_t j = 0; j < k; j++) {
    const float* __restrict row = mp + j * d;
    mn[j] = static_cast<float>(blockedSum(d, [=](int64_t q) { return static_cast<double>(row[q]) * row[q]; }));
  }
  const latentlab::F32Path own = ownNearestPath();
  if (own != latentlab::F32Path::kNone) {
    latentlab::f32Nearest(own, x, mp, mn, n, k, d, scratch, best, second, threadsWanted());
    return;
  }
  // Without the caller's scratch (it does not want the scores), a buffer of our own.
  thread_local std::vector<float> scores;
  if (scratch == nullptr) {
    scores.resize(static_cast<size_t>(n * k));
    scratch = scores.data();
  }
  for (int64_t i = 0; i < n; i++) std::memcpy(scratch + i * k, mn, static_cast<size_t>(k) * sizeof(float));
  sgemmRowMajor(false, true, static_cast<int>(n), static_cast<int>(k), static_cast<int>(d), -2.0f, x, mp, 1.0f, scratch);
  for (int64_t i = 0; i < n; i++) {
    const float* __restrict o = scratch + i * k;
    int32_t b1 = 0, b2 = -1;
    float v1 = o[0], v2 = INFINITY;
    for (int64_t j = 1; j < k; j++) {
      const float v = o[j];
      if (v < v1) {
        b2 = b1;
        v2 = v1;
        b1 = static_cast<int32_t>(j);
        v1 = v;
      } else if (v < v2) {
        b2 = static_cast<int32_t>(j);
        v2 = v;
      }
    }
    best[i] = b1;
    if (second != nullptr) second[i] = b2;
  }
}

// ============================================================================================
// N-API glue
// ============================================================================================

constexpr size_t kMaxArgs = 16;

// Elements needed for a rows×cols operand; saturates instead of overflowing, so the length check fails.
inline int64_t need(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r;
}

// Reads a call's arguments; on any failure a JS exception is pending and `ok` is false.
struct Call {
  napi_env env;
  const char* fn;
  napi_value argv[kMaxArgs];
  size_t argc = kMaxArgs;
  bool ok = true;

  Call(napi_env e, napi_callback_info info, const char* name, size_t expected) : env(e), fn(name) {
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) {
      fail("could not read arguments");
    } else if (argc < expected) {
      char msg[128];
      std::snprintf(msg, sizeof msg, "expected %zu arguments, got %zu", expected, argc);
      fail(msg);
    }
  }

  void fail(const char* what) {
    if (!ok) return;
    ok = false;
    char msg[384];
    std::snprintf(msg, sizeof msg, "latentlab_native.%s: %s", fn, what);
    napi_throw_error(env, nullptr, msg);
  }

  double num(size_t i, const char* name) {
    double v = 0;
    if (ok && napi_get_value_double(env, argv[i], &v) != napi_ok) {
      char msg[128];
      std::snprintf(msg, sizeof msg, "expected %s to be a number", name);
      fail(msg);
    }
    return v;
  }

  // A size: a non-negative number, at most `max`.
  int64_t size(size_t i, const char* name, int64_t max = int64_t{1} << 53) {
    const double v = num(i, name);
    if (ok && !(v >= 0 && v <= static_cast<double>(max) && v == std::floor(v))) {
      char msg[160];
      std::snprintf(msg, sizeof msg, "expected %s to be a non-negative integer ≤ %lld, got %g", name,
                    static_cast<long long>(max), v);
      fail(msg);
      return 0;
    }
    return static_cast<int64_t>(v);
  }

  // A flag: a boolean or a number (non-zero is true).
  bool flag(size_t i, const char* name) {
    if (!ok) return false;
    bool b = false;
    if (napi_get_value_bool(env, argv[i], &b) == napi_ok) return b;
    return num(i, name) != 0;
  }

  // A typed array of `want` with at least `need` elements, or nullptr when nullable and null/undefined.
  template <typename T>
  T* typed(size_t i, const char* name, int64_t need, bool nullable, napi_typedarray_type want, const char* what) {
    if (!ok) return nullptr;
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, argv[i], &type, &length, &data, nullptr, nullptr) != napi_ok || type != want) {
      if (nullable) {
        napi_valuetype vt;
        if (napi_typeof(env, argv[i], &vt) == napi_ok && (vt == napi_null || vt == napi_undefined)) return nullptr;
      }
      char msg[128];
      std::snprintf(msg, sizeof msg, "expected %s to be %s%s", name, what, nullable ? " or null" : "");
      fail(msg);
      return nullptr;
    }
    if (static_cast<int64_t>(length) < need) {
      char msg[192];
      std::snprintf(msg, sizeof msg, "%s has %zu elements, expected at least %lld", name, length,
                    static_cast<long long>(need));
      fail(msg);
      return nullptr;
    }
    // A zero-length view may have a null data pointer; kernels never touch it then.
    return static_cast<T*>(data);
  }

  float* f32(size_t i, const char* name, int64_t need, bool nullable = false) {
    return typed<float>(i, name, need, nullable, napi_float32_array, "a Float32Array");
  }

  int32_t* i32(size_t i, const char* name, int64_t need, bool nullable = false) {
    return typed<int32_t>(i, name, need, nullable, napi_int32_array, "an Int32Array");
  }

  double* f64(size_t i, const char* name, int64_t need, bool nullable = false) {
    return typed<double>(i, name, need, nullable, napi_float64_array, "a Float64Array");
  }

  // An activation code in [0, 4].
  int activation(size_t i) {
    const double v = num(i, "kind");
    if (ok && !(v == kIdentity || v == kRelu || v == kLeakyRelu || v == kTanh || v == kSigmoid)) {
      char msg[96];
      std::snprintf(msg, sizeof msg, "unknown activation code %g", v);
      fail(msg);
    }
    return static_cast<int>(v);
  }
};

// The arguments of gemm and gemmBf16: (transA, transB, m, n, k, alpha, a, b, beta, c).
struct GemmArgs {
  bool tA = false, tB = false;
  int m = 0, n = 0, k = 0;
  float alpha = 0, beta = 0;
  const float* A = nullptr;
  const float* B = nullptr;
  float* C = nullptr;

  // False (with a JS exception pending) when an argument is bad.
  bool read(Call& a) {
    tA = a.flag(0, "transA");
    tB = a.flag(1, "transB");
    const int64_t m64 = a.size(2, "m", INT_MAX), n64 = a.size(3, "n", INT_MAX), k64 = a.size(4, "k", INT_MAX);
    alpha = static_cast<float>(a.num(5, "alpha"));
    A = a.f32(6, "a", need(m64, k64));
    B = a.f32(7, "b", need(k64, n64));
    beta = static_cast<float>(a.num(8, "beta"));
    C = a.f32(9, "c", need(m64, n64));
    m = static_cast<int>(m64);
    n = static_cast<int>(n64);
    k = static_cast<int>(k64);
    return a.ok;
  }
};

// gemm(transA, transB, m, n, k, alpha, a, b, beta, c)
napi_value Gemm(napi_env env, napi_callback_info info) {
  Call a(env, info, "gemm", 10);
  GemmArgs g;
  if (!g.read(a)) return nullptr;
  sgemmRowMajor(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.A, g.B, g.beta, g.C);
  return nullptr;
}

// gemmBf16(transA, transB, m, n, k, alpha, a, b, beta, c): gemm at matmul precision 'bfloat16'
// (gemm-bf16.cc), on the threads setThreads asked for.
napi_value GemmBf16(napi_env env, napi_callback_info info) {
  Call a(env, info, "gemmBf16", 10);
  GemmArgs g;
  if (!g.read(a)) return nullptr;
  if (!latentlab::bf16GemmAvailable()) {
    a.fail("this build has no AVX512-BF16 kernel (the CPU it was built on lacks avx512_bf16)");
    return nullptr;
  }
  if (g.k == 0) sgemmRowMajor(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.A, g.B, g.beta, g.C);  // C = beta·C
  else latentlab::bf16Gemm(g.tA, g.tB, g.m, g.n, g.k, g.alpha, g.A, g.B, g.beta, g.C, threadsWanted());
  return nullptr;
}

// bf16Available(): whether gemmBf16 has its kernel in this build.
napi_value Bf16Available(napi_env env, napi_callback_info /*info*/) {
  napi_value result;
  napi_get_boolean(env, latentlab::bf16GemmAvailable(), &result);
  return result;
}

// biasActivation(kind, y, bias | null, rows, cols, slope)
napi_value BiasActivation(napi_env env, napi_callback_info info) {
  Call a(env, info, "biasActivation", 6);
  const int kind = a.activation(0);
  const int64_t rows = a.size(3, "rows"), cols = a.size(4, "cols");
  float* y = a.f32(1, "y", need(rows, cols));
  const float* bias = a.f32(2, "bias", cols, true);
  const float slope = static_cast<float>(a.num(5, "slope"));
  if (!a.ok) return nullptr;
  switch (kind) {
    case kIdentity: biasActivationT<kIdentity>(y, bias, rows, cols, slope); break;
    case kRelu: biasActivationT<kRelu>(y, bias, rows, cols, slope); break;
    case kLeakyRelu: biasActivationT<kLeakyRelu>(y, bias, rows, cols, slope); break;
    case kTanh: biasActivationT<kTanh>(y, bias, rows, cols, slope); break;
    case kSigmoid: biasActivationT<kSigmoid>(y, bias, rows, cols, slope); break;
  }
  return nullptr;
}

// activation(kind, x, out, n, slope)
napi_value Activation(napi_env env, napi_callback_info info) {
  Call a(env, info, "activation", 5);
  const int kind = a.activation(0);
  const int64_t n = a.size(3, "n");
  const float* x = a.f32(1, "x", n);
  float* out = a.f32(2, "out", n);
  const float slope = static_cast<float>(a.num(4, "slope"));
  if (!a.ok) return nullptr;
  switch (kind) {
    case kIdentity: activationT<kIdentity>(x, out, n, slope); break;
    case kRelu: activationT<kRelu>(x, out, n, slope); break;
    case kLeakyRelu: activationT<kLeakyRelu>(x, out, n, slope); break;
    case kTanh: activationT<kTanh>(x, out, n, slope); break;
    case kSigmoid: activationT<kSigmoid>(x, out, n, slope); break;
  }
  return nullptr;
}

// activationBackward(kind, y, dy, dx, n, slope)
napi_value ActivationBackward(napi_env env, napi_callback_info info) {
  Call a(env, info, "activationBackward", 6);
  const int kind = a.activation(0);
  const int64_t n = a.size(4, "n");
  const float* y = a.f32(1, "y", n);
  const float* dy = a.f32(2, "dy", n);
  float* dx = a.f32(3, "dx", n);
  const float slope = static_cast<float>(a.num(5, "slope"));
  if (!a.ok) return nullptr;
  switch (kind) {
    case kIdentity: activationBackwardT<kIdentity>(y, dy, dx, n, slope); break;
    case kRelu: activationBackwardT<kRelu>(y, dy, dx, n, slope); break;
    case kLeakyRelu: activationBackwardT<kLeakyRelu>(y, dy, dx, n, slope); break;
    case kTanh: activationBackwardT<kTanh>(y, dy, dx, n, slope); break;
    case kSigmoid: activationBackwardT<kSigmoid>(y, dy, dx, n, slope); break;
  }
  return nullptr;
}

// colSum(a, rows, cols, out, accumulate)
napi_value ColSum(napi_env env, napi_callback_info info) {
  Call a(env, info, "colSum", 5);
  const int64_t rows = a.size(1, "rows"), cols = a.size(2, "cols");
  const float* A = a.f32(0, "a", need(rows, cols));
  float* out = a.f32(3, "out", cols);
  const bool accumulate = a.flag(4, "accumulate");
  if (!a.ok) return nullptr;
  colSumK(A, rows, cols, out, accumulate);
  return nullptr;
}

// mse(y, t, grad | null, n, scale) -> number
napi_value Mse(napi_env env, napi_callback_info info) {
  Call a(env, info, "mse", 5);
  const int64_t n = a.size(3, "n");
  const float* y = a.f32(0, "y", n);
  const float* t = a.f32(1, "t", n);
  float* grad = a.f32(2, "grad", n, true);
  const double scale = a.num(4, "scale");
  if (!a.ok) return nullptr;
  napi_value result;
  napi_create_double(env, mseK(y, t, grad, n, scale), &result);
  return result;
}

// bce(p, t, rows, cols, rowSums | null, grad | null, scale) -> number (NaN: a value outside [0, 1])
napi_value Bce(napi_env env, napi_callback_info info) {
  Call a(env, info, "bce", 7);
  const int64_t rows = a.size(2, "rows"), cols = a.size(3, "cols");
  const float* p = a.f32(0, "p", need(rows, cols));
  const float* t = a.f32(1, "t", need(rows, cols));
  double* rowSums = a.f64(4, "rowSums", rows, true);
  float* grad = a.f32(5, "grad", need(rows, cols), true);
  const double scale = a.num(6, "scale");
  if (!a.ok) return nullptr;
  napi_value result;
  napi_create_double(env, bceK(p, t, rows, cols, rowSums, grad, scale), &result);
  return result;
}

// softmax(logits, probs, rows, cols)
napi_value Softmax(napi_env env, napi_callback_info info) {
  Call a(env, info, "softmax", 4);
  const int64_t rows = a.size(2, "rows"), cols = a.size(3, "cols");
  const float* logits = a.f32(0, "logits", need(rows, cols));
  float* probs = a.f32(1, "probs", need(rows, cols));
  if (!a.ok) return nullptr;
  softmaxK(logits, probs, rows, cols);
  return nullptr;
}

// axpy(n, alpha, x, y)
napi_value Axpy(napi_env env, napi_callback_info info) {
  Call a(env, info, "axpy", 4);
  const int64_t n = a.size(0, "n");
  const float alpha = static_cast<float>(a.num(1, "alpha"));
  const float* x = a.f32(2, "x", n);
  float* y = a.f32(3, "y", n);
  if (!a.ok) return nullptr;
  axpyK(n, alpha, x, y);
  return nullptr;
}

// scale(n, alpha, x)
napi_value Scale(napi_env env, napi_callback_info info) {
  Call a(env, info, "scale", 3);
  const int64_t n = a.size(0, "n");
  const float alpha = static_cast<float>(a.num(1, "alpha"));
  float* x = a.f32(2, "x", n);
  if (!a.ok) return nullptr;
  scaleK(n, alpha, x);
  return nullptr;
}

// adam(p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, decoupled, step)
napi_value Adam(napi_env env, napi_callback_info info) {
  Call a(env, info, "adam", 12);
  const int64_t n = a.size(4, "n");
  float* p = a.f32(0, "p", n);
  const float* g = a.f32(1, "g", n);
  float* m = a.f32(2, "m", n);
  float* v = a.f32(3, "v", n);
  const double lr = a.num(5, "lr"), beta1 = a.num(6, "beta1"), beta2 = a.num(7, "beta2"), eps = a.num(8, "eps");
  const double wd = a.num(9, "weightDecay");
  const bool decoupled = a.flag(10, "decoupled");
  const double step = a.num(11, "step");
  if (!a.ok) return nullptr;
  // Scalars in double (as js), then rounded once for the float loop.
  const double bc1 = 1.0 - std::pow(beta1, step);
  const double bc2 = 1.0 - std::pow(beta2, step);
  const float stepSize = static_cast<float>(lr / bc1);
  const float invBc2Sqrt = static_cast<float>(1.0 / std::sqrt(bc2));
  const float decay = static_cast<float>(1.0 - lr * wd);
  const float b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2);
  const float omb1 = static_cast<float>(1.0 - beta1), omb2 = static_cast<float>(1.0 - beta2);
  const float e = static_cast<float>(eps), w = static_cast<float>(wd);
  const auto range = [&](int64_t lo, int64_t hi) {
    const int64_t len = hi - lo;
    if (wd == 0) adamT<false, false>(p + lo, g + lo, m + lo, v + lo, len, b1, b2, omb1, omb2, stepSize, invBc2Sqrt, e, w, decay);
    else if (decoupled) adamT<false, true>(p + lo, g + lo, m + lo, v + lo, len, b1, b2, omb1, omb2, stepSize, invBc2Sqrt, e, w, decay);
    else adamT<true, false>(p + lo, g + lo, m + lo, v + lo, len, b1, b2, omb1, omb2, stepSize, invBc2Sqrt, e, w, decay);
  };
  // Element-wise, so splitting changes no result; only worth it for large tensors.
  const int parts = n >= (int64_t{1} << 16) ? threadsWanted() : 1;
  if (parts <= 1) {
    range(0, n);
  } else {
    latentlab::parallelFor(parts, [&](int t) {
      const int64_t lo = n * t / parts / 16 * 16, hi = t + 1 == parts ? n : n * (t + 1) / parts / 16 * 16;
      range(lo, hi);
    });
  }
  return nullptr;
}

template <bool Wd>
void sgdDispatch(float* p, const float* g, float* buf, int64_t n, float lr, float mom, float omd, float wd,
                 bool nesterov, bool firstStep) {
  if (buf == nullptr) sgdT<Wd, 0, false>(p, g, buf, n, lr, mom, omd, wd);
  else if (firstStep) {
    if (nesterov) sgdT<Wd, 1, true>(p, g, buf, n, lr, mom, omd, wd);
    else sgdT<Wd, 1, false>(p, g, buf, n, lr, mom, omd, wd);
  } else {
    if (nesterov) sgdT<Wd, 2, true>(p, g, buf, n, lr, mom, omd, wd);
    else sgdT<Wd, 2, false>(p, g, buf, n, lr, mom, omd, wd);
  }
}

// sgd(p, g, buf | null, n, lr, momentum, dampening, weightDecay, nesterov, firstStep)
napi_value Sgd(napi_env env, napi_callback_info info) {
  Call a(env, info, "sgd", 10);
  const int64_t n = a.size(3, "n");
  float* p = a.f32(0, "p", n);
  const float* g = a.f32(1, "g", n);
  float* buf = a.f32(2, "buf", n, true);
  const double lr = a.num(4, "lr"), momentum = a.num(5, "momentum"), dampening = a.num(6, "dampening");
  const double wd = a.num(7, "weightDecay");
  const bool nesterov = a.flag(8, "nesterov"), firstStep = a.flag(9, "firstStep");
  if (!a.ok) return nullptr;
  const float f_lr = static_cast<float>(lr), f_mom = static_cast<float>(momentum);
  const float omd = static_cast<float>(1.0 - dampening), f_wd = static_cast<float>(wd);
  if (momentum == 0) buf = nullptr;
  if (wd != 0) sgdDispatch<true>(p, g, buf, n, f_lr, f_mom, omd, f_wd, nesterov, firstStep);
  else sgdDispatch<false>(p, g, buf, n, f_lr, f_mom, omd, f_wd, nesterov, firstStep);
  return nullptr;
}

template <bool Wd>
void rmspropDispatch(float* p, const float* g, float* sq, float* gAvg, float* buf, int64_t n, double lr, double alpha,
                     double eps, double wd, double mom) {
  const bool centered = gAvg != nullptr, momentum = buf != nullptr;
  if (centered && momentum) rmspropT<Wd, true, true>(p, g, sq, gAvg, buf, n, lr, alpha, eps, wd, mom);
  else if (centered) rmspropT<Wd, true, false>(p, g, sq, gAvg, buf, n, lr, alpha, eps, wd, mom);
  else if (momentum) rmspropT<Wd, false, true>(p, g, sq, gAvg, buf, n, lr, alpha, eps, wd, mom);
  else rmspropT<Wd, false, false>(p, g, sq, gAvg, buf, n, lr, alpha, eps, wd, mom);
}

// rmsprop(p, g, sq, gAvg | null, buf | null, n, lr, alpha, eps, weightDecay, momentum)
napi_value Rmsprop(napi_env env, napi_callback_info info) {
  Call a(env, info, "rmsprop", 11);
  const int64_t n = a.size(5, "n");
  float* p = a.f32(0, "p", n);
  const float* g = a.f32(1, "g", n);
  float* sq = a.f32(2, "sq", n);
  float* gAvg = a.f32(3, "gAvg", n, true);
  float* buf = a.f32(4, "buf", n, true);
  const double lr = a.num(6, "lr"), alpha = a.num(7, "alpha"), eps = a.num(8, "eps");
  const double wd = a.num(9, "weightDecay"), momentum = a.num(10, "momentum");
  if (!a.ok) return nullptr;
  if (!(momentum > 0)) buf = nullptr;  // js: momentum > 0 && buf !== null
  if (wd != 0) rmspropDispatch<true>(p, g, sq, gAvg, buf, n, lr, alpha, eps, wd, momentum);
  else rmspropDispatch<false>(p, g, sq, gAvg, buf, n, lr, alpha, eps, wd, momentum);
  return nullptr;
}

// sqDistances(x, mProto, n, k, d, out, xNorm2 | null, mNorm2 | null)
napi_value SqDistances(napi_env env, napi_callback_info info) {
  Call a(env, info, "sqDistances", 6);
  const int64_t n = a.size(2, "n", INT_MAX), k = a.size(3, "k", INT_MAX), d = a.size(4, "d", INT_MAX);
  const float* x = a.f32(0, "x", need(n, d));
  const float* mp = a.f32(1, "mProto", need(k, d));
  float* out = a.f32(5, "out", need(n, k));
  const double* xn = a.f64(6, "xNorm2", n, true);
  const double* mn = a.f64(7, "mNorm2", k, true);
  if (!a.ok) return nullptr;
  sqDistancesK(x, mp, n, k, d, out, xn, mn);
  return nullptr;
}

// sqNorms(x, n, d, out)
napi_value SqNorms(napi_env env, napi_callback_info info) {
  Call a(env, info, "sqNorms", 4);
  const int64_t n = a.size(1, "n", INT_MAX), d = a.size(2, "d", INT_MAX);
  const float* x = a.f32(0, "x", need(n, d));
  double* out = a.f64(3, "out", n);
  if (!a.ok) return nullptr;
  sqNormsK(x, n, d, out);
  return nullptr;
}

// sqDistancesRows(x, rows, m, mProto, k, d, out, xNorm2 | null)
napi_value SqDistancesRows(napi_env env, napi_callback_info info) {
  Call a(env, info, "sqDistancesRows", 7);
  const int64_t m = a.size(2, "m", INT_MAX), k = a.size(4, "k", INT_MAX), d = a.size(5, "d", INT_MAX);
  const float* x = a.f32(0, "x", 0);
  const int32_t* rows = a.i32(1, "rows", m);
  const float* mp = a.f32(3, "mProto", need(k, d));
  float* out = a.f32(6, "out", need(m, k));
  if (!a.ok) return nullptr;
  // Every row index must lie within x (and within xNorm2 when given).
  size_t xlen = 0;
  napi_get_typedarray_info(env, a.argv[0], nullptr, &xlen, nullptr, nullptr, nullptr);
  int64_t rowsOfX = d == 0 ? INT_MAX : static_cast<int64_t>(xlen) / d;
  const double* xn = a.f64(7, "xNorm2", 0, true);
  if (!a.ok) return nullptr;
  if (xn != nullptr) {
    size_t nlen = 0;
    napi_get_typedarray_info(env, a.argv[7], nullptr, &nlen, nullptr, nullptr, nullptr);
    rowsOfX = std::min(rowsOfX, static_cast<int64_t>(nlen));
  }
  for (int64_t t = 0; t < m; t++) {
    if (rows[t] < 0 || rows[t] >= rowsOfX) {
      char msg[192];
      std::snprintf(msg, sizeof msg, "rows[%lld] is %d, outside the %lld rows of x%s", static_cast<long long>(t), rows[t],
                    static_cast<long long>(rowsOfX), xn != nullptr ? " and xNorm2" : "");
      a.fail(msg);
      return nullptr;
    }
  }
  sqDistancesRowsK(x, rows, m, mp, k, d, out, xn);
  return nullptr;
}

// nearest(x, mProto, n, k, d, scratch, best, second|null)
napi_value Nearest(napi_env env, napi_callback_info info) {
  Call a(env, info, "nearest", 8);
  const int64_t n = a.size(2, "n", INT_MAX), k = a.size(3, "k", INT_MAX), d = a.size(4, "d", INT_MAX);
  const float* x = a.f32(0, "x", need(n, d));
  const float* mp = a.f32(1, "mProto", need(k, d));
  float* scratch = a.f32(5, "scratch", need(n, k), true);
  int32_t* best = a.i32(6, "best", n);
  int32_t* second = a.i32(7, "second", n, true);
  if (!a.ok) return nullptr;
  if (k < 1) {
    char msg[96];
    std::snprintf(msg, sizeof msg, "expected k ≥ 1 prototypes, got %lld", static_cast<long long>(k));
    a.fail(msg);
    return nullptr;
  }
  nearestK(x, mp, n, k, d, scratch, best, second);
  return nullptr;
}

// setGemm(choice, path): choice 0 'auto', 1 'openblas', 2 'own'; path 0 (the widest this CPU
// runs), 1 AVX2, 2 AVX-512 — one this CPU runs.
napi_value SetGemm(napi_env env, napi_callback_info info) {
  Call a(env, info, "setGemm", 2);
  const int64_t choice = a.size(0, "choice", 2), path = a.size(1, "path", 2);
  if (!a.ok) return nullptr;
  const auto best = latentlab::f32BestPath();
  if (path > static_cast<int64_t>(best)) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "expected a kernel path this CPU runs (up to %s), got %s", latentlab::f32PathName(best),
                  latentlab::f32PathName(static_cast<latentlab::F32Path>(path)));
    a.fail(msg);
    return nullptr;
  }
  gGemmChoice.store(static_cast<int>(choice));
  gF32Path.store(path == 0 ? static_cast<int>(best) : static_cast<int>(path));
  return nullptr;
}

// gemmInfo() -> { choice: 0 | 1 | 2, path: 'avx512' | 'avx2' | 'none', best: … } (see setGemm).
napi_value GemmInfo(napi_env env, napi_callback_info /*info*/) {
  napi_value result, choice, path, best;
  napi_create_object(env, &result);
  napi_create_int32(env, gGemmChoice.load(), &choice);
  napi_create_string_utf8(env, latentlab::f32PathName(static_cast<latentlab::F32Path>(gF32Path.load())), NAPI_AUTO_LENGTH,
                          &path);
  napi_create_string_utf8(env, latentlab::f32PathName(latentlab::f32BestPath()), NAPI_AUTO_LENGTH, &best);
  napi_set_named_property(env, result, "choice", choice);
  napi_set_named_property(env, result, "path", path);
  napi_set_named_property(env, result, "best", best);
  return result;
}

// fmaPeak(threads, seconds) -> GFLOP/s: the FMA limit of the current path (gemm-f32.h).
napi_value FmaPeak(napi_env env, napi_callback_info info) {
  Call a(env, info, "fmaPeak", 2);
  const int64_t threads = a.size(0, "threads", 64);
  const double seconds = a.num(1, "seconds");
  if (!a.ok) return nullptr;
  if (threads < 1 || !(seconds > 0 && seconds <= 10)) {
    a.fail("expected threads ≥ 1 and 0 < seconds ≤ 10");
    return nullptr;
  }
  napi_value result;
  const auto path = static_cast<latentlab::F32Path>(gF32Path.load());
  napi_create_double(env, latentlab::f32FmaPeakGflops(path, static_cast<int>(threads), seconds), &result);
  return result;
}

// setThreads(n)
napi_value SetThreads(napi_env env, napi_callback_info info) {
  Call a(env, info, "setThreads", 1);
  const int64_t n = a.size(0, "n", 1024);
  if (!a.ok) return nullptr;
  if (n < 1) {
    a.fail("expected n ≥ 1");
    return nullptr;
  }
  gThreads.store(static_cast<int>(n));
  return nullptr;
}

napi_value GetThreads(napi_env env, napi_callback_info /*info*/) {
  napi_value result;
  napi_create_int32(env, threadsWanted(), &result);
  return result;
}

napi_value stringOrNull(napi_env env, const char* s) {
  napi_value result;
  if (s == nullptr) napi_get_null(env, &result);
  else napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &result);
  return result;
}

napi_value CoreName(napi_env env, napi_callback_info /*info*/) { return stringOrNull(env, openblas_get_corename()); }

napi_value Config(napi_env env, napi_callback_info /*info*/) { return stringOrNull(env, openblas_get_config()); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Our thread count starts at OpenBLAS's default (the cores, or OPENBLAS_NUM_THREADS); OpenBLAS
  // itself runs single-threaded inside our workers from now on.
  // Once per process (Init runs again for each worker_threads context): afterwards OpenBLAS reports 1.
  static const bool once = [] {
    gThreads.store(std::max(1, openblas_get_num_threads()));
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
  struct Entry {
    const char* name;
    napi_callback cb;
  };
  static const Entry entries[] = {
      {"gemm", Gemm},
      {"gemmBf16", GemmBf16},
      {"bf16Available", Bf16Available},
      {"biasActivation", BiasActivation},
      {"activation", Activation},
      {"activationBackward", ActivationBackward},
      {"colSum", ColSum},
      {"mse", Mse},
      {"bce", Bce},
      {"softmax", Softmax},
      {"axpy", Axpy},
      {"scale", Scale},
      {"adam", Adam},
      {"sgd", Sgd},
      {"rmsprop", Rmsprop},
      {"sqDistances", SqDistances},
      {"sqDistancesRows", SqDistancesRows},
      {"sqNorms", SqNorms},
      {"nearest", Nearest},
      {"setGemm", SetGemm},
      {"gemmInfo", GemmInfo},
      {"fmaPeak", FmaPeak},
      {"setThreads", SetThreads},
      {"getThreads", GetThreads},
      {"coreName", CoreName},
      {"config", Config},
  };
  for (const Entry& e : entries) {
    napi_value fn;
    if (napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.cb, nullptr, &fn) != napi_ok) {
      Napi::Error::New(env, std::string("latentlab_native: could not create ") + e.name).ThrowAsJavaScriptException();
      return exports;
    }
    exports.Set(e.name, Napi::Value(env, fn));
  }
  exports.Set("umapLayoutEpoch", Napi::Value(env, latentlab::umapLayoutEpochFunction(env)));
  exports.Set("im2col", Napi::Value(env, latentlab::im2colFunction(env)));
  exports.Set("col2im", Napi::Value(env, latentlab::col2imFunction(env)));
  exports.Set("convGemm", Napi::Value(env, latentlab::convGemmFunction(env)));
  exports.Set("convGemmBackward", Napi::Value(env, latentlab::convGemmBackwardFunction(env)));
  return exports;
}

}  // namespace

NODE_API_MODULE(latentlab_native, Init)
