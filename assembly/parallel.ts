/* eslint-disable @typescript-eslint/no-unnecessary-type-assertion -- AssemblyScript: <usize>, <f64>, <f32> convert between wasm types that TypeScript sees as one number type */
// One part ("tile") of a kernel call shared between threads (kernels-mt.wasm; src/tensor/backends/
// wasm-threads.ts). The calling thread writes the call's arguments into a job record in the shared
// memory; then it and the worker threads claim tiles 0 … tiles−1 and each runs `runTile(job, t,
// self)`. A tile is a block of C's rows or columns (gemm) or a range of elements (the element-wise
// kernels): every entry is computed as the single-threaded call computes it, so the result does not
// depend on the number of threads or on which thread ran which tile. `self` (0 for the calling
// thread, 1 … threads−1 for the workers) picks the thread's own scratch.
import { gemmTile } from './gemm';
import { activation, biasActivation } from './elementwise';
import { adam } from './optim';

/** Job kinds (JOB_* in src/tensor/backends/wasm-threads.ts). */
const GEMM = 1;
const ADAM = 2;
const BIAS_ACTIVATION = 3;
const ACTIVATION = 4;

/** Reading the job record (32-bit slots: integers, pointers, float32 scalars) and cutting ranges. */
class J {
  @inline static i(job: usize, slot: i32): i32 {
    return load<i32>(job + ((<usize>slot) << 2));
  }

  @inline static f(job: usize, slot: i32): f32 {
    return load<f32>(job + ((<usize>slot) << 2));
  }

  @inline static p(job: usize, slot: i32): usize {
    return <usize>load<u32>(job + ((<usize>slot) << 2));
  }

  /** Start of part t of `count` items in whole units of `unit`, cut into `parts` parts (the last part's end is past count). */
  @inline static bound(count: i32, unit: i32, parts: i32, t: i32): i32 {
    return <i32>((<i64>((count + unit - 1) / unit) * t) / parts) * unit;
  }
}

/**
 * Runs tile t of the job at `job`. Slots: 0 kind, 1 tiles; then per kind
 * - GEMM: 2 transA, 3 transB, 4 m, 5 n, 6 k, 7 alpha, 8 a, 9 b, 10 beta, 11 c, 12 work, 13 bytes of
 *   work per thread, 14 by columns (else by rows), 15 unit (columns or rows per step of a bound);
 * - ADAM: 2 p, 3 g, 4 m, 5 v, 6 n, 7 mode, 8 … 16 beta1, beta2, omb1, omb2, stepSize, invBc2Sqrt, eps, wd, decay;
 * - BIAS_ACTIVATION: 2 kind, 3 y, 4 bias, 5 rows, 6 cols, 7 slope (tiles of rows; a bias is needed: without one the
 *   kernel runs whole vectors over the matrix, which rows would share, so the caller sends ACTIVATION);
 * - ACTIVATION: 2 kind, 3 x, 4 n, 5 slope.
 * Element ranges start at multiples of 16 elements, so no two tiles write one vector.
 */
export function runTile(job: usize, t: i32, self: i32): void {
  const kind = J.i(job, 0);
  const tiles = J.i(job, 1);
  if (kind == GEMM) {
    const m = J.i(job, 4);
    const n = J.i(job, 5);
    const byCols = J.i(job, 14) != 0;
    const unit = J.i(job, 15);
    const dim = byCols ? n : m;
    const lo = J.bound(dim, unit, tiles, t);
    const hi = min(dim, J.bound(dim, unit, tiles, t + 1));
    const work = J.p(job, 12) + <usize>self * J.p(job, 13);
    if (byCols)
      gemmTile(J.i(job, 2) != 0, J.i(job, 3) != 0, m, n, J.i(job, 6), J.f(job, 7), J.p(job, 8), J.p(job, 9), J.f(job, 10), J.p(job, 11), work, 0, m, lo, hi);
    else gemmTile(J.i(job, 2) != 0, J.i(job, 3) != 0, m, n, J.i(job, 6), J.f(job, 7), J.p(job, 8), J.p(job, 9), J.f(job, 10), J.p(job, 11), work, lo, hi, 0, n);
    return;
  }
  if (kind == BIAS_ACTIVATION) {
    const rows = J.i(job, 5);
    const cols = J.i(job, 6);
    const lo = J.bound(rows, 1, tiles, t);
    const hi = min(rows, J.bound(rows, 1, tiles, t + 1));
    if (hi > lo) biasActivation(J.i(job, 2), J.p(job, 3) + ((<usize>lo * <usize>cols) << 2), J.p(job, 4), hi - lo, cols, J.f(job, 7));
    return;
  }
  const n = kind == ADAM ? J.i(job, 6) : J.i(job, 4);
  const lo = J.bound(n, 16, tiles, t);
  const hi = min(n, J.bound(n, 16, tiles, t + 1));
  if (hi <= lo) return;
  const at = (<usize>lo) << 2;
  if (kind == ADAM) {
    adam(
      J.p(job, 2) + at,
      J.p(job, 3) + at,
      J.p(job, 4) + at,
      J.p(job, 5) + at,
      hi - lo,
      J.f(job, 8),
      J.f(job, 9),
      J.f(job, 10),
      J.f(job, 11),
      J.f(job, 12),
      J.f(job, 13),
      J.f(job, 14),
      J.f(job, 15),
      J.f(job, 16),
      J.i(job, 7),
    );
  } else if (kind == ACTIVATION) activation(J.i(job, 2), J.p(job, 3) + at, hi - lo, J.f(job, 5));
}
