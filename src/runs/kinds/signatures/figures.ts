/**
 * The figures and report of a signatures run: the Sankey diagram of the paths (links coloured by
 * input class), the same with the inserted classes, each layer's silhouette and inertia against k,
 * each layer's 2-d projection coloured by class and by cluster, and the galleries of the rows that
 * leave their class's majority path. Loaded lazily: it pulls in vega.
 */
import type { LayerClustering } from '../../../analysis/layer-clusters.js';
import type { LayerPathMetrics } from '../../../analysis/path-metrics.js';
import type { InsertionFlows, PathOutliers } from '../../../analysis/path-outliers.js';
import { joinInsertedPaths, sankeyGraph, type PathLayer, type PathSet } from '../../../analysis/paths.js';
import { takeRows } from '../../../data/transforms.js';
import { writeFileAtomic } from '../../../io/atomic.js';
import type { Rng } from '../../../random.js';
import { lineChartSvg, scatterSvg } from '../../../viz/charts.js';
import { imageGrid, stackRasters } from '../../../viz/image-grid.js';
import { encodePng } from '../../../viz/png.js';
import type { ReportFigure, ReportTable } from '../../../viz/report.js';
import { sankeyInputOf, sankeySvg } from '../../../viz/sankey.js';
import { writeReportHtml } from '../../report-file.js';
import type { RunDir } from '../../run-dir.js';
import type { SignaturesConfig } from './config.js';
import type { AnalysedRun, Rows } from './source.js';
import type { AnalysedLayer, Projection } from './train.js';

/** Points drawn per projection figure at most; above, a seeded sample of the projected rows (said in the caption; the array holds them all). */
export const PROJECTION_ROWS = 10_000;

export interface SignaturesFigureInput {
  run: RunDir;
  cfg: SignaturesConfig;
  source: AnalysedRun;
  rows: Rows;
  paths: PathSet;
  layers: readonly AnalysedLayer[];
  projections: readonly Projection[];
  outliers: PathOutliers;
  imageShape: readonly [number, number] | null;
  inserted: { rows: Rows; assigned: PathLayer[]; predictions: Int32Array; flows: InsertionFlows } | null;
  rng: Rng;
}

export interface SignaturesFigure extends ReportFigure {
  file: string;
}

/** The name of the paths' last column: the network's prediction, or the majority class of the last layer's cluster. */
export function lastColumn(source: AnalysedRun): string {
  return source.predicts ? 'prediction' : 'majority class';
}

