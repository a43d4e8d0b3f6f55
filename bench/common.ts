/**
 * What every benchmark case shares: the row it reports, the context the runner hands it (peer
 * spawning, thread setup, MNIST as tensors and as temporary .npy files for the peers) and small
 * timing helpers. A case is `{ name, description, run(ctx) → rows }` (see bench/cases/index.ts).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../src/tensor/tensor.js';

/**
 * Runs the script at `scriptUrl` again in a child process with OPENBLAS_CORETYPE and
 * OPENBLAS_L2_SIZE unset (a benchmark measures what a user's machine does) and exits with its
 * status; returns at once in that child (LATENTLAB_BENCH_CHILD=1). Call it before anything loads
 * the native addon: OpenBLAS reads both variables when it is loaded.
 */
export function rerunWithoutOpenblasOverrides(scriptUrl: string): void {
  if (process.env.LATENTLAB_BENCH_CHILD === '1') return;
  const env: NodeJS.ProcessEnv = { ...process.env, LATENTLAB_BENCH_CHILD: '1' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(scriptUrl), ...process.argv.slice(2)], { stdio: 'inherit', env });
  process.exit(r.status ?? 1);
}

/** One line of bench/results/latest.json (docs/architecture.md, "Benchmark output"). */
export interface Row {
  case: string;
  unit: string;
  ours: number;
  peer: number | null;
  peer_name: string | null;
  /** ours / peer: lower is better for times (higher for GFLOP/s rows, which say so in detail). */
  ratio: number | null;
  env: RowEnv;
  detail?: Record<string, unknown>;
}

export interface RowEnv {
  backend: string;
  threads: number;
  openblas_core: string | null;
}

/** The JSON line a peer script prints. */
export type PeerOutput = Record<string, unknown>;

export type MnistSplit = 'train' | 'test' | 'all';

export interface BenchContext {
  /** OpenBLAS threads for ours (2 on this machine). */
  readonly threads: number;
  log(msg: string): void;
  /** Activates the native backend on `threads` threads and returns its env for the row. */
  useNative(): RowEnv;
  /** The active backend's env for a row. */
  env(): RowEnv;
  /** Runs bench/peers/<script>; its JSON line, or null (reason logged) when it cannot run. */
  peer(script: string, args: string[], extraEnv?: Record<string, string>): PeerOutput | null;
  /** MNIST rows (float32 in [0,1]) and the same array as a temporary .npy for the peers; cached. */
  mnist(split: MnistSplit): Promise<{ x: Tensor; npy: string }>;
  /** A path inside the run's temporary directory (removed when the run ends). */
  tmpPath(name: string): string;
}

export interface BenchCase {
  readonly name: string;
  /** One line for `npm run bench -- --list` and the runner's log. */
  readonly description: string;
  /** The `case` names of the rows it returns, when not just `name` (a partial run replaces these). */
  readonly rows?: readonly string[];
  run(ctx: BenchContext): Row[] | Promise<Row[]>;
}

