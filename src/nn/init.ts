/**
 * Weight initialisations for a fan_in → fan_out layer, as named strategies.
 * glorot_uniform: U(±√(6/(fan_in+fan_out))) (Keras default, DESOM); he_uniform: U(±√(6/fan_in));
 * he_normal: N(0, √(2/fan_in)); glorot_normal: N(0, √(2/(fan_in+fan_out)));
 * torch_default: PyTorch Linear's kaiming_uniform(a=√5) = U(±1/√fan_in), bias U(±1/√fan_in).
 */
import type { Rng } from '../random.js';

export type InitName = 'glorot_uniform' | 'glorot_normal' | 'he_uniform' | 'he_normal' | 'torch_default' | 'zeros';

export const INIT_NAMES: readonly InitName[] = ['glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'torch_default', 'zeros'];

/** Fills a weight array of a fanIn → fanOut layer. */
export function initWeights(init: InitName, w: Float32Array, fanIn: number, fanOut: number, rng: Rng): void {
  switch (init) {
    case 'glorot_uniform': {
      const a = Math.sqrt(6 / (fanIn + fanOut));
      rng.fillUniform(w, -a, a);
      return;
    }
    case 'glorot_normal':
      rng.fillNormal(w, 0, Math.sqrt(2 / (fanIn + fanOut)));
      return;
    case 'he_uniform': {
      const a = Math.sqrt(6 / fanIn);
      rng.fillUniform(w, -a, a);
      return;
    }
    case 'he_normal':
      rng.fillNormal(w, 0, Math.sqrt(2 / fanIn));
      return;
    case 'torch_default': {
      const a = 1 / Math.sqrt(fanIn);
      rng.fillUniform(w, -a, a);
      return;
    }
    case 'zeros':
      w.fill(0);
      return;
    default: {
      const never: never = init;
      throw new RangeError(`initWeights: unknown init ${JSON.stringify(never)}; expected one of ${INIT_NAMES.join(', ')}`);
    }
  }
}

/** Bias initialisation: zeros, except PyTorch's default which draws U(±1/√fan_in). */
export function initBias(init: InitName, b: Float32Array, fanIn: number, rng: Rng): void {
  if (init === 'torch_default') {
    const a = 1 / Math.sqrt(fanIn);
    rng.fillUniform(b, -a, a);
  } else {
    b.fill(0);
  }
}

/**
 * fan_in and fan_out of a weight tensor as PyTorch computes them (`_calculate_fan_in_and_fan_out`):
 * dimension 1 × the receptive field (the product of dimensions 2…) and dimension 0 × the receptive
 * field. A Conv2d weight [out, in, kh, kw] gives fan_in = in·kh·kw and fan_out = out·kh·kw; a
 * ConvTranspose2d weight [in, out, kh, kw] gives fan_in = out·kh·kw (PyTorch's choice, which its
 * default init follows); a Linear weight [out, in] gives in and out. Pass them to `initWeights`
 * and `initBias`: 'torch_default' then draws PyTorch's kaiming_uniform(a=√5) = U(±1/√fan_in).
 */
export function fansOf(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new RangeError(`fansOf: expected a weight shape of at least 2 dimensions, got [${shape.join(', ')}]`);
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i];
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}
