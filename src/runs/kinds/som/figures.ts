/**
 * Figures and report.html of SOM and k-means runs (train som, cluster kmeans; train desom reuses
 * them): the figures built by src/viz/som-figures.ts written into the run's figures/, the QE curve
 * read back from events.jsonl, and the report.
 */
import { writeFileAtomic } from '../../../io/atomic.js';
import type { RunDir } from '../../run-dir.js';
import type { EvalCurve, FigureFile } from '../../../viz/som-figures.js';
import { type ReportFigure, type ReportSection, type ReportTable } from '../../../viz/report.js';
import { mapAccuracyNote } from '../../../viz/labels.js';
import { writeReportHtml } from '../../report-file.js';

/** The 'eval' records of events.jsonl as curves. */
export function evalCurve(events: readonly Record<string, unknown>[]): EvalCurve {
  const byIt = new Map<number, { qe: number; te: number }>();
  for (const e of events) {
    if (e.type === 'eval' && typeof e.iteration === 'number' && typeof e.qe === 'number')
      byIt.set(e.iteration, { qe: e.qe, te: typeof e.te === 'number' ? e.te : NaN });
  }
  const its = [...byIt.keys()].sort((a, b) => a - b);
  return { iteration: its, qe: its.map((i) => byIt.get(i)!.qe), te: its.map((i) => byIt.get(i)!.te) };
}

/** Writes each figure into the run's figures/ folder. */
export function writeFigures(run: RunDir, figs: readonly FigureFile[]): void {
  for (const f of figs) {
    const body = f.svg ?? f.png;
    if (body === undefined) throw new Error(`internal: figure ${f.file} has no content`);
    writeFileAtomic(run.file('figures', f.file), body);
  }
}

export interface RunReportOptions {
  title: string;
  subtitle?: string;
  status: string;
  config: Record<string, unknown>;
  metrics: Record<string, number>;
  timings: Record<string, number>;
  /** Text above the figures (what the metrics mean). */
  text?: string;
  figures: readonly FigureFile[];
  tables?: ReportTable[];
  /** Result warnings (session.summary.warnings), shown at the top of the report. */
  warnings?: string[];
}

/** config.json of a som, desom or kmeans run, as far as the report needs it. */
interface MapRunConfig {
  kind?: string;
  config?: { split?: string; k?: number };
  dataset?: { classes?: number };
  map?: { cells?: number };
}

/** The metrics shown as cards at the top of the report, per kind. */
const HEADLINE: Record<string, string[]> = {
  som: ['purity', 'nmi', 'qe', 'te'],
  desom: ['purity', 'nmi', 'nmi_geometric', 'mse'],
  kmeans: ['purity', 'nmi', 'accuracy', 'silhouette'],
};

/**
 * The data of qe.svg and te.svg (drawn by src/viz/som-figures.ts from the eval records) for the
 * report's interactive charts, when the figure does not carry it already; other figures as they are.
 */
function withEvalChart(f: FigureFile, curve: EvalCurve, kind: string): FigureFile {
  if (f.chart !== undefined || curve.iteration.length === 0) return f;
  if (f.file === 'qe.svg')
    return {
      ...f,
      chart: {
        title: 'Quantization error during training',
        xLabel: 'iteration',
        yLabel: kind === 'desom' ? 'QE (latent space)' : 'QE',
        series: [{ name: 'QE', x: curve.iteration, y: curve.qe }],
      },
    };
  if (f.file === 'te.svg')
    return {
      ...f,
      chart: {
        title: 'Topographic error during training',
        xLabel: 'iteration',
        yLabel: 'TE (share of rows)',
        series: [{ name: 'TE', x: curve.iteration, y: curve.te }],
      },
    };
  return f;
}

/** report.html at the run root: summary, configuration, tables and every figure, self-contained. */
export function writeRunReport(run: RunDir, o: RunReportOptions): void {
  const saved = run.readConfig<MapRunConfig>();
  const kind = saved.kind ?? '';
  const curve = o.figures.some((f) => f.file === 'qe.svg' || f.file === 'te.svg') ? evalCurve(run.events()) : null;
  const withPath = ({ training: _training, ...f }: FigureFile): ReportFigure => ({
    ...(curve === null ? f : withEvalChart(f, curve, kind)),
    file: `figures/${f.file}`,
  });
  const isCurve = (f: FigureFile): boolean => f.training === true || f.file === 'qe.svg';
  const maps = o.figures.filter((f) => !isCurve(f));
  const curves = o.figures.filter(isCurve);
  // A map (or k-means with more clusters than classes) scores a low Hungarian accuracy by construction: say why.
  const cells = kind === 'kmeans' ? saved.config?.k : saved.map?.cells;
  const note =
    cells === undefined || saved.dataset?.classes === undefined
      ? null
      : mapAccuracyNote({ cells, classes: saved.dataset.classes, metrics: o.metrics, unit: kind === 'kmeans' ? 'clusters' : 'cells' });
  const text = [o.text, note].filter((t): t is string => t !== undefined && t !== null && t !== '').join('\n\n');
  const sections: ReportSection[] = [{ heading: 'Figures', text: text === '' ? undefined : text, tables: o.tables, figures: maps.map(withPath) }];
  if (curves.length > 0) sections.push({ heading: 'Training', figures: curves.map(withPath) });
  const all = saved.config?.split === 'all';
  writeReportHtml(run, kind, {
    title: o.title,
    subtitle: o.subtitle,
    status: o.status,
    warnings: o.warnings,
    config: o.config,
    metrics: o.metrics,
    headline: HEADLINE[kind],
    metricColumns: [all ? 'all rows (train + test)' : 'training rows', 'test split'],
    timings: o.timings,
    sections,
  });
}
