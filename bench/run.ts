/**
 * `npm run bench [-- case…]`: runs each case and its peer (the same work in PyTorch, numpy or
 * scikit-learn) in the same run, under the same environment, and writes bench/results/latest.json
 * (+ latest.md). `npm run bench -- --list` lists the cases. Cases live in bench/cases/ (one file
 * each, registered in bench/cases/index.ts); this file only selects them, runs them and writes
 * the results.
 *
 * Environment: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on this machine to force slower
 * kernels; a benchmark measures what a user's machine does, so this runner re-executes itself
 * with both unset, and the peers inherit that environment. Threads: ours run OpenBLAS on 2
 * threads; a peer is measured with either its OpenMP pool or OpenBLAS on 2 threads (never both,
 * which oversubscribes 2 cores) and, where both make sense, the faster of the two is its number.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../src/tensor/tensor.js';
import { rerunWithoutOpenblasOverrides, runPeer, type BenchContext, type MnistSplit, type Row } from './common.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

rerunWithoutOpenblasOverrides(import.meta.url);

const { backend, useBackend } = await import('../src/tensor/registry.js');
const { loadDataset } = await import('../src/data/fetch.js');
const { npyFromTensor, writeNpy } = await import('../src/io/npy.js');
const { CASES } = await import('./cases/index.js');

const THREADS = 2;

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

const args = process.argv.slice(2);
if (args.includes('--list')) {
  for (const c of CASES) console.log(`${c.name.padEnd(16)} ${c.description}`);
  process.exit(0);
}
const wanted = args.filter((a) => !a.startsWith('-'));
const byName = new Map(CASES.map((c) => [c.name, c]));
for (const w of wanted) {
  if (!byName.has(w)) {
    log(`bench: unknown case ${JSON.stringify(w)}; expected one of ${CASES.map((c) => c.name).join(', ')}`);
    process.exit(2);
  }
}
const selected = wanted.length > 0 ? wanted.map((w) => byName.get(w)!) : [...CASES];
try {
  useBackend('native');
} catch (e) {
  log(`bench: ${(e as Error).message}`);
  process.exit(1);
}
log(`OpenBLAS core in use: ${backend().info().blasCore} (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for this run); ${cpus().length} cores`);

const tmp = mkdtempSync(join(tmpdir(), 'latentlab-bench-'));
const mnistCache = new Map<MnistSplit, Promise<{ x: Tensor; npy: string }>>();
const envOf = (): Row['env'] => {
  const i = backend().info();
  return { backend: i.name, threads: i.threads, openblas_core: i.blasCore };
};
const ctx: BenchContext = {
  threads: THREADS,
  log,
  useNative() {
    useBackend('native');
    backend().setThreads(THREADS);
    return envOf();
  },
  env: envOf,
  peer: (script, a, extraEnv) => runPeer(log, join(here, 'peers'), script, a, extraEnv),
  mnist(split) {
    let p = mnistCache.get(split);
    if (p === undefined) {
      p = (async () => {
        const { x } = await loadDataset('mnist', { split });
        const npy = join(tmp, `mnist-${split}.npy`);
        writeNpy(npy, npyFromTensor(x));
        return { x, npy };
      })();
      mnistCache.set(split, p);
    }
    return p;
  },
  tmpPath: (name) => join(tmp, name),
};

const fresh = new Map<string, Row[]>();
try {
  for (const c of selected) {
    log(`— ${c.name}: ${c.description}`);
    fresh.set(c.name, await c.run(ctx));
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const outDir = join(root, 'bench', 'results');
// A partial run replaces its cases' rows and keeps the other cases' rows of the previous results.
const previous: Row[] = existsSync(join(outDir, 'latest.json')) ? (JSON.parse(readFileSync(join(outDir, 'latest.json'), 'utf8')) as Row[]) : [];
const rowCases = (name: string): readonly string[] => byName.get(name)?.rows ?? [name];
const rows: Row[] = [];
let kept = 0;
for (const c of CASES) {
  const mine = fresh.get(c.name) ?? previous.filter((r) => rowCases(c.name).includes(r.case));
  if (!fresh.has(c.name)) kept += mine.length;
  rows.push(...mine);
}
if (kept > 0) log(`bench: kept ${kept} row(s) of cases not run now from the previous ${join('bench', 'results', 'latest.json')}`);

const fmt = (v: number | null, d = 2): string => (v === null ? '—' : v.toFixed(d));
const md = [
  `| case | unit | latentlab | peer | ratio | peer name | backend / threads / OpenBLAS core |`,
  `|---|---|---|---|---|---|---|`,
  ...rows.map(
    (r) =>
      `| ${r.case} | ${r.unit} | ${fmt(r.ours)} | ${fmt(r.peer)} | ${fmt(r.ratio, 3)} | ${r.peer_name ?? '—'} | ${r.env.backend} / ${r.env.threads} / ${r.env.openblas_core ?? '—'} |`,
  ),
].join('\n');
mkdirSync(outDir, { recursive: true });
for (const [file, text] of [
  ['latest.json', JSON.stringify(rows, null, 2) + '\n'],
  ['latest.md', md + '\n'],
] as const) {
  const t = join(outDir, `${file}.tmp`);
  writeFileSync(t, text);
  renameSync(t, join(outDir, file));
}
console.log(md);
