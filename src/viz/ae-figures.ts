/**
 * The figures of an autoencoder, built from plain arrays (no run directory): the reconstruction
 * grid (reconstructions.png), the noisy inputs and their reconstructions (noise_reconstructions.png),
 * the loss per epoch (loss.svg), the test MSE against the noise scale (noise.svg) and the latent
 * space by class (latent.svg). `latentlab train ae` draws them from a run's files
 * (src/runs/kinds/ae/figures.ts); the examples draw them for runs that have no run directory.
 */
import type { NoiseKind } from '../ae/noise.js';
import type { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { lineChartSvg, scatterSvg } from './charts.js';
import { pairedGrid, stackRasters } from './image-grid.js';
import { encodePng } from './png.js';
import { umap2dSteps } from './projection.js';

/** One epoch of training: mean train loss and the clean test loss (the loss chart's points). */
export interface AeEpochPoint {
  /** 1-based epoch number. */
  epoch: number;
  loss: number;
  testLoss?: number;
}

/** One point of seed 003 §5.3's sweep: the test MSE against clean images for noise scale c. */
export interface NoisePoint {
  scale: number;
  mse: number;
}

/**
 * `count` test rows for the reconstruction grid, class-balanced and deterministic: image k is the
 * ⌊k/C⌋-th row of class k mod C (C = `classes`), so with 10 columns every grid row reads 0 … 9;
 * when a class runs out, the first unused rows fill in.
 */
export function gridIndices(labels: Int32Array, count: number, classes: number): Int32Array {
  const n = labels.length;
  if (!Number.isInteger(count) || count < 1 || count > n)
    throw new RangeError(`gridIndices: expected count between 1 and ${n} (the number of rows), got ${count}`);
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError(`gridIndices: expected classes to be a positive integer, got ${classes}`);
  const perClass: number[][] = Array.from({ length: classes }, () => []);
  const need = Math.ceil(count / classes);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (c >= 0 && c < classes && perClass[c].length < need) perClass[c].push(i);
  }
  const out = new Int32Array(count).fill(-1);
  const used = new Set<number>();
  for (let k = 0; k < count; k++) {
    const i = perClass[k % classes][Math.floor(k / classes)];
    if (i !== undefined) {
      out[k] = i;
      used.add(i);
    }
  }
  let next = 0;
  for (let k = 0; k < count; k++) {
    if (out[k] >= 0) continue;
    while (used.has(next)) next++;
    out[k] = next;
    used.add(next);
  }
  return out;
}

/** Grid layout shared by the image figures: 2× pixels, 1 px white lines, 6 px between row pairs. */
const GRID = { scale: 2, pad: 1, pairGap: 6, margin: 2 } as const;

/** Originals (rows 1, 3, …) over their reconstructions (rows 2, 4, …), `cols` per row, as PNG bytes. */
export function reconstructionPng(originals: Tensor, reconstructions: Tensor, imageShape: readonly [number, number], cols: number): Uint8Array {
  return encodePng(pairedGrid(originals, reconstructions, { imageShape, cols: Math.min(cols, originals.rows), ...GRID }));
}

/**
 * Seed 003 Figure 19: for each noise scale (top to bottom), the noisy inputs over their
 * reconstructions, as PNG bytes. `noisy[s]` and `reconstructions[s]` hold the same images.
 */
export function noiseGridPng(noisy: readonly Tensor[], reconstructions: readonly Tensor[], imageShape: readonly [number, number], cols: number): Uint8Array {
  if (noisy.length === 0 || noisy.length !== reconstructions.length) {
    throw new RangeError(`noiseGridPng: expected one reconstruction batch per noisy batch (at least one), got ${noisy.length} and ${reconstructions.length}`);
  }
  const parts = noisy.map((x, s) => pairedGrid(x, reconstructions[s], { imageShape, cols: Math.min(cols, x.rows), ...GRID }));
  return encodePng(stackRasters(parts, 10));
}

/** The loss name as an axis label. */
function lossLabel(loss: string): string {
  return loss === 'bce' ? 'binary cross-entropy' : 'MSE';
}

/** Training and test loss per epoch (loss.svg). */
export async function lossSvg(points: readonly AeEpochPoint[], o: { loss: string; denoising?: boolean; title?: string }): Promise<string> {
  if (points.length === 0) throw new RangeError('lossSvg: expected at least one epoch, got 0');
  const x = points.map((p) => p.epoch);
  const series = [{ name: o.denoising ? 'train (noisy inputs)' : 'train', x, y: points.map((p) => p.loss) }];
  if (points.some((p) => p.testLoss !== undefined)) series.push({ name: 'test', x, y: points.map((p) => p.testLoss ?? NaN) });
  return lineChartSvg({
    title: o.title ?? `Reconstruction loss per epoch (${lossLabel(o.loss)})`,
    xLabel: 'epoch',
    yLabel: `${lossLabel(o.loss)} per pixel`,
    series,
    points: points.length <= 30,
    legendTitle: 'data',
    xIntegers: true,
  });
}