/** Builds every figure and writes it under figures/. */
export async function signaturesFigures(o: SignaturesFigureInput): Promise<SignaturesFigure[]> {
  const figs: SignaturesFigure[] = [];
  const layerNames = o.paths.layers.map((l) => l.name);
  const n = o.paths.n;
  const classNames = o.source.classNames;
  const allClassNames = o.source.allClassNames;
  const last = lastColumn(o.source);
  const ending = o.source.predicts ? "the network's prediction" : `the majority class of its cluster in ${layerNames[layerNames.length - 1]}`;

  figs.push({
    file: 'sankey.svg',
    title: 'Paths through the layers',
    caption: `Each of the ${n} rows goes from its class through its cluster in every layer to ${ending}; bands are coloured by input class.`,
    svg: sankeySvg(sankeyInputOf(sankeyGraph(o.paths, { classNames, layerNames }), `class → clusters per layer → ${last}`, last)),
  });

  if (o.inserted !== null) {
    // Known rows and inserted rows in one diagram: the inserted classes numbered after the known ones.
    const K = classNames.length;
    const { paths: both, insertedClasses } = joinInsertedPaths(
      o.paths,
      { labels: o.inserted.rows.labels, clusters: o.inserted.assigned.map((l) => l.clusters), predictions: o.inserted.predictions },
      K,
    );
    const names = [...classNames, ...insertedClasses.map((c) => `${allClassNames[c] ?? c} (never seen)`)];
    figs.push({
      file: 'sankey_inserted.svg',
      title: 'Where the classes the network never saw go',
      caption: `${o.inserted.rows.labels.length} rows of ${insertedClasses.map((c) => allClassNames[c] ?? c).join(', ')} fed through the network, each assigned to the nearest cluster centroid of the known rows in every layer; the known classes' bands are faded.`,
      svg: sankeySvg(sankeyInputOf(sankeyGraph(both, { classNames: names, layerNames }), 'known and inserted classes', last), {
        highlightClasses: insertedClasses.map((_, i) => K + i),
      }),
    });
  }

  const clustered = o.layers.filter((l): l is AnalysedLayer & { clustering: LayerClustering } => l.clustering !== null);
  if (clustered.some((l) => l.clustering.curve.length > 1)) {
    const series = (pick: (p: { silhouette: number; inertia: number }) => number) =>
      clustered.map((l) => ({ name: l.name, x: l.clustering.curve.map((p) => p.k), y: l.clustering.curve.map(pick) }));
    figs.push({
      file: 'silhouette.svg',
      title: 'Mean silhouette against k',
      caption: 'Each layer keeps the k of the highest mean silhouette.',
      chart: { title: 'Mean silhouette per layer', xLabel: 'k', yLabel: 'mean silhouette', series: series((p) => p.silhouette) },
      svg: await lineChartSvg({
        title: 'Mean silhouette per layer',
        xLabel: 'k',
        yLabel: 'mean silhouette',
        series: series((p) => p.silhouette),
        points: true,
        xIntegers: true,
        legendTitle: 'layer',
      }),
    });
    figs.push({
      file: 'elbow.svg',
      title: 'k-means inertia against k (the elbow curve)',
      chart: { title: 'Inertia per layer', xLabel: 'k', yLabel: 'inertia', logY: true, series: series((p) => p.inertia) },
      svg: await lineChartSvg({
        title: 'Inertia per layer',
        xLabel: 'k',
        yLabel: 'inertia',
        series: series((p) => p.inertia),
        points: true,
        xIntegers: true,
        legendTitle: 'layer',
        yScale: 'log',
      }),
    });
  }

  for (const p of o.projections) {
    const projected = p.rows === null ? n : p.rows.length;
    // Draw at most PROJECTION_ROWS of the projected points (a seeded sample), so the SVG stays light.
    const shown = projected <= PROJECTION_ROWS ? null : Int32Array.from(o.rng.fork().sample(projected, PROJECTION_ROWS)).sort();
    const count = shown === null ? projected : shown.length;
    const point = (t: number): number => (shown === null ? t : shown[t]); // index into the embedding
    const row = (t: number): number => (p.rows === null ? point(t) : p.rows[point(t)]); // index into the analysed rows
    const x = Float32Array.from({ length: count }, (_, t) => p.embedding[2 * point(t)]);
    const y = Float32Array.from({ length: count }, (_, t) => p.embedding[2 * point(t) + 1]);
    const layer = o.layers.find((l) => l.name === p.layer) as AnalysedLayer;
    const on =
      p.pcaComponents === null
        ? 'its outputs'
        : `its first ${p.pcaComponents} principal components (${((p.explained ?? 0) * 100).toFixed(1)} % of the variance)`;
    const of = p.rows === null ? `all ${n} rows` : `a seeded sample of ${projected} of the ${n} rows`;
    const drawn = shown === null ? '' : ` ${count} of the ${projected} points drawn (a seeded sample); arrays/umap_${p.layer}.npy holds them all.`;
    figs.push({
      file: `umap_${p.layer}.svg`,
      title: `Layer ${p.layer}: UMAP of its outputs, by class`,
      caption: `UMAP (15 neighbours) of ${of}, on ${on}.${drawn}`,
      svg: await scatterSvg({
        title: `${p.layer} by class`,
        xLabel: 'UMAP 1',
        yLabel: 'UMAP 2',
        x,
        y,
        labels: Int32Array.from({ length: count }, (_, t) => o.paths.labels[row(t)]),
        classNames,
        legendTitle: 'class',
      }),
    });
    figs.push({
      file: `umap_${p.layer}_clusters.svg`,
      title: `Layer ${p.layer}: the same projection, by k-means cluster`,
      svg: await scatterSvg({
        title: `${p.layer} by cluster`,
        xLabel: 'UMAP 1',
        yLabel: 'UMAP 2',
        x,
        y,
        labels: Int32Array.from({ length: count }, (_, t) => layer.clusters[row(t)]),
        classNames: Array.from({ length: layer.k }, (_, c) => `c${c}`),
        legendTitle: 'cluster',
      }),
    });
  }

  if (o.imageShape !== null && o.cfg.outliers > 0) {
    const shape = o.imageShape;
    for (const name of [...layerNames, 'prediction']) {
      const at = o.outliers.outliers.filter((r) => r.columnName === name);
      if (at.length === 0) continue;
      const parts = o.outliers.majority
        .map((m) => at.filter((r) => r.label === m.label).slice(0, o.cfg.outliers))
        .filter((rs) => rs.length > 0)
        .map((rs) =>
          imageGrid(
            takeRows(
              o.rows.x,
              Int32Array.from(rs, (r) => r.row),
            ),
            { imageShape: shape, cols: o.cfg.outliers, invert: true, scale: 2 },
          ),
        );
      const counts = o.outliers.majority.map((m) => `${classNames[m.label]}: ${at.filter((r) => r.label === m.label).length}`).join(', ');
      figs.push({
        file: `outliers_${name}.png`,
        title: `Rows that leave their class's majority path at ${name === 'prediction' ? last : name}`,
        caption: `One row of images per class (at most ${o.cfg.outliers} each; ${counts}).`,
        png: encodePng(stackRasters(parts, 6)),
      });
    }
  }

  for (const f of figs) writeFileAtomic(o.run.file('figures', f.file), (f.svg ?? f.png) as string | Uint8Array);
  return figs;
}

