// The native backend's 2-D convolutions (conv.cc): im2col / col2im, and the GEMM drivers over them
// that the layers call (convGemm / convGemmBackward). Contracts, layouts and geometry: Backend.im2col,
// col2im, convGemm and convGemmBackward in src/tensor/backend.ts.
#pragma once

#include <node_api.h>

#include <cstdint>

namespace latentlab {

// A convolution's geometry (ConvGeometry in src/tensor/backend.ts, fields in the same order).
struct ConvGeom {
  int64_t channels, height, width, kernelH, kernelW, strideH, strideW, padTop, padLeft, dilationH, dilationW, outH, outW;
};

// cols (images × [channels·kernelH·kernelW] × [outH·outW]) from x (images × channels × height × width).
// `threads` workers share the (image, channel) planes; the result does not depend on it.
void im2col(const float* x, int64_t images, const ConvGeom& g, float* cols, int threads);

// x (images × channels × height × width) = (accumulate ? x : 0) + the adjoint of im2col applied to cols.
void col2im(const float* cols, int64_t images, const ConvGeom& g, float* x, bool accumulate, int threads);

// out_b (m × P) = w (m × K) · im2col(a_b) + (accumulate ? out_b : 0) for each image b (Backend.convGemm).
// out_b's bits depend on image b alone: not on the call's other images nor on `threads`.
void convGemm(const float* a, int64_t images, const ConvGeom& g, const float* w, int64_t m, float* out, bool accumulate,
              int threads);

// Backend.convGemmBackward: dw (m × K) (+)= Σ_b d_b · im2col(a_b)ᵀ, db (m) (+)= Σ_b Σ_p d_b, da_b (+)= col2im(wᵀ · d_b),
// each when not null. The sums over images go by fixed blocks of images, so the result does not depend on `threads`;
// da_b, as convGemm's out_b, depends on image b alone.
void convGemmBackward(const float* a, const float* d, int64_t images, const ConvGeom& g, const float* w, int64_t m,
                      float* dw, bool accumulateW, float* db, bool accumulateB, float* da, bool accumulateA, int threads);

// The addon's JS functions:
//   im2col(x, images, geometry: Int32Array(13), cols, threads)
//   col2im(cols, images, geometry: Int32Array(13), x, accumulate, threads)
//   convGemm(a, images, geometry, w, m, out, accumulate, threads)
//   convGemmBackward(a | null, d, images, geometry, w, m, dw | null, accumulateW, db | null, accumulateB, da | null,
//                    accumulateA, threads)
napi_value im2colFunction(napi_env env);
napi_value col2imFunction(napi_env env);
napi_value convGemmFunction(napi_env env);
napi_value convGemmBackwardFunction(napi_env env);

}  // namespace latentlab
