/**
 * The figures of an anomaly-detection experiment, from plain arrays: the ROC curve with the
 * chance diagonal (roc.svg), the precision–recall curve with the chance level (pr.svg), the score
 * histograms of the normal and anomalous rows (scores.svg) and the most anomalous rows over their
 * reconstructions (top.png). `latentlab anomaly RUN` draws them from a run (src/runs/anomaly.ts);
 * the examples draw them for models that have no run directory.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Tensor } from '../tensor/tensor.js';
import { reconstructionPng } from './ae-figures.js';
import { renderVegaLiteSvg } from './charts.js';
import { formatNumber } from './format.js';
import { categoryColor } from './palette.js';

/** A title with an optional second line in smaller type (a long one would widen the chart). */
function titled(text: string, subtitle?: string): string | { text: string; subtitle: string } {
  return subtitle === undefined ? text : { text, subtitle };
}

/** ~7 significant digits: plenty for a figure, and a small spec. */
const r7 = (v: number): number => Number(v.toPrecision(7));

/**
 * The corners of a curve through (x[k], y[k]): a point in the middle of a horizontal or vertical
 * run says nothing the run's ends do not (scikit-learn's drop_intermediate), so a ROC curve of
 * 10,000 thresholds keeps a few hundred points and draws the same line.
 */
export function curveCorners(x: ArrayLike<number>, y: ArrayLike<number>): number[] {
  const keep: number[] = [];
  const n = x.length;
  for (let k = 0; k < n; k++) {
    const inner = k > 0 && k < n - 1;
    if (inner && ((x[k - 1] === x[k] && x[k] === x[k + 1]) || (y[k - 1] === y[k] && y[k] === y[k + 1]))) continue;
    keep.push(k);
  }
  return keep;
}

function checkCurve(fn: string, x: ArrayLike<number>, y: ArrayLike<number>, xs: string, ys: string): void {
  if (x.length !== y.length || x.length < 1)
    throw new RangeError(`${fn}: expected ${xs} and ${ys} of one equal, non-zero length, got ${x.length} and ${y.length}`);
}

/**
 * The legend: inside the plot at the bottom right for a ROC curve (below the diagonal, where only a
 * score worse than chance goes), below the plot for the others (their curves and bars go anywhere).
 */
function legend(orient: 'bottom-right' | 'bottom') {
  return orient === 'bottom'
    ? { orient, title: null, direction: 'horizontal' as const, labelLimit: 320 }
    : { orient, title: null, fillColor: 'white', padding: 6, strokeColor: '#cccccc', labelLimit: 320 };
}

/** A line layer per series, coloured and dashed by series (the legend names each with its score). */
async function curvesSvg(o: {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: { name: string; x: number[]; y: number[]; dash: boolean; interpolate?: 'linear' | 'step-before' }[];
  legend: 'bottom-right' | 'bottom';
}): Promise<string> {
  const names = o.series.map((s) => s.name);
  const colors = o.series.map((s, i) => (s.dash ? '#888888' : categoryColor(i)));
  const layers = o.series.map((s) => ({
    data: { values: s.x.map((x, k) => ({ series: s.name, x: r7(x), y: r7(s.y[k]) })) },
    mark: { type: 'line' as const, strokeWidth: s.dash ? 1.25 : 2, interpolate: s.interpolate ?? 'linear', aria: false, clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative' as const, title: o.xLabel, scale: { domain: [0, 1] } },
      y: { field: 'y', type: 'quantitative' as const, title: o.yLabel, scale: { domain: [0, 1] } },
      color: { field: 'series', type: 'nominal' as const, sort: null, scale: { domain: names, range: colors }, legend: legend(o.legend) },
      strokeDash: {
        field: 'series',
        type: 'nominal' as const,
        sort: null,
        scale: { domain: names, range: o.series.map((t) => (t.dash ? [5, 4] : [1, 0])) },
        legend: null,
      },
    },
  }));
  const spec = { title: titled(o.title, o.subtitle), width: 360, height: 360, layer: layers } as TopLevelSpec;
  return renderVegaLiteSvg(spec);
}

/** The ROC curve (FPR → TPR) with the diagonal of a score that knows nothing; the legend gives the AUROC of each (roc.svg). */
export async function rocSvg(
  curve: { fpr: ArrayLike<number>; tpr: ArrayLike<number> },
  o: { auroc: number; title?: string; subtitle?: string; name?: string },
): Promise<string> {
  const fn = 'rocSvg';
  checkCurve(fn, curve.fpr, curve.tpr, 'fpr', 'tpr');
  if (!(o.auroc >= 0 && o.auroc <= 1)) throw new RangeError(`${fn}: expected auroc in [0, 1], got ${o.auroc}`);
  const keep = curveCorners(curve.fpr, curve.tpr);
  return curvesSvg({
    title: o.title ?? 'ROC curve',
    subtitle: o.subtitle,
    xLabel: 'false positive rate (normal rows flagged)',
    yLabel: 'true positive rate (anomalies found)',
    series: [
      { name: `${o.name ?? 'score'} (AUROC ${o.auroc.toFixed(4)})`, x: keep.map((k) => curve.fpr[k]), y: keep.map((k) => curve.tpr[k]), dash: false },
      { name: 'chance (AUROC 0.5)', x: [0, 1], y: [0, 1], dash: true },
    ],
    legend: 'bottom-right',
  });
}

/**
 * The precision–recall curve as the step function average precision sums, from (0, P₁), with the
 * chance level (the anomalous share) as a dashed line (pr.svg).
 */
