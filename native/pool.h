// The native backend's worker threads: they share out the blocks of every GEMM (OpenBLAS runs
// single-threaded inside them, or the bfloat16 kernel) and Adam over large tensors, so that no
// second thread pool spins against them.
#pragma once

#include <functional>

namespace latentlab {

// Runs f(0), …, f(parts − 1) and returns when all have finished: f(0) on the calling thread, the
// others on worker threads created on first use. A call made while another is running (from another
// JS thread) runs all its parts on its own thread.
void parallelFor(int parts, const std::function<void(int)>& f);

}  // namespace latentlab
