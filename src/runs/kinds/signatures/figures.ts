/**
 * The figures and report of a signatures run: the Sankey diagram of the paths (links coloured by
 * input class), the same with the inserted classes, each layer's silhouette and inertia against k,
 * each layer's 2-d projection coloured by class and by cluster, and the galleries of the rows that
 * leave their class's majority path. Loaded lazily: it pulls in vega.
 */
import type { CapturedActivations } from '../../../analysis/capture.js';
import type { LayerClustering } from '../../../analysis/layer-clusters.js';
import type { LayerPathMetrics } from '../../../analysis/path-metrics.js';
import type { InsertionFlows, PathOutliers } from '../../../analysis/path-outliers.js';
import { buildPaths, sankeyGraph, type PathLayer, type PathSet, type SankeyGraph } from '../../../analysis/paths.js';
import { takeRows } from '../../../data/transforms.js';
import { writeFileAtomic } from '../../../io/atomic.js';
import type { Rng } from '../../../random.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { lineChartSvg, scatterSvg } from '../../../viz/charts.js';
import { imageGrid, stackRasters } from '../../../viz/image-grid.js';
import { encodePng } from '../../../viz/png.js';
import type { ReportFigure, ReportTable } from '../../../viz/report.js';
import { sankeySvg, type SankeyInput } from '../../../viz/sankey.js';
import { umap } from '../../../viz/umap.js';
import type { RunEvent } from '../../kind.js';
import { writeReportHtml } from '../../report-file.js';
import type { RunDir } from '../../run-dir.js';
import type { SignaturesConfig } from './config.js';
import type { ClassifierRun, Rows } from './source.js';

/** Rows projected per layer at most; above, a seeded sample (said in the caption). */
export const PROJECTION_ROWS = 10_000;

export interface SignaturesFigureInput {
  run: RunDir;
  cfg: SignaturesConfig;
  rows: Rows;
  paths: PathSet;
  clean: readonly CapturedActivations[];
  clusterings: readonly LayerClustering[];
  outliers: PathOutliers;
  classNames: readonly string[];
  allClassNames: readonly string[];
  imageShape: readonly [number, number] | null;
  inserted: { rows: Rows; assigned: PathLayer[]; predictions: Int32Array; flows: InsertionFlows } | null;
  rng: Rng;
}

export interface SignaturesFigure extends ReportFigure {
  file: string;
}

/** A path set's Sankey graph as the drawing takes it. */
function sankeyInput(g: SankeyGraph, title: string): SankeyInput {
  return {
    title,
    columns: [...g.columns],
    classNames: [...g.classNames],
    nodes: g.nodes.map((nd) => ({ id: String(nd.id), column: nd.column, label: nd.label, count: nd.count })),
    links: g.links.map((l) => ({ source: String(l.source), target: String(l.target), value: l.value, byClass: [...l.byClass] })),
  };
}

