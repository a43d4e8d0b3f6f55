/**
 * Checks that a change to the code changes no result: the same small fixed-seed runs, made before
 * and after the change, must give byte-identical weights and arrays.
 *
 *   node --import tsx scripts/compare-runs.ts make DIR [--bin PATH]
 *   node --import tsx scripts/compare-runs.ts compare DIR_A DIR_B
 *
 * `make` runs one small run of each kind through the CLI (`node PATH --quiet --out DIR …`; PATH
 * defaults to this checkout's bin/latentlab.mjs, and may be another checkout's, e.g. an older
 * commit unpacked with `git archive`), once on the native backend (2 threads) and once on js:
 * mlp, ae, som classic / batch / gradient, som through the ae's encoder, k-means (raw and through
 * the encoder), desom. DIR must not exist or be empty; `DIR/compare-runs.json` records the
 * command lines and times.
 *
 * `compare` hashes (sha256) every file under each run's `model/` and `arrays/` and the arrays of its
 * last checkpoint (the .safetensors and .npy files under `checkpoint/`), prints one line per run,
 * and for a differing float .npy / .safetensors file the largest absolute difference. A .json file
 * that differs only by the runs folder's own path (`model/encoder.json` records where the encoder
 * run was) counts as identical. Everything else (config.json, summary.json, events.jsonl, figures,
 * report.html) holds timings, dates, pids or the commit, and is not compared.
 * Exit codes: 0 identical, 1 something differs or a run is missing on one side, 2 bad arguments.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { readSafetensors } from '../src/io/safetensors.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MANIFEST = 'compare-runs.json';
const SEED = '7';
/** Differing tensors listed per safetensors file before '… N more'. */
const MAX_TENSORS_SHOWN = 6;

const USAGE = `Usage:
  node --import tsx scripts/compare-runs.ts make DIR [--bin PATH] [--only KINDS]
      one small fixed-seed run of each kind (mlp, ae, som classic/batch/gradient, som and
      k-means through the ae's encoder, k-means, desom) on the native and js backends, into
      DIR (new or empty). --bin: the latentlab.mjs to drive (default ${join(REPO, 'bin', 'latentlab.mjs')})
  node --import tsx scripts/compare-runs.ts compare DIR_A DIR_B [--only KINDS]
      sha256 of every file under each run's model/, arrays/ and checkpoint arrays; one line per
      run; exit 1 when a file differs or a run is missing on one side
  --only mlp,som-batch,…: only those runs (a kind names all its runs: som is som-classic,
      som-batch, som-gradient, som-encoder; runs through an encoder bring the ae run)`;

class UsageError extends Error {}

// ---------------------------------------------------------------------------------------------
// make

interface RunSpec {
  name: string;
  /** CLI arguments after the global options. `{DIR}` is replaced by the runs folder. */
  args: string[];
}

