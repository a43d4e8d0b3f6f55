/**
 * The figures and the report of an autoencoder run, built from the run's own files: the epoch
 * records of events.jsonl (loss.svg), the .npy arrays (reconstructions.png, latent.svg, noise.svg,
 * noise_reconstructions.png) and config.json. The builders below take plain arrays too, so the
 * examples draw the same figures for runs that have no run directory.
 *
 * This module imports the chart renderer (vega) and umap-js: the CLI loads it lazily, after
 * training, so `latentlab --help` stays fast.
 */
import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../io/atomic.js';
import { readNpy, writeNpy } from '../data/npy.js';
import { getDataset } from '../data/registry.js';
import type { NoiseKind } from '../ae/noise.js';
import type { Rng } from '../random.js';
import type { RunDir } from '../runs/run-dir.js';
import { Tensor } from '../tensor/tensor.js';
import { lineChartSvg, scatterSvg } from '../viz/charts.js';
import { encodePng } from '../viz/png.js';
import { pairedGrid, stackRasters } from '../viz/image-grid.js';
import { umap2dSteps } from '../viz/projection.js';
import { formatNumber, renderReport, type ReportFigure, type ReportSection } from '../viz/report.js';

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
  if (!Number.isInteger(count) || count < 1 || count > n) throw new RangeError(`gridIndices: expected count between 1 and ${n} (the number of rows), got ${count}`);
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
  /** Called after each UMAP epoch (a progress bar). */
  onUmapStep?: (epoch: number, nEpochs: number) => void;
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
    const svg = await scatterSvg({ ...base, title: o.title ?? `Latent space: the ${n} test codes (p = 1) against their class`, xLabel: 'z₁', yLabel: 'class index (jittered)', x: codes.data, y });
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
    o.onUmapStep?.(r.value.epoch, r.value.nEpochs);
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
  const svg = await scatterSvg({ ...base, labels, title: o.title ?? `Latent space (p = ${p}): 2-D UMAP of ${what}, by class`, xLabel: 'UMAP 1', yLabel: 'UMAP 2', x, y });
  return { svg, method: 'umap', indices, embedding: emb };
}

// ---------------------------------------------------------------------------------------------
// A run directory's figures and report
// ---------------------------------------------------------------------------------------------

/** config.json of an ae run, as far as the figures need it. */
interface AeRunConfig {
  kind: string;
  config: { dataset: string; latent: number; loss: string; noise: string; noise_scale: number; grid_cols: number; umap_sample: number; umap_epochs: number } & Record<string, unknown>;
  architecture?: string;
}

/** The figures of a run, ready for its report. */
export interface AeRunFigures {
  reconstructions: ReportFigure | null;
  loss: ReportFigure;
  latent: ReportFigure;
  /** How latent.svg was drawn. */
  latentMethod: LatentFigure['method'];
  noise: { chart: ReportFigure; grid: ReportFigure | null; kind: NoiseKind; points: NoisePoint[] } | null;
  /** Paths written, relative to the run directory. */
  files: string[];
}

