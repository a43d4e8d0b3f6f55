/**
 * `npm run bench [-- case…]`: runs each case and its peer (the same work in PyTorch) in the same
 * run, under the same environment, and writes bench/results/latest.json (+ latest.md).
 *
 * Environment: OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE may be set on this machine to force slower
 * kernels; a benchmark measures what a user's machine does, so this runner re-executes itself
 * with both unset, and the peers inherit that environment. Threads: ours run OpenBLAS on 2
 * threads; PyTorch is measured with either torch or OpenBLAS on 2 threads (never both, which
 * oversubscribes 2 cores) and the faster of the two is its number.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

if (process.env.LATENTLAB_BENCH_CHILD !== '1') {
  const env: NodeJS.ProcessEnv = { ...process.env, LATENTLAB_BENCH_CHILD: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env });
  process.exit(r.status ?? 1);
}

const { backend, useBackend } = await import('../src/tensor/registry.js');
const { makeDesomStep } = await import('./cases/desom-step.js');
const { DESOM_SHAPES, benchShape } = await import('./cases/sgemm.js');

interface Row {
  case: string;
  unit: string;
  ours: number;
  peer: number | null;
  peer_name: string | null;
  ratio: number | null;
  env: { backend: string; threads: number; openblas_core: string | null };
  detail?: Record<string, unknown>;
}

const THREADS = 2;
const PYTHON = process.env.LATENTLAB_PYTHON ?? '/usr/bin/python3';

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** Runs a peer script; returns its JSON line, or null (with the reason logged) when it cannot run. */
function peer(script: string, args: string[], extraEnv: Record<string, string> = {}): Record<string, unknown> | null {
  const r = spawnSync(PYTHON, [join(here, 'peers', script), ...args], { env: { ...process.env, ...extraEnv }, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) {
    log(`peer ${script} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').split('\n').slice(-4).join(' | ')}`);
    return null;
  }
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Record<string, unknown>;
}

/** PyTorch's best configuration on 2 cores: torch threads × OpenBLAS threads ∈ {(2,1), (1,2)}. */
const PEER_CONFIGS = [
  { label: 'torch 2 threads, OpenBLAS 1', args: ['--threads', '2', '--blas-threads', '1'] },
  { label: 'torch 1 thread, OpenBLAS 2', args: ['--threads', '1', '--blas-threads', '2'] },
];

function envOf(): Row['env'] {
  const i = backend().info();
  return { backend: i.name, threads: i.threads, openblas_core: i.blasCore };
}

function desomStep(rows: Row[]): void {
  useBackend('native');
  backend().setThreads(THREADS);
  const s = makeDesomStep(256, 0);
  for (let i = 0; i < 5; i++) s.step();
  const reps: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      s.step();
      t.push(performance.now() - t0);
    }
    reps.push(median(t));
  }
  const ours = median(reps);
  log(`desom-step ours: ${ours.toFixed(2)} ms/step (${(s.flops / ours / 1e6).toFixed(1)} GFLOP/s), repeats ${reps.map((x) => x.toFixed(1)).join(' ')}`);
  let best: { ms: number; label: string; out: Record<string, unknown> } | null = null;
  for (const c of PEER_CONFIGS) {
    const out = peer('desom_step_torch.py', [...c.args, '--steps', '20', '--repeats', '5']);
    if (out === null) continue;
    const ms = out.ms_per_step_median as number;
    log(`desom-step PyTorch (${c.label}): ${ms.toFixed(2)} ms/step, of which Adam ${(out.ms_adam as number).toFixed(2)} ms`);
    if (best === null || ms < best.ms) best = { ms, label: c.label, out };
  }
  rows.push({
    case: 'desom-step',
    unit: 'ms',
    ours,
    peer: best?.ms ?? null,
    peer_name: best === null ? null : `PyTorch ${String(best.out.torch)} (${best.label})`,
    ratio: best === null ? null : ours / best.ms,
    env: envOf(),
    detail: { gflops: s.flops / ours / 1e6, peer_gflops: best === null ? null : (s.flops / best.ms / 1e6), gflop_per_step: s.flops / 1e9, repeats_ms: reps },
  });
}

