/**
 * The runs API from a program: what `latentlab train mlp`, `eval` and `runs list` do, called
 * directly. It trains a small MNIST classifier (a registered kind, by name) and the
 * nearest-centroid classifier of examples/kinds/ (a kind of one's own, by object) into the same
 * runs folder, scores both again on the test split, reads one run's arrays and events, and
 * lists the folder.
 *
 *   node --import tsx examples/runs-api.ts --epochs 2 --limit 10000
 */
import { evaluateRun, listRuns, readRunArray, readRunEvents, runToEnd, startRun, type RunEvent } from '../src/runs/api.js';
import { numberFlag, OUTPUT_OPTIONS, outputDir, parseExampleArgs, shownPath } from './example-cli.js';
import { nearestCentroidKind } from './kinds/nearest-centroid.js';

const SCRIPT = 'runs-api';
const values = parseExampleArgs({
  script: SCRIPT,
  summary: 'Trains an MNIST classifier and a nearest-centroid classifier through the runs API, scores them again, reads their files and lists the runs.',
  flags: [
    '--epochs N             epochs of the classifier (default 1)',
    '--limit N              training rows (default 5000)',
    `--out DIR              the runs folder (default runs/examples/${SCRIPT})`,
  ],
  options: { epochs: { type: 'string' }, limit: { type: 'string' }, out: OUTPUT_OPTIONS.out },
});
const epochs = numberFlag(SCRIPT, 'epochs', values.epochs ?? '1', (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
const limit = numberFlag(SCRIPT, 'limit', values.limit ?? '5000', (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
const out = outputDir(SCRIPT, { out: values.out });

/** A training's notices on stderr, as the CLI shows them (without the progress bar). */
const show = (e: RunEvent): void => {
  if (e.type === 'notice') process.stderr.write(`${e.message}\n`);
  if (e.type === 'warning') process.stderr.write(`warning: ${e.message}\n`);
};

const mlp = await runToEnd(startRun('mlp', { out, values: { epochs, limit } }), show);
const centroid = await runToEnd(startRun(nearestCentroidKind, { out, values: { limit } }), show);
for (const r of [mlp, centroid]) console.log(`${r.run_id}: test accuracy ${(r.metrics.test_accuracy * 100).toFixed(2)}% (${r.timings.total_s.toFixed(1)} s)`);

// Scored again from the saved models: the same numbers as the summaries.
const again = [await evaluateRun(mlp.path), await evaluateRun(centroid.path, { kind: nearestCentroidKind })];
for (const e of again) console.log(`eval ${e.run_id} on ${e.split} (${e.rows} rows): ${JSON.stringify(e.metrics)}`);

// A run's arrays and events: the classifier's predictions on the test digits, and its epochs.
const predictions = readRunArray(mlp.path, 'test_predictions');
const perClass = new Array<number>(10).fill(0);
for (const p of predictions.data as Int32Array) perClass[p]++;
console.log(`test predictions per digit: ${perClass.join(' ')}`);
for (const e of readRunEvents(mlp.path, 'epoch')) console.log(`epoch ${Number(e.epoch) + 1}: loss ${Number(e.loss).toFixed(4)}`);

console.log(`\nruns in ${shownPath(out)}:`);
for (const r of listRuns(out))
  console.log(`  ${r.id.padEnd(34)} ${r.kind.padEnd(17)} ${r.status.padEnd(10)} ${r.headline?.name ?? ''} ${r.headline?.value.toFixed(4) ?? ''}`);
