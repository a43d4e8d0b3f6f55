/**
 * Flush-to-zero for float32 prototypes. A pixel that is rarely inked decays geometrically
 * (×(1 − c) per update) in an online SOM until it reaches the denormal range (|v| < 2⁻¹²⁶), where
 * every GEMM touching it runs up to ~100× slower on x86; numerically those values are 0.
 */

/** The smallest positive normal float32, 2⁻¹²⁶. */
export const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/** fround(v), with float32 denormals flushed to 0. */
export function toFloat32FlushDenormal(v: number): number {
  const f = Math.fround(v);
  return f > -FLOAT32_MIN_NORMAL && f < FLOAT32_MIN_NORMAL ? 0 : f;
}
