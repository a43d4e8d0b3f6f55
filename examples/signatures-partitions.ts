/**
 * The Cluster Paths student project's experiments (docs/references.md), through the runs API: for
 * each partition of the MNIST digits it studied — 0-1, 1-3-7, 1-4, 2-8, 5-6, 6-9 and all ten — a
 * dense 784-32-64-K classifier (`train mlp --hidden 32,64`) on 100 training images per digit,
 * trained until it fits them, then its activation signatures (`signatures RUN`) on those training
 * rows (as the project) and on every test row of the same digits; plus the project's two anomaly
 * insertions into the 1-vs-7 network, 100 images of 4 and 100 of 3. Seeded: the numbers repeat.
 *
 *   node --import tsx examples/signatures-partitions.ts [--epochs 100] [--seed 0] [--out DIR | --docs]
 *
 * 100 epochs by default: every partition's network then classifies all its training rows right
 * (all ten digits included), as the project trained until its networks fit.
 *
 * It writes the numbers per partition and split (best k per layer, each class's dominant-cluster
 * share per layer, distinct paths, outliers, weighted-path purity, decision alignment, path
 * agreement, insertion shares) as signatures-partitions.json and signatures-partitions.md, and
 * copies the 1-vs-7 Sankey diagrams (training rows, with the inserted 4s and 3s, test rows) and the
 * test rows' layer-1 outlier gallery beside them as signatures-1-7-*.svg / .png. The runs
 * themselves go into <out>/runs (with --docs: runs/examples/signatures-partitions/runs); running
 * it again replaces them. About a minute and a half on 2 cores.
 *
 * All ten digits: the classifier is trained on the first 1,000 training images (`limit`: 87 to 117
 * per digit) instead of a draw of 100 per digit; the signatures run reads back exactly those rows.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../src/index.js';
import { runToEnd, startRun, type RunEvent, type TrainResult } from '../src/runs/api.js';
import { OUTPUT_OPTIONS, numberFlag, outputDir, outputFlagsHelp, parseExampleArgs, shownPath } from './example-cli.js';
import { Outputs, markdownTable } from './seed003-common.js';

const SCRIPT = 'signatures-partitions';
const values = parseExampleArgs({
  script: SCRIPT,
  summary:
    'The Cluster Paths student project on MNIST: a 32-64 classifier per partition of the digits (0-1, 1-3-7, 1-4, 2-8, 5-6, 6-9, all ten), its activation signatures on its training and test rows, and 4s and 3s inserted into the 1-vs-7 network.',
  flags: [
    '--epochs N             epochs of every classifier (default 100: each fits its training rows)',
    '--seed N               seed of the training draws, the trainings and the clusterings (default 0)',
    ...outputFlagsHelp(SCRIPT),
    `                       (the runs themselves: <out>/runs, with --docs runs/examples/${SCRIPT}/runs; replaced on a new run)`,
  ],
  options: { epochs: { type: 'string', default: '100' }, seed: { type: 'string', default: '0' }, ...OUTPUT_OPTIONS },
});
const epochs = numberFlag(SCRIPT, 'epochs', values.epochs, (n) => Number.isInteger(n) && n >= 1, 'a positive integer');
const seed = numberFlag(SCRIPT, 'seed', values.seed, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
const outDir = outputDir(SCRIPT, values);
const out = new Outputs(outDir);
const runsDir = values.docs === true ? join('runs', 'examples', SCRIPT, 'runs') : join(outDir, 'runs');

const PER_CLASS = 100;
const HIDDEN = [32, 64];
const INSERT = [4, 3];
const INSERT_COUNT = 100;

interface Partition {
  /** "1-7", "all". */
  name: string;
  /** The digits kept, or null for all ten (then the first `limit` training images). */
  classes: number[] | null;
  insert?: boolean;
}

const PARTITIONS: Partition[] = [
  { name: '0-1', classes: [0, 1] },
  { name: '1-3-7', classes: [1, 3, 7] },
  { name: '1-4', classes: [1, 4] },
  { name: '1-7', classes: [1, 7], insert: true },
  { name: '2-8', classes: [2, 8] },
  { name: '5-6', classes: [5, 6] },
  { name: '6-9', classes: [6, 9] },
  { name: 'all', classes: null },
];
const SPLITS = ['train', 'test'] as const;

// ---- what a signatures run's arrays/signatures.json holds (the parts read here) ------------------
interface Dominant {
  label: number;
  cluster: number;
  count: number;
  total: number;
  share: number;
}
interface SignaturesRecord {
  layers: { name: string; k: number; silhouette: number }[];
  metrics: { layers: { name: string; k: number; dominant: Dominant[]; purityLabel: number; nmiLabel: number }[] };
  majority_paths: { label: number; clusters: number[]; prediction: number; count: number; total: number; share: number }[];
  outliers: { row: number; label: number; prediction: number; columnName: string; joins: number[]; follows: number | null }[];
  insertion: {
    knownClasses: number[];
    flows: { label: number; count: number; steps: { name: string; counts: number[]; shares: number[]; other: number; otherShare: number }[] }[];
  } | null;
}

