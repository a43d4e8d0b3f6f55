/**
 * The gradient-SOM loss of DESOM (seed 000): with assignment weights w (n×K) held constant,
 * Lsom = (1/n) Σᵢ Σₖ wᵢₖ‖zᵢ − mₖ‖². Gradients:
 *   ∂L/∂zᵢ = (2/n)(sᵢ·zᵢ − Σₖ wᵢₖ mₖ), sᵢ = Σₖ wᵢₖ      (dz = (2/n)(diag(s)·Z − W·M))
 *   ∂L/∂mₖ = (2/n)(tₖ·mₖ − Σᵢ wᵢₖ zᵢ), tₖ = Σᵢ wᵢₖ      (dM = (2/n)(diag(t)·M − Wᵀ·Z))
 * Both products go through the backend's GEMM.
 */
import { backend } from '../tensor/registry.js';

/**
 * Returns Lsom given the squared distances D (n×K) already computed for the same Z and M, and
 * adds scale·∂L/∂Z into dz and scale·∂L/∂M into dM (pass null to skip either).
 */
export function somLossBackward(
  z: Float32Array,
  protos: Float32Array,
  w: Float32Array,
  dist: Float32Array,
  n: number,
  k: number,
  d: number,
  scale: number,
  dz: Float32Array | null,
  dProtos: Float32Array | null,
): number {
  let loss = 0;
  for (let i = 0; i < n * k; i++) loss += w[i] * dist[i];
  loss /= n;
  const c = (2 * scale) / n;
  const be = backend();
  if (dz !== null) {
    // dz += c·(diag(s)·Z − W·M)
    be.gemm(false, false, n, d, k, -c, w, protos, 1, dz);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += w[i * k + j];
      const f = c * s;
      for (let q = 0; q < d; q++) dz[i * d + q] += f * z[i * d + q];
    }
  }
  if (dProtos !== null) {
    // dM += c·(diag(t)·M − Wᵀ·Z)
    be.gemm(true, false, k, d, n, -c, w, z, 1, dProtos);
    for (let j = 0; j < k; j++) {
      let t = 0;
      for (let i = 0; i < n; i++) t += w[i * k + j];
      const f = c * t;
      for (let q = 0; q < d; q++) dProtos[j * d + q] += f * protos[j * d + q];
    }
  }
  return loss;
}

/** Index of the smallest entry of each row of an n×K distance matrix (the best-matching units). */
export function argminRows(dist: Float32Array, n: number, k: number, out: Int32Array): Int32Array {
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bv = dist[i * k];
    for (let j = 1; j < k; j++) {
      const v = dist[i * k + j];
      if (v < bv) {
        bv = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}