export async function precisionRecallSvg(
  curve: { precision: ArrayLike<number>; recall: ArrayLike<number> },
  o: { averagePrecision: number; positiveShare: number; title?: string; subtitle?: string; name?: string },
): Promise<string> {
  const fn = 'precisionRecallSvg';
  checkCurve(fn, curve.recall, curve.precision, 'recall', 'precision');
  if (!(o.positiveShare > 0 && o.positiveShare <= 1)) throw new RangeError(`${fn}: expected positiveShare in (0, 1], got ${o.positiveShare}`);
  const keep = curveCorners(curve.recall, curve.precision);
  const x = [0, ...keep.map((k) => curve.recall[k])];
  const y = [curve.precision[0], ...keep.map((k) => curve.precision[k])];
  return curvesSvg({
    title: o.title ?? 'Precision–recall curve',
    subtitle: o.subtitle,
    xLabel: 'recall (anomalies found)',
    yLabel: 'precision (flagged rows that are anomalies)',
    series: [
      { name: `${o.name ?? 'score'} (AP ${o.averagePrecision.toFixed(4)})`, x, y, dash: false, interpolate: 'step-before' },
      { name: `chance (AP ${o.positiveShare.toFixed(4)})`, x: [0, 1], y: [o.positiveShare, o.positiveShare], dash: true },
    ],
    legend: 'bottom',
  });
}

/** Histogram bins over [lo, hi]: `bins` equal widths, values above hi in the last bin. */
function histogram(values: number[], lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const w = (hi - lo) / bins;
  for (const v of values) counts[w > 0 ? Math.max(0, Math.min(bins - 1, Math.floor((v - lo) / w))) : 0]++;
  return counts;
}

/** The q-quantile (0 ≤ q ≤ 1) of sorted values, by linear interpolation (numpy's default). */
function quantileSorted(sorted: number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const i = Math.floor(h);
  return i + 1 < sorted.length ? sorted[i] + (h - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/**
 * The score histograms of the normal and the anomalous rows over the same bins, each as a share of
 * its own rows (so a class of 1,000 rows shows beside one of 9,000): the more they overlap, the
 * lower the AUROC. The x axis ends at the 99.5th percentile of all scores unless `clip` is false;
 * the last bin then holds every score above (scores.svg).
 */
export async function scoreHistogramSvg(
  scores: ArrayLike<number>,
  target: ArrayLike<number>,
  o: { scoreLabel: string; title?: string; subtitle?: string; bins?: number; clip?: boolean; names?: readonly [string, string] },
): Promise<string> {
  const fn = 'scoreHistogramSvg';
  if (scores.length !== target.length) throw new RangeError(`${fn}: expected one target per score, got ${target.length} targets and ${scores.length} scores`);
  const bins = o.bins ?? 40;
  if (!Number.isSafeInteger(bins) || bins < 1) throw new RangeError(`${fn}: expected bins to be a positive integer, got ${bins}`);
  const groups: number[][] = [[], []];
  for (let i = 0; i < scores.length; i++) {
    const v = scores[i];
    if (!Number.isFinite(v)) throw new RangeError(`${fn}: expected finite scores, got ${v} at index ${i}`);
    const t = target[i];
    if (t !== 0 && t !== 1) throw new RangeError(`${fn}: expected targets 0 (normal) or 1 (anomalous), got ${t} at index ${i}`);
    groups[t].push(v);
  }
  if (groups[0].length === 0 || groups[1].length === 0)
    throw new RangeError(`${fn}: expected normal and anomalous rows, got ${groups[0].length} and ${groups[1].length}`);
  const sorted = [...groups[0], ...groups[1]].sort((a, b) => a - b);
  const lo = sorted[0];
  const max = sorted[sorted.length - 1];
  const hi = o.clip === false ? max : Math.min(max, quantileSorted(sorted, 0.995));
  const width = hi > lo ? (hi - lo) / bins : 1;
  const names = o.names ?? ['normal', 'anomalous'];
  const rows = groups.flatMap((g, t) =>
    histogram(g, lo, hi > lo ? hi : lo + 1, bins).map((c, b) => ({
      group: names[t],
      start: r7(lo + b * width),
      end: r7(lo + (b + 1) * width),
      share: r7(c / g.length),
    })),
  );
  const clipped = hi < max;
  const spec = {
    title: titled(o.title ?? 'Scores of the normal and anomalous rows', o.subtitle),
    width: 480,
    height: 260,
    data: { values: rows },
    mark: { type: 'rect', opacity: 0.55, aria: false },
    encoding: {
      x: {
        field: 'start',
        type: 'quantitative',
        title: clipped ? `${o.scoreLabel} (last bin: every score ≥ ${formatNumber(lo + (bins - 1) * width, 4)})` : o.scoreLabel,
        scale: { zero: false, nice: false },
      },
      x2: { field: 'end' },
      y: { field: 'share', type: 'quantitative', title: 'share of the group’s rows', stack: null },
      y2: { datum: 0 },
      color: {
        field: 'group',
        type: 'nominal',
        sort: null,
        scale: { domain: [...names], range: [categoryColor(0), categoryColor(3)] },
        legend: legend('bottom'),
      },
    },
  } as TopLevelSpec;
  return renderVegaLiteSvg(spec);
}

/** The most anomalous rows (first row of each pair, most anomalous first) over their reconstructions, `cols` per row, as PNG bytes (top.png). */
export function topAnomaliesPng(rows: Tensor, reconstructions: Tensor, imageShape: readonly [number, number], cols: number): Uint8Array {
  return reconstructionPng(rows, reconstructions, imageShape, cols);
}