/** A training's warnings on stderr (its notices and progress are left out: one line per run is printed instead). */
const show = (e: RunEvent): void => {
  if (e.type === 'warning') process.stderr.write(`warning: ${e.message}\n`);
};

/** Runs `kind` as run `runId` in the runs folder, replacing an earlier run of that id (this example's own). */
async function run(kind: 'mlp' | 'signatures', runId: string, runValues: Record<string, unknown>): Promise<TrainResult> {
  const previous = join(runsDir, runId);
  if (existsSync(join(previous, 'config.json'))) rmSync(previous, { recursive: true, force: true });
  return runToEnd(startRun(kind, { out: runsDir, runId, values: runValues }), show);
}

const pct1 = (v: number): string => `${(100 * v).toFixed(1)} %`;
const r4 = (v: number): number => Math.round(v * 1e4) / 1e4;

const t0 = performance.now();
// MNIST found before any run folder is made: a wrong LATENTLAB_DATA_DIR is one line and leaves nothing behind.
await loadDataset('mnist', { split: 'test', limit: 1 });
console.log(
  `${PARTITIONS.length} partitions, hidden ${HIDDEN.join('-')}, ${epochs} epochs, seed ${seed}; runs in ${shownPath(runsDir)}; each line: the run, its time`,
);
const results: Record<string, unknown>[] = [];
const tableRows: string[][] = [];
const insertRows: string[][] = [];
const figureSources: { from: string; to: string }[] = [];

for (const p of PARTITIONS) {
  const trainValues =
    p.classes === null ? { hidden: HIDDEN, epochs, seed, limit: PER_CLASS * 10 } : { hidden: HIDDEN, epochs, seed, classes: p.classes, per_class: PER_CLASS };
  const mlp = await run('mlp', `${p.name}-mlp`, trainValues);
  console.log(
    `${mlp.run_id}: train accuracy ${pct1(mlp.metrics.accuracy)}, test accuracy ${pct1(mlp.metrics.test_accuracy)} (${mlp.timings.total_s.toFixed(1)} s)`,
  );
  const splits: Record<string, unknown> = {};
  for (const split of SPLITS) {
    const insert = p.insert === true;
    const sig = await run('signatures', `${p.name}-${split}`, {
      model: mlp.path,
      split,
      seed,
      // UMAP only where the figures are looked at: the 1-vs-7 training rows (the project's Figure 5.1).
      projection: p.name === '1-7' && split === 'train' ? 'umap' : 'none',
      ...(insert ? { insert: INSERT, insert_count: INSERT_COUNT } : {}),
    });
    const rec = JSON.parse(readFileSync(join(sig.path, 'arrays', 'signatures.json'), 'utf8')) as SignaturesRecord;
    const cfg = JSON.parse(readFileSync(join(sig.path, 'config.json'), 'utf8')) as { dataset: { class_names: string[] } };
    const names = cfg.dataset.class_names;
    const m = sig.metrics;
    const layers = rec.metrics.layers.map((l, j) => ({
      name: l.name,
      k: l.k,
      silhouette: r4(rec.layers[j].silhouette),
      purity: r4(l.purityLabel),
      nmi: r4(l.nmiLabel),
      dominant: Object.fromEntries(l.dominant.map((d) => [names[d.label], { cluster: d.cluster, count: d.count, total: d.total, share: r4(d.share) }])),
    }));
    // Outliers per class: how many, where they first leave their class's majority path, whose route they then follow.
    const outliers = Object.fromEntries(
      rec.majority_paths.map((mp) => {
        const own = rec.outliers.filter((o) => o.label === mp.label);
        const at: Record<string, number> = {};
        const follows: Record<string, number> = {};
        for (const o of own) {
          at[o.columnName] = (at[o.columnName] ?? 0) + 1;
          if (o.follows !== null) follows[names[o.follows]] = (follows[names[o.follows]] ?? 0) + 1;
        }
        return [names[mp.label], { rows: own.length, on_majority_path: mp.count, of: mp.total, first_leave_at: at, then_follow: follows }];
      }),
    );
    const insertion =
      rec.insertion === null
        ? null
        : rec.insertion.flows.map((f) => ({
            digit: f.label,
            rows: f.count,
            steps: f.steps.map((s) => ({
              name: s.name,
              ...Object.fromEntries(rec.insertion!.knownClasses.map((c, i) => [`with_${names[c]}`, r4(s.shares[i])])),
              other: r4(s.otherShare),
            })),
          }));
    splits[split] = {
      run_id: sig.run_id,
      rows: m.rows,
      accuracy: r4(m.accuracy),
      layers,
      distinct_paths: m.distinct_paths,
      distinct_cluster_paths: m.distinct_cluster_paths,
      path_complexity: r4(m.path_complexity),
      outlier_rows: m.outlier_rows,
      outliers,
      weighted_path_purity: r4(m.weighted_path_purity),
      decision_alignment: r4(m.decision_alignment),
      path_agreement: m.path_agreement === undefined ? null : r4(m.path_agreement),
      insertion,
      time_s: Math.round(sig.timings.total_s * 10) / 10,
    };
    const share = (l: (typeof layers)[number]): string =>
      Object.entries(l.dominant)
        .map(([c, d]) => `${c}: ${pct1(d.count / d.total)}`)
        .join(', ');
    tableRows.push([
      p.name,
      split,
      String(m.rows),
      pct1(m.accuracy),
      layers.map((l) => l.k).join(', '),
      ...layers.map(share),
      String(m.distinct_paths),
      String(m.outlier_rows),
      m.weighted_path_purity.toFixed(4),
      m.decision_alignment.toFixed(4),
      m.path_agreement === undefined ? '' : m.path_agreement.toFixed(4),
    ]);
    for (const f of rec.insertion?.flows ?? [])
      for (const s of f.steps) insertRows.push([p.name, split, String(f.label), s.name, ...s.shares.map(pct1), pct1(s.otherShare)]);
    console.log(
      `  ${sig.run_id}: ${m.rows} rows, k ${layers.map((l) => l.k).join('/')}, ${m.distinct_paths} paths, ${m.outlier_rows} outliers, ` +
        `purity ${m.weighted_path_purity.toFixed(4)} (${sig.timings.total_s.toFixed(1)} s)`,
    );
    if (p.name === '1-7') {
      const fig = (f: string): string => join(sig.path, 'figures', f);
      if (split === 'train') {
        figureSources.push({ from: fig('sankey.svg'), to: 'signatures-1-7-sankey.svg' });
        figureSources.push({ from: fig('sankey_inserted.svg'), to: 'signatures-1-7-sankey-inserted.svg' });
      } else {
        // The gallery of the test rows that leave their class's path at layer 1 (the training rows, all fitted, have few or none).
        figureSources.push({ from: fig('outliers_h1.png'), to: 'signatures-1-7-test-outliers-h1.png' });
        figureSources.push({ from: fig('sankey.svg'), to: 'signatures-1-7-test-sankey.svg' });
      }
    }
  }
  results.push({
    partition: p.name,
    digits: p.classes ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    training_rows: p.classes === null ? `the first ${PER_CLASS * 10} training images` : `${PER_CLASS} per digit, seeded draw`,
    mlp: { run_id: mlp.run_id, train_accuracy: r4(mlp.metrics.accuracy), test_accuracy: r4(mlp.metrics.test_accuracy) },
    ...splits,
  });
}