function runSpecs(): RunSpec[] {
  const specs: RunSpec[] = [];
  for (const backend of ['native', 'js'] as const) {
    const b = ['--seed', SEED, '--backend', backend, ...(backend === 'native' ? ['--threads', '2'] : [])];
    const id = (kind: string): string => `${kind}-${backend}`;
    const small = ['--dataset', 'mnist', '--limit', '1000'];
    const smallTest = [...small, '--test-limit', '200'];
    specs.push(
      { name: id('mlp'), args: ['train', 'mlp', ...small, '--epochs', '2', '--batch-size', '64', '--checkpoint-every', '20', '--log-every', '10', ...b] },
      {
        name: id('ae'),
        args: ['train', 'ae', ...smallTest, '--epochs', '2', '--batch-size', '64', '--checkpoint-every', '20', '--log-every', '10', '--grid', '10', ...b],
      },
      {
        name: id('som-classic'),
        args: [
          'train',
          'som',
          ...smallTest,
          '--algorithm',
          'classic',
          '--map',
          '5x5',
          '--iterations',
          '2000',
          '--checkpoint-every',
          '1500',
          '--eval-every',
          '500',
          '--eval-sample',
          '300',
          ...b,
        ],
      },
      { name: id('som-batch'), args: ['train', 'som', ...smallTest, '--algorithm', 'batch', '--map', '5x5', '--epochs', '5', '--checkpoint-every', '3', ...b] },
      {
        name: id('som-gradient'),
        args: [
          'train',
          'som',
          ...smallTest,
          '--algorithm',
          'gradient',
          '--map',
          '5x5',
          '--iterations',
          '100',
          '--batch-size',
          '32',
          '--checkpoint-every',
          '60',
          '--eval-every',
          '50',
          '--eval-sample',
          '300',
          ...b,
        ],
      },
      { name: id('som-encoder'), args: ['train', 'som', ...smallTest, '--encoder', id('ae'), '--algorithm', 'batch', '--map', '5x5', '--epochs', '5', ...b] },
      { name: id('kmeans'), args: ['cluster', 'kmeans', ...smallTest, '--k', '10', '--restarts', '2', '--max-iter', '50', ...b] },
      {
        name: id('kmeans-encoder'),
        args: ['cluster', 'kmeans', ...smallTest, '--encoder', id('ae'), '--k', '10', '--restarts', '2', '--max-iter', '50', ...b],
      },
      {
        name: id('desom'),
        args: [
          'train',
          'desom',
          ...smallTest,
          '--split',
          'train',
          '--iterations',
          '60',
          '--checkpoint-every',
          '25',
          '--log-every',
          '10',
          '--eval-every',
          '30',
          '--eval-sample',
          '500',
          // The paper's 500-500-2000 network on js takes ~3 s a step; a narrower one covers the same code.
          ...(backend === 'js' ? ['--hidden', '64,64,256'] : []),
          ...b,
        ],
      },
    );
  }
  return specs;
}

function gitCommit(dir: string): string | null {
  const r = spawnSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function make(dir: string, bin: string, only: string[] | null): number {
  if (!existsSync(bin) || !statSync(bin).isFile()) throw new UsageError(`make: --bin ${JSON.stringify(bin)} is not a file`);
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new UsageError(`make: DIR ${JSON.stringify(dir)} exists and is not a directory`);
    if (readdirSync(dir).length > 0) throw new UsageError(`make: DIR ${JSON.stringify(dir)} is not empty; give a new or empty folder`);
  }
  mkdirSync(dir, { recursive: true });
  const binRoot = resolve(dirname(bin), '..');
  const manifest = {
    bin,
    bin_commit: gitCommit(binRoot),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    created_at: new Date().toISOString(),
    seconds: 0,
    runs: [] as Array<{ name: string; argv: string[]; seconds: number }>,
  };
  console.log(`make: ${dir} with ${bin}${manifest.bin_commit === null ? '' : ` (commit ${manifest.bin_commit.slice(0, 12)})`}`);
  const t0 = performance.now();
  for (const spec of runSpecs().filter((sp) => selected(sp.name, only))) {
    const argv = [bin, '--quiet', '--out', dir, ...spec.args, '--run-id', spec.name];
    const t = performance.now();
    const r = spawnSync(process.execPath, argv, {
      cwd: binRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
      timeout: 15 * 60_000,
    });
    const seconds = (performance.now() - t) / 1000;
    manifest.runs.push({ name: spec.name, argv: argv.slice(1), seconds: Math.round(seconds * 100) / 100 });
    writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    if (r.status !== 0) {
      console.error(
        `make: ${spec.name} failed (${r.error?.message ?? (r.signal !== null ? `signal ${r.signal}` : `exit ${r.status}`)}): node ${argv.join(' ')}`,
      );
      if (r.stdout) console.error(r.stdout.trimEnd());
      if (r.stderr) console.error(r.stderr.trimEnd());
      return 1;
    }
    const summaryPath = join(dir, spec.name, 'summary.json');
    const status = existsSync(summaryPath) ? (JSON.parse(readFileSync(summaryPath, 'utf8')) as { status?: unknown }).status : undefined;
    if (status !== 'completed') {
      console.error(`make: ${spec.name} exited 0 but ${summaryPath} says status ${JSON.stringify(status)}`);
      return 1;
    }
    console.log(`  ${spec.name.padEnd(22)} ${seconds.toFixed(1).padStart(6)} s`);
  }
  manifest.seconds = Math.round((performance.now() - t0) / 10) / 100;
  writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  console.log(`make: ${manifest.runs.length} runs in ${manifest.seconds.toFixed(1)} s`);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// compare

interface NpyLike {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: ArrayLike<number | bigint>;
}

let readNpyFn: ((path: string) => NpyLike) | undefined;

/** src/data/npy.ts is moving to src/io/npy.ts: use whichever this checkout has. */
async function loadReadNpy(): Promise<(path: string) => NpyLike> {
  if (readNpyFn !== undefined) return readNpyFn;
  for (const rel of ['src/io/npy.ts', 'src/data/npy.ts']) {
    const file = join(REPO, rel);
    if (!existsSync(file)) continue;
    const mod = (await import(pathToFileURL(file).href)) as { readNpy?: (path: string) => NpyLike };
    if (typeof mod.readNpy === 'function') return (readNpyFn = mod.readNpy);
  }
  throw new Error(`compare: no readNpy in ${join(REPO, 'src/io/npy.ts')} or ${join(REPO, 'src/data/npy.ts')}`);
}

/** Files of one run that are compared, as paths relative to the run folder with '/' separators. */
function comparedFiles(runDir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, keep: (rel: string) => boolean): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, keep);
      else {
        const rel = relative(runDir, p).split(sep).join('/');
        if (keep(rel)) out.push(rel);
      }
    }
  };
  walk(join(runDir, 'model'), () => true);
  walk(join(runDir, 'arrays'), () => true);
  walk(join(runDir, 'checkpoint'), (rel) => rel.endsWith('.safetensors') || rel.endsWith('.npy'));
  return out.sort();
}

