// UMAP's layout epoch (src/viz/umap.ts, layoutEpoch) in C++: the same arithmetic step for step —
// doubles where JavaScript computes in doubles, float32 where it stores into a Float32Array, the
// same xorshift128 for the negative samples, the same coefficient tables indexed by the float32
// bits of the squared distance — so that an epoch gives the same bytes as the js backend's.
// Contraction of a·b + c into one fused multiply-add would round differently from JavaScript,
// hence fp-contract=off for this file. Outside the tables' range the coefficient comes from the C
// library's pow, which may differ from V8's Math.pow in the last bit.
#pragma GCC optimize("fp-contract=off")

#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <cstring>

namespace latentlab {

namespace {

constexpr int TAB_BITS = 8;
constexpr int TAB_LO = -24;
constexpr int TAB_HI = 16;
constexpr int32_t TAB_SIZE = (TAB_HI - TAB_LO) << TAB_BITS;
constexpr int TAB_SHIFT = 23 - TAB_BITS;
constexpr int32_t TAB_BASE = (TAB_LO + 127) << TAB_BITS;
constexpr uint32_t TAB_MASK = (1u << TAB_SHIFT) - 1;
constexpr double TAB_FRAC = 1.0 / (1 << TAB_SHIFT);

inline uint32_t floatBits(double x) {
  const float f = static_cast<float>(x);
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return bits;
}

inline double clip4(double g) { return g > 4 ? 4 : g < -4 ? -4 : g; }

template <typename T>
bool typed(napi_env env, napi_value v, napi_typedarray_type want, T** out, size_t* length) {
  napi_typedarray_type type;
  void* data;
  if (napi_get_typedarray_info(env, v, &type, length, &data, nullptr, nullptr) != napi_ok || type != want) return false;
  *out = static_cast<T*>(data);
  return true;
}

// umapLayoutEpoch(y, head, tail, period, negPeriod, nextSample, nextNeg, attraction, repulsion, seed, n, epoch, alpha, a, b)
napi_value UmapLayoutEpoch(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc != 15) {
    napi_throw_type_error(env, nullptr, "umapLayoutEpoch: expected 15 arguments");
    return nullptr;
  }
  float* y;
  int32_t *head, *tail, *seed;
  double *period, *negPeriod, *nextSample, *nextNeg, *attraction, *repulsion;
  size_t ny, m, mt, mp, mnp, mns, mnn, na, nr, ns;
  if (!typed(env, argv[0], napi_float32_array, &y, &ny) || !typed(env, argv[1], napi_int32_array, &head, &m) ||
      !typed(env, argv[2], napi_int32_array, &tail, &mt) || !typed(env, argv[3], napi_float64_array, &period, &mp) ||
      !typed(env, argv[4], napi_float64_array, &negPeriod, &mnp) || !typed(env, argv[5], napi_float64_array, &nextSample, &mns) ||
      !typed(env, argv[6], napi_float64_array, &nextNeg, &mnn) || !typed(env, argv[7], napi_float64_array, &attraction, &na) ||
      !typed(env, argv[8], napi_float64_array, &repulsion, &nr) || !typed(env, argv[9], napi_int32_array, &seed, &ns)) {
    napi_throw_type_error(env, nullptr, "umapLayoutEpoch: expected Float32Array y, Int32Array head/tail, Float64Array period/negPeriod/nextSample/nextNeg/attraction/repulsion, Int32Array seed");
    return nullptr;
  }
  double nD, epochD, alpha, a, b;
  napi_get_value_double(env, argv[10], &nD);
  napi_get_value_double(env, argv[11], &epochD);
  napi_get_value_double(env, argv[12], &alpha);
  napi_get_value_double(env, argv[13], &a);
  napi_get_value_double(env, argv[14], &b);
  const int64_t n = static_cast<int64_t>(nD);
  if (mt != m || mp != m || mnp != m || mns != m || mnn != m || ny != static_cast<size_t>(2 * n) || na != static_cast<size_t>(TAB_SIZE + 1) ||
      nr != static_cast<size_t>(TAB_SIZE + 1) || ns != 4) {
    napi_throw_range_error(env, nullptr, "umapLayoutEpoch: array lengths do not match (edges, 2·n coordinates, tables, 4 seed words)");
    return nullptr;
  }
  for (size_t e = 0; e < m; e++) {
    if (head[e] < 0 || head[e] >= n || tail[e] < 0 || tail[e] >= n) {
      napi_throw_range_error(env, nullptr, "umapLayoutEpoch: an edge end is outside 0..n-1");
      return nullptr;
    }
  }
  const double epoch = epochD;
  uint32_t s0 = static_cast<uint32_t>(seed[0]), s1 = static_cast<uint32_t>(seed[1]), s2 = static_cast<uint32_t>(seed[2]),
           s3 = static_cast<uint32_t>(seed[3]);
  for (size_t e = 0; e < m; e++) {
    if (nextSample[e] > epoch) continue;
    const int32_t j = head[e];
    const int32_t k = tail[e];
    double cx = y[2 * j];
    double cy = y[2 * j + 1];
    double dx = cx - static_cast<double>(y[2 * k]);
    double dy = cy - static_cast<double>(y[2 * k + 1]);
    double d2 = dx * dx + dy * dy;
    if (d2 > 0) {
      const uint32_t bits = floatBits(d2);
      const int32_t idx = static_cast<int32_t>(bits >> TAB_SHIFT) - TAB_BASE;
      double coeff;
      if (idx >= 0 && idx < TAB_SIZE) {
        const double t0 = attraction[idx];
        coeff = t0 + (attraction[idx + 1] - t0) * (static_cast<double>(bits & TAB_MASK) * TAB_FRAC);
      } else
        coeff = (-2 * a * b * std::pow(d2, b - 1)) / (1 + a * std::pow(d2, b));
      const double gx = clip4(coeff * dx) * alpha;
      const double gy = clip4(coeff * dy) * alpha;
      cx += gx;
      cy += gy;
      y[2 * k] = static_cast<float>(static_cast<double>(y[2 * k]) - gx);
      y[2 * k + 1] = static_cast<float>(static_cast<double>(y[2 * k + 1]) - gy);
    }
    nextSample[e] += period[e];
    const double nNeg = std::floor((epoch - nextNeg[e]) / negPeriod[e]);
    for (double q = 0; q < nNeg; q++) {
      // xorshift128 (Marsaglia 2003), as umap.ts computes it on int32 words
      const uint32_t t = s0 ^ (s0 << 11);
      s0 = s1;
      s1 = s2;
      s2 = s3;
      s3 = s3 ^ (s3 >> 19) ^ (t ^ (t >> 8));
      const int64_t r = static_cast<int64_t>(std::floor(static_cast<double>(s3) * 2.3283064365386963e-10 * static_cast<double>(n)));
      if (r == j) continue;
      dx = cx - static_cast<double>(y[2 * r]);
      dy = cy - static_cast<double>(y[2 * r + 1]);
      d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        const uint32_t bits = floatBits(d2);
        const int32_t idx = static_cast<int32_t>(bits >> TAB_SHIFT) - TAB_BASE;
        double coeff;
        if (idx >= 0 && idx < TAB_SIZE) {
          const double t0 = repulsion[idx];
          coeff = t0 + (repulsion[idx + 1] - t0) * (static_cast<double>(bits & TAB_MASK) * TAB_FRAC);
        } else
          coeff = (2 * b) / ((0.001 + d2) * (1 + a * std::pow(d2, b)));
        cx += clip4(coeff * dx) * alpha;
        cy += clip4(coeff * dy) * alpha;
      }
    }
    nextNeg[e] += nNeg * negPeriod[e];
    y[2 * j] = static_cast<float>(cx);
    y[2 * j + 1] = static_cast<float>(cy);
  }
  seed[0] = static_cast<int32_t>(s0);
  seed[1] = static_cast<int32_t>(s1);
  seed[2] = static_cast<int32_t>(s2);
  seed[3] = static_cast<int32_t>(s3);
  return nullptr;
}

}  // namespace

napi_value umapLayoutEpochFunction(napi_env env) {
  napi_value fn;
  napi_create_function(env, "umapLayoutEpoch", NAPI_AUTO_LENGTH, UmapLayoutEpoch, nullptr, &fn);
  return fn;
}

}  // namespace latentlab
