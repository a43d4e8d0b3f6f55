/**
 * `latentlab eval` for som, desom and kmeans runs: the saved model scored again on a split with the
 * metric suites the run recorded (somMetrics in src/som/metrics.ts, kmeansMetrics in
 * src/metrics/suites.ts), printed and returned as the result.
 */
import { kmeansPredict } from '../../cluster/kmeans.js';
import { readNpy } from '../../io/npy.js';
import { kmeansMetrics } from '../../metrics/suites.js';
import { somMetrics } from '../../som/metrics.js';
import { loadSom } from '../../som/som-file.js';
import { loadDesom } from '../../desom/file.js';
import { reconstructionMse } from '../../ae/train.js';
import { Tensor } from '../../tensor/tensor.js';
import { openEncoderRun, loadClusterData, type EncoderNote, type EncoderRun } from '../encoded.js';
import type { Output } from '../output.js';
import type { EvalContext } from './eval.js';

/**
 * The run's row limits apply when scoring the splits it used again, so eval reproduces the
 * summary's metrics: test_limit on the test split, limit on the split it was fitted on.
 */
function splitLimit(ctx: EvalContext): number | undefined {
  if (ctx.dataset !== ctx.config.dataset) return undefined;
  const c = ctx.config;
  if (ctx.split === 'test') return typeof c.test_limit === 'number' ? c.test_limit : undefined;
  const fitted = c.split === 'all' ? 'all' : 'train';
  return ctx.split === fitted && typeof c.limit === 'number' ? c.limit : undefined;
}

/** The encoder recorded in a run's config.json, reopened by its absolute path. */
function runEncoder(ctx: EvalContext): EncoderRun | undefined {
  const saved = ctx.run.readConfig<{ encoder?: EncoderNote | null }>();
  return saved.encoder ? openEncoderRun(saved.encoder.path, '.', 'eval: encoder') : undefined;
}

function printMetrics(out: Output, metrics: Record<string, number>): void {
  const w = Math.max(...Object.keys(metrics).map((k) => k.length));
  for (const [k, v] of Object.entries(metrics)) out.line(`  ${k.padEnd(w)}  ${Number.isInteger(v) ? v : v.toFixed(4)}`);
}

/** `latentlab eval` for a som run: BMUs of the chosen split with the saved map, and its metrics. */
export async function evalSom(ctx: EvalContext, out: Output): Promise<number> {
  const som = loadSom(ctx.run.file('model'));
  const encoder = runEncoder(ctx);
  const data = await loadClusterData({ dataset: ctx.dataset, dataDir: ctx.dataDir, split: ctx.split, limit: splitLimit(ctx), encoder });
  if (data.x.cols !== som.dim)
    throw new Error(`eval: the map's prototypes have ${som.dim} features, but the ${ctx.dataset} rows${encoder ? ' (encoded)' : ''} have ${data.x.cols}`);
  const seed = typeof ctx.config.seed === 'number' ? ctx.config.seed : 0;
  const { metrics } = somMetrics(som, data.x, data.labels, data.classNames.length, seed, ctx.prefix);
  out.line(`run ${ctx.run.id} on ${ctx.dataset} (${ctx.split}, ${data.x.rows} rows${encoder ? `, encoded by ${encoder.runId}` : ''})`);
  printMetrics(out, metrics);
  out.result({ run_id: ctx.run.id, split: ctx.split, rows: data.x.rows, metrics });
  return 0;
}

/** `latentlab eval` for a desom run: codes of the split through the saved encoder, their BMUs, the SOM metrics and the reconstruction MSE. */
export async function evalDesom(ctx: EvalContext, out: Output): Promise<number> {
  const model = loadDesom(ctx.run.file('model'));
  const data = await loadClusterData({ dataset: ctx.dataset, dataDir: ctx.dataDir, split: ctx.split, limit: splitLimit(ctx) });
  if (data.x.cols !== model.config.input)
    throw new Error(`eval: the DESOM expects ${model.config.input} input features, but the ${ctx.dataset} rows have ${data.x.cols}`);
  const seed = typeof ctx.config.seed === 'number' ? ctx.config.seed : 0;
  const { metrics } = somMetrics(model.som, model.encode(data.x), data.labels, data.classNames.length, seed, ctx.prefix);
  metrics[`${ctx.prefix}mse`] = reconstructionMse(model.ae, data.x);
  out.line(`run ${ctx.run.id} on ${ctx.dataset} (${ctx.split}, ${data.x.rows} rows)`);
  printMetrics(out, metrics);
  out.result({ run_id: ctx.run.id, split: ctx.split, rows: data.x.rows, metrics });
  return 0;
}

/** `latentlab eval` for a kmeans run: nearest saved centroid of each row of the split, and the metrics. */
export async function evalKmeans(ctx: EvalContext, out: Output): Promise<number> {
  const arr = readNpy(ctx.run.file('model', 'centroids.npy'));
  if (arr.dtype !== 'f4' || arr.shape.length !== 2)
    throw new Error(`eval: expected model/centroids.npy to be float32 k×d, got ${arr.dtype} [${arr.shape.join(', ')}]`);
  const centroids = new Tensor(arr.data as Float32Array, [arr.shape[0], arr.shape[1]]);
  const encoder = runEncoder(ctx);
  const data = await loadClusterData({ dataset: ctx.dataset, dataDir: ctx.dataDir, split: ctx.split, limit: splitLimit(ctx), encoder });
  if (data.x.cols !== centroids.cols)
    throw new Error(`eval: the centroids have ${centroids.cols} features, but the ${ctx.dataset} rows${encoder ? ' (encoded)' : ''} have ${data.x.cols}`);
  const assignments = kmeansPredict(centroids, data.x);
  const seed = typeof ctx.config.seed === 'number' ? ctx.config.seed : 0;
  const metrics = kmeansMetrics(data.x, centroids, assignments, data.labels, seed, ctx.prefix);
  out.line(`run ${ctx.run.id} on ${ctx.dataset} (${ctx.split}, ${data.x.rows} rows${encoder ? `, encoded by ${encoder.runId}` : ''})`);
  printMetrics(out, metrics);
  out.result({ run_id: ctx.run.id, split: ctx.split, rows: data.x.rows, metrics });
  return 0;
}
