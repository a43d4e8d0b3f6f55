/**
 * A signatures run: the activation signatures of a trained network (the Cluster Paths student
 * project; Cluster Paths, arXiv 2510.06541). The rows of a split go through the network; each
 * analysed layer's outputs are clustered with k-means (k by silhouette; a DESOM's map layer is
 * already a clustering: each row's best-matching cell); every row's path (class → a cluster per
 * layer → prediction) is counted and drawn as a Sankey diagram; the paths' metrics, the rows off
 * their class's majority path, the path agreement under input noise, each layer's UMAP and, with
 * --insert, where rows of classes the network never saw go. A model that predicts no class (an
 * autoencoder, a DESOM) gets the prediction of the majority class of the row's cluster in the last
 * analysed layer — the classifier that purity scores.
 */
import { captureActivations, type CapturedLayer } from '../../../analysis/capture.js';
import { assignToCentroids, pathAgreement, pathMetrics } from '../../../analysis/path-metrics.js';
import { insertionFlows, pathOutliers } from '../../../analysis/path-outliers.js';
import { buildPaths, type PathLayer } from '../../../analysis/paths.js';
import { clusterLayerSteps, type LayerClustering } from '../../../analysis/layer-clusters.js';
import { addNoise } from '../../../ae/noise.js';
import { takeRows } from '../../../data/transforms.js';
import { writeNpy } from '../../../io/npy.js';
import { accuracy } from '../../../metrics/accuracy.js';
import { writeJsonAtomic } from '../../../io/atomic.js';
import { Rng } from '../../../random.js';
import { pca, pcaTransform, type Pca } from '../../../stats/pca.js';
import { Tensor } from '../../../tensor/tensor.js';
import { umap } from '../../../viz/umap.js';
import type { Training } from '../../kind.js';
import { UsageError } from '../../errors.js';
import { describeBackend, type TrainSession } from '../../session.js';
import { parseKRange, silhouetteRows, type SignaturesConfig } from './config.js';
import { analysedRows, insertedRows, openAnalysedRun, ORIGIN_SPLITS, type AnalysedRun, type Rows } from './source.js';

/** One analysed layer: its clusters of the analysed rows, and the k-means behind them (null for a DESOM's map, whose clusters are its cells). */
export interface AnalysedLayer extends PathLayer {
  readonly clustering: LayerClustering | null;
}

/** The analysed layers of rows, and the network's own predictions when it makes some. */
interface Captured {
  layers: CapturedLayer[];
  predictions: Int32Array | null;
}

function capture(source: AnalysedRun, x: Tensor, names: readonly string[]): Captured {
  if (!source.predicts) return { layers: captureActivations(source.model, x, { layers: names }), predictions: null };
  const layers = captureActivations(source.model, x, { layers: [...names, 'output'] });
  const output = layers.pop() as CapturedLayer & { kind: 'activations' };
  return { layers, predictions: output.values.argmaxRows() };
}

/** Each row's cluster in every layer: the nearest of the analysed rows' centroids (never re-fitted), or its map cell. */
function assign(captured: readonly CapturedLayer[], layers: readonly AnalysedLayer[]): PathLayer[] {
  return captured.map((h, i) => ({
    name: h.name,
    k: layers[i].k,
    clusters: h.kind === 'cells' ? h.values : assignToCentroids(h.values, (layers[i].clustering as LayerClustering).centroids),
  }));
}

/** The majority class of each cluster (the overall majority for a cluster no row is in; ties → the smaller class). */
export function clusterMajority(clusters: Int32Array, k: number, labels: Int32Array, classes: number): Int32Array {
  const counts = new Int32Array(k * classes);
  const total = new Int32Array(classes);
  for (let i = 0; i < clusters.length; i++) {
    counts[clusters[i] * classes + labels[i]]++;
    total[labels[i]]++;
  }
  const argmax = (v: Int32Array): number => v.reduce((best, c, j) => (c > v[best] ? j : best), 0);
  const overall = argmax(total);
  return Int32Array.from({ length: k }, (_, c) => {
    const row = counts.subarray(c * classes, (c + 1) * classes);
    return row.some((v) => v > 0) ? argmax(row) : overall;
  });
}

