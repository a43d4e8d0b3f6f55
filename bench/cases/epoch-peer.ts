/**
 * What the vae-epoch and gan-epoch cases share (not a case): the PyTorch layouts they probe, the
 * probe that picks the fastest, our parameters written for the peer, the check that both sides
 * computed the same losses from them, the FLOPs of Linear layers, and the split of the rounds into
 * the peer's two allocator settings; and our own thread counts probed as the peer's layouts are.
 *
 * The allocator: PyTorch on the CPU allocates every intermediate tensor afresh through glibc's
 * malloc, which serves blocks of 128 KiB and more (a 64 × 1024 float32 activation is 256 KiB) with
 * fresh mmap'd pages and gives them back on free, so each step page-faults on hundreds of
 * megabytes (a 150-step run of gan_torch.py: about 320,000 minor faults by default, 45,000 with the
 * settings below). MALLOC_KEEP_ENV keeps freed memory in the heap instead; a peer layout run with
 * it is timed beside the default one, which stays the row's number (the environment every other
 * case and a user's PyTorch run in).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { npyFromTensor, writeNpy } from '../../src/io/npy.js';
import { Linear } from '../../src/nn/linear.js';
import type { Module, Parameter } from '../../src/nn/module.js';
import { backend } from '../../src/tensor/registry.js';
import { TORCH_THREAD_CONFIGS, median, type BenchContext, type PeerConfig, type PeerOutput, type RoundsResult } from '../common.js';

/** The shape of an epoch case's measurement: timed rounds, untimed warm-up steps, the probes' steps. */
export const EPOCH_CASE = Object.freeze({ rounds: 3, warmupSteps: 50, probeSteps: 60, probeWarmup: 20, seed: 0 });

/** Torch's two thread layouts, each with torch 1.13's default for-loop Adam and the multi-tensor one. */
export const EPOCH_PEER_CONFIGS: readonly PeerConfig[] = TORCH_THREAD_CONFIGS.flatMap((c) => [
  { label: `${c.label}, for-loop Adam`, args: [...c.args, '--adam', 'single'] },
  { label: `${c.label}, foreach Adam`, args: [...c.args, '--adam', 'foreach'] },
]);

/** glibc malloc: blocks up to 32 MiB from the heap, and freed memory kept in it (trimmed above 1 GiB only). */
export const MALLOC_KEEP_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(1 << 30) };

/** The same four layouts with MALLOC_KEEP_ENV. */
export const EPOCH_PEER_CONFIGS_MALLOC_KEEP: readonly PeerConfig[] = EPOCH_PEER_CONFIGS.map((c) => ({
  label: `${c.label}, malloc keeping freed memory`,
  args: c.args,
  env: { ...MALLOC_KEEP_ENV },
}));

/**
 * How far the two sides' first-step losses may differ, relatively: from the same weights and batch
 * they compute the same float32 products, each a sum of at most 784 terms, whose rounding error is
 * at most about 784·2⁻²⁴ ≈ 5·10⁻⁵ of the sum of the terms' magnitudes; a different computation
 * (a missing term, a mean for a sum) differs by far more.
 */
export const LOSS_RTOL = 1e-4;

/** Writes each parameter as <dir>/<name>.npy (PyTorch's state_dict names) for the peer's --weights. */
export function writeParameters(dir: string, named: Map<string, Parameter>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, p] of named) writeNpy(join(dir, `${name}.npy`), npyFromTensor(p.value));
}

/** The Linear layers of some modules (Sequential children included), in order. */
export function linearsOf(modules: readonly Module[]): Linear[] {
  const out: Linear[] = [];
  for (const m of modules) {
    if (m instanceof Linear) out.push(m);
    else out.push(...linearsOf(m.children()));
  }
  return out;
}

/** in · out of a Linear: a GEMM of one row costs 2·in·out FLOPs. */
export const macs = (l: Linear): number => l.inFeatures * l.outFeatures;

export interface Probe {
  label: string;
  ms_per_step: number;
  other_cores: unknown;
}

/**
 * Runs the peer once per layout of EPOCH_PEER_CONFIGS and of EPOCH_PEER_CONFIGS_MALLOC_KEEP (`args`
 * plus `probeArgs`: a short run of a few steps), hands every answer to `check` (which throws when
 * the peer did other work), and returns the probes and the fastest layout of each set (by median ms
 * per step): `chosen` holds the default one, then the malloc-keeping one (either is missing when the
 * peer could not run it).
 */