function desomStepJs(rows: Row[]): void {
  useBackend('js');
  const s = makeDesomStep(256, 0);
  s.step();
  const t: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    s.step();
    t.push(performance.now() - t0);
  }
  const ours = median(t);
  log(`desom-step on js: ${ours.toFixed(0)} ms/step (${(s.flops / ours / 1e6).toFixed(2)} GFLOP/s)`);
  rows.push({ case: 'desom-step-js', unit: 'ms', ours, peer: null, peer_name: null, ratio: null, env: { backend: 'js', threads: 1, openblas_core: null }, detail: { gflops: s.flops / ours / 1e6 } });
}

function sgemm(rows: Row[]): void {
  useBackend('native');
  backend().setThreads(THREADS);
  const ours = DESOM_SHAPES.map((sh) => benchShape(sh));
  const out = peer('sgemm_torch.py', ['--threads', '1', '--blas-threads', String(THREADS), '--target', '0.1', '--shapes', DESOM_SHAPES.join(',')]);
  const theirs = new Map<string, number>();
  for (const r of (out?.results as { shape: string; gflops: number }[] | undefined) ?? []) theirs.set(r.shape, r.gflops);
  let tOurs = 0;
  let tPeer = 0;
  const perShape = ours.map((o) => {
    const p = theirs.get(o.shape) ?? null;
    const [m, k, n] = o.shape.split(':')[0].split('x').map(Number);
    const fl = 2 * m * k * n;
    tOurs += fl / (o.gflops * 1e9);
    if (p !== null) tPeer += fl / (p * 1e9);
    log(`sgemm ${o.shape.padEnd(16)} ours ${o.gflops.toFixed(1).padStart(6)} GFLOP/s  PyTorch ${p === null ? '—' : p.toFixed(1).padStart(6)}  ratio ${p === null ? '—' : (o.gflops / p).toFixed(3)}`);
    return { shape: o.shape, ours_gflops: o.gflops, peer_gflops: p, ratio: p === null ? null : o.gflops / p };
  });
  let flops = 0;
  for (const o of ours) {
    const [m, k, n] = o.shape.split(':')[0].split('x').map(Number);
    flops += 2 * m * k * n;
  }
  const oursG = flops / tOurs / 1e9;
  const peerG = out === null ? null : flops / tPeer / 1e9;
  rows.push({
    case: 'sgemm-desom-shapes',
    unit: 'GFLOP/s',
    ours: oursG,
    peer: peerG,
    peer_name: out === null ? null : `PyTorch ${String(out.torch)} torch.mm`,
    ratio: peerG === null ? null : oursG / peerG,
    env: envOf(),
    detail: { shapes: perShape, note: 'ratio is ours/peer GFLOP/s here (higher is better); totals are over all shapes of one step' },
  });
}

const CASES: Record<string, (rows: Row[]) => void> = { 'desom-step': desomStep, 'desom-step-js': desomStepJs, sgemm };

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const w of wanted) {
  if (!(w in CASES)) {
    log(`bench: unknown case ${JSON.stringify(w)}; expected one of ${Object.keys(CASES).join(', ')}`);
    process.exit(2);
  }
}
const names = wanted.length > 0 ? wanted : Object.keys(CASES);
try {
  useBackend('native');
} catch (e) {
  log(`bench: ${(e as Error).message}`);
  process.exit(1);
}
log(`OpenBLAS core in use: ${backend().info().blasCore} (OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for this run); ${cpus().length} cores`);
const rows: Row[] = [];
for (const n of names) CASES[n](rows);

const fmt = (v: number | null, d = 2): string => (v === null ? '—' : v.toFixed(d));
const md = [
  `| case | unit | latentlab | peer | ratio | peer name | backend / threads / OpenBLAS core |`,
  `|---|---|---|---|---|---|---|`,
  ...rows.map((r) => `| ${r.case} | ${r.unit} | ${fmt(r.ours)} | ${fmt(r.peer)} | ${fmt(r.ratio, 3)} | ${r.peer_name ?? '—'} | ${r.env.backend} / ${r.env.threads} / ${r.env.openblas_core ?? '—'} |`),
].join('\n');
const outDir = join(root, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
for (const [file, text] of [
  ['latest.json', JSON.stringify(rows, null, 2) + '\n'],
  ['latest.md', md + '\n'],
] as const) {
  const tmp = join(outDir, `${file}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(outDir, file));
}
console.log(md);