const header = [
  'partition',
  'split',
  'rows',
  'accuracy',
  'k (h1, h2)',
  'dominant share h1',
  'dominant share h2',
  'paths',
  'outliers',
  'WPP',
  'DA',
  'agreement',
];
const table = markdownTable(header, tableRows);
const into = PARTITIONS.find((p) => p.insert === true)?.classes ?? [];
const insertTable = markdownTable(['partition', 'split', 'inserted', 'layer', ...into.map((c) => `with the ${c}s`), 'other'], insertRows);
console.log(`\n${table}\n\n${insertTable}`);
const seconds = (performance.now() - t0) / 1000;
out.json(`${SCRIPT}.json`, {
  hidden: HIDDEN,
  epochs,
  seed,
  per_class: PER_CLASS,
  insert: { into: '1-7', digits: INSERT, rows_each: INSERT_COUNT },
  partitions: results,
  total_s: Math.round(seconds),
});
out.text(
  `${SCRIPT}.md`,
  [
    `Activation signatures per partition (hidden ${HIDDEN.join('-')}, ${epochs} epochs, seed ${seed}). WPP: weighted-path purity; DA: decision alignment; agreement: path agreement under Gaussian input noise (std 0.1).`,
    '',
    table,
    '',
    `${INSERT_COUNT} images of each of ${INSERT.join(' and ')} through the 1-vs-7 network: the share in the clusters each known digit owns, per layer, then the prediction.`,
    '',
    insertTable,
    '',
  ].join('\n'),
);
for (const f of figureSources) {
  if (existsSync(f.from)) out.bytes(f.to, readFileSync(f.from));
  else console.log(`(no ${shownPath(f.from)}: that run drew no such figure, e.g. no row left its path at that layer)`);
}
console.log(`\n${(seconds / 60).toFixed(1)} minutes in all`);
out.report();
