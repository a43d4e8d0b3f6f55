/**
 * The figures and the report of a gan run, from the run's own files (events.jsonl's step and epoch
 * records, arrays/progress_samples.npy, the figures/samples-epoch-<k>.png training wrote) and the
 * judge's verdict: progress.png (the first fixed samples of each epoch side by side), loss.svg (D's
 * and G's losses), d_outputs.svg (D's mean probability on real and generated images), and with a
 * judge judge_classes.svg (the classes it sees in the samples).
 *
 * This module imports the chart renderer (vega): training loads it lazily, at the end.
 */
import { readFileSync } from 'node:fs';
import type { Gan } from '../../../gan/models.js';
import type { GanQuality, JudgeVerdict } from '../../../gan/quality.js';
import { writeFileAtomic } from '../../../io/atomic.js';
import { readNpy } from '../../../io/npy.js';
import { summary } from '../../../nn/summary.js';
import { barChartSvg, lineChartSvg } from '../../../viz/charts.js';
import { formatNumber, type ReportChartSeries, type ReportFigure, type ReportSection, type ReportTable } from '../../../viz/report.js';
import { writeReportHtml } from '../../report-file.js';
import type { RunDir } from '../../run-dir.js';
import type { JudgeRecord } from './judge.js';
import { progressPng } from './samples.js';

/** The figures of a gan run, ready for its report. */
export interface GanRunFigures {
  /** The last epoch's samples of the fixed latent vectors. */
  samples: ReportFigure;
  progress: ReportFigure;
  loss: ReportFigure;
  outputs: ReportFigure;
  judge: ReportFigure | null;
  /** Paths written here, relative to the run directory (the per-epoch sample grids are training's). */
  files: string[];
}

/** One point of the curves: where in training (in epochs), and the four means. */
interface CurvePoint {
  x: number;
  dLoss: number;
  gLoss: number;
  dReal: number;
  dFake: number;
}

/**
 * The curves' points: the step records (each the means of the steps since the one before), at
 * step / steps-per-epoch; a run too short to have two of them, its epoch records.
 */
export function curvePoints(events: readonly Record<string, unknown>[], perEpoch: number): { points: CurvePoint[]; unit: 'step' | 'epoch' } {
  const of = (r: Record<string, unknown>, x: number): CurvePoint => ({
    x,
    dLoss: Number(r.d_loss),
    gLoss: Number(r.g_loss),
    dReal: Number(r.d_real),
    dFake: Number(r.d_fake),
  });
  const steps = events.filter((r) => r.type === 'step' && typeof r.step === 'number').map((r) => of(r, (r.step as number) / perEpoch));
  if (steps.length >= 2) return { points: steps, unit: 'step' };
  const epochs = events.filter((r) => r.type === 'epoch' && typeof r.epoch === 'number').map((r) => of(r, (r.epoch as number) + 1));
  return { points: epochs, unit: 'epoch' };
}