/** Median (mean of the two middle values for an even count). */
export function median(a: readonly number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Milliseconds of each of `repeats` calls of fn. */
export function timeCalls(fn: () => void, repeats: number): number[] {
  const t: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return t;
}

export const PYTHON = process.env.LATENTLAB_PYTHON ?? '/usr/bin/python3';

/** Spawns a peer script with the runner's environment (OpenBLAS overrides already unset) plus extraEnv. */
export function runPeer(log: (m: string) => void, peersDir: string, script: string, args: string[], extraEnv: Record<string, string> = {}): PeerOutput | null {
  const r = spawnSync(PYTHON, [join(peersDir, script), ...args], { env: { ...process.env, ...extraEnv }, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) {
    log(`peer ${script} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').split('\n').slice(-4).join(' | ')}`);
    return null;
  }
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as PeerOutput;
}

/** A peer configuration: a label for the logs and the row, extra arguments and environment. */
export interface PeerConfig {
  label: string;
  args: string[];
  env?: Record<string, string>;
}

export interface RoundsResult {
  /** Median over rounds of ours. */
  ours: number;
  /** Median over rounds of the fastest peer configuration of each round. */
  peer: number | null;
  /** Median over rounds of ours / fastest peer. */
  ratio: number | null;
  oursRounds: number[];
  peerRounds: number[];
  roundRatios: number[];
  /** Label of the configuration with the lowest single measurement. */
  fastest: string | null;
  /** Every peer measurement, with its configuration and the peer's other_cores. */
  peerRuns: { round: number; label: string; value: number; other_cores: unknown }[];
  /** The last successful JSON line of the fastest configuration (for versions, losses, …). */
  fastestOut: PeerOutput | null;
}

/**
 * Alternates ours and every peer configuration for `rounds` rounds, so a slow drift of the machine
 * hits both sides; in each round the peer's number is its fastest configuration (lower is better).
 */
export function alternateRounds(
  ctx: BenchContext,
  o: {
    name: string;
    unit: string;
    rounds: number;
    ours: (round: number) => number;
    script: string;
    args: (round: number) => string[];
    configs: readonly PeerConfig[];
    /** The peer's number from its JSON line, in the same unit as ours. */
    value: (out: PeerOutput) => number;
  },
): RoundsResult {
  const oursRounds: number[] = [];
  const peerRounds: number[] = [];
  const roundRatios: number[] = [];
  const peerRuns: RoundsResult['peerRuns'] = [];
  const lastOut = new Map<string, PeerOutput>();
  for (let round = 0; round < o.rounds; round++) {
    const ours = o.ours(round);
    oursRounds.push(ours);
    let best = Infinity;
    for (const c of o.configs) {
      const out = ctx.peer(o.script, [...o.args(round), ...c.args], c.env ?? {});
      if (out === null) continue;
      const v = o.value(out);
      lastOut.set(c.label, out);
      peerRuns.push({ round, label: c.label, value: v, other_cores: out.other_cores ?? null });
      ctx.log(
        `${o.name} round ${round + 1}: peer (${c.label}) ${v.toFixed(2)} ${o.unit}${typeof out.other_cores === 'number' && out.other_cores > 0.1 ? ` (other processes used ${out.other_cores} cores)` : ''}`,
      );
      best = Math.min(best, v);
    }
    const bestText = Number.isFinite(best) ? `${best.toFixed(2)} ${o.unit}; ratio ${(ours / best).toFixed(3)}` : 'unavailable';
    ctx.log(`${o.name} round ${round + 1}: latentlab ${ours.toFixed(2)} ${o.unit}; fastest peer ${bestText}`);
    if (Number.isFinite(best)) {
      peerRounds.push(best);
      roundRatios.push(ours / best);
    }
  }
  const fastest = peerRuns.length > 0 ? [...peerRuns].sort((a, b) => a.value - b.value)[0].label : null;
  return {
    ours: median(oursRounds),
    peer: peerRounds.length > 0 ? median(peerRounds) : null,
    ratio: roundRatios.length > 0 ? median(roundRatios) : null,
    oursRounds,
    peerRounds,
    roundRatios,
    fastest,
    peerRuns,
    fastestOut: fastest === null ? null : (lastOut.get(fastest) ?? null),
  };
}

/**
 * PyTorch on 2 cores: torch's OpenMP pool × OpenBLAS's pthread pool ∈ {(2,1), (1,2)}, never both at
 * 2 (their workers spin on each other's cores; see bench/peers/README.md).
 */
export const TORCH_THREAD_CONFIGS: readonly PeerConfig[] = [
  { label: 'torch 2 threads, OpenBLAS 1', args: ['--threads', '2', '--blas-threads', '1'] },
  { label: 'torch 1 thread, OpenBLAS 2', args: ['--threads', '1', '--blas-threads', '2'] },
];
