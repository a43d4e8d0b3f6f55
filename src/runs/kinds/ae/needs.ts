/**
 * The memory a convolutional autoencoder asks for (runs/limits.ts's `Need`s, checked before
 * training): its parameters with their gradients and Adam's two moments, and a minibatch's
 * activations with their gradients. Shared by `train ae --conv` and `train desom --encoder conv`.
 */
import type { Autoencoder } from '../../../ae/autoencoder.js';
import { Conv2d } from '../../../nn/conv2d.js';
import { ConvTranspose2d } from '../../../nn/conv-transpose2d.js';
import type { Need } from '../../limits.js';

const F32 = 4;

/** Values per row after each module of the encoder then the decoder, and the largest per-image column buffer of a convolution. */
function activationSizes(ae: Autoencoder): { sizes: number[]; columns: number } {
  const sizes: number[] = [];
  let columns = 0;
  const walk = (mods: readonly { outputShape(s: readonly number[]): readonly number[] }[], s: readonly number[]): void => {
    for (const m of mods) {
      const out = m.outputShape(s);
      if (m instanceof Conv2d) columns = Math.max(columns, m.inChannels * m.kernelSize[0] * m.kernelSize[1] * out[2] * out[3]);
      if (m instanceof ConvTranspose2d) columns = Math.max(columns, m.outChannels * m.kernelSize[0] * m.kernelSize[1] * s[2] * s[3]);
      sizes.push(out.slice(1).reduce((a, b) => a * b, 1));
      s = out;
    }
  };
  walk(ae.encoder.modules, [1, ae.options.input]);
  walk(ae.decoder.modules, [1, ae.options.latent]);
  return { sizes, columns };
}

/**
 * The parameters (blamed on `flag`, e.g. --filters) and a minibatch of `batch` rows (blamed on
 * --batch-size; `perRow` more bytes per row, e.g. a DESOM's distances to every cell). Each row's
 * activations are counted with a gradient of their own, plus the input and the target.
 */
export function convAeNeeds(
  ae: Autoencoder,
  o: { flag: string; value: Need['value']; architecture: string; batch: number; rows: number; perRow?: number; what?: string },
): Need[] {
  const params = ae.parameterCount();
  const { sizes, columns } = activationSizes(ae);
  const perRow = 2 * sizes.reduce((a, b) => a + b, 0) * F32 + 2 * ae.options.input * F32 + (o.perRow ?? 0);
  const rows = Math.min(o.batch, o.rows);
  return [
    {
      flag: o.flag,
      value: o.value,
      what: `a ${o.architecture} autoencoder (parameters, gradients and optimizer state)`,
      bytes: params * 4 * F32,
      largest: params,
    },
    {
      flag: '--batch-size',
      value: o.batch,
      what: `a minibatch of ${o.batch} rows through a ${o.architecture} autoencoder${o.what ?? ''}`,
      bytes: o.batch * perRow + columns * F32,
      largest: Math.max(rows * Math.max(...sizes), o.batch * ae.options.input, columns),
    },
  ];
}
