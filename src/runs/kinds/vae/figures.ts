/**
 * The figures and the report of a vae run, built from the run's own files: the epoch records of
 * events.jsonl (elbo.svg, reconstruction.svg, kl.svg), the .npy arrays (samples.png, manifold.png,
 * reconstructions.png, latent.svg) and config.json.
 *
 * This module imports the chart renderer (vega) and umap-js: the kind loads it lazily, after
 * training, so `latentlab --help` stays fast.
 */
import { getDataset } from '../../../data/registry.js';
import { writeFileAtomic } from '../../../io/atomic.js';
import { readNpy, writeNpy } from '../../../io/npy.js';
import type { Rng } from '../../../random.js';
import { Tensor } from '../../../tensor/tensor.js';
import { manifoldQuantiles } from '../../../vae/manifold.js';
import { latentSvg, reconstructionPng, type LatentOptions } from '../../../viz/ae-figures.js';
import { lineChartSvg } from '../../../viz/charts.js';
import { imageGrid } from '../../../viz/image-grid.js';
import { encodePng } from '../../../viz/png.js';
import { formatNumber, type ReportFigure, type ReportSection } from '../../../viz/report.js';
import type { RunDir } from '../../run-dir.js';
import { writeReportHtml } from '../../report-file.js';

/** config.json of a vae run, as far as the figures need it. */
interface VaeRunRecord {
  kind: string;
  config: {
    dataset: string;
    latent: number;
    loss: string;
    beta: number;
    eval_samples: number;
    sample_grid: number;
    manifold: number;
    grid_cols: number;
    umap_sample: number;
    umap_epochs: number;
  } & Record<string, unknown>;
  /** With a class subset, the names of the classes kept (the run's label k is class_names[k]). */
  dataset?: { class_names?: string[] };
}

/** One epoch: the training means of the terms and the test scores after it (events.jsonl's epoch records). */
export interface VaeEpochPoint {
  /** 1-based. */
  epoch: number;
  negElbo: number;
  reconstruction: number;
  kl: number;
  testNegElbo?: number;
  testReconstruction?: number;
  testKl?: number;
}