/** Builds every figure, writes it under figures/, and yields a notice per projection (the slow part). */
export async function* signaturesFigures(o: SignaturesFigureInput): AsyncGenerator<RunEvent, SignaturesFigure[]> {
  const figs: SignaturesFigure[] = [];
  const layerNames = o.paths.layers.map((l) => l.name);
  const n = o.paths.n;

  figs.push({
    file: 'sankey.svg',
    title: 'Paths through the layers',
    caption: `Each of the ${n} rows goes from its class through its cluster in every layer to the network's prediction; bands are coloured by input class.`,
    svg: sankeySvg(sankeyInput(sankeyGraph(o.paths, { classNames: o.classNames, layerNames }), 'class → clusters per layer → prediction')),
  });

  if (o.inserted !== null) {
    // Known rows and inserted rows in one diagram: the inserted classes numbered after the known ones.
    const K = o.classNames.length;
    const insertedClasses = [...new Set(o.inserted.rows.labels)].sort((a, b) => a - b);
    const labels = Int32Array.from([...o.paths.labels, ...Array.from(o.inserted.rows.labels, (l) => K + insertedClasses.indexOf(l))]);
    const layers = o.paths.layers.map((l, j) => ({ name: l.name, k: l.k, clusters: Int32Array.from([...l.clusters, ...o.inserted!.assigned[j].clusters]) }));
    const both = buildPaths({ labels, layers, predictions: Int32Array.from([...o.paths.predictions, ...o.inserted.predictions]) });
    const names = [...o.classNames, ...insertedClasses.map((c) => `${o.allClassNames[c] ?? c} (never seen)`)];
    figs.push({
      file: 'sankey_inserted.svg',
      title: 'Where the classes the network never saw go',
      caption: `${o.inserted.rows.labels.length} rows of ${insertedClasses.map((c) => o.allClassNames[c] ?? c).join(', ')} fed through the network, each assigned to the nearest cluster centroid of the known rows in every layer; the known classes' bands are faded.`,
      svg: sankeySvg(sankeyInput(sankeyGraph(both, { classNames: names, layerNames }), 'known and inserted classes'), {
        highlightClasses: insertedClasses.map((_, i) => K + i),
      }),
    });
  }

  if (o.clusterings.some((c) => c.curve.length > 1)) {
    const series = (pick: (p: { silhouette: number; inertia: number }) => number) =>
      o.clusterings.map((c, j) => ({ name: layerNames[j], x: c.curve.map((p) => p.k), y: c.curve.map(pick) }));
    figs.push({
      file: 'silhouette.svg',
      title: 'Mean silhouette against k',
      caption: 'Each layer keeps the k of the highest mean silhouette.',
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

  if (o.cfg.projection === 'umap') {
    const shown = n <= PROJECTION_ROWS ? null : Int32Array.from(o.rng.sample(n, PROJECTION_ROWS)).sort();
    const pick = (values: Tensor): Tensor => (shown === null ? values : takeRows(values, shown));
    const pickLabels = (l: Int32Array): Int32Array => (shown === null ? l : Int32Array.from(shown, (i) => l[i]));
    const note = shown === null ? `all ${n} rows` : `a seeded sample of ${PROJECTION_ROWS} of the ${n} rows`;
    for (const [j, h] of o.clean.entries()) {
      yield { type: 'notice', message: `projecting layer ${h.name} (${shown === null ? n : PROJECTION_ROWS} rows, UMAP)` };
      const values = pick(h.values);
      const emb = umap(values, { rng: o.rng.fork(), nNeighbors: Math.min(15, values.rows - 1) });
      const x = new Float32Array(values.rows);
      const y = new Float32Array(values.rows);
      for (let i = 0; i < values.rows; i++) {
        x[i] = emb[2 * i];
        y[i] = emb[2 * i + 1];
      }
      const clusterNames = Array.from({ length: o.clusterings[j].k }, (_, c) => `c${c}`);
      figs.push({
        file: `umap_${h.name}.svg`,
        title: `Layer ${h.name}: UMAP of its outputs, by class`,
        caption: `UMAP (15 neighbours) of ${note}.`,
        svg: await scatterSvg({
          title: `${h.name} by class`,
          xLabel: 'UMAP 1',
          yLabel: 'UMAP 2',
          x,
          y,
          labels: pickLabels(o.paths.labels),
          classNames: o.classNames,
          legendTitle: 'class',
        }),
      });
      figs.push({
        file: `umap_${h.name}_clusters.svg`,
        title: `Layer ${h.name}: the same projection, by k-means cluster`,
        svg: await scatterSvg({
          title: `${h.name} by cluster`,
          xLabel: 'UMAP 1',
          yLabel: 'UMAP 2',
          x,
          y,
          labels: pickLabels(o.paths.layers[j].clusters),
          classNames: clusterNames,
          legendTitle: 'cluster',
        }),
      });
    }
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
      const counts = o.outliers.majority.map((m) => `${o.classNames[m.label]}: ${at.filter((r) => r.label === m.label).length}`).join(', ');
      figs.push({
        file: `outliers_${name}.png`,
        title: `Rows that leave their class's majority path at ${name}`,
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
  source: ClassifierRun;
  layers: readonly LayerPathMetrics[];
  clusterings: readonly LayerClustering[];
  outliers: PathOutliers;
  insertion: InsertionFlows | null;
  warnings?: { message: string }[];
}

const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;

/** report.html: what was analysed, the per-layer table, the majority paths, the insertion table, every figure. */
export function writeSignaturesReport(run: RunDir, o: SignaturesReportInput): string {
  const names = o.source.classNames;
  const tables: ReportTable[] = [
    {
      caption: "Per layer: the k chosen, each class's share in its dominant cluster, and how well the clusters follow the labels and the predictions.",
      columns: ['layer', 'k', 'silhouette', ...names.map((c) => `${c} in its dominant cluster`), 'purity', 'NMI', 'NMI (prediction)'],
      rows: o.layers.map((l, j) => [
        l.name,
        l.k,
        o.clusterings[j].silhouette,
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
          `The ${o.metrics.rows} ${o.cfg.split} rows of ${o.source.dataset} (classes ${names.join(', ')}) went through ${o.source.run.id}; each hidden layer's outputs were clustered with k-means ` +
          `(k-means++, ${o.cfg.restarts} restarts, k ${o.cfg.k === 'auto' ? `by the best mean silhouette over ${o.cfg.k_range}` : `= ${o.cfg.k}`}). A row's path is its class, its cluster in each layer and the prediction ` +
          '(the Cluster Paths student project; the metrics follow the Cluster Paths paper, arXiv 2510.06541: see docs/signatures.md).',
        tables,
        figures: o.figures.map((f) => ({ ...f, file: `figures/${f.file}` })),
      },
    ],
  });
}