/** A row's prediction: the network's, or the majority class of its cluster in the last layer. */
function predictionsOf(c: Captured, last: PathLayer, majority: Int32Array | null): Int32Array {
  if (c.predictions !== null) return c.predictions;
  return Int32Array.from(last.clusters, (cl) => (majority as Int32Array)[cl]);
}

export async function* trainSignatures(session: TrainSession<SignaturesConfig>): Training {
  const { run, cfg, info } = session;
  const t0 = performance.now();
  const source = openAnalysedRun(cfg.model, session.outRoot);
  const { rows, pool, imageShape } = await analysedRows(source, cfg);
  const root = new Rng(cfg.seed);
  const clusterRng = root.fork();
  const noiseRng = root.fork();
  const insertRng = root.fork();
  const projectionRng = root.fork();
  const inserted: Rows | null = cfg.insert === undefined ? null : insertedRows(source, pool, cfg.insert, cfg.insert_count, insertRng);

  const available = source.layers;
  const names = cfg.layers === undefined ? available : cfg.layers.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !available.includes(n));
  if (unknown.length > 0 || names.length === 0 || new Set(names).size !== names.length)
    throw new UsageError(
      `signatures: --layers ${cfg.layers ?? ''}: expected distinct layers among ${available.join(', ')} (${source.kind} run ${source.run.id}), got ${unknown.join(', ') || 'none'}`,
    );
  const ordered = available.filter((n) => names.includes(n)); // network order, whatever the flag's order
  const kRange = parseKRange(cfg.k_range) as [number, number];
  const k = cfg.k === 'auto' ? ('auto' as const) : Number(cfg.k);
  const tried = k === 'auto' ? kRange[1] - kRange[0] + 1 : 1;
  const n = rows.labels.length;
  const silRows = silhouetteRows(cfg, n);
  const clustered = ordered.filter((nm) => nm !== 'map').length;
  const loadS = (performance.now() - t0) / 1000;

  session.writeConfig({
    model_run: { id: source.run.id, path: source.run.path, kind: source.run.kind },
    dataset: { name: source.dataset, split: cfg.split, rows: n, classes: source.classes, class_names: source.classNames },
    layers: ordered,
    prediction: source.predicts ? 'network' : `majority class of the row's cluster in ${ordered[ordered.length - 1]}`,
    ...(inserted === null ? {} : { inserted: { classes: cfg.insert, rows: inserted.labels.length } }),
  });
  session.begin(0, clustered * tried, { load_s: loadS });
  yield { type: 'notice', message: `run ${run.id} → ${run.path}` };
  yield {
    type: 'notice',
    message: `${source.run.id} (${source.kind}): ${n} ${cfg.split} rows of ${source.dataset} (classes ${source.classNames.join(', ')}) through layers ${ordered.join(', ')}; backend ${describeBackend(info)}`,
  };
  if (clustered > 0 && silRows !== undefined)
    yield {
      type: 'notice',
      message: `silhouettes on a seeded sample of ${silRows} of the ${n} rows (--silhouette-sample ${cfg.silhouette_sample}; all for the exact ones)`,
    };

  // ---- capture and cluster ---------------------------------------------------------------------
  const tCluster = performance.now();
  const clean = capture(source, rows.x, ordered);
  yield {
    type: 'progress',
    total: Math.max(1, clustered * tried),
    format: 'signatures |{bar}| {value}/{total} k-means | layer {layer} | k {k} inertia {inertia} | ETA {eta_formatted}',
  };
  const layers: AnalysedLayer[] = [];
  let done = 0;
  for (const h of clean.layers) {
    if (h.kind === 'cells') {
      layers.push({ name: h.name, clusters: h.values, k: h.cells, clustering: null });
      continue;
    }
    const steps = clusterLayerSteps(h.values, { rng: clusterRng.fork(), k, kRange, restarts: cfg.restarts, silhouetteSample: silRows });
    for (let r = steps.next(); ; r = steps.next()) {
      if (r.done) {
        layers.push({ name: h.name, clusters: r.value.labels, k: r.value.k, clustering: r.value });
        break;
      }
      if (r.value.type !== 'kmeans') continue;
      session.step = ++done;
      yield { type: 'tick', value: session.step, payload: { layer: h.name, k: String(r.value.k), inertia: r.value.inertia.toPrecision(4) } };
      if ((await session.poll()) !== null) break;
    }
    if (session.stopRequested !== null) break;
  }
  yield { type: 'progress-end' };
  if (session.stopRequested !== null) return yield* session.interrupted(session.step, { cluster_s: (performance.now() - tCluster) / 1000 });
  const classes = source.classNames.length;
  const last = layers[layers.length - 1];
  const majority = source.predicts ? null : clusterMajority(last.clusters, last.k, rows.labels, classes);
  const predictions = predictionsOf(clean, last, majority);
  const paths = buildPaths({ labels: rows.labels, layers, predictions });
  const clusterS = (performance.now() - tCluster) / 1000;

  // ---- metrics ---------------------------------------------------------------------------------
  const tMetrics = performance.now();
  const pm = pathMetrics(paths);
  const outliers = pathOutliers(paths);
  let agreement: number | null = null;
  if (cfg.noise > 0) {
    const noisy = capture(source, addNoise(rows.x, { kind: 'gaussian', scale: cfg.noise }, noiseRng), ordered);
    const noisyLayers = assign(noisy.layers, layers);
    agreement = pathAgreement(
      paths.clusterKeys,
      buildPaths({ labels: rows.labels, layers: noisyLayers, predictions: predictionsOf(noisy, noisyLayers[noisyLayers.length - 1], majority) }).clusterKeys,
    );
  }
  const insertion =
    inserted === null
      ? null
      : (() => {
          const through = capture(source, inserted.x, ordered);
          const assigned = assign(through.layers, layers);
          const insertedPredictions = predictionsOf(through, assigned[assigned.length - 1], majority);
          return {
            flows: insertionFlows({ known: paths, inserted: { labels: inserted.labels, layers: assigned, predictions: insertedPredictions } }),
            assigned,
            predictions: insertedPredictions,
          };
        })();
  const metrics: Record<string, number> = {
    rows: paths.n,
    // For a model that predicts no class this is the accuracy of the last layer's majority classes: its purity.
    accuracy: accuracy(rows.labels, predictions),
    distinct_paths: pm.distinctPaths,
    distinct_cluster_paths: pm.distinctClusterPaths,
    path_complexity: pm.pathComplexity,
    weighted_path_purity: pm.weightedPathPurity,
    decision_alignment: pm.decisionAlignmentFaithfulness,
    outlier_rows: outliers.outliers.length,
    ...(agreement === null ? {} : { path_agreement: agreement }),
  };
  for (const l of pm.layers) {
    metrics[`${l.name}_k`] = l.k;
    metrics[`${l.name}_dominant_share`] = Math.min(...l.dominant.map((d) => d.share));
    metrics[`${l.name}_purity`] = l.purityLabel;
    metrics[`${l.name}_nmi`] = l.nmiLabel;
    metrics[`${l.name}_purity_prediction`] = l.purityPrediction;
    metrics[`${l.name}_nmi_prediction`] = l.nmiPrediction;
  }
  const metricsS = (performance.now() - tMetrics) / 1000;

  // ---- projections: each activation layer's UMAP (on its leading principal components when wider) --
  const tProjection = performance.now();
  const projections: Projection[] = [];
  if (cfg.projection === 'umap') {
    const sample =
      cfg.projection_sample !== undefined && cfg.projection_sample < n ? Int32Array.from(projectionRng.fork().sample(n, cfg.projection_sample)).sort() : null;
    for (const h of clean.layers) {
      if (h.kind === 'cells') continue;
      const values = sample === null ? h.values : takeRows(h.values, sample);
      const reduce = cfg.projection_pca > 0 && values.cols > cfg.projection_pca;
      yield {
        type: 'notice',
        message: `projecting layer ${h.name}: UMAP of ${values.rows} rows${reduce ? ` on its first ${cfg.projection_pca} principal components (of ${values.cols})` : ` × ${values.cols}`}`,
      };
      const rng = projectionRng.fork();
      let input = values;
      let explained: number | null = null;
      let basis: Pca | null = null;
      if (reduce) {
        basis = pca(values, cfg.projection_pca, { rng: rng.fork() });
        input = pcaTransform(basis, values);
        explained = basis.explained.reduce((a, b) => a + b, 0);
      }
      const embedding = umap(input, { rng: rng.fork(), nNeighbors: Math.min(15, input.rows - 1) });
      projections.push({ layer: h.name, rows: sample, embedding, pcaComponents: reduce ? cfg.projection_pca : null, explained, input, basis });
      if ((await session.poll()) !== null) break;
    }
    if (session.stopRequested !== null)
      return yield* session.interrupted(session.step, { cluster_s: clusterS, projection_s: (performance.now() - tProjection) / 1000 });
  }
  const projectionS = (performance.now() - tProjection) / 1000;

  // ---- arrays --------------------------------------------------------------------------------
  writeNpy(run.file('arrays', 'labels.npy'), { dtype: 'i4', shape: [n], data: rows.labels });
  writeNpy(run.file('arrays', 'predictions.npy'), { dtype: 'i4', shape: [n], data: predictions });
  writeNpy(run.file('arrays', 'origin.npy'), { dtype: 'i4', shape: [n, 2], data: rows.origin });
  const L = layers.length;
  const pathArray = new Int32Array(n * (L + 2));
  for (let i = 0; i < n; i++) {
    pathArray[i * (L + 2)] = rows.labels[i];
    for (let j = 0; j < L; j++) pathArray[i * (L + 2) + 1 + j] = layers[j].clusters[i];
    pathArray[i * (L + 2) + L + 1] = predictions[i];
  }
  writeNpy(run.file('arrays', 'paths.npy'), { dtype: 'i4', shape: [n, L + 2], data: pathArray });
  for (const l of layers) {
    writeNpy(run.file('arrays', `clusters_${l.name}.npy`), { dtype: 'i4', shape: [n], data: l.clusters });
    const c = l.clustering?.centroids;
    if (c !== undefined) writeNpy(run.file('arrays', `centroids_${l.name}.npy`), { dtype: 'f4', shape: [c.rows, c.cols], data: c.data });
  }
  if (cfg.save_activations)
    for (const h of clean.layers)
      if (h.kind === 'activations') writeNpy(run.file('arrays', `activations_${h.name}.npy`), { dtype: 'f4', shape: [n, h.values.cols], data: h.values.data });
  for (const p of projections) {
    writeNpy(run.file('arrays', `umap_${p.layer}.npy`), { dtype: 'f4', shape: [p.embedding.length / 2, 2], data: p.embedding });
    if (p.rows !== null) writeNpy(run.file('arrays', `umap_${p.layer}_rows.npy`), { dtype: 'i4', shape: [p.rows.length], data: p.rows });
    // What places a new input in this projection (the explorer's draw panel: UMAP's transform):
    // the rows the UMAP was fitted on, and the principal axes that took the layer's outputs there.
    writeNpy(run.file('arrays', `umap_input_${p.layer}.npy`), { dtype: 'f4', shape: [p.input.rows, p.input.cols], data: p.input.data });
    if (p.basis !== null) {
      const b = p.basis;
      const rowsOfBasis = new Float32Array((b.count + 1) * b.features);
      rowsOfBasis.set(b.mean);
      rowsOfBasis.set(b.components, b.features);
      writeNpy(run.file('arrays', `umap_pca_${p.layer}.npy`), { dtype: 'f4', shape: [b.count + 1, b.features], data: rowsOfBasis });
    }
  }
  if (insertion !== null && inserted !== null) {
    const m = inserted.labels.length;
    writeNpy(run.file('arrays', 'inserted_labels.npy'), { dtype: 'i4', shape: [m], data: inserted.labels });
    writeNpy(run.file('arrays', 'inserted_predictions.npy'), { dtype: 'i4', shape: [m], data: insertion.predictions });
    writeNpy(run.file('arrays', 'inserted_origin.npy'), { dtype: 'i4', shape: [m, 2], data: inserted.origin });
    for (const l of insertion.assigned) writeNpy(run.file('arrays', `inserted_clusters_${l.name}.npy`), { dtype: 'i4', shape: [m], data: l.clusters });
  }
  // Typed arrays (cluster owners, row lists) as JSON arrays, not {"0": …} objects.
  const plain = (_k: string, v: unknown): unknown => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as Int32Array) : v);
  const record = {
    origin_splits: ORIGIN_SPLITS,
    prediction: source.predicts ? 'network' : 'cluster-majority',
    layers: layers.map((l) =>
      l.clustering === null
        ? { name: l.name, k: l.k, cells: true }
        : {
            name: l.name,
            k: l.k,
            silhouette: l.clustering.silhouette,
            inertia: l.clustering.inertia,
            silhouette_rows: l.clustering.silhouetteSample,
            curve: l.clustering.curve,
          },
    ),
    projections: projections.map((p) => ({
      layer: p.layer,
      rows: p.rows === null ? n : p.rows.length,
      pca_components: p.pcaComponents,
      pca_explained: p.explained,
    })),
    metrics: pm,
    majority_paths: outliers.majority,
    outliers: outliers.outliers,
    insertion: insertion?.flows ?? null,
  };
  writeJsonAtomic(run.file('arrays', 'signatures.json'), JSON.parse(JSON.stringify(record, plain)));

  // ---- figures and report (vega loads only now) -----------------------------------------------
  const tFig = performance.now();
  const fig = await import('./figures.js');
  const figures = await fig.signaturesFigures({
    run,
    cfg,
    source,
    rows,
    paths,
    layers,
    projections,
    outliers,
    imageShape,
    inserted:
      insertion === null || inserted === null
        ? null
        : { rows: inserted, assigned: insertion.assigned, predictions: insertion.predictions, flows: insertion.flows },
    rng: projectionRng,
  });
  const timings = {
    load_s: loadS,
    cluster_s: clusterS,
    metrics_s: metricsS,
    projection_s: projectionS,
    figures_s: (performance.now() - tFig) / 1000,
    total_s: (performance.now() - t0) / 1000,
  };
  fig.writeSignaturesReport(run, {
    cfg,
    metrics,
    timings,
    figures,
    source,
    layers: pm.layers,
    analysed: layers,
    outliers,
    insertion: insertion?.flows ?? null,
    warnings: session.summary.warnings,
  });
  const dominant = pm.layers.map(
    (l) => `${l.name}: k = ${l.k}, ${l.dominant.map((d) => `${source.classNames[d.label]} ${(d.share * 100).toFixed(1)} %`).join(' · ')}`,
  );
  return session.finish({
    step: clustered * tried,
    metrics,
    timings,
    lines: [
      '',
      `run ${run.id} completed (signatures of ${source.run.id}: ${n} rows, ${L} layers)`,
      ...dominant.map((d) => `  ${d}`),
      `  paths          ${pm.distinctPaths} distinct; weighted-path purity ${pm.weightedPathPurity.toFixed(4)}, decision alignment ${pm.decisionAlignmentFaithfulness.toFixed(4)}${agreement === null ? '' : `, agreement under noise ${agreement.toFixed(4)}`}`,
      `  outliers       ${outliers.outliers.length} rows off their class's majority path`,
      `  time           ${timings.total_s.toFixed(1)} s in all (${clusterS.toFixed(1)} s clustering, ${projectionS.toFixed(1)} s projections, ${timings.figures_s.toFixed(1)} s figures)`,
      `  report         ${run.file('report.html')}`,
    ],
  });
}

/** A layer's 2-d UMAP: of every row (rows null) or of the seeded sample `rows`. */
export interface Projection {
  readonly layer: string;
  readonly rows: Int32Array | null;
  /** rows × 2, row-major. */
  readonly embedding: Float32Array;
  /** Principal components the UMAP ran on, or null for the raw outputs. */
  readonly pcaComponents: number | null;
  /** The share of the layer's variance those components hold. */
  readonly explained: number | null;
  /** The rows the UMAP was fitted on (the layer's outputs, or their principal coordinates). */
  readonly input: Tensor;
  /** The principal axes (mean, components) when the UMAP ran on them. */
  readonly basis: Pca | null;
}
