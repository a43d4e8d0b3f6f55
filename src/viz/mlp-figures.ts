/**
 * The figures of a classifier, built from plain arrays (no run directory): the loss per epoch
 * (loss.svg: training and test cross-entropy), the test accuracy per epoch (accuracy.svg), the
 * confusion matrix of the test split (confusion.svg) and a grid of misclassified test images, one
 * row per true class, each image over the class it was taken for (misclassified.svg). `latentlab train mlp` draws them from a run's files
 * (src/runs/kinds/mlp/figures.ts).
 */
import { Tensor } from '../tensor/tensor.js';
import { heatmapSvg, lineChartSvg } from './charts.js';
import { imageGrid, stackRasters } from './image-grid.js';
import { escapeHtml, uniqueNames } from './format.js';
import { encodePng } from './png.js';

/** One epoch of training: mean training loss, and the test loss and accuracy after it. */
export interface MlpEpochPoint {
  /** 1-based epoch number. */
  epoch: number;
  loss: number;
  testLoss?: number;
  testAccuracy?: number;
}

/** Training and test cross-entropy per epoch (loss.svg). */
export async function mlpLossSvg(points: readonly MlpEpochPoint[], o: { title?: string } = {}): Promise<string> {
  if (points.length === 0) throw new RangeError('mlpLossSvg: expected at least one epoch, got 0');
  const x = points.map((p) => p.epoch);
  const series = [{ name: 'train', x, y: points.map((p) => p.loss) }];
  if (points.some((p) => p.testLoss !== undefined)) series.push({ name: 'test', x, y: points.map((p) => p.testLoss ?? NaN) });
  return lineChartSvg({
    title: o.title ?? 'Cross-entropy loss per epoch',
    xLabel: 'epoch',
    yLabel: 'cross-entropy',
    series,
    points: points.length <= 30,
    legendTitle: 'data',
    xIntegers: true,
  });
}

/** Test accuracy per epoch (accuracy.svg), in percent. */
export async function mlpAccuracySvg(points: readonly MlpEpochPoint[], o: { title?: string } = {}): Promise<string> {
  const pts = points.filter((p) => p.testAccuracy !== undefined);
  if (pts.length === 0) throw new RangeError('mlpAccuracySvg: expected at least one epoch with a test accuracy, got 0');
  return lineChartSvg({
    title: o.title ?? 'Test accuracy per epoch',
    xLabel: 'epoch',
    yLabel: 'test accuracy (%)',
    series: [{ name: 'test accuracy', x: pts.map((p) => p.epoch), y: pts.map((p) => p.testAccuracy! * 100) }],
    points: true,
    xIntegers: true,
  });
}

/** Counts[t][p]: rows of true class t predicted as p (classes 0 … classes−1). */
export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number): number[][] {
  const fn = 'confusionMatrix';
  if (labels.length !== predictions.length)
    throw new RangeError(`${fn}: expected one prediction per label, got ${predictions.length} predictions for ${labels.length} labels`);
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError(`${fn}: expected classes to be a positive integer, got ${classes}`);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predictions[i];
    if (!(Number.isInteger(t) && t >= 0 && t < classes)) throw new RangeError(`${fn}: expected labels in 0..${classes - 1}, got ${t} at row ${i}`);
    if (!(Number.isInteger(p) && p >= 0 && p < classes)) throw new RangeError(`${fn}: expected predictions in 0..${classes - 1}, got ${p} at row ${i}`);
    m[t][p]++;
  }
  return m;
}

/** The confusion matrix as a heatmap (confusion.svg): true classes as rows, predictions as columns, counts in the cells. */
export async function confusionSvg(matrix: readonly (readonly number[])[], classNames: readonly string[], o: { title?: string } = {}): Promise<string> {
  const names = uniqueNames(matrix.map((_, c) => classNames[c] ?? String(c)));
  return heatmapSvg({
    title: o.title ?? 'Confusion matrix, test split',
    xLabel: 'predicted class',
    yLabel: 'true class',
    matrix,
    rowNames: names,
    colNames: names,
    legendTitle: 'test rows',
  });
}

/** One row of the misclassified grid: the first test rows of a true class that were predicted as another. */
export interface MisclassifiedRow {
  /** True class. */
  label: number;
  /** Test row indices shown, left to right. */
  indices: number[];
  /** What the model predicted for each of them. */
  predicted: number[];
  /** Misclassified test rows of this class in all. */
  total: number;
}

/**
 * The misclassified test rows, one group per true class (classes with none left out): the first
 * `perClass` in row order, so the same run always shows the same images.
 */
