/**
 * Input corruption for noise-robustness tests and denoising autoencoders. Seed 003 §5.3's
 * `add_noise(c)` adds N(0, σ = c) to every pixel ('gaussian'); 'masking' zeroes each pixel with
 * probability c, 'salt_pepper' replaces each pixel with probability c by 0 or 1 (even odds)
 * (Vincent et al. 2010's corruptions). Pixels are clipped to [0, 1] unless `clip: false`.
 */
import type { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';

export type NoiseKind = 'gaussian' | 'masking' | 'salt_pepper';

export const NOISE_KINDS: readonly NoiseKind[] = ['gaussian', 'masking', 'salt_pepper'];

export interface NoiseOptions {
  kind: NoiseKind;
  /** Gaussian: the standard deviation c; masking / salt_pepper: the corrupted share in [0, 1]. */
  scale: number;
  /** Clip the result to [0, 1] (default true; masking and salt-and-pepper stay in range anyway). */
  clip?: boolean;
}

/** Validates noise options; `fn` names the caller in errors. */
export function checkNoise(fn: string, o: NoiseOptions): void {
  if (o === null || typeof o !== 'object') throw new TypeError(`${fn}: expected noise options {kind, scale}, got ${String(o)}`);
  if (!NOISE_KINDS.includes(o.kind)) throw new RangeError(`${fn}: expected noise kind to be one of ${NOISE_KINDS.join(', ')}, got ${JSON.stringify(o.kind)}`);
  if (!(Number.isFinite(o.scale) && o.scale >= 0)) throw new RangeError(`${fn}: expected noise scale ≥ 0 (finite), got ${o.scale}`);
  if (o.kind !== 'gaussian' && o.scale > 1) throw new RangeError(`${fn}: expected a ${o.kind} noise scale (a probability) between 0 and 1, got ${o.scale}`);
  if (o.clip !== undefined && typeof o.clip !== 'boolean') throw new TypeError(`${fn}: expected noise clip to be a boolean, got ${String(o.clip)}`);
}

/**
 * Writes the corrupted `src` into `dst` (same length; may be the same array). Draws from `rng`
 * in element order, so the same generator state gives the same noise on every backend.
 */
export function corruptInto(src: Float32Array, dst: Float32Array, o: NoiseOptions, rng: Rng): void {
  if (dst.length !== src.length) throw new RangeError(`corruptInto: internal: expected ${src.length} output values, got ${dst.length}`);
  const n = src.length;
  const c = o.scale;
  switch (o.kind) {
    case 'gaussian': {
      const clip = o.clip ?? true;
      for (let i = 0; i < n; i++) {
        const v = src[i] + c * rng.normal();
        dst[i] = clip ? (v < 0 ? 0 : v > 1 ? 1 : v) : v;
      }
      return;
    }
    case 'masking':
      for (let i = 0; i < n; i++) dst[i] = rng.uniform() < c ? 0 : src[i];
      return;
    case 'salt_pepper': {
      const clip = o.clip ?? true;
      for (let i = 0; i < n; i++) {
        const u = rng.uniform();
        // u < c corrupts; its lower half (u < c/2) is pepper, so one draw decides both.
        const v = u < c ? (u < c / 2 ? 0 : 1) : src[i];
        dst[i] = clip ? (v < 0 ? 0 : v > 1 ? 1 : v) : v;
      }
      return;
    }
    default: {
      const never: never = o.kind;
      throw new RangeError(`corruptInto: unknown noise kind ${JSON.stringify(never)}; expected one of ${NOISE_KINDS.join(', ')}`);
    }
  }
}

/** A corrupted copy of `x` (any shape); `x` is left untouched. Scale 0 returns a (clipped) copy. */
export function addNoise(x: Tensor, o: NoiseOptions, rng: Rng): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`addNoise: expected a Tensor, got ${String(x)}`);
  checkNoise('addNoise', o);
  const out = Tensor.zeros(x.shape);
  corruptInto(x.data, out.data, o, rng);
  return out;
}
