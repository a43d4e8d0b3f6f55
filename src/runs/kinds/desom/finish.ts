/**
 * The end of a completed desom run: the final metrics (qe, te, purity, nmi, nmi_geometric, ari,
 * accuracy, prototype_kmeans_accuracy, mse, and test_… on the held-out split), then its files:
 * model/ (saveDesom), arrays/ (prototypes, decoded prototypes, codes, BMUs, labels, and the codes'
 * 2-d UMAP for the explorer's scatter unless --projection none; the training's live_ snapshot is
 * deleted), figures/ (the decoded prototype map, class map, U-matrix, hits, per-cell samples,
 * reconstructions, loss / T / metric curves) and report.html.
 */
import { reconstructionMse } from '../../../ae/train.js';
import { saveDesom } from '../../../desom/file.js';
import { desomArchitecture, type DESOM } from '../../../desom/model.js';
import { writeJsonAtomic } from '../../../io/atomic.js';
import { writeNpy } from '../../../io/npy.js';
import { describeCollapse } from '../../../metrics/collapse.js';
import { Rng } from '../../../random.js';
import { umap } from '../../../viz/umap.js';
import { somMetrics } from '../../../som/metrics.js';
import type { Tensor } from '../../../tensor/tensor.js';
import type { ClusterData } from '../../encoded.js';
import type { RunEvent, TrainResult } from '../../kind.js';
import type { TrainSession } from '../../session.js';
import { parseMapSize } from '../som/config.js';
import { metricLines } from '../../result-text.js';
import { keptLabel, writeTrainIndices, type Kept } from '../common.js';
import type { DesomRunConfig } from './config.js';
import { removeLiveSnapshot } from './live.js';

/** What the training hands over to the end of the run. */
export interface DesomTrained {
  model: DESOM;
  train: ClusterData;
  test: ClusterData | null;
  /** The training rows of a class subset (train itself), null without one: train_indices.npy and the titles. */
  kept: Kept<ClusterData> | null;
  /** Rows of the periodic evaluation's sample (the curves' legend). */
  evalRows: number;
  /** Seeds the codes' UMAP (forked from the run's seed after every other use). */
  projectionRng: Rng;
  /** When the run started (performance.now()), for total_s. */
  t0: number;
  /** load_s, train_s, periodic_eval_s and snapshot_s (the live snapshots' share of periodic_eval_s). */
  timings: { load_s: number; train_s: number; periodic_eval_s: number; snapshot_s: number };
}

