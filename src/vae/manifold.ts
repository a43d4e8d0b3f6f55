/**
 * The learned manifold (Kingma & Welling 2014, Figure 4): a grid of codes laid over the prior —
 * z = (Φ⁻¹(u₁), Φ⁻¹(u₂)) for u on an evenly spaced grid of (0, 1)², Φ⁻¹ the standard normal
 * quantile — decoded into a grid of images, so equal areas of the picture hold equal prior mass.
 */
import { Tensor } from '../tensor/tensor.js';

// Acklam's rational approximation of Φ⁻¹ (relative error < 1.2e-9 over (0, 1)).
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** Φ⁻¹(u): the standard normal quantile of u ∈ (0, 1) (Acklam's algorithm; Φ⁻¹(0.5) = 0 exactly). */
export function normalQuantile(u: number): number {
  if (!(u > 0 && u < 1)) throw new RangeError(`normalQuantile: expected a probability strictly between 0 and 1, got ${u}`);
  if (u < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(u));
    return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
  }
  if (u > 1 - P_LOW) return -normalQuantile(1 - u);
  const q = u - 0.5;
  const r = q * q;
  return ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
}

/** The quantiles of a side of `steps` cells: Φ⁻¹ of u = (i + ½)/steps, i = 0 … steps−1 (symmetric about 0). */
export function manifoldQuantiles(steps: number): Float64Array {
  if (!Number.isSafeInteger(steps) || steps < 1) throw new RangeError(`manifoldQuantiles: expected steps to be a positive integer, got ${steps}`);
  return Float64Array.from({ length: steps }, (_, i) => normalQuantile((i + 0.5) / steps));
}

/**
 * The codes of a `steps` × `steps` manifold grid in a p-dimensional latent space, row-major
 * (grid row r, column c → code r·steps + c): z[dims[0]] = the c-th quantile (left to right),
 * z[dims[1]] = the r-th quantile from the top (top row highest, as a plot's y axis), every other
 * coordinate 0 (the prior's mean). With p = 1 there is one row: z₁ over the quantiles.
 */
export function manifoldCodes(latent: number, steps: number, dims: readonly [number, number] = [0, 1]): Tensor {
  const fn = 'manifoldCodes';
  if (!Number.isSafeInteger(latent) || latent < 1) throw new RangeError(`${fn}: expected latent to be a positive integer, got ${latent}`);
  const q = manifoldQuantiles(steps);
  if (latent === 1) return new Tensor(Float32Array.from(q), [steps, 1]);
  const [a, b] = dims;
  if (!(Number.isSafeInteger(a) && Number.isSafeInteger(b) && a >= 0 && b >= 0 && a < latent && b < latent && a !== b))
    throw new RangeError(`${fn}: expected dims to be two distinct latent dimensions in 0…${latent - 1}, got [${a}, ${b}]`);
  const z = Tensor.zeros([steps * steps, latent]);
  for (let r = 0; r < steps; r++) {
    for (let c = 0; c < steps; c++) {
      const row = (r * steps + c) * latent;
      z.data[row + a] = q[c];
      z.data[row + b] = q[steps - 1 - r];
    }
  }
  return z;
}
