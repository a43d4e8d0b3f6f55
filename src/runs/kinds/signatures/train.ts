/**
 * A signatures run: the activation signatures of a trained classifier (the Cluster Paths student
 * project; Cluster Paths, arXiv 2510.06541). The rows of a split go through the network; each
 * hidden layer's outputs are clustered with k-means (k by silhouette); every row's path (class →
 * a cluster per layer → prediction) is counted and drawn as a Sankey diagram; the paths' metrics,
 * the rows off their class's majority path, the path agreement under input noise and, with
 * --insert, where rows of classes the network never saw go.
 */
import { captureActivations, captureLayers, type CaptureModel, type CapturedActivations } from '../../../analysis/capture.js';
import { assignToCentroids, pathAgreement, pathMetrics } from '../../../analysis/path-metrics.js';
import { insertionFlows, pathOutliers } from '../../../analysis/path-outliers.js';
import { buildPaths, type PathLayer } from '../../../analysis/paths.js';
import { clusterLayerSteps, type LayerClustering } from '../../../analysis/layer-clusters.js';
import { addNoise } from '../../../ae/noise.js';
import { writeNpy } from '../../../io/npy.js';
import { accuracy } from '../../../metrics/accuracy.js';
import { writeJsonAtomic } from '../../../io/atomic.js';
import { Rng } from '../../../random.js';
import { Tensor } from '../../../tensor/tensor.js';
import type { Training } from '../../kind.js';
import { UsageError } from '../../errors.js';
import { describeBackend, type TrainSession } from '../../session.js';
import { parseKRange, type SignaturesConfig } from './config.js';
import { analysedRows, insertedRows, openClassifierRun, type Rows } from './source.js';

/** The hidden layers of the network and its output (whose argmax is the prediction). */
function capture(model: CaptureModel, x: Tensor, names: readonly string[]): { hidden: CapturedActivations[]; predictions: Int32Array } {
  const layers = captureActivations(model, x, { layers: [...names, 'output'] }) as CapturedActivations[];
  const output = layers.pop() as CapturedActivations;
  return { hidden: layers, predictions: output.values.argmaxRows() };
}

/** Each row's cluster in every layer, by the nearest of the clean rows' centroids (never re-fitted). */
function assign(hidden: readonly CapturedActivations[], clusterings: readonly LayerClustering[]): PathLayer[] {
  return hidden.map((h, i) => ({ name: h.name, clusters: assignToCentroids(h.values, clusterings[i].centroids), k: clusterings[i].k }));
}

