/**
 * Training a kmeans run: k-means (scikit-learn's Lloyd iterations and k-means++ restarts,
 * src/cluster/kmeans.ts) on a registered dataset, raw or through a saved encoder: model/
 * (centroids.npy + kmeans.json), arrays/ (centroids, true labels, cluster assignments), figures/
 * (centroids as images, cluster sizes, clusters × classes), report.html, and metrics inertia,
 * purity, nmi, ari, accuracy, silhouette (test_… on the test split).
 */
import { metricLines } from '../../result-text.js';
import { kmeansPredict, kmeansSteps, type KMeansResult } from '../../../cluster/kmeans.js';
import { writeJsonAtomic } from '../../../io/atomic.js';
import { writeNpy } from '../../../io/npy.js';
import { describeCollapse } from '../../../metrics/collapse.js';
import { SILHOUETTE_SAMPLE, kmeansMetrics } from '../../../metrics/suites.js';
import { Rng } from '../../../random.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { clusterDatasetNote, encoderNote, fitSplits, loadClusterData, openEncoderRun, type EncoderRun } from '../../encoded.js';
import type { Training } from '../../kind.js';
import { checkClusters } from '../../limits.js';
import type { TrainSession } from '../../session.js';
import type { KMeansConfig } from './config.js';

export async function* trainKmeans(session: TrainSession<KMeansConfig>): Training {
  const { run, cfg, info } = session;
  const encoder: EncoderRun | undefined = cfg.encoder === undefined ? undefined : openEncoderRun(cfg.encoder, session.outRoot);
  const { fit, heldOut } = fitSplits('cluster kmeans', cfg.dataset, cfg.split);
  const t0 = performance.now();
  const train = await loadClusterData({ dataset: cfg.dataset, dataDir: cfg.data_dir, split: fit, limit: cfg.limit, encoder });
  const test = heldOut === null ? null : await loadClusterData({ dataset: cfg.dataset, dataDir: cfg.data_dir, split: heldOut, limit: cfg.test_limit, encoder });
  const loadS = (performance.now() - t0) / 1000;
  const n = train.x.rows;
  cfg.k ??= train.classNames.length;
  const k = cfg.k;
  checkClusters(k, n, fit);

  session.writeConfig({
    dataset: clusterDatasetNote(cfg.dataset, fit, train, test),
    encoder: encoder === undefined ? null : encoderNote(encoder),
    silhouette_sample: SILHOUETTE_SAMPLE,
  });
  session.begin(0, cfg.restarts, { load_s: loadS });
  yield { type: 'notice', message: `run ${run.id} → ${run.path}` };
  yield {
    type: 'notice',
    message: `${cfg.dataset}: ${n} ${fit} rows${test ? ` / ${test.x.rows} test rows` : ''}, ${encoder === undefined ? `${train.x.cols} features` : `encoded by ${encoder.runId} to ${encoder.latent} dimensions`}; k = ${k}, ${cfg.restarts} restarts; backend ${info.name}`,
  };

  yield {
    type: 'progress',
    total: cfg.restarts,
    format: 'cluster kmeans |{bar}| restart {value}/{total} | iteration {iteration} | inertia {inertia} | best {best} | ETA {eta_formatted}',
  };
  yield { type: 'tick', value: 0, payload: { iteration: '0', inertia: '—', best: '—' } };
  const tTrain = performance.now();
  let best = Infinity;
  let result: KMeansResult | null = null;
  let done = 0;
  const it = kmeansSteps(train.x, k, { rng: new Rng(cfg.seed), restarts: cfg.restarts, maxIter: cfg.max_iter, tol: cfg.tol, init: cfg.init });
  for (let r = it.next(); ; r = it.next()) {
    if (r.done === true) {
      result = r.value;
      break;
    }
    const e = r.value;
    if (e.kind === 'iteration') {
      run.event({ type: 'iteration', restart: e.restart, iteration: e.iteration, changed: e.changed, shift: e.shift, inertia: e.inertia });
      yield {
        type: 'tick',
        value: done,
        payload: { iteration: String(e.iteration), inertia: e.inertia.toExponential(4), best: Number.isFinite(best) ? best.toExponential(4) : '—' },
      };
    } else if (e.kind === 'restart') {
      done = e.restart + 1;
      best = Math.min(best, e.inertia);
      run.event({ type: 'restart', restart: e.restart, inertia: e.inertia, iterations: e.iterations, converged: e.converged, best: e.best });
      yield { type: 'tick', value: done, payload: { iteration: String(e.iterations), inertia: e.inertia.toExponential(4), best: best.toExponential(4) } };
    }
    if ((await session.poll()) !== null) break;
  }
  yield { type: 'progress-end' };
  if (result === null) {
    // k-means is cheap to rerun and keeps no checkpoint: an interrupted run stays interrupted.
    const timings = { ...session.summary.timings, train_s: (performance.now() - tTrain) / 1000 };
    run.writeSummary({ ...session.summary, status: 'interrupted', step: done, timings });
    yield {
      type: 'notice',
      message: `interrupted by ${session.stopRequested ?? 'a signal'} after ${done} of ${cfg.restarts} restarts; k-means runs do not resume, run the command again`,
    };
    return {
      status: 'interrupted',
      run_id: run.id,
      path: run.path,
      step: done,
      metrics: {},
      timings,
      lines: [],
      json: { run_id: run.id, path: run.path, status: 'interrupted', step: done },
    };
  }
  const trainS = (performance.now() - tTrain) / 1000;

  const tEval = performance.now();
  const { centroids, labels: assignments } = result;
  session.checkFiniteParameters([['centroids', centroids]], cfg.restarts, 'check the data for NaN or infinite values');
  const collapse = describeCollapse(assignments, k, 'clusters');
  if (collapse !== null) yield session.warn('degenerate', collapse);
  const metrics: Record<string, number> = { ...kmeansMetrics(train.x, centroids, assignments, train.labels, cfg.seed), inertia: result.inertia };
  let testAssignments: Int32Array | null = null;
  if (test !== null) {
    testAssignments = kmeansPredict(centroids, test.x);
    Object.assign(metrics, kmeansMetrics(test.x, centroids, testAssignments, test.labels, cfg.seed, 'test_'));
  }
  const evalS = (performance.now() - tEval) / 1000;

  const tFig = performance.now();
  const d = centroids.cols;
  writeNpy(run.file('model', 'centroids.npy'), { dtype: 'f4', shape: [k, d], data: centroids.data });
  writeJsonAtomic(run.file('model', 'kmeans.json'), {
    format: 'latentlab-kmeans',
    version: 1,
    k,
    dim: d,
    centroids_file: 'centroids.npy',
    inertia: result.inertia,
    iterations: result.iterations,
    converged: result.converged,
    restart: result.restart,
    encoder: encoder === undefined ? null : encoderNote(encoder),
  });
  writeNpy(run.file('arrays', 'centroids.npy'), { dtype: 'f4', shape: [k, d], data: centroids.data });
  writeNpy(run.file('arrays', 'labels.npy'), { dtype: 'i4', shape: [n], data: train.labels });
  writeNpy(run.file('arrays', 'assignments.npy'), { dtype: 'i4', shape: [n], data: assignments });
  if (test !== null && testAssignments !== null) {
    writeNpy(run.file('arrays', 'test_labels.npy'), { dtype: 'i4', shape: [test.x.rows], data: test.labels });
    writeNpy(run.file('arrays', 'test_assignments.npy'), { dtype: 'i4', shape: [test.x.rows], data: testAssignments });
  }
  // Loaded here: the charts pull in vega, which every other command can start without.
  const { kmeansFigures } = await import('../../../viz/som-figures.js');
  const { writeFigures, writeRunReport } = await import('../som/figures.js');
  const decode = encoder === undefined ? undefined : (z: Tensor): Tensor => encoder.ae.decode(z);
  const figures = await kmeansFigures({
    centroids,
    assignments,
    labels: train.labels,
    classNames: train.classNames,
    imageShape: train.imageShape,
    decode,
    dataName: `${cfg.dataset} ${fit}`,
  });
  writeFigures(run, figures);
  const timings = { load_s: loadS, train_s: trainS, eval_s: evalS, figures_s: (performance.now() - tFig) / 1000, total_s: (performance.now() - t0) / 1000 };
  writeRunReport(run, {
    title: `k-means, k = ${k}, on ${cfg.dataset}${encoder ? ` through ${encoder.runId}` : ''}`,
    subtitle: `run ${run.id}`,
    status: 'completed',
    warnings: session.summary.warnings?.map((w) => w.message),
    config: cfg,
    metrics,
    timings,
    text: [
      `${fit === 'all' ? `All ${n} rows (train + test)` : `The ${n} ${fit} rows`}${encoder ? ` encoded by ae run ${encoder.runId}` : ''}, best of ${cfg.restarts} restarts (restart ${result.restart}, ${result.iterations} iterations${result.converged ? '' : ', not converged'}). test_… metrics assign the test rows to their nearest centroid.`,
      `inertia: Σ squared distances to the own centroid. accuracy: unsupervised accuracy, clusters matched one-to-one to classes by the Hungarian algorithm. silhouette: mean silhouette of a seeded sample of ${Math.min(SILHOUETTE_SAMPLE, n)} rows.`,
    ].join('\n\n'),
    figures,
  });
  const lines = [
    '',
    `run ${run.id} completed (k-means, k = ${k}, ${cfg.restarts} restarts; kept restart ${result.restart} after ${result.iterations} iterations)`,
  ];
  lines.push(
    ...metricLines(metrics, ['inertia', 'purity', 'nmi', 'ari', 'accuracy', 'silhouette'], 11, (x, key) =>
      key === 'inertia' ? x.toExponential(5) : x.toFixed(4),
    ),
  );
  lines.push(`  time        ${trainS.toFixed(1)} s clustering, ${timings.total_s.toFixed(1)} s in all`, `  report      ${run.file('report.html')}`);
  const extra = { kmeans: { restart: result.restart, iterations: result.iterations, converged: result.converged } };
  return session.finish({ step: cfg.restarts, metrics, timings, extra, lines });
}
