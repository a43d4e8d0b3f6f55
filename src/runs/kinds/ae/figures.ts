/**
 * The figures and the report of an autoencoder run, built from the run's own files: the epoch
 * records of events.jsonl (loss.svg), the .npy arrays (reconstructions.png, latent.svg, noise.svg,
 * noise_reconstructions.png) and config.json. The builders themselves take plain arrays and live
 * in src/viz/ae-figures.ts, so the examples draw the same figures for runs that have no run
 * directory.
 *
 * This module imports the chart renderer (vega) and umap-js: the CLI loads it lazily, after
 * training, so `latentlab --help` stays fast.
 */
import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../../../io/atomic.js';
import { readNpy, writeNpy } from '../../../io/npy.js';
import { getDataset } from '../../../data/registry.js';
import type { NoiseKind } from '../../../ae/noise.js';
import type { Rng } from '../../../random.js';
import type { RunDir } from '../../run-dir.js';
import { Tensor } from '../../../tensor/tensor.js';
import {
  latentSvg,
  lossSvg,
  noiseGridPng,
  noiseSvg,
  reconstructionPng,
  type AeEpochPoint,
  type LatentFigure,
  type LatentOptions,
  type NoisePoint,
} from '../../../viz/ae-figures.js';
import { formatNumber, type ReportFigure, type ReportSection } from '../../../viz/report.js';
import { writeReportHtml } from '../../report-file.js';

/** config.json of an ae run, as far as the figures need it. */
interface AeRunConfig {
  kind: string;
  config: {
    dataset: string;
    latent: number;
    loss: string;
    noise: string;
    noise_scale: number;
    grid_cols: number;
    umap_sample: number;
    umap_epochs: number;
  } & Record<string, unknown>;
  architecture?: string;
  /** With a class subset, the names of the classes kept (the run's label k is class_names[k]). */
  dataset?: { class_names?: string[] };
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
export async function writeAeRunFigures(run: RunDir, o: { rng: Rng; onUmapStep?: LatentOptions['onUmapStep'] }): Promise<AeRunFigures> {
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
  // The same curves as the image, as data for the report's interactive chart (named as lossSvg names them).
  const lossName = cfg.loss === 'bce' ? 'binary cross-entropy' : 'MSE';
  const epochs = points.map((p) => p.epoch);
  const loss: ReportFigure = {
    title: 'Loss',
    caption: `Mean training loss of each epoch${cfg.noise !== 'none' ? ' (on noisy inputs)' : ''} and the loss on the clean test images after it.`,
    svg: lossChart,
    file: write('loss.svg', lossChart),
    chart: {
      title: `Reconstruction loss per epoch (${lossName})`,
      xLabel: 'epoch',
      yLabel: `${lossName} per pixel`,
      series: [
        { name: cfg.noise !== 'none' ? 'train (noisy inputs)' : 'train', x: epochs, y: points.map((p) => p.loss) },
        ...(points.some((p) => p.testLoss !== undefined) ? [{ name: 'test', x: epochs, y: points.map((p) => p.testLoss ?? NaN) }] : []),
      ],
    },
  };

  const codes = tensorOf(run, 'test_codes.npy');
  const labelsArr = readNpy(run.file('arrays', 'test_labels.npy'));
  if (!(labelsArr.data instanceof Int32Array))
    throw new TypeError(`writeAeRunFigures: expected test_labels.npy to hold int32 labels, got dtype ${labelsArr.dtype}`);
  const lat = await latentSvg(codes, {
    labels: labelsArr.data,
    classNames: saved.dataset?.class_names ?? info.classNames,
    rng: o.rng,
    umapSample: cfg.umap_sample,
    umapEpochs: cfg.umap_epochs,
    onUmapStep: o.onUmapStep,
  });
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
    const chart: ReportFigure = {
      title: 'Noise robustness',
      caption: 'Reconstruction MSE against the clean test images when the inputs are corrupted with noise of scale c.',
      svg,
      file: write('noise.svg', svg),
      chart: {
        title: 'Test MSE against the noise scale c',
        xLabel: 'noise scale c',
        yLabel: 'test MSE (vs the clean images)',
        series: [{ name: 'test MSE', x: pts.map((p) => p.scale), y: pts.map((p) => p.mse) }],
      },
    };
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
  o: {
    config: Record<string, unknown>;
    metrics: Record<string, number>;
    timings: Record<string, number>;
    status: string;
    architecture: string;
    dataset: string;
    trainRows: number;
    testRows: number;
  },
): string {
  const m = o.metrics;
  const sections: ReportSection[] = [];
  const baseline = Number.isFinite(m.test_mse_mean_image)
    ? ` The mean training image, as a constant prediction, would score ${formatNumber(m.test_mse_mean_image)}.`
    : '';
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
  return writeReportHtml(run, 'ae', {
    title: `${o.architecture} autoencoder on ${o.dataset}`,
    subtitle: `run ${run.id} · ${o.trainRows} training and ${o.testRows} test images`,
    status: o.status,
    config: o.config,
    metrics: o.metrics,
    headline: ['test_mse', 'test_mse_mean_image'],
    metricColumns: ['training set', 'test set'],
    timings: o.timings,
    sections,
  });
}
