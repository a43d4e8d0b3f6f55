/**
 * The figures and the report of a classifier (train mlp) run, built from the run's own files: the
 * epoch records of events.jsonl (loss.svg, accuracy.svg), arrays/test_predictions.npy and
 * arrays/test_labels.npy (confusion.svg, and with the test images misclassified.svg) and
 * config.json. The builders take plain arrays and live in src/viz/mlp-figures.ts.
 *
 * This module imports the chart renderer (vega): the CLI loads it lazily, after training, so
 * `latentlab --help` stays fast.
 */
import { writeFileAtomic } from '../../../io/atomic.js';
import { readNpy } from '../../../io/npy.js';
import { getDataset } from '../../../data/registry.js';
import { loadDataset } from '../../../data/fetch.js';
import { classSubset } from '../../../data/transforms.js';
import type { RunDir } from '../../run-dir.js';
import type { Tensor } from '../../../tensor/tensor.js';
import {
  confusionMatrix,
  confusionSvg,
  misclassifiedRows,
  misclassifiedSvg,
  mlpAccuracySvg,
  mlpLossSvg,
  type MisclassifiedRow,
  type MlpEpochPoint,
} from '../../../viz/mlp-figures.js';
import { formatNumber, type ReportFigure, type ReportSection, type ReportTable } from '../../../viz/report.js';
import { writeReportHtml } from '../../report-file.js';
import type { ClassifierCv } from '../classifier-cv.js';

/** config.json of an mlp run, as far as the figures need it. */
interface MlpRunConfig {
  kind: string;
  config: { dataset: string; data_dir?: string; classes?: number[] } & Record<string, unknown>;
  /** classes: how many the model tells apart; with a class subset, class_names names them (the run's label k is class_names[k]). */
  dataset?: { train_rows?: number; test_rows?: number; classes?: number; class_names?: string[] };
}

/** Misclassified images shown per true class. */
export const MISCLASSIFIED_PER_CLASS = 10;

/** The figures of an mlp run, ready for its report. */
export interface MlpRunFigures {
  loss: ReportFigure | null;
  accuracy: ReportFigure | null;
  confusion: ReportFigure;
  /** Per-class counts behind the confusion matrix (true class → predicted class). */
  matrix: number[][];
  classNames: string[];
  misclassified: { figure: ReportFigure; rows: MisclassifiedRow[] } | null;
  /** Paths written, relative to the run directory. */
  files: string[];
}