export async function writeGanRunFigures(
  run: RunDir,
  o: { gan: Gan; epochs: number; perEpoch: number; quality: GanQuality | null; classNames: readonly string[]; gridCols: number; progressSamples: number },
): Promise<GanRunFigures> {
  const files: string[] = [];
  const write = (name: string, data: string | Uint8Array): string => {
    writeFileAtomic(run.file('figures', name), data);
    files.push(`figures/${name}`);
    return `figures/${name}`;
  };
  const [, h, w] = o.gan.options.image;
  const conditional = o.gan.options.classes > 0;

  const lastGrid = `samples-epoch-${o.epochs}.png`;
  const samples: ReportFigure = {
    title: `Samples after epoch ${o.epochs}`,
    caption: conditional
      ? `G's images for fixed latent vectors, the same every epoch; each row asks for one class, from ${o.classNames[0]} at the top to ${o.classNames[o.classNames.length - 1]} at the bottom (${o.gridCols} per class). Each epoch's grid is figures/samples-epoch-<k>.png.`
      : `G's images for fixed latent vectors, the same every epoch (${o.gridCols} per row). Each epoch's grid is figures/samples-epoch-<k>.png.`,
    png: readFileSync(run.file('figures', lastGrid)),
    file: `figures/${lastGrid}`,
  };

  const prog = readNpy(run.file('arrays', 'progress_samples.npy'));
  if (!(prog.data instanceof Float32Array)) throw new TypeError(`writeGanRunFigures: expected progress_samples.npy to hold float32 values, got ${prog.dtype}`);
  const [epochs, k, px] = prog.shape;
  const perEpochSamples = Array.from({ length: epochs }, (_, e) => (prog.data as Float32Array).subarray(e * k * px, (e + 1) * k * px));
  const progressBytes = progressPng(perEpochSamples, k, [h, w]);
  const progress: ReportFigure = {
    title: 'Progress',
    caption: `The first ${k} fixed samples (top to bottom) after each epoch, epochs 1 to ${epochs} from left to right: the same latent vectors${conditional ? ' and classes' : ''} through G as training goes on.`,
    png: progressBytes,
    file: write('progress.png', progressBytes),
  };

  const { points, unit } = curvePoints(run.events(), o.perEpoch);
  const xs = points.map((p) => p.x);
  const each = unit === 'step' ? 'means over the steps since the previous point' : 'epoch means';
  const lossSeries: ReportChartSeries[] = [
    { name: 'D loss', x: xs, y: points.map((p) => p.dLoss) },
    { name: 'G loss', x: xs, y: points.map((p) => p.gLoss) },
  ];
  const lossSvg = await lineChartSvg({
    title: 'Discriminator and generator losses',
    xLabel: 'epoch',
    yLabel: 'BCE with logits',
    series: lossSeries.map((s) => ({ name: s.name, x: Array.from(s.x), y: Array.from(s.y) })),
    points: points.length <= 30,
    legendTitle: 'loss',
    xMin: 0,
  });
  const loss: ReportFigure = {
    title: 'Losses',
    caption: `L_D = −log D(x) − log(1 − D(G(z))) and L_G = −log D(G(z)) during training (${each}). At the game's equilibrium, D(x) = D(G(z)) = ½: L_D = 2 log 2 ≈ 1.386, L_G = log 2 ≈ 0.693.`,
    svg: lossSvg,
    file: write('loss.svg', lossSvg),
    chart: { title: 'Discriminator and generator losses', xLabel: 'epoch', yLabel: 'BCE with logits', series: lossSeries },
  };
  const outSeries: ReportChartSeries[] = [
    { name: 'D(x), real', x: xs, y: points.map((p) => p.dReal) },
    { name: 'D(G(z)), generated', x: xs, y: points.map((p) => p.dFake) },
  ];
  const outSvg = await lineChartSvg({
    title: 'The discriminator’s mean output',
    xLabel: 'epoch',
    yLabel: 'mean probability of "real"',
    series: outSeries.map((s) => ({ name: s.name, x: Array.from(s.x), y: Array.from(s.y) })),
    points: points.length <= 30,
    legendTitle: 'images',
    xMin: 0,
  });
  const outputs: ReportFigure = {
    title: 'D(x) and D(G(z))',
    caption: `D's mean probability that an image is real, on the real batches and on the generated ones (before each D step; ${each}). A discriminator that wins drives them to 1 and 0; at the equilibrium both are ½.`,
    svg: outSvg,
    file: write('d_outputs.svg', outSvg),
    chart: { title: 'The discriminator’s mean output', xLabel: 'epoch', yLabel: 'mean probability of "real"', series: outSeries },
  };

  let judge: ReportFigure | null = null;
  if (o.quality !== null) {
    const q = o.quality;
    const shares = Array.from(q.counts, (c) => c / q.images);
    const svg = await barChartSvg({
      title: 'The judge’s classes of the generated samples',
      xLabel: 'class',
      yLabel: 'share of the samples',
      categories: o.classNames.length === shares.length ? [...o.classNames] : shares.map((_, i) => String(i)),
      values: shares,
    });
    judge = {
      title: 'Classes of the samples',
      caption: conditional
        ? `The class the judge gives each of the ${q.images} samples (each class asked for ${q.images / o.gan.options.classes} times).`
        : `The class the judge gives each of the ${q.images} samples. A generator that covers the data has about one tenth in each; one stuck on a few digits ("mode collapse") shows tall bars.`,
      svg,
      file: write('judge_classes.svg', svg),
    };
  }
  return { samples, progress, loss, outputs, judge, files };
}