export function misclassifiedRows(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number, perClass: number): MisclassifiedRow[] {
  if (labels.length !== predictions.length)
    throw new RangeError(`misclassifiedRows: expected one prediction per label, got ${predictions.length} predictions for ${labels.length} labels`);
  if (!Number.isInteger(perClass) || perClass < 1) throw new RangeError(`misclassifiedRows: expected perClass to be a positive integer, got ${perClass}`);
  const rows: MisclassifiedRow[] = Array.from({ length: classes }, (_, c) => ({ label: c, indices: [], predicted: [], total: 0 }));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predictions[i];
    if (t === p || !(t >= 0 && t < classes)) continue;
    const r = rows[t];
    r.total++;
    if (r.indices.length < perClass) {
      r.indices.push(i);
      r.predicted.push(p);
    }
  }
  return rows.filter((r) => r.total > 0);
}

/** Layout of the misclassified grid: pixels per image pixel, between images, and below each row (room for its labels). */
function gridLayout(imageShape: readonly [number, number]): { scale: number; pad: number; rowGap: number } {
  return { scale: Math.max(1, Math.round(56 / imageShape[1])), pad: 2, rowGap: 18 };
}

/**
 * The misclassified images as one PNG: one grid row per entry of `rows`, its images left to right
 * (about 56 px each), `rowGap` white pixels below each row. Null when there is nothing to show.
 */
export function misclassifiedPng(x: Tensor, rows: readonly MisclassifiedRow[], imageShape: readonly [number, number]): Uint8Array | null {
  const d = imageShape[0] * imageShape[1];
  if (x.cols !== d) throw new RangeError(`misclassifiedPng: expected rows of ${imageShape[0]}×${imageShape[1]} = ${d} features, got ${x.cols}`);
  const { scale, pad, rowGap } = gridLayout(imageShape);
  const parts = rows
    .filter((r) => r.indices.length > 0)
    .map((r) => {
      const images = new Float32Array(r.indices.length * d);
      r.indices.forEach((i, j) => images.set(x.data.subarray(i * d, (i + 1) * d), j * d));
      return imageGrid(new Tensor(images, [r.indices.length, d]), { imageShape, cols: r.indices.length, scale, pad, background: 255, range: [0, 1] });
    });
  if (parts.length === 0) return null;
  return encodePng(stackRasters(parts, rowGap));
}

/**
 * misclassified.svg: the grid of misclassifiedPng with words on it: the true class and how many of
 * its test rows were wrong at the left of each row, the predicted class under each image. The PNG
 * is embedded (a data: URI), so the file stands alone. Null when there is nothing to show.
 */
export function misclassifiedSvg(
  x: Tensor,
  rows: readonly MisclassifiedRow[],
  imageShape: readonly [number, number],
  classNames: readonly string[],
): string | null {
  const shown = rows.filter((r) => r.indices.length > 0);
  const png = misclassifiedPng(x, shown, imageShape);
  if (png === null) return null;
  const { scale, pad, rowGap } = gridLayout(imageShape);
  const cellW = imageShape[1] * scale;
  const cellH = imageShape[0] * scale;
  const gutter = 84;
  const top = 22;
  const cols = Math.max(...shown.map((r) => r.indices.length));
  const gridW = cols * cellW + (cols - 1) * pad;
  const gridH = shown.length * cellH + (shown.length - 1) * rowGap;
  const width = gutter + gridW + 4;
  const height = top + gridH + rowGap;
  const name = (c: number): string => escapeHtml(classNames[c] ?? String(c));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="0" y="14" font-size="12" font-weight="bold" fill="#333">true class</text>`,
    `<text x="${gutter}" y="14" font-size="12" fill="#555">under each image: the class the model predicted</text>`,
    `<image x="${gutter}" y="${top}" width="${gridW}" height="${gridH}" style="image-rendering:pixelated" href="data:image/png;base64,${Buffer.from(png).toString('base64')}"/>`,
  ];
  shown.forEach((r, k) => {
    const y = top + k * (cellH + rowGap);
    out.push(`<text x="0" y="${y + 18}" font-size="15" font-weight="bold" fill="#1d2230">${name(r.label)}</text>`);
    out.push(`<text x="0" y="${y + 34}" font-size="11" fill="#666">${r.total} wrong</text>`);
    r.predicted.forEach((p, j) => {
      out.push(
        `<text x="${gutter + j * (cellW + pad) + cellW / 2}" y="${y + cellH + 13}" font-size="11" text-anchor="middle" fill="#b91c1c">→ ${name(p)}</text>`,
      );
    });
  });
  out.push('</svg>');
  return out.join('\n');
}
