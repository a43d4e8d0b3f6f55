/* eslint-disable @typescript-eslint/no-unnecessary-type-assertion -- AssemblyScript: <usize>, <f64>, <f32> convert between wasm types that TypeScript sees as one number type */
// Squared norms and the last step of squared distances (the −2·X·Mᵀ part is a gemm), in float64
// as the js reference computes them.
import { G } from './util';
import { V } from './simd';

/** out[i] = Σ_q x[i, q]² in float64 for the n rows of X (n × d); out is a float64 array. */
export function sqNorms(x: usize, n: i32, d: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const row = G.at(x, i * d);
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    for (let q = 0; q < d; q += 4) {
      let v = v128.load(G.at(row, q));
      if (q + 4 > d) v = v128.and(v, V.firstLanes(d - q));
      const lo = f64x2.promote_low_f32x4(v);
      const hi = f64x2.promote_low_f32x4(V.high(v));
      s0 = f64x2.add(s0, f64x2.mul(lo, lo));
      s1 = f64x2.add(s1, f64x2.mul(hi, hi));
    }
    const s = f64x2.add(s0, s1);
    store<f64>(out + ((<usize>i) << 3), f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1));
  }
}

/** out (n × k) holds −2·X·Mᵀ: out[i, j] = max(out[i, j] + xn[i] + mn[j], 0) in float64, rounded once (NaN → 0). */
export function addSqNorms(out: usize, n: i32, k: i32, xn: usize, mn: usize): void {
  const zero = f64x2.splat(0);
  for (let i = 0; i < n; i++) {
    const row = G.at(out, i * k);
    const x = f64x2.splat(load<f64>(xn + ((<usize>i) << 3)));
    let j = 0;
    for (; j + 2 <= k; j += 2) {
      const p = G.at(row, j);
      const v = f64x2.add(f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(p)), x), v128.load(mn + ((<usize>j) << 3)));
      v128.store64_lane(p, f32x4.demote_f64x2_zero(v128.and(v, f64x2.gt(v, zero))), 0);
    }
    if (j < k) {
      const p = G.at(row, j);
      const v = <f64>load<f32>(p) + load<f64>(xn + ((<usize>i) << 3)) + load<f64>(mn + ((<usize>j) << 3));
      store<f32>(p, <f32>(v > 0 ? v : 0));
    }
  }
}