/** Test MSE against the noise scale c (noise.svg, seed 003 Figure 20). */
export async function noiseSvg(points: readonly NoisePoint[], o: { kind: NoiseKind; title?: string }): Promise<string> {
  if (points.length === 0) throw new RangeError('noiseSvg: expected at least one noise scale, got 0');
  const what: Record<NoiseKind, string> = {
    gaussian: 'Gaussian noise N(0, c²) added to each pixel',
    masking: 'each pixel zeroed with probability c',
    salt_pepper: 'each pixel set to 0 or 1 with probability c',
  };
  return lineChartSvg({
    title: o.title ?? `Test MSE against the noise scale c (${what[o.kind]})`,
    xLabel: 'noise scale c',
    yLabel: 'test MSE (vs the clean images)',
    series: [{ name: 'test MSE', x: points.map((p) => p.scale), y: points.map((p) => p.mse) }],
    points: true,
  });
}

/** What `latentSvg` drew. */
export interface LatentFigure {
  svg: string;
  /** 'codes': the codes themselves (p = 2, or p = 1 against the class); 'umap': a 2-D UMAP of them. */
  method: 'codes' | 'umap';
  /** Rows drawn (test row indices) and, for UMAP, their 2-D embedding (n×2 row-major). */
  indices: Int32Array;
  embedding: Float32Array | null;
}

export interface LatentOptions {
  labels: Int32Array;
  classNames: readonly string[];
  /** Draws the UMAP sample and UMAP's own random numbers (same state → same picture). */
  rng: Rng;
  /** Points shown when p > 2 (a seeded sample of the rows; default 2000). */
  umapSample?: number;
  /** UMAP layout epochs (default 200). */
  umapEpochs?: number;
  /** Called after each UMAP epoch (a progress bar); the next epoch waits for what it returns. */
  onUmapStep?: (epoch: number, nEpochs: number) => void | Promise<void>;
  title?: string;
  /** Legend title (default 'class'). */
  legendTitle?: string;
}

/**
 * The latent space coloured by class (latent.svg): the codes themselves when p = 2; for p = 1 the
 * code against the class (with a little seeded vertical jitter); for p > 2 a seeded UMAP
 * (McInnes et al. 2018, umap-js) of a seeded sample of `umapSample` codes.
 */
export async function latentSvg(codes: Tensor, o: LatentOptions): Promise<LatentFigure> {
  const fn = 'latentSvg';
  if (codes.rank !== 2 || codes.rows < 1) throw new RangeError(`${fn}: expected an n × p tensor of codes with n ≥ 1, got shape [${codes.shape.join(', ')}]`);
  const [n, p] = codes.shape;
  if (o.labels.length !== n) throw new RangeError(`${fn}: expected ${n} labels (one per code), got ${o.labels.length}`);
  const base = { labels: o.labels, classNames: o.classNames, legendTitle: o.legendTitle ?? 'class' };
  const all = Int32Array.from({ length: n }, (_, i) => i);
  if (p === 2) {
    const x = new Float32Array(n);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = codes.data[2 * i];
      y[i] = codes.data[2 * i + 1];
    }
    const svg = await scatterSvg({ ...base, title: o.title ?? `Latent space: the ${n} test codes (p = 2), by class`, xLabel: 'z₁', yLabel: 'z₂', x, y });
    return { svg, method: 'codes', indices: all, embedding: null };
  }
  if (p === 1) {
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) y[i] = o.labels[i] + (o.rng.uniform() - 0.5) * 0.6;
    const svg = await scatterSvg({
      ...base,
      title: o.title ?? `Latent space: the ${n} test codes (p = 1) against their class`,
      xLabel: 'z₁',
      yLabel: 'class index (jittered)',
      x: codes.data,
      y,
    });
    return { svg, method: 'codes', indices: all, embedding: null };
  }
  const want = o.umapSample ?? 2000;
  if (!Number.isInteger(want) || want < 3) throw new RangeError(`${fn}: expected umapSample to be an integer ≥ 3, got ${want}`);
  const k = Math.min(want, n);
  if (k < 3) throw new RangeError(`${fn}: a UMAP projection needs at least 3 codes, got ${n}`);
  const indices = k === n ? all : Int32Array.from(o.rng.sample(n, k)).sort();
  const sample = new Tensor(new Float32Array(k * p), [k, p]);
  indices.forEach((i, r) => sample.data.set(codes.data.subarray(i * p, (i + 1) * p), r * p));
  const labels = Int32Array.from(indices, (i) => o.labels[i]);
  const steps = umap2dSteps(sample, { rng: o.rng, nNeighbors: Math.min(15, k - 1), nEpochs: o.umapEpochs ?? 200 });
  let r = steps.next();
  while (!r.done) {
    await o.onUmapStep?.(r.value.epoch, r.value.nEpochs);
    r = steps.next();
  }
  const emb = r.value;
  const x = new Float32Array(k);
  const y = new Float32Array(k);
  for (let i = 0; i < k; i++) {
    x[i] = emb[2 * i];
    y[i] = emb[2 * i + 1];
  }
  const what = k === n ? `the ${n} test codes` : `${k} of the ${n} test codes (seeded sample)`;
  const svg = await scatterSvg({
    ...base,
    labels,
    title: o.title ?? `Latent space (p = ${p}): 2-D UMAP of ${what}, by class`,
    xLabel: 'UMAP 1',
    yLabel: 'UMAP 2',
    x,
    y,
  });
  return { svg, method: 'umap', indices, embedding: emb };
}