/** The epoch records of events.jsonl, one per epoch (a resumed run may repeat some: the last wins). */
export function epochPoints(events: readonly Record<string, unknown>[]): AeEpochPoint[] {
  const byEpoch = new Map<number, AeEpochPoint>();
  for (const e of events) {
    if (e.type !== 'epoch' || typeof e.epoch !== 'number' || typeof e.loss !== 'number') continue;
    byEpoch.set(e.epoch, { epoch: e.epoch + 1, loss: e.loss, testLoss: typeof e.test_loss === 'number' ? e.test_loss : undefined });
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

function tensorOf(run: RunDir, name: string): Tensor {
  const a = readNpy(run.file('arrays', name));
  if (!(a.data instanceof Float32Array)) throw new TypeError(`figures: expected ${name} to hold float32 values, got dtype ${a.dtype}`);
  return new Tensor(a.data, a.shape);
}

/** Rows [s·g, (s+1)·g) of a [S, g, d] array as a g × d tensor. */
function slab(t: Tensor, s: number): Tensor {
  const [, g, d] = t.shape;
  return new Tensor(t.data.subarray(s * g * d, (s + 1) * g * d), [g, d]);
}

/**
 * Draws every figure of the ae run in `run` from its files and writes them into figures/ (the
 * UMAP embedding, when there is one, goes to arrays/latent_umap.npy with its row indices).
 */
export async function writeAeRunFigures(run: RunDir, o: { rng: Rng; onUmapStep?: (epoch: number, nEpochs: number) => void }): Promise<AeRunFigures> {
  const saved = run.readConfig<AeRunConfig>();
  if (saved.kind !== 'ae') throw new RangeError(`writeAeRunFigures: expected an "ae" run, got a "${saved.kind}" run (${run.id})`);
  const cfg = saved.config;
  const info = getDataset(cfg.dataset);
  const imageShape = info.imageShape === null ? null : ([info.imageShape[0], info.imageShape[1]] as const);
  const files: string[] = [];
  const write = (name: string, data: string | Uint8Array): string => {
    writeFileAtomic(run.file('figures', name), data);
    files.push(`figures/${name}`);
    return `figures/${name}`;
  };

  let reconstructions: ReportFigure | null = null;
  if (imageShape !== null) {
    const png = reconstructionPng(tensorOf(run, 'test_sample.npy'), tensorOf(run, 'test_reconstructions_sample.npy'), imageShape, cfg.grid_cols);
    reconstructions = {
      title: 'Reconstructions',
      caption: 'Test images (first row of each pair) over their reconstructions (second row).',
      png,
      file: write('reconstructions.png', png),
    };
  }

  const points = epochPoints(run.events());
  const lossChart = await lossSvg(points, { loss: cfg.loss, denoising: cfg.noise !== 'none' });
  const loss: ReportFigure = {
    title: 'Loss',
    caption: `Mean training loss of each epoch${cfg.noise !== 'none' ? ' (on noisy inputs)' : ''} and the loss on the clean test images after it.`,
    svg: lossChart,
    file: write('loss.svg', lossChart),
  };

  const codes = tensorOf(run, 'test_codes.npy');
  const labelsArr = readNpy(run.file('arrays', 'test_labels.npy'));
  if (!(labelsArr.data instanceof Int32Array)) throw new TypeError(`writeAeRunFigures: expected test_labels.npy to hold int32 labels, got dtype ${labelsArr.dtype}`);
  const lat = await latentSvg(codes, { labels: labelsArr.data, classNames: info.classNames, rng: o.rng, umapSample: cfg.umap_sample, umapEpochs: cfg.umap_epochs, onUmapStep: o.onUmapStep });
  if (lat.embedding !== null) {
    writeNpy(run.file('arrays', 'latent_umap.npy'), { dtype: 'f4', shape: [lat.indices.length, 2], data: lat.embedding });
    writeNpy(run.file('arrays', 'latent_umap_indices.npy'), { dtype: 'i4', shape: [lat.indices.length], data: lat.indices });
  }
  const latent: ReportFigure = {
    title: 'Latent space',
    caption:
      lat.method === 'umap'
        ? `A 2-D UMAP projection (umap-js, seeded; ${lat.indices.length} test codes, ${cfg.umap_epochs} epochs) of the ${cfg.latent}-dimensional codes, coloured by class. UMAP keeps neighbourhoods, not distances.`
        : `The encoder's output for each test image, coloured by its class.`,
    svg: lat.svg,
    file: write('latent.svg', lat.svg),
  };

  let noise: AeRunFigures['noise'] = null;
  if (existsSync(run.file('arrays', 'noise_sweep.npy'))) {
    const sweep = readNpy(run.file('arrays', 'noise_sweep.npy'));
    const kind = (cfg.noise === 'none' ? 'gaussian' : cfg.noise) as NoiseKind;
    const pts: NoisePoint[] = [];
    for (let s = 0; s < sweep.shape[0]; s++) pts.push({ scale: Number(sweep.data[2 * s]), mse: Number(sweep.data[2 * s + 1]) });
    const svg = await noiseSvg(pts, { kind });
    const chart: ReportFigure = { title: 'Noise robustness', caption: 'Reconstruction MSE against the clean test images when the inputs are corrupted with noise of scale c.', svg, file: write('noise.svg', svg) };
    let grid: ReportFigure | null = null;
    if (imageShape !== null) {
      const noisy = tensorOf(run, 'noise_inputs_sample.npy');
      const rec = tensorOf(run, 'noise_reconstructions_sample.npy');
      const png = noiseGridPng(
        pts.map((_, s) => slab(noisy, s)),
        pts.map((_, s) => slab(rec, s)),
        imageShape,
        cfg.grid_cols,
      );
      grid = {
        title: 'Noisy inputs and their reconstructions',
        caption: `One pair of rows per noise scale, top to bottom c = ${pts.map((p) => formatNumber(p.scale)).join(', ')}: the noisy inputs over their reconstructions.`,
        png,
        file: write('noise_reconstructions.png', png),
      };
    }
    noise = { chart, grid, kind, points: pts };
  }
  return { reconstructions, loss, latent, latentMethod: lat.method, noise, files };
}

/** Writes report.html at the run root: config, final metrics, timings and every figure, self-contained. */
export function writeAeRunReport(
  run: RunDir,
  figures: AeRunFigures,
  o: { config: Record<string, unknown>; metrics: Record<string, number>; timings: Record<string, number>; status: string; architecture: string; dataset: string; trainRows: number; testRows: number },
): string {
  const m = o.metrics;
  const sections: ReportSection[] = [];
  const baseline = Number.isFinite(m.test_mse_mean_image) ? ` The mean training image, as a constant prediction, would score ${formatNumber(m.test_mse_mean_image)}.` : '';
  sections.push({
    heading: 'Reconstructions',
    text: `Test MSE ${formatNumber(m.test_mse)} per pixel (train ${formatNumber(m.mse)}), pixels in [0, 1].${baseline}`,
    figures: figures.reconstructions === null ? [] : [figures.reconstructions],
  });
  sections.push({ heading: 'Loss', figures: [figures.loss] });
  sections.push({ heading: 'Latent space', figures: [figures.latent] });
  if (figures.noise !== null) {
    const nz = figures.noise;
    sections.push({
      heading: 'Noise',
      text: 'Seed 003 §5.3: the inputs are corrupted, the reconstruction is compared with the clean image.',
      tables: [{ columns: ['noise scale c', 'test MSE'], rows: nz.points.map((p) => [p.scale, p.mse]), caption: `${nz.kind} noise` }],
      figures: [nz.chart, ...(nz.grid === null ? [] : [nz.grid])],
    });
  }
  sections.push({
    heading: 'Files',
    text: [
      'model/ (model.json + weights.safetensors, PyTorch state_dict names), checkpoint/, events.jsonl, summary.json, config.json.',
      'arrays/: test_codes.npy (the latent code of every test image), test_labels.npy, test_sample.npy and test_reconstructions_sample.npy (the grid), test_sample_indices.npy' +
        (figures.noise !== null ? ', noise_sweep.npy (c, MSE), noise_inputs_sample.npy and noise_reconstructions_sample.npy' : '') +
        (figures.latentMethod === 'umap' ? ', latent_umap.npy and latent_umap_indices.npy' : '') +
        '.',
      `figures/: ${figures.files.map((f) => f.replace(/^figures\//, '')).join(', ')}.`,
    ].join('\n\n'),
  });
  const html = renderReport({
    title: `${o.architecture} autoencoder on ${o.dataset}`,
    subtitle: `run ${run.id} · ${o.trainRows} training and ${o.testRows} test images`,
    status: o.status,
    config: o.config,
    metrics: o.metrics,
    timings: o.timings,
    sections,
  });
  writeFileAtomic(run.file('report.html'), html);
  return run.file('report.html');
}