export function probePeer(
  ctx: BenchContext,
  o: { name: string; script: string; args: string[]; probeArgs: string[]; check: (out: PeerOutput) => void },
): { probes: Probe[]; chosen: PeerConfig[]; fastest: string | null; fastestMallocKeep: string | null; first: PeerOutput | null } {
  const probes: Probe[] = [];
  let first: PeerOutput | null = null;
  const fastestOf = (configs: readonly PeerConfig[]): PeerConfig | null => {
    let best: { c: PeerConfig; ms: number } | null = null;
    for (const c of configs) {
      const out = ctx.peer(o.script, [...o.args, ...o.probeArgs, ...c.args], c.env ?? {});
      if (out === null) continue;
      o.check(out);
      first ??= out;
      const ms = out.ms_per_step_median as number;
      probes.push({ label: c.label, ms_per_step: ms, other_cores: out.other_cores ?? null });
      ctx.log(`${o.name}: PyTorch probe (${c.label}) ${ms.toFixed(1)} ms/step`);
      if (best === null || ms < best.ms) best = { c, ms };
    }
    return best?.c ?? null;
  };
  const plain = fastestOf(EPOCH_PEER_CONFIGS);
  const keep = fastestOf(EPOCH_PEER_CONFIGS_MALLOC_KEEP);
  return {
    probes,
    chosen: [plain, keep].filter((c): c is PeerConfig => c !== null),
    fastest: plain?.label ?? null,
    fastestMallocKeep: keep?.label ?? null,
    first,
  };
}

/**
 * Our side's probe, symmetric to the peer's: `run(steps)` trains that many steps; it is timed for
 * EPOCH_CASE.probeSteps steps at each OpenBLAS thread count from 1 to ctx.threads, after
 * EPOCH_CASE.probeWarmup untimed ones; the fastest count
 * (by ms per step) stays set for the timed rounds. On a machine whose cores are busy with other
 * work, 2 threads can cost more than 1 (a product handed to a worker thread waits for a core).
 */
export function probeOurThreads(
  ctx: BenchContext,
  name: string,
  run: (steps: number) => unknown,
): { threads: number; probes: { threads: number; ms_per_step: number }[] } {
  const probes: { threads: number; ms_per_step: number }[] = [];
  for (let t = 1; t <= ctx.threads; t++) {
    backend().setThreads(t);
    run(EPOCH_CASE.probeWarmup);
    const t0 = performance.now();
    run(EPOCH_CASE.probeSteps);
    const ms = (performance.now() - t0) / EPOCH_CASE.probeSteps;
    probes.push({ threads: t, ms_per_step: ms });
    ctx.log(`${name}: latentlab probe (${t} thread${t === 1 ? '' : 's'}) ${ms.toFixed(1)} ms/step`);
  }
  const best = probes.reduce((a, b) => (b.ms_per_step < a.ms_per_step ? b : a));
  backend().setThreads(best.threads);
  return { threads: best.threads, probes };
}

/** The row's peer_name for the default-malloc peer of an epoch case. */
export function epochPeerName(r: RoundsResult, fastest: string | null): string | null {
  if (fastest === null) return null;
  return `PyTorch ${String(r.fastestOut?.torch)} loop, randperm indexing (${fastest}, the fastest of ${EPOCH_PEER_CONFIGS.length} thread/Adam configurations in a ${EPOCH_CASE.probeSteps}-step probe; glibc malloc defaults)`;
}

/** The detail every epoch case reports on the peers: the malloc-keeping one's series, the probes, the layout and BLAS chosen, every peer run. */
export function epochPeerDetail(
  r: RoundsResult,
  probe: { probes: Probe[]; fastest: string | null },
  keep: PeerSeries,
  gflops: (ms: number) => number,
): Record<string, unknown> {
  return {
    peer_malloc_keep: {
      env: MALLOC_KEEP_ENV,
      config: keep.label,
      ms: keep.median,
      gflops: keep.median === null ? null : gflops(keep.median),
      ratio: keep.ratio,
      rounds_ms: keep.rounds,
      round_ratios: keep.roundRatios,
    },
    peer_probes_ms_per_step: probe.probes,
    peer_config: probe.fastest,
    peer_openblas_core: r.fastestOut?.openblas_core ?? null,
    peer_runs: r.peerRuns,
  };
}

/** One peer configuration's measurements of alternateRounds: per round, against ours in that round. */
export interface PeerSeries {
  label: string | null;
  /** Median over rounds of the configuration's value. */
  median: number | null;
  /** Median over rounds of ours / the configuration's value. */
  ratio: number | null;
  rounds: number[];
  roundRatios: number[];
}

/** The rounds of the configuration `label` (null: none). */
export function peerSeries(r: RoundsResult, label: string | null): PeerSeries {
  const runs = r.peerRuns.filter((p) => p.label === label);
  const rounds = runs.map((p) => p.value);
  const roundRatios = runs.map((p) => r.oursRounds[p.round] / p.value);
  return {
    label,
    median: rounds.length > 0 ? median(rounds) : null,
    ratio: roundRatios.length > 0 ? median(roundRatios) : null,
    rounds,
    roundRatios,
  };
}

/** |a − b| / |b|. */
export const relDiff = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

/** Throws unless each named loss of ours is within LOSS_RTOL of the peer's. */
export function checkLosses(name: string, ours: Record<string, number>, peer: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(ours)) {
    const p = peer[k];
    if (typeof p !== 'number' || !(relDiff(v, p) <= LOSS_RTOL))
      throw new Error(`${name}: from the same weights and batch, our first-step ${k} is ${v}, PyTorch's ${String(p)} (expected within ${LOSS_RTOL} relative)`);
  }
}