function runNames(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The runs folder's own path in a file's text, replaced so two folders' .json files compare. */
function normalisedText(path: string, runsDir: string): string {
  let text = readFileSync(path, 'utf8');
  const forms = new Set([resolve(runsDir), realpathSync(runsDir)]);
  for (const f of [...forms].sort((a, b) => b.length - a.length)) text = text.split(JSON.stringify(f).slice(1, -1)).join('<runs>').split(f).join('<runs>');
  return text;
}

interface ArrayDiff {
  /** 'shape' / 'dtype' mismatches, or null when only values differ. */
  mismatch: string | null;
  differing: number;
  total: number;
  /** Largest |a - b| over float elements (NaN-aware: a NaN on one side only counts as Infinity). */
  maxAbs: number | null;
}

function diffArrays(a: NpyLike, b: NpyLike): ArrayDiff {
  if (a.dtype !== b.dtype) return { mismatch: `dtype ${a.dtype} vs ${b.dtype}`, differing: 0, total: 0, maxAbs: null };
  if (a.shape.join(',') !== b.shape.join(','))
    return { mismatch: `shape [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]`, differing: 0, total: 0, maxAbs: null };
  const isFloat = /^(f|F)/.test(a.dtype);
  let differing = 0;
  let maxAbs = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i];
    const y = b.data[i];
    if (Object.is(x, y)) continue;
    differing++;
    if (isFloat) {
      const d = Number.isNaN(x) || Number.isNaN(y) ? Infinity : Math.abs(Number(x) - Number(y));
      if (d > maxAbs) maxAbs = d;
    }
  }
  return { mismatch: null, differing, total: a.data.length, maxAbs: isFloat ? maxAbs : null };
}

function describeDiff(d: ArrayDiff): string {
  if (d.mismatch !== null) return d.mismatch;
  const count = `${d.differing} of ${d.total} elements differ`;
  return d.maxAbs === null ? count : `${count}, max |a-b| ${d.maxAbs.toPrecision(3)}`;
}

