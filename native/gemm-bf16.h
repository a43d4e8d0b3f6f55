// bfloat16 GEMM for the native backend's opt-in matmul precision 'bfloat16' (gemm-bf16.cc).
#pragma once

namespace latentlab {

// True when this build has the AVX512-BF16 kernel (compiled with -march=native on such a CPU).
bool bf16GemmAvailable();

// C (m×n) = alpha · op(A) · op(B) + beta · C, row-major, with the same conventions as cblas_sgemm
// (op(A) is m×k: A stored m×k, or k×m when transA; op(B) is k×n: B stored k×n, or n×k when
// transB; beta = 0 ignores C's contents). Every element of op(A) and op(B) is rounded to bfloat16
// (round to nearest even; NaN stays NaN) and the products are summed in float32, in blocks of
// 256 along k, in an order that depends neither on `threads` nor on where a tile falls: the
// result is the same for any thread count. `threads` ≥ 1 workers share the tiles of C.
void bf16Gemm(bool transA, bool transB, int m, int n, int k, float alpha, const float* a, const float* b,
              float beta, float* c, int threads);

}  // namespace latentlab
