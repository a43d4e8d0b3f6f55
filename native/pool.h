// Worker threads for the kernels that do not go through OpenBLAS (the bfloat16 GEMM, Adam at
// matmul precision bfloat16), so that they can use every core without OpenBLAS's own threads.
#pragma once

#include <functional>

namespace latentlab {

// Runs f(0), …, f(parts − 1) and returns when all have finished: f(0) on the calling thread, the
// others on worker threads created on first use. A call made while another is running (from another
// JS thread) runs all its parts on its own thread.
void parallelFor(int parts, const std::function<void(int)>& f);

}  // namespace latentlab