/** A readable account of how two differing files differ. */
async function explain(rel: string, pathA: string, pathB: string): Promise<string> {
  try {
    if (rel.endsWith('.npy')) {
      const readNpy = await loadReadNpy();
      return describeDiff(diffArrays(readNpy(pathA), readNpy(pathB)));
    }
    if (rel.endsWith('.safetensors')) {
      const a = readSafetensors(pathA);
      const b = readSafetensors(pathB);
      const names = [...new Set([...Object.keys(a.tensors), ...Object.keys(b.tensors)])].sort();
      const parts: string[] = [];
      let maxAbs = 0;
      for (const name of names) {
        const ta = a.tensors[name];
        const tb = b.tensors[name];
        if (ta === undefined || tb === undefined) {
          parts.push(`${name} only in ${ta === undefined ? 'B' : 'A'}`);
          continue;
        }
        const d = diffArrays(ta, tb);
        if (d.mismatch === null && d.differing === 0) continue;
        if (d.maxAbs !== null) maxAbs = Math.max(maxAbs, d.maxAbs);
        parts.push(`${name}: ${describeDiff(d)}`);
      }
      if (parts.length === 0)
        return JSON.stringify(a.metadata) === JSON.stringify(b.metadata) ? 'same tensors, different bytes' : 'same tensors, different metadata';
      const shown = parts.length > MAX_TENSORS_SHOWN ? [...parts.slice(0, MAX_TENSORS_SHOWN), `… ${parts.length - MAX_TENSORS_SHOWN} more tensors`] : parts;
      return `max |a-b| ${maxAbs.toPrecision(3)} (over tensors of equal shape); ${shown.join('; ')}`;
    }
    if (rel.endsWith('.json')) {
      const la = readFileSync(pathA, 'utf8').split('\n');
      const lb = readFileSync(pathB, 'utf8').split('\n');
      const i = la.findIndex((line, k) => line !== lb[k]);
      const at = i === -1 ? la.length : i;
      const clip = (t: string | undefined): string => (t === undefined ? '(end of file)' : JSON.stringify(t.trim().slice(0, 100)));
      return `first difference at line ${at + 1}: A ${clip(la[at])}, B ${clip(lb[at])}`;
    }
  } catch (e) {
    return `(could not read: ${(e as Error).message})`;
  }
  return 'contents differ';
}