/** The figures of a run, ready for its report. */
export interface VaeRunFigures {
  samples: ReportFigure | null;
  manifold: ReportFigure | null;
  reconstructions: ReportFigure | null;
  latent: ReportFigure;
  latentMethod: 'codes' | 'umap';
  curves: ReportFigure[];
  /** Paths written, relative to the run directory. */
  files: string[];
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** 12 → '₁₂'. */
const subscript = (n: number): string => String(n).replace(/\d/g, (d) => '₀₁₂₃₄₅₆₇₈₉'[Number(d)]);

/** The epoch records of events.jsonl, one per epoch (a resumed run may repeat some: the last wins). */
export function vaeEpochPoints(events: readonly Record<string, unknown>[]): VaeEpochPoint[] {
  const byEpoch = new Map<number, VaeEpochPoint>();
  for (const e of events) {
    if (e.type !== 'epoch' || typeof e.epoch !== 'number' || typeof e.reconstruction_loss !== 'number' || typeof e.kl !== 'number') continue;
    byEpoch.set(e.epoch, {
      epoch: e.epoch + 1,
      negElbo: e.reconstruction_loss + e.kl,
      reconstruction: e.reconstruction_loss,
      kl: e.kl,
      testNegElbo: num(e.test_neg_elbo),
      testReconstruction: num(e.test_reconstruction_loss),
      testKl: num(e.test_kl),
    });
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

function tensorOf(run: RunDir, name: string): Tensor {
  const a = readNpy(run.file('arrays', name));
  if (!(a.data instanceof Float32Array)) throw new TypeError(`figures: expected ${name} to hold float32 values, got dtype ${a.dtype}`);
  return new Tensor(a.data, a.shape);
}

/** Images as a grid of `cols` columns, PNG bytes (pad 0 draws a manifold as one continuous picture). */
export function vaeGridPng(images: Tensor, imageShape: readonly [number, number], cols: number, o: { scale?: number; pad?: number } = {}): Uint8Array {
  return encodePng(imageGrid(images, { imageShape, cols, scale: o.scale ?? 2, pad: o.pad ?? 1, margin: 2 }));
}

/** One loss term per epoch, train and test (`what` names the term in the title and on the y axis). */
function curve(
  points: readonly VaeEpochPoint[],
  what: { title: string; y: string },
  train: (p: VaeEpochPoint) => number,
  test: (p: VaeEpochPoint) => number | undefined,
) {
  const x = points.map((p) => p.epoch);
  const series = [{ name: 'train', x, y: points.map(train) }];
  if (points.some((p) => test(p) !== undefined)) series.push({ name: 'test', x, y: points.map((p) => test(p) ?? NaN) });
  return { title: what.title, xLabel: 'epoch', yLabel: what.y, series };
}

/**
 * Draws every figure of the vae run in `run` from its files and writes them into figures/ (the
 * UMAP embedding, when there is one, goes to arrays/latent_umap.npy with its row indices).
 */
export async function writeVaeRunFigures(run: RunDir, o: { rng: Rng; onUmapStep?: LatentOptions['onUmapStep'] }): Promise<VaeRunFigures> {
  const saved = run.readConfig<VaeRunRecord>();
  if (saved.kind !== 'vae') throw new RangeError(`writeVaeRunFigures: expected a "vae" run, got a "${saved.kind}" run (${run.id})`);
  const cfg = saved.config;
  const info = getDataset(cfg.dataset);
  const imageShape = info.imageShape === null ? null : ([info.imageShape[0], info.imageShape[1]] as const);
  const files: string[] = [];
  const write = (name: string, data: string | Uint8Array): string => {
    writeFileAtomic(run.file('figures', name), data);
    files.push(`figures/${name}`);
    return `figures/${name}`;
  };
  const p = cfg.latent;

  let samples: ReportFigure | null = null;
  let manifold: ReportFigure | null = null;
  let reconstructions: ReportFigure | null = null;
  if (imageShape !== null) {
    const k = cfg.sample_grid;
    const png = vaeGridPng(tensorOf(run, 'samples.npy'), imageShape, k);
    samples = {
      title: 'Samples',
      caption: `${k * k} images decoded from codes z drawn from the prior N(0, I) (seeded): what the model generates.`,
      png,
      file: write('samples.png', png),
    };
    const m = cfg.manifold;
    const q = manifoldQuantiles(m);
    const range = `${formatNumber(q[0])} … ${formatNumber(q[m - 1])}`;
    const mpng = vaeGridPng(tensorOf(run, 'manifold.npy'), imageShape, m, { scale: 1, pad: 0 });
    const where =
      p === 1
        ? `z₁ over ${m} quantiles of N(0, 1) (${range}), left to right`
        : `z₁ over ${m} quantiles of N(0, 1) (${range}) left to right and z₂ over the same quantiles bottom to top` +
          (p > 2 ? `; ${p === 3 ? 'z₃' : `z₃ … z${subscript(p)}`} held at 0, the prior's mean: a slice through the ${p}-dimensional latent space` : '');
    manifold = {
      title: 'Latent manifold',
      caption: `The decoder's output on a grid of codes (Kingma & Welling 2014, Figure 4): ${where}. Equal areas of the grid hold equal prior mass.`,
      png: mpng,
      file: write('manifold.png', mpng),
    };
    const rpng = reconstructionPng(tensorOf(run, 'test_sample.npy'), tensorOf(run, 'test_reconstructions_sample.npy'), imageShape, cfg.grid_cols);
    reconstructions = {
      title: 'Reconstructions',
      caption: 'Test images (first row of each pair) over decoder(μ(x)), their reconstruction without sampling (second row).',
      png: rpng,
      file: write('reconstructions.png', rpng),
    };
  }

  const codes = tensorOf(run, 'test_codes.npy');
  const labelsArr = readNpy(run.file('arrays', 'test_labels.npy'));
  if (!(labelsArr.data instanceof Int32Array))
    throw new TypeError(`writeVaeRunFigures: expected test_labels.npy to hold int32 labels, got dtype ${labelsArr.dtype}`);
  const n = codes.rows;
  const lat = await latentSvg(codes, {
    labels: labelsArr.data,
    classNames: saved.dataset?.class_names ?? info.classNames,
    rng: o.rng,
    umapSample: cfg.umap_sample,
    umapEpochs: cfg.umap_epochs,
    onUmapStep: o.onUmapStep,
    title: p === 2 ? `Latent space: μ of the ${n} test images (p = 2), by class` : undefined,
  });
  if (lat.embedding !== null) {
    writeNpy(run.file('arrays', 'latent_umap.npy'), { dtype: 'f4', shape: [lat.indices.length, 2], data: lat.embedding });
    writeNpy(run.file('arrays', 'latent_umap_indices.npy'), { dtype: 'i4', shape: [lat.indices.length], data: lat.indices });
  }
  const latent: ReportFigure = {
    title: 'Latent space',
    caption:
      lat.method === 'umap'
        ? `A 2-D UMAP projection (umap-js, seeded; ${lat.indices.length} test images, ${cfg.umap_epochs} epochs) of the ${p}-dimensional means μ of q(z|x), coloured by class. UMAP keeps neighbourhoods, not distances.`
        : `The mean μ of q(z|x) for each test image, coloured by its class. The prior N(0, I) puts 95 % of its mass within about 2.45 of the origin.`,
    svg: lat.svg,
    file: write('latent.svg', lat.svg),
  };

  const points = vaeEpochPoints(run.events());
  const unit = cfg.loss === 'bce' ? 'nats per image' : 'per image';
  const curves: ReportFigure[] = [];
  if (points.length > 0) {
    const specs = [
      {
        file: 'elbo.svg',
        title: 'Negative ELBO',
        caption: `Reconstruction + KL per image (β = 1, the bound itself) each epoch: the mean over the epoch's training batches, and the test images after it (${cfg.eval_samples} draw${cfg.eval_samples === 1 ? '' : 's'} of z each). Lower is better.`,
        chart: curve(
          points,
          { title: `Negative ELBO per epoch (${unit})`, y: `−ELBO (${unit})` },
          (q) => q.negElbo,
          (q) => q.testNegElbo,
        ),
      },
      {
        file: 'reconstruction.svg',
        title: 'Reconstruction term',
        caption: `−log p(x|z): the ${cfg.loss === 'bce' ? 'binary cross-entropy' : 'squared error'} summed over the pixels of an image, for one draw of z.`,
        chart: curve(
          points,
          { title: `Reconstruction term per epoch (${unit})`, y: `${cfg.loss === 'bce' ? 'BCE' : 'squared error'} (${unit})` },
          (q) => q.reconstruction,
          (q) => q.testReconstruction,
        ),
      },
      {
        file: 'kl.svg',
        title: 'KL term',
        caption: `KL(q(z|x) ‖ N(0, I)) = −½ Σ(1 + log σ² − μ² − σ²) per image${cfg.beta !== 1 ? ` (the training loss weighs it by β = ${cfg.beta})` : ''}: the nats the codes spend.`,
        chart: curve(
          points,
          { title: `KL term per epoch (${unit})`, y: `KL (${unit})` },
          (q) => q.kl,
          (q) => q.testKl,
        ),
      },
    ];
    for (const s of specs) {
      const svg = await lineChartSvg({ ...s.chart, points: points.length <= 30, legendTitle: 'data', xIntegers: true });
      curves.push({ title: s.title, caption: s.caption, svg, file: write(s.file, svg), chart: s.chart });
    }
  }
  return { samples, manifold, reconstructions, latent, latentMethod: lat.method, curves, files };
}

/** Writes report.html at the run root: config, final metrics, timings and every figure, self-contained. */
export function writeVaeRunReport(
  run: RunDir,
  figures: VaeRunFigures,
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
  const bce = o.config.loss === 'bce';
  const unit = bce ? 'nats per image' : 'per image (squared error, not a log-likelihood)';
  const sections: ReportSection[] = [
    {
      heading: 'Generated images',
      text:
        `Test negative ELBO ${formatNumber(m.test_neg_elbo)} ${unit}: reconstruction ${formatNumber(m.test_reconstruction_loss)} + KL ${formatNumber(m.test_kl)} ` +
        `(training set ${formatNumber(m.neg_elbo)}). The ELBO bounds log p(x) from below, so −ELBO is an upper bound on the images' code length.`,
      figures: [figures.samples, figures.manifold].filter((f): f is ReportFigure => f !== null),
    },
    {
      heading: 'Reconstructions',
      text: `Test MSE ${formatNumber(m.test_mse)} per pixel for decoder(μ(x)), pixels in [0, 1].`,
      figures: figures.reconstructions === null ? [] : [figures.reconstructions],
    },
    { heading: 'Latent space', figures: [figures.latent] },
    { heading: 'Training', figures: figures.curves },
    {
      heading: 'Files',
      text: [
        'model/ (model.json, format latentlab-vae, + weights.safetensors, PyTorch state_dict names: encoder.*, mu.*, logvar.*, decoder.*), checkpoint/, events.jsonl, summary.json, config.json.',
        'arrays/: test_codes.npy (μ of every test image), test_logvar.npy (its log σ²), test_labels.npy, test_neg_elbo.npy (each test image’s negative ELBO, float64), ' +
          'test_sample.npy, test_reconstructions_sample.npy and test_sample_indices.npy (the reconstruction grid), samples.npy (the decoded prior samples), ' +
          'manifold_codes.npy and manifold.npy (the manifold grid’s codes and images)' +
          (figures.latentMethod === 'umap' ? ', latent_umap.npy and latent_umap_indices.npy' : '') +
          '.',
        `figures/: ${figures.files.map((f) => f.replace(/^figures\//, '')).join(', ')}.`,
      ].join('\n\n'),
    },
  ];
  return writeReportHtml(run, 'vae', {
    title: `VAE ${o.architecture} on ${o.dataset}`,
    subtitle: `run ${run.id} · ${o.trainRows} training and ${o.testRows} test images`,
    status: o.status,
    config: o.config,
    metrics: o.metrics,
    headline: ['test_neg_elbo', 'test_reconstruction_loss', 'test_kl'],
    metricColumns: ['training set', 'test set'],
    timings: o.timings,
    sections,
  });
}