const pct = (v: number | null): string => (v === null || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(1)}%`);

/** Writes report.html at the run root: config, metrics, samples, curves, the judge's verdict, the networks. */
export function writeGanRunReport(
  run: RunDir,
  figures: GanRunFigures,
  o: {
    config: Record<string, unknown>;
    metrics: Record<string, number>;
    timings: Record<string, number>;
    status: string;
    architecture: string;
    dataset: string;
    trainRows: number;
    judge: JudgeRecord | null;
    quality: GanQuality | null;
    real: JudgeVerdict | null;
    gan: Gan;
    classNames: readonly string[];
  },
): string {
  const sections: ReportSection[] = [];
  const conditional = o.gan.options.classes > 0;
  sections.push({
    heading: 'Samples',
    text: `G turns latent vectors z ~ N(0, I) of ${o.gan.options.latent} values${conditional ? ', with the one-hot of the class asked for,' : ''} into images in [−1, 1] (drawn black to white). The grid and the strip use the same fixed z every epoch, so they show G changing, not z.`,
    figures: [figures.samples, figures.progress],
  });
  if (o.quality !== null && o.real !== null && o.judge !== null) {
    const q = o.quality;
    const r = o.real;
    const table: ReportTable = {
      columns: ['', 'generated samples', 'real test images'],
      rows: [
        ['images judged', q.images, r.images],
        [`classified with p ≥ ${q.threshold}`, pct(q.confidentShare), pct(r.confidentShare)],
        ['mean probability of the class chosen', formatNumber(q.meanConfidence), formatNumber(r.meanConfidence)],
        ...(q.classMatch === null
          ? []
          : [['classified as the class asked for (real: the judge’s accuracy)', pct(q.classMatch), pct(r.classMatch)] as (string | number)[]]),
      ],
      caption: `The judge: ${o.judge.kind} run ${o.judge.run_id}${o.judge.test_accuracy === null ? '' : `, test accuracy ${pct(o.judge.test_accuracy)}`}.`,
    };
    sections.push({
      heading: 'Quality, as a classifier judges it',
      text:
        `A classifier trained on the real images (the judge) classifies ${q.images} generated images. The confident share counts the images it gives a softmax probability ≥ ${q.threshold}: ` +
        `recognisable digits rather than blots between classes. ` +
        (conditional ? 'The class match counts the images classified as the class G was asked for (image i asks for class i mod 10). ' : '') +
        'The same measures on the real test images are the ceiling: the judge is not sure of every real digit either. A judge can be fooled (it never saw a generated image), so these shares are upper bounds on what a person would read, and say nothing about variety within a class.',
      tables: [table],
      figures: figures.judge === null ? [] : [figures.judge],
    });
  } else {
    sections.push({
      heading: 'Quality',
      text: 'No judge: `--judge <run>` names a classifier run (train cnn or train mlp on the same dataset) that classifies the generated samples at the end.',
    });
  }
  sections.push({
    heading: 'Training',
    text: 'One D step then one G step per minibatch, with the same z: D minimises BCE(D(x), 1) + BCE(D(G(z)), 0), G minimises BCE(D(G(z)), 1) = −log D(G(z)) (the non-saturating loss) through the updated D.',
    figures: [figures.loss, figures.outputs],
  });
  const g = o.gan;
  const table = (net: 'generator' | 'discriminator', inputs: number): ReportTable => {
    const s = summary(g[net], [1, inputs]);
    return {
      columns: ['#', 'layer', 'output shape', 'parameters'],
      rows: s.rows.map((r) => [r.index, r.layer, `(N, ${r.output.slice(1).join(', ')})`, r.parameters]),
      caption: `The ${net}: ${s.parameters.toLocaleString('en-US')} parameters.`,
    };
  };
  const [, h, w] = g.options.image;
  const dInputs = g.imageSize + g.options.classes * (g.options.arch === 'dcgan' ? h * w : 1);
  sections.push({
    heading: 'The networks',
    text: o.architecture,
    tables: [table('generator', g.options.latent + g.options.classes), table('discriminator', dInputs)],
  });
  sections.push({
    heading: 'Files',
    text: [
      'model/: gan.json, generator/ and discriminator/ (each model.json + weights.safetensors, PyTorch state_dict names); checkpoint/, events.jsonl, summary.json, config.json.',
      'arrays/: fixed_z.npy (the grids’ latent vectors)' +
        (conditional ? ', fixed_labels.npy' : '') +
        ', samples.npy (their images at the end, in [−1, 1]), progress_samples.npy (epochs × samples × pixels)' +
        (o.quality !== null
          ? ', judge_predictions.npy and judge_confidence.npy (the judge on each generated sample)' + (conditional ? ', judge_requested.npy' : '')
          : '') +
        '.',
      `figures/: samples-epoch-<k>.png for every epoch, ${figures.files.map((f) => f.replace(/^figures\//, '')).join(', ')}.`,
    ].join('\n\n'),
  });
  // The keys of the other architecture, and the judge's without one, do not apply (config.json has them all).
  const unused = new Set(g.options.arch === 'mlp' ? ['g_channels', 'd_channels'] : ['g_hidden', 'd_hidden']);
  if (o.judge === null) for (const k of ['judge_samples', 'judge_threshold']) unused.add(k);
  return writeReportHtml(run, 'gan', {
    title: `${conditional ? 'Conditional ' : ''}${g.options.arch === 'mlp' ? 'MLP' : 'DCGAN'} GAN on ${o.dataset}`,
    subtitle: `run ${run.id} · ${o.trainRows} training images`,
    status: o.status,
    config: Object.fromEntries(Object.entries(o.config).filter(([k]) => !unused.has(k))),
    metrics: o.metrics,
    metricColumns: ['training, generated samples', 'real test images'],
    headline: ['sample_class_match', 'sample_confident_share', 'test_judge_confident_share', 'd_real', 'd_fake'].filter((m) => o.metrics[m] !== undefined),
    timings: o.timings,
    sections,
  });
}