async function compareRuns(dirA: string, dirB: string, only: string[] | null): Promise<number> {
  for (const [label, d] of [
    ['DIR_A', dirA],
    ['DIR_B', dirB],
  ] as const) {
    if (!existsSync(d) || !statSync(d).isDirectory()) throw new UsageError(`compare: ${label} ${JSON.stringify(d)} is not a directory`);
  }
  const namesA = runNames(dirA).filter((n) => selected(n, only));
  const namesB = runNames(dirB).filter((n) => selected(n, only));
  const names = [...new Set([...namesA, ...namesB])].sort();
  if (names.length === 0) throw new UsageError(`compare: neither ${JSON.stringify(dirA)} nor ${JSON.stringify(dirB)} holds a run folder`);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  let bad = 0;

  const specsA = manifestArgs(dirA);
  const specsB = manifestArgs(dirB);

  for (const name of names) {
    const label = name.padEnd(width);
    if (!namesA.includes(name) || !namesB.includes(name)) {
      console.log(`${label}MISSING in ${namesA.includes(name) ? 'B' : 'A'} (${namesA.includes(name) ? dirB : dirA})`);
      bad++;
      continue;
    }
    const runA = join(dirA, name);
    const runB = join(dirB, name);
    const filesA = comparedFiles(runA);
    const filesB = comparedFiles(runB);
    const files = [...new Set([...filesA, ...filesB])].sort();
    const problems: string[] = [];
    let normalised = 0;
    for (const rel of files) {
      if (!filesA.includes(rel) || !filesB.includes(rel)) {
        problems.push(`${rel}: only in ${filesA.includes(rel) ? 'A' : 'B'}`);
        continue;
      }
      const pa = join(runA, rel);
      const pb = join(runB, rel);
      if (sha256(pa) === sha256(pb)) continue;
      if (rel.endsWith('.json') && normalisedText(pa, dirA) === normalisedText(pb, dirB)) {
        normalised++;
        continue;
      }
      problems.push(`${rel}: ${await explain(rel, pa, pb)}`);
    }
    const note = normalised > 0 ? `, ${normalised} .json with the runs folder path replaced` : '';
    const specNote =
      specsA !== null && specsB !== null && specsA.get(name) !== undefined && specsB.get(name) !== undefined && specsA.get(name) !== specsB.get(name)
        ? `\n${' '.repeat(width)}note: made with different arguments:\n${' '.repeat(width)}  A: ${specsA.get(name)}\n${' '.repeat(width)}  B: ${specsB.get(name)}`
        : '';
    if (files.length === 0) {
      console.log(`${label}NO FILES to compare under model/, arrays/ or checkpoint/${specNote}`);
      bad++;
    } else if (problems.length === 0) {
      console.log(`${label}identical (${files.length} files${note})${specNote}`);
    } else {
      bad++;
      console.log(`${label}DIFFERS in ${problems.length} of ${files.length} files${note}${specNote}`);
      for (const p of problems) console.log(`${' '.repeat(width)}  ${p}`);
    }
  }
  const ok = names.length - bad;
  console.log(bad === 0 ? `compare: all ${names.length} runs identical` : `compare: ${bad} of ${names.length} runs differ or are missing (${ok} identical)`);
  return bad === 0 ? 0 : 1;
}

/** Each run's arguments from a `make` manifest (runs folder path replaced), or null without one. */
function manifestArgs(dir: string): Map<string, string> | null {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return null;
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as { bin?: string; runs?: Array<{ name: string; argv: string[] }> };
    const out = new Map<string, string>();
    for (const r of m.runs ?? []) {
      // Drop the bin and the runs folder (argv: BIN --quiet --out DIR …): they differ by design.
      const args = r.argv.slice(1).map((a, i, all) => (i > 0 && all[i - 1] === '--out' ? '<runs>' : a));
      out.set(r.name, args.join(' '));
    }
    return out;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Whether the run `name` (som-encoder-js, …) is among the kinds `--only` lists (null: all). The
 * runs through an encoder need the ae run, which comes with them.
 */
function selected(name: string, only: string[] | null): boolean {
  if (only === null) return true;
  const kind = name.replace(/-(native|js)$/, '');
  const wanted = new Set(only);
  if (only.some((k) => k === 'som' || k === 'kmeans' || k.endsWith('-encoder'))) wanted.add('ae');
  return [...wanted].some((k) => kind === k || kind.startsWith(`${k}-`));
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { bin: { type: 'string' }, only: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const [mode, ...rest] = positionals;
  const only = values.only === undefined ? null : values.only.split(',').map((k) => k.trim());
  if (mode === 'make') {
    if (rest.length !== 1) throw new UsageError(`make expects one DIR, got ${rest.length === 0 ? 'none' : rest.map((r) => JSON.stringify(r)).join(' ')}`);
    const bin = resolve(values.bin ?? join(REPO, 'bin', 'latentlab.mjs'));
    return make(resolve(rest[0]), bin, only);
  }
  if (mode === 'compare') {
    if (values.bin !== undefined) throw new UsageError('compare takes no --bin');
    if (rest.length !== 2)
      throw new UsageError(`compare expects DIR_A DIR_B, got ${rest.length === 0 ? 'none' : rest.map((r) => JSON.stringify(r)).join(' ')}`);
    return compareRuns(rest[0], rest[1], only);
  }
  throw new UsageError(`unknown mode ${JSON.stringify(mode)} (expected make or compare)`);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`compare-runs: ${e.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(`compare-runs: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  }
}