export interface SignaturesReportInput {
  cfg: SignaturesConfig;
  metrics: Record<string, number>;
  timings: Record<string, number>;
  figures: readonly SignaturesFigure[];
  source: AnalysedRun;
  layers: readonly LayerPathMetrics[];
  analysed: readonly AnalysedLayer[];
  outliers: PathOutliers;
  insertion: InsertionFlows | null;
  warnings?: { message: string }[];
}

const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;

/** report.html: what was analysed, the per-layer table, the majority paths, the insertion table, every figure. */
export function writeSignaturesReport(run: RunDir, o: SignaturesReportInput): string {
  const names = o.source.classNames;
  const last = lastColumn(o.source);
  const tables: ReportTable[] = [
    {
      caption: `Per layer: the k chosen (a map's cells), each class's share in its dominant cluster, and how well the clusters follow the labels and the ${last === 'prediction' ? 'predictions' : 'majority classes'}.`,
      columns: ['layer', 'k', 'silhouette', ...names.map((c) => `${c} in its dominant cluster`), 'purity', 'NMI', `NMI (${last})`],
      rows: o.layers.map((l, j) => [
        l.name,
        l.k,
        o.analysed[j].clustering?.silhouette ?? null,
        ...names.map((_, c) => {
          const d = l.dominant.find((x) => x.label === c);
          return d === undefined ? null : `${pct(d.share)} (c${d.cluster})`;
        }),
        l.purityLabel,
        l.nmiLabel,
        l.nmiPrediction,
      ]),
    },
    {
      caption: "Each class's majority path (its most common cluster per layer, then the prediction) and the share of the class that follows it all the way.",
      columns: ['class', ...o.outliers.columns, 'rows on it', 'share'],
      rows: o.outliers.majority.map((m) => [
        names[m.label],
        ...m.clusters.map((c) => `c${c}`),
        names[m.prediction] ?? String(m.prediction),
        `${m.count} / ${m.total}`,
        pct(m.share),
      ]),
    },
  ];
  if (o.insertion !== null) {
    const known = o.insertion.knownClasses.map((c) => names[c]);
    tables.push({
      caption:
        "Rows of classes the network never saw: per layer, the share in the clusters each known class owns (the class with most rows in the cluster), and in clusters no known row reached ('other'); the last row per class is the prediction.",
      columns: ['inserted class', 'layer', ...known.map((k) => `with the ${k}s`), 'other'],
      rows: o.insertion.flows.flatMap((f) =>
        f.steps.map((s) => [o.source.allClassNames[f.label] ?? String(f.label), s.name, ...s.shares.map(pct), pct(s.otherShare)]),
      ),
    });
  }
  return writeReportHtml(run, 'signatures', {
    title: `Activation signatures of ${o.source.run.id}`,
    subtitle: `run ${run.id}`,
    status: 'completed',
    warnings: o.warnings?.map((w) => w.message),
    config: o.cfg,
    metrics: o.metrics,
    headline: ['accuracy', 'weighted_path_purity', 'decision_alignment', ...(o.metrics.path_agreement === undefined ? [] : ['path_agreement'])],
    metricColumns: ['analysed rows', ''],
    timings: o.timings,
    sections: [
      {
        heading: 'Paths',
        text:
          `The ${o.metrics.rows} ${o.cfg.split} rows of ${o.source.dataset} (classes ${names.join(', ')}) went through ${o.source.kind} run ${o.source.run.id}; each analysed layer's outputs were clustered with k-means ` +
          `(k-means++, ${o.cfg.restarts} restarts, k ${o.cfg.k === 'auto' ? `by the best mean silhouette over ${o.cfg.k_range}` : `= ${o.cfg.k}`}${o.analysed.some((l) => l.clustering === null) ? "; a DESOM's map layer is its cells" : ''}). ` +
          `A row's path is its class, its cluster in each layer and ${o.source.predicts ? "the network's prediction" : 'the majority class of its cluster in the last layer (the model predicts no class)'} ` +
          '(the Cluster Paths student project; the metrics follow the Cluster Paths paper, arXiv 2510.06541: see docs/signatures.md).',
        tables,
        figures: o.figures.map((f) => ({ ...f, file: `figures/${f.file}` })),
      },
    ],
  });
}
