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

/**
 * PyTorch's configurations on 2 cores: torch threads × OpenBLAS threads ∈ {(2,1), (1,2)} (never
 * both at 2), each with torch 1.13's default for-loop Adam and the multi-tensor one. The fastest
 * is PyTorch's number.
 */
const PEER_CONFIGS = [
  { label: 'torch 2 threads, OpenBLAS 1, for-loop Adam', args: ['--threads', '2', '--blas-threads', '1', '--adam', 'single'] },
  { label: 'torch 1 thread, OpenBLAS 2, for-loop Adam', args: ['--threads', '1', '--blas-threads', '2', '--adam', 'single'] },
  { label: 'torch 2 threads, OpenBLAS 1, foreach Adam', args: ['--threads', '2', '--blas-threads', '1', '--adam', 'foreach'] },
  { label: 'torch 1 thread, OpenBLAS 2, foreach Adam', args: ['--threads', '1', '--blas-threads', '2', '--adam', 'foreach'] },
];

/** Rounds alternate ours and every peer configuration, so slow drifts of the machine hit both. */
const ROUNDS = 3;

function envOf(): Row['env'] {
  const i = backend().info();
  return { backend: i.name, threads: i.threads, openblas_core: i.blasCore };
}

function timeSteps(step: () => void, repeats: number, steps: number): number[] {
  const reps: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      step();
      t.push(performance.now() - t0);
    }
    reps.push(median(t));
  }
  return reps;
}

function desomStep(rows: Row[]): void {
  useBackend('native');
  backend().setThreads(THREADS);
  const s = makeDesomStep(256, 0);
  for (let i = 0; i < 5; i++) s.step();
  const oursRounds: number[] = [];
  const peerRounds: number[] = [];
  const ratios: number[] = [];
  const peerDetail: { round: number; label: string; ms: number; ms_fwd_bwd: number; ms_adam: number; other_cores: number }[] = [];
  let torchVersion = '';
  for (let round = 0; round < ROUNDS; round++) {
    const ours = median(timeSteps(() => s.step(), 3, 20));
    let best = Infinity;
    for (const c of PEER_CONFIGS) {
      const out = peer('desom_step_torch.py', [...c.args, '--steps', '15', '--repeats', '3']);
      if (out === null) continue;
      torchVersion = String(out.torch);
      const ms = out.ms_per_step_median as number;
      peerDetail.push({ round, label: c.label, ms, ms_fwd_bwd: out.ms_fwd_bwd as number, ms_adam: out.ms_adam as number, other_cores: out.other_cores as number });
      log(`desom-step round ${round + 1}: PyTorch (${c.label}) ${ms.toFixed(2)} ms/step (Adam ${(out.ms_adam as number).toFixed(1)} ms)`);
      best = Math.min(best, ms);
    }
    log(`desom-step round ${round + 1}: latentlab ${ours.toFixed(2)} ms/step (${(s.flops / ours / 1e6).toFixed(1)} GFLOP/s); best PyTorch ${best.toFixed(2)} ms; ratio ${(ours / best).toFixed(3)}`);
    oursRounds.push(ours);
    if (Number.isFinite(best)) {
      peerRounds.push(best);
      ratios.push(ours / best);
    }
  }
  const ours = median(oursRounds);
  const peerMs = peerRounds.length > 0 ? median(peerRounds) : null;
  const bestLabel = peerDetail.length > 0 ? [...peerDetail].sort((a, b) => a.ms - b.ms)[0].label : null;
  rows.push({
    case: 'desom-step',
    unit: 'ms',
    ours,
    peer: peerMs,
    peer_name: peerMs === null ? null : `PyTorch ${torchVersion} (fastest of ${PEER_CONFIGS.length} thread/Adam configurations each round)`,
    ratio: ratios.length > 0 ? median(ratios) : null,
    env: envOf(),
    detail: {
      gflops: s.flops / ours / 1e6,
      peer_gflops: peerMs === null ? null : s.flops / peerMs / 1e6,
      gflop_per_step: s.flops / 1e9,
      rounds_ms: oursRounds,
      peer_rounds_ms: peerRounds,
      round_ratios: ratios,
      peer_fastest_config: bestLabel,
      peer_runs: peerDetail,
    },
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
  const oursBy = new Map<string, number[]>();
  const peerBy = new Map<string, number[]>();
  let torchVersion: string | null = null;
  for (let round = 0; round < 2; round++) {
    for (const sh of DESOM_SHAPES) oursBy.set(sh, [...(oursBy.get(sh) ?? []), benchShape(sh).gflops]);
    // torch.mm calls OpenBLAS directly: OpenBLAS on 2 threads, as ours
    const out = peer('sgemm_torch.py', ['--threads', '1', '--blas-threads', String(THREADS), '--target', '0.1', '--shapes', DESOM_SHAPES.join(',')]);
    if (out !== null) torchVersion = String(out.torch);
    for (const r of (out?.results as { shape: string; gflops: number }[] | undefined) ?? []) peerBy.set(r.shape, [...(peerBy.get(r.shape) ?? []), r.gflops]);
  }
  let tOurs = 0;
  let tPeer = 0;
  let flops = 0;
  const perShape = DESOM_SHAPES.map((shape) => {
    const o = median(oursBy.get(shape) ?? [NaN]);
    const pl = peerBy.get(shape);
    const p = pl === undefined ? null : median(pl);
    const [m, k, n] = shape.split(':')[0].split('x').map(Number);
    const fl = 2 * m * k * n;
    flops += fl;
    tOurs += fl / (o * 1e9);
    if (p !== null) tPeer += fl / (p * 1e9);
    log(`sgemm ${shape.padEnd(16)} ours ${o.toFixed(1).padStart(6)} GFLOP/s  PyTorch ${p === null ? '—' : p.toFixed(1).padStart(6)}  ours/PyTorch ${p === null ? '—' : (o / p).toFixed(3)}`);
    return { shape, ours_gflops: o, peer_gflops: p, ratio: p === null ? null : o / p };
  });
  const oursG = flops / tOurs / 1e9;
  const peerG = torchVersion === null ? null : flops / tPeer / 1e9;
  rows.push({
    case: 'sgemm-desom-shapes',
    unit: 'GFLOP/s',
    ours: oursG,
    peer: peerG,
    peer_name: torchVersion === null ? null : `PyTorch ${torchVersion} torch.mm (OpenBLAS 2 threads)`,
    ratio: peerG === null ? null : oursG / peerG,
    env: envOf(),
    detail: { shapes: perShape, note: 'GFLOP/s over the 23 GEMMs of one DESOM step (time-weighted); ratio = ours / peer, higher is better here' },
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