/** The epoch records of events.jsonl, one per epoch (a resumed run may repeat some: the last wins). */
export function mlpEpochPoints(events: readonly Record<string, unknown>[]): MlpEpochPoint[] {
  const byEpoch = new Map<number, MlpEpochPoint>();
  const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  for (const e of events) {
    if (e.type !== 'epoch' || typeof e.epoch !== 'number' || typeof e.loss !== 'number') continue;
    byEpoch.set(e.epoch, { epoch: e.epoch + 1, loss: e.loss, testLoss: num(e.test_loss), testAccuracy: num(e.test_accuracy) });
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

function int32(run: RunDir, name: string): Int32Array {
  const a = readNpy(run.file('arrays', name));
  if (!(a.data instanceof Int32Array)) throw new TypeError(`writeMlpRunFigures: expected ${name} to hold int32 values, got dtype ${a.dtype}`);
  return a.data;
}

/** The test images of a run, as it was scored on them: only its classes' when it trained on a subset. */
async function testImages(cfg: MlpRunConfig['config']): Promise<Tensor> {
  const test = await loadDataset(cfg.dataset, { split: 'test', dataDir: cfg.data_dir });
  return cfg.classes === undefined ? test.x : classSubset(test, cfg.classes).x;
}

/**
 * Draws every figure of the mlp run in `run` from its files and writes them into figures/.
 * `testX` are the test images the predictions were made on (read from the dataset again when not
 * given); only image datasets get misclassified.svg.
 */
export async function writeMlpRunFigures(run: RunDir, o: { testX?: Tensor } = {}): Promise<MlpRunFigures> {
  const saved = run.readConfig<MlpRunConfig>();
  if (saved.kind !== 'mlp' && saved.kind !== 'cnn')
    throw new RangeError(`writeMlpRunFigures: expected an "mlp" or "cnn" run, got a "${saved.kind}" run (${run.id})`);
  const cfg = saved.config;
  const info = getDataset(cfg.dataset);
  const files: string[] = [];
  const write = (name: string, data: string | Uint8Array): string => {
    writeFileAtomic(run.file('figures', name), data);
    files.push(`figures/${name}`);
    return `figures/${name}`;
  };

  const points = mlpEpochPoints(run.events());
  let loss: ReportFigure | null = null;
  let accuracy: ReportFigure | null = null;
  if (points.length > 0) {
    const svg = await mlpLossSvg(points);
    // The same curves as the images, as data for the report's interactive charts.
    const epochs = points.map((p) => p.epoch);
    loss = {
      title: 'Loss',
      caption: 'Mean cross-entropy over the minibatches of each epoch (train) and on the test split after it (test).',
      svg,
      file: write('loss.svg', svg),
      chart: {
        title: 'Cross-entropy loss per epoch',
        xLabel: 'epoch',
        yLabel: 'cross-entropy',
        series: [
          { name: 'train', x: epochs, y: points.map((p) => p.loss) },
          ...(points.some((p) => p.testLoss !== undefined) ? [{ name: 'test', x: epochs, y: points.map((p) => p.testLoss ?? NaN) }] : []),
        ],
      },
    };
    if (points.some((p) => p.testAccuracy !== undefined)) {
      const acc = await mlpAccuracySvg(points);
      const scored = points.filter((p) => p.testAccuracy !== undefined);
      accuracy = {
        title: 'Test accuracy',
        caption: 'Share of the test split classified correctly after each epoch.',
        svg: acc,
        file: write('accuracy.svg', acc),
        chart: {
          title: 'Test accuracy per epoch',
          xLabel: 'epoch',
          yLabel: 'test accuracy (%)',
          series: [{ name: 'test accuracy', x: scored.map((p) => p.epoch), y: scored.map((p) => (p.testAccuracy as number) * 100) }],
        },
      };
    }
  }

  const labels = int32(run, 'test_labels.npy');
  const predictions = int32(run, 'test_predictions.npy');
  const names = saved.dataset?.class_names ?? info.classNames;
  const classes = saved.dataset?.classes ?? names.length;
  const classNames = Array.from({ length: classes }, (_, c) => names[c] ?? String(c));
  const matrix = confusionMatrix(labels, predictions, classes);
  const confSvg = await confusionSvg(matrix, classNames);
  const confusion: ReportFigure = {
    title: 'Confusion matrix',
    caption: `How many of the ${labels.length} test rows of each true class (rows) were predicted as each class (columns); the diagonal holds the correct ones.`,
    svg: confSvg,
    file: write('confusion.svg', confSvg),
  };

  let misclassified: MlpRunFigures['misclassified'] = null;
  if (info.imageShape !== null) {
    const rows = misclassifiedRows(labels, predictions, classes, MISCLASSIFIED_PER_CLASS);
    if (rows.length > 0) {
      const x = o.testX ?? (await testImages(cfg));
      if (x.rows !== labels.length) throw new RangeError(`writeMlpRunFigures: expected ${labels.length} test images (one per prediction), got ${x.rows}`);
      const svg = misclassifiedSvg(x, rows, info.imageShape, classNames);
      if (svg !== null) {
        misclassified = {
          rows,
          figure: {
            title: 'Misclassified test images',
            caption: `One row per true class: the first ${MISCLASSIFIED_PER_CLASS} test images of that class the model got wrong (in test-set order), each over the class it was taken for, and how many of the class's test images were wrong in all.`,
            svg,
            file: write('misclassified.svg', svg),
          },
        };
      }
    }
  }
  return { loss, accuracy, confusion, matrix, classNames, misclassified, files };
}

/** Per class: test rows, accuracy and the class it is most often mistaken for. */
function perClassTable(matrix: readonly (readonly number[])[], classNames: readonly string[]): ReportTable {
  return {
    columns: ['class', 'test rows', 'correct', 'accuracy', 'most often taken for'],
    caption: 'Per class, from the confusion matrix.',
    rows: matrix.map((row, c) => {
      const n = row.reduce((a, b) => a + b, 0);
      let worst = -1;
      row.forEach((v, p) => {
        if (p !== c && v > 0 && (worst < 0 || v > row[worst])) worst = p;
      });
      return [classNames[c], n, row[c], n === 0 ? null : row[c] / n, worst < 0 ? '—' : `${classNames[worst]} (${row[worst]})`];
    }),
  };
}

/** The cross-validation section: each fold's validation scores, their mean ± std, and what the saved model is. */
function crossValidationSection(cv: ClassifierCv): ReportSection {
  const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
  const { accuracy, loss } = cv.summary;
  return {
    heading: 'Cross-validation',
    text:
      `${cv.k}-fold cross-validation of this configuration on the training split, before the model above was trained: the training rows cut into ${cv.k} folds stratified by class, ` +
      `${cv.k} fresh models each trained on ${cv.k - 1} folds (same epochs, optimizer and seed-derived initialisation) and scored on the fold left out. ` +
      `Validation accuracy ${pct(accuracy.mean)} ± ${pct(accuracy.std)} (mean ± sample standard deviation over the folds), cross-entropy ${loss.mean.toFixed(4)} ± ${loss.std.toFixed(4)}. ` +
      'These models are not saved: model/ holds the one trained on the whole training split, whose test scores are above.',
    tables: [
      {
        columns: ['fold', 'training rows', 'validation rows', 'validation accuracy', 'validation loss'],
        caption: 'Each fold’s model on its validation rows; the last rows give the mean and the standard deviation (ddof = 1) over the folds.',
        rows: [
          ...cv.folds.map((f) => [String(f.fold + 1), f.trainRows, f.validationRows, f.metrics.accuracy, f.metrics.loss]),
          ['mean', null, null, accuracy.mean, loss.mean],
          ['std', null, null, accuracy.std, loss.std],
        ],
      },
    ],
  };
}

/** Writes report.html at the run root: config, final metrics, timings and every figure, self-contained. */
export function writeMlpRunReport(
  run: RunDir,
  figures: MlpRunFigures,
  o: {
    config: Record<string, unknown>;
    metrics: Record<string, number>;
    timings: Record<string, number>;
    status: string;
    architecture: string;
    activation: string;
    dataset: string;
    trainRows: number;
    testRows: number;
    /** More sections before the files (a CNN's filters and feature maps). */
    sections?: readonly ReportSection[];
    /** The k-fold cross-validation run before training (train mlp --folds), shown in its own section. */
    crossValidation?: ClassifierCv | null;
  },
): string {
  const m = o.metrics;
  const cv = o.crossValidation ?? null;
  const sections: ReportSection[] = [];
  const pct = (v: number): string => `${formatNumber(v * 100)}%`;
  sections.push({
    heading: 'Accuracy and loss',
    text: `Test accuracy ${pct(m.test_accuracy)} (training set ${pct(m.accuracy)}); test cross-entropy ${formatNumber(m.test_loss)} (training set ${formatNumber(m.loss)}). Guessing the most common class would score about ${pct(Math.max(...figures.matrix.map((r) => r.reduce((a, b) => a + b, 0))) / Math.max(1, o.testRows))}.`,
    figures: [figures.loss, figures.accuracy].filter((f): f is ReportFigure => f !== null),
  });
  if (cv !== null) sections.push(crossValidationSection(cv));
  sections.push({ heading: 'Confusion matrix', tables: [perClassTable(figures.matrix, figures.classNames)], figures: [figures.confusion] });
  if (figures.misclassified !== null) sections.push({ heading: 'Misclassified test images', figures: [figures.misclassified.figure] });
  sections.push(...(o.sections ?? []));
  sections.push({
    heading: 'Files',
    text: [
      `model/ (model.json + weights.safetensors, PyTorch state_dict names), checkpoint/, events.jsonl (step and epoch records: loss, test_loss, test_accuracy${cv === null ? '' : '; one fold record per cross-validation fold: accuracy, loss on its validation rows'}), summary.json${cv === null ? '' : ' (cross_validation: every fold and the mean ± std)'}, config.json.`,
      'arrays/: test_predictions.npy (the predicted class of every test row) and test_labels.npy.',
      `figures/: ${figures.files.map((f) => f.replace(/^figures\//, '')).join(', ')}.`,
    ].join('\n\n'),
  });
  const kind = run.readConfig<{ kind: string }>().kind;
  return writeReportHtml(run, kind, {
    title: `${o.architecture} ${o.activation} classifier on ${o.dataset}`,
    subtitle: `run ${run.id} · ${o.trainRows} training and ${o.testRows} test rows`,
    status: o.status,
    config: o.config,
    // The cross-validation's scores are on validation folds, neither the training nor the test set: in their own section.
    metrics: Object.fromEntries(Object.entries(o.metrics).filter(([k]) => !k.startsWith('cv_'))),
    headline: ['test_accuracy', 'test_loss'],
    metricColumns: ['training set', 'test set'],
    timings: o.timings,
    sections,
  });
}
