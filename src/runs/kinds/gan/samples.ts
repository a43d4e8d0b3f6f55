/**
 * The PNG pictures of a gan run's samples (no vega here: training writes one every epoch): the
 * grid of the fixed latent vectors, and the progress strip, the first samples of each epoch side by
 * side. Pixels are drawn from G's range [−1, 1]: −1 black, 1 white.
 */
import { Tensor } from '../../../tensor/tensor.js';
import { imageGrid } from '../../../viz/image-grid.js';
import { encodePng } from '../../../viz/png.js';

/** The classes of a conditional GAN's sample grid: row r asks for class r, `cols` samples each. */
export function gridLabels(classes: number, cols: number): Int32Array {
  return Int32Array.from({ length: classes * cols }, (_, i) => Math.floor(i / cols));
}

/** Samples (n × H·W, in [−1, 1]) in a grid of `cols` per row, as PNG bytes. */
export function sampleGridPng(samples: Tensor, imageShape: readonly [number, number], cols: number): Uint8Array {
  return encodePng(imageGrid(samples, { imageShape, cols: Math.min(cols, samples.rows), scale: 2, pad: 2, range: [-1, 1], margin: 2 }));
}

/**
 * The progress strip: one column per epoch (left to right), in each the same first `k` fixed
 * samples (top to bottom), as PNG bytes; `epochs[e]` holds epoch e's k × H·W samples.
 */
export function progressPng(epochs: readonly Float32Array[], k: number, imageShape: readonly [number, number]): Uint8Array {
  const n = epochs.length;
  if (n === 0) throw new RangeError('progressPng: expected at least one epoch of samples, got 0');
  const px = imageShape[0] * imageShape[1];
  const cells = new Float32Array(n * k * px);
  // Grid cell (row r, column e) is sample r of epoch e.
  epochs.forEach((s, e) => {
    if (s.length !== k * px) throw new RangeError(`progressPng: expected ${k} samples of ${px} values for epoch ${e + 1}, got ${s.length} values`);
    for (let r = 0; r < k; r++) cells.set(s.subarray(r * px, (r + 1) * px), (r * n + e) * px);
  });
  return encodePng(imageGrid(new Tensor(cells, [n * k, px]), { imageShape, cols: n, scale: n <= 16 ? 2 : 1, pad: n <= 16 ? 2 : 1, range: [-1, 1], margin: 2 }));
}