/** Scores the trained model, writes the run's files and marks it completed; yields a warning for a collapsed map. */
export async function* finishDesom(session: TrainSession<DesomRunConfig>, t: DesomTrained): AsyncGenerator<RunEvent, TrainResult> {
  const { run, cfg } = session;
  const { model, train, test } = t;
  const [rows, cols] = parseMapSize(cfg.map)!;
  const x = train.x;
  const n = x.rows;
  const K = rows * cols;
  const fit = train.split;

  const tEval = performance.now();
  session.checkFiniteModel(model, cfg.iterations);
  const nClasses = train.classNames.length;
  const codes = model.encode(x);
  const fitted = somMetrics(model.som, codes, train.labels, nClasses, cfg.seed);
  const collapse = describeCollapse(fitted.bmus, K);
  if (collapse !== null) yield session.warn('degenerate', collapse);
  const metrics: Record<string, number> = { ...fitted.metrics, mse: reconstructionMse(model.ae, x) };
  let testCodes: Tensor | null = null;
  let testBmus: Int32Array | null = null;
  if (test !== null) {
    testCodes = model.encode(test.x);
    const held = somMetrics(model.som, testCodes, test.labels, nClasses, cfg.seed, 'test_');
    testBmus = held.bmus;
    Object.assign(metrics, held.metrics, { test_mse: reconstructionMse(model.ae, test.x) });
  }
  const finalEvalS = (performance.now() - tEval) / 1000;

  // The explorer's scatter of the codes. UMAP needs at least 2 neighbours besides a row itself.
  const tProjection = performance.now();
  let codesUmap: Float32Array | null = null;
  if (cfg.projection === 'umap' && n >= 3) {
    yield { type: 'notice', message: `projecting the codes: UMAP of ${n} rows × ${cfg.latent}` };
    codesUmap = umap(codes, { rng: t.projectionRng, nNeighbors: Math.min(15, n - 1) });
  }
  const projectionS = (performance.now() - tProjection) / 1000;

  const tFig = performance.now();
  saveDesom(run.file('model'), model, { run_id: run.id, dataset: cfg.dataset });
  const decoded = model.decodePrototypes();
  writeNpy(run.file('arrays', 'prototypes.npy'), { dtype: 'f4', shape: [K, cfg.latent], data: model.prototypes.data });
  writeNpy(run.file('arrays', 'decoded_prototypes.npy'), { dtype: 'f4', shape: [K, decoded.cols], data: decoded.data });
  writeNpy(run.file('arrays', 'codes.npy'), { dtype: 'f4', shape: [n, cfg.latent], data: codes.data });
  writeNpy(run.file('arrays', 'bmus.npy'), { dtype: 'i4', shape: [n], data: fitted.bmus });
  writeNpy(run.file('arrays', 'labels.npy'), { dtype: 'i4', shape: [n], data: train.labels });
  writeTrainIndices(run, t.kept);
  if (codesUmap !== null) writeNpy(run.file('arrays', 'codes_umap.npy'), { dtype: 'f4', shape: [n, 2], data: codesUmap });
  if (test !== null && testCodes !== null && testBmus !== null) {
    writeNpy(run.file('arrays', 'test_codes.npy'), { dtype: 'f4', shape: [test.x.rows, cfg.latent], data: testCodes.data });
    writeNpy(run.file('arrays', 'test_bmus.npy'), { dtype: 'i4', shape: [test.x.rows], data: testBmus });
    writeNpy(run.file('arrays', 'test_labels.npy'), { dtype: 'i4', shape: [test.x.rows], data: test.labels });
  }
  // The final arrays supersede the training's live snapshot.
  removeLiveSnapshot(run);
  // Loaded here: the charts pull in vega, which the training loop can start without.
  const { desomFigures } = await import('./figures.js');
  const { writeFigures, writeRunReport } = await import('../som/figures.js');
  const figures = await desomFigures({
    model,
    x,
    bmus: fitted.bmus,
    labels: train.labels,
    classNames: train.classNames,
    imageShape: train.imageShape,
    events: run.events(),
    dataName: `${keptLabel(cfg.dataset, t.kept)} ${fit}`,
    evalRows: t.evalRows,
    rng: new Rng(cfg.seed),
    tMax: cfg.t_max,
  });
  writeFigures(run, figures);
  const timings = {
    ...t.timings,
    eval_s: finalEvalS,
    ...(codesUmap === null ? {} : { projection_s: projectionS }),
    figures_s: (performance.now() - tFig) / 1000,
    total_s: (performance.now() - t.t0) / 1000,
  };
  writeRunReport(run, {
    title: `DESOM ${rows}×${cols} on ${keptLabel(cfg.dataset, t.kept)}${cfg.gamma === 0 ? ' (γ = 0: autoencoder only)' : ''}`,
    subtitle: `run ${run.id}`,
    status: 'completed',
    warnings: session.summary.warnings?.map((w) => w.message),
    config: cfg,
    metrics,
    timings,
    text: [
      `An autoencoder ${desomArchitecture(model.config)}${model.config.conv === null ? '' : ' (its decoder the mirror image, transposed convolutions)'} and a ${rows}×${cols} ` +
        `SOM in its ${cfg.latent}-dimensional latent space, trained jointly on Lr + γ·Lsom (γ = ${cfg.gamma}) for ${cfg.iterations} steps on ${fit === 'all' ? `all ${n} rows (train + test)` : `the ${n} ${fit} rows`}; metrics treat each cell as a cluster of the rows whose codes it wins${test ? ' (test_… on the test split)' : ''}.`,
      'qe: mean Euclidean distance from a code to its best-matching prototype. te: share of rows whose two best-matching cells are not edge neighbours. ' +
        'nmi: arithmetic normalisation (scikit-learn’s default today); nmi_geometric: the normalisation of the DESOM paper’s numbers. ' +
        'accuracy: Hungarian-matched cells (one per class). prototype_kmeans_accuracy: k-means with one cluster per class on the prototypes, ' +
        'each row labelled through its cell (seed 000). mse: reconstruction error (mean over pixels).',
    ].join('\n\n'),
    figures,
  });
  const result = session.finish({
    step: cfg.iterations,
    at: { iteration: cfg.iterations },
    metrics,
    timings,
    lines: [] as string[],
  });
  writeJsonAtomic(run.file('arrays', 'index.json'), {
    codes: 'codes.npy',
    bmus: 'bmus.npy',
    labels: 'labels.npy',
    prototypes: 'prototypes.npy',
    decoded_prototypes: 'decoded_prototypes.npy',
    ...(t.kept === null ? {} : { train_indices: 'train_indices.npy' }),
    ...(codesUmap === null ? {} : { codes_umap: 'codes_umap.npy' }),
  });

  result.lines.push(
    '',
    `run ${run.id} completed (DESOM ${rows}×${cols}, ${cfg.iterations} iterations)`,
    ...metricLines(metrics, ['purity', 'nmi', 'nmi_geometric', 'ari', 'accuracy', 'prototype_kmeans_accuracy', 'qe', 'te', 'mse'], 26),
    `  time                       ${timings.train_s.toFixed(1)} s training, ${timings.total_s.toFixed(1)} s in all`,
    `  report                     ${run.file('report.html')}`,
  );
  return result;
}