export async function* trainSignatures(session: TrainSession<SignaturesConfig>): Training {
  const { run, cfg, info } = session;
  const t0 = performance.now();
  const source = openClassifierRun(cfg.model, session.outRoot);
  const { rows, data } = await analysedRows(source, cfg);
  const root = new Rng(cfg.seed);
  const clusterRng = root.fork();
  const noiseRng = root.fork();
  const insertRng = root.fork();
  const projectionRng = root.fork();
  const inserted: Rows | null = cfg.insert === undefined ? null : insertedRows(source, data, cfg.insert, cfg.insert_count, insertRng);

  const available = captureLayersOf(source.model);
  const names = cfg.layers === undefined ? available : cfg.layers.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !available.includes(n));
  if (unknown.length > 0 || names.length === 0)
    throw new UsageError(`signatures: --layers ${cfg.layers ?? ''}: expected hidden layers among ${available.join(', ')}, got ${unknown.join(', ') || 'none'}`);
  const kRange = parseKRange(cfg.k_range) as [number, number];
  const k = cfg.k === 'auto' ? ('auto' as const) : Number(cfg.k);
  const tried = k === 'auto' ? kRange[1] - kRange[0] + 1 : 1;
  const loadS = (performance.now() - t0) / 1000;

  session.writeConfig({
    model_run: { id: source.run.id, path: source.run.path, kind: source.run.kind },
    dataset: { name: source.dataset, split: cfg.split, rows: rows.labels.length, classes: source.classes, class_names: source.classNames },
    layers: names,
    ...(inserted === null ? {} : { inserted: { classes: cfg.insert, rows: inserted.labels.length } }),
  });
  session.begin(0, names.length * tried, { load_s: loadS });
  yield { type: 'notice', message: `run ${run.id} → ${run.path}` };
  yield {
    type: 'notice',
    message: `${source.run.id}: ${rows.labels.length} ${cfg.split} rows of ${source.dataset} (classes ${source.classNames.join(', ')}) through layers ${names.join(', ')}; backend ${describeBackend(info)}`,
  };

  // ---- capture and cluster ---------------------------------------------------------------------
  const tCluster = performance.now();
  const clean = capture(source.model, rows.x, names);
  yield {
    type: 'progress',
    total: names.length * tried,
    format: 'signatures |{bar}| {value}/{total} k tried | layer {layer} | k {k} silhouette {silhouette} | ETA {eta_formatted}',
  };
  const clusterings: LayerClustering[] = [];
  for (const [i, h] of clean.hidden.entries()) {
    const steps = clusterLayerSteps(h.values, { rng: clusterRng.fork(), k, kRange, restarts: cfg.restarts, silhouetteSample: cfg.silhouette_sample });
    let done = 0;
    for (let r = steps.next(); ; r = steps.next()) {
      if (r.done) {
        clusterings.push(r.value);
        break;
      }
      done++;
      session.step = i * tried + done;
      yield { type: 'tick', value: session.step, payload: { layer: h.name, k: String(r.value.k), silhouette: r.value.silhouette.toFixed(3) } };
      if ((await session.poll()) !== null) break;
    }
    if (session.stopRequested !== null) break;
  }
  yield { type: 'progress-end' };
  if (session.stopRequested !== null) return yield* session.interrupted(session.step, { cluster_s: (performance.now() - tCluster) / 1000 });
  const layers = clean.hidden.map((h, i) => ({ name: h.name, clusters: clusterings[i].labels, k: clusterings[i].k }));
  const paths = buildPaths({ labels: rows.labels, layers, predictions: clean.predictions });
  const clusterS = (performance.now() - tCluster) / 1000;

  // ---- metrics ---------------------------------------------------------------------------------
  const tMetrics = performance.now();
  const pm = pathMetrics(paths);
  const outliers = pathOutliers(paths);
  let agreement: number | null = null;
  if (cfg.noise > 0) {
    const noisy = capture(source.model, addNoise(rows.x, { kind: 'gaussian', scale: cfg.noise }, noiseRng), names);
    agreement = pathAgreement(
      paths.clusterKeys,
      buildPaths({ labels: rows.labels, layers: assign(noisy.hidden, clusterings), predictions: noisy.predictions }).clusterKeys,
    );
  }
  const insertion =
    inserted === null
      ? null
      : (() => {
          const through = capture(source.model, inserted.x, names);
          const assigned = assign(through.hidden, clusterings);
          return {
            flows: insertionFlows({ known: paths, inserted: { labels: inserted.labels, layers: assigned, predictions: through.predictions } }),
            assigned,
            predictions: through.predictions,
          };
        })();
  const metrics: Record<string, number> = {
    rows: paths.n,
    accuracy: accuracy(rows.labels, clean.predictions),
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

  // ---- arrays --------------------------------------------------------------------------------
  const n = paths.n;
  writeNpy(run.file('arrays', 'labels.npy'), { dtype: 'i4', shape: [n], data: rows.labels });
  writeNpy(run.file('arrays', 'predictions.npy'), { dtype: 'i4', shape: [n], data: clean.predictions });
  const L = layers.length;
  const pathArray = new Int32Array(n * (L + 2));
  for (let i = 0; i < n; i++) {
    pathArray[i * (L + 2)] = rows.labels[i];
    for (let j = 0; j < L; j++) pathArray[i * (L + 2) + 1 + j] = layers[j].clusters[i];
    pathArray[i * (L + 2) + L + 1] = clean.predictions[i];
  }
  writeNpy(run.file('arrays', 'paths.npy'), { dtype: 'i4', shape: [n, L + 2], data: pathArray });
  for (const [j, l] of layers.entries()) {
    writeNpy(run.file('arrays', `clusters_${l.name}.npy`), { dtype: 'i4', shape: [n], data: l.clusters });
    const c = clusterings[j].centroids;
    writeNpy(run.file('arrays', `centroids_${l.name}.npy`), { dtype: 'f4', shape: [c.rows, c.cols], data: c.data });
  }
  if (insertion !== null && inserted !== null) {
    writeNpy(run.file('arrays', 'inserted_labels.npy'), { dtype: 'i4', shape: [inserted.labels.length], data: inserted.labels });
    writeNpy(run.file('arrays', 'inserted_predictions.npy'), { dtype: 'i4', shape: [inserted.labels.length], data: insertion.predictions });
    for (const l of insertion.assigned)
      writeNpy(run.file('arrays', `inserted_clusters_${l.name}.npy`), { dtype: 'i4', shape: [inserted.labels.length], data: l.clusters });
  }
  // Typed arrays (cluster owners, row lists) as JSON arrays, not {"0": …} objects.
  const plain = (_k: string, v: unknown): unknown => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as Int32Array) : v);
  const record = {
    layers: clusterings.map((c, j) => ({
      name: layers[j].name,
      k: c.k,
      silhouette: c.silhouette,
      inertia: c.inertia,
      silhouette_rows: c.silhouetteSample,
      curve: c.curve,
    })),
    metrics: pm,
    majority_paths: outliers.majority,
    outliers: outliers.outliers,
    insertion: insertion?.flows ?? null,
  };
  writeJsonAtomic(run.file('arrays', 'signatures.json'), JSON.parse(JSON.stringify(record, plain)));

  // ---- figures and report (vega and the projections load only now) ----------------------------
  const tFig = performance.now();
  const fig = await import('./figures.js');
  const figures = yield* fig.signaturesFigures({
    run,
    cfg,
    rows,
    paths,
    clean: clean.hidden,
    clusterings,
    outliers,
    classNames: source.classNames,
    allClassNames: source.allClassNames,
    imageShape: data.imageShape,
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
    clusterings,
    outliers,
    insertion: insertion?.flows ?? null,
    warnings: session.summary.warnings,
  });
  const dominant = pm.layers.map(
    (l) => `${l.name}: k = ${l.k}, ${l.dominant.map((d) => `${source.classNames[d.label]} ${(d.share * 100).toFixed(1)} %`).join(' · ')}`,
  );
  return session.finish({
    step: names.length * tried,
    metrics,
    timings,
    lines: [
      '',
      `run ${run.id} completed (signatures of ${source.run.id}: ${n} rows, ${L} layers)`,
      ...dominant.map((d) => `  ${d}`),
      `  paths          ${pm.distinctPaths} distinct; weighted-path purity ${pm.weightedPathPurity.toFixed(4)}, decision alignment ${pm.decisionAlignmentFaithfulness.toFixed(4)}${agreement === null ? '' : `, agreement under noise ${agreement.toFixed(4)}`}`,
      `  outliers       ${outliers.outliers.length} rows off their class's majority path`,
      `  time           ${timings.total_s.toFixed(1)} s in all (${clusterS.toFixed(1)} s clustering, ${timings.figures_s.toFixed(1)} s figures)`,
      `  report         ${run.file('report.html')}`,
    ],
  });
}

/** The hidden layers a classifier offers (every captured layer but its output). */
function captureLayersOf(model: CaptureModel): string[] {
  return captureLayers(model)
    .map((l) => l.name)
    .filter((n) => n !== 'output');
}
