// The fused nearest-prototype search of the native backend (nearest.cc).
#pragma once

#include <cstdint>

#include "gemm-f32.h"

namespace latentlab {

// For each of the n rows x_i of x (n×d), the index of the row m_j of mp (K×d) with the smallest
// mn[j] − 2·x_i·m_j (mn: the K squared norms ‖m_j‖², so this is ‖x_i − m_j‖² − ‖x_i‖²), and of
// the second smallest when `second` is not null (−1 when K = 1); ties go to the lower index. The
// scores are exactly those of f32Gemm(…, alpha −2, beta 1) on a C filled with mn, computed a tile
// of rows at a time into a buffer that stays in L1 and reduced there: the n × K matrix is never
// read back. `scores` (n×K, or null) receives them, written once as each tile is done. The
// selection is the streaming one of the js backend's argmin2Rows (a strictly smaller score
// replaces the best, the old best becomes the second, else a strictly smaller score than the
// second replaces it), so NaN and infinite scores give the same answer as there. `path` is one
// this CPU runs (not kNone); K ≥ 1; `threads` ≥ 1 (pool.h).
void f32Nearest(F32Path path, const float* x, const float* mp, const float* mn, int64_t n, int64_t K, int64_t d,
                float* scores, int32_t* best, int32_t* second, int threads);

}  // namespace latentlab
