/**
 * Case desom-train: the DESOM paper configuration on MNIST end to end: load the 70,000 rows,
 * build DESOM 784-500-500-2000-10 on an 8×8 map (prototypes from 64 encoded samples), train the
 * first 1,000 iterations of the 10,000-iteration schedule (T = 8·(0.1/8)^(t/10000), sequential
 * batches of 256, Adam lr 1e-3, ε 1e-7), encode all rows and compute the final map metrics.
 * Ours is bench/desom-train-ours.ts and the peer bench/peers/desom_train_torch.py, each in its own
 * process so each reports its own peak resident memory. Two rows: 'desom-train' (total ms, data
 * loading to metrics) and 'desom-train-peak-rss' (MB, the highest peak over the rounds; the issue's
 * limit is 1 GiB for ours).
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveDataDir } from '../../src/data/fetch.js';
import type { MatmulPrecision } from '../../src/tensor/backend.js';
import { backend } from '../../src/tensor/registry.js';
import type { NativeBackend } from '../../src/tensor/backends/native.js';
import { desomStepFlops } from './desom-step.js';
import { median, type BenchCase, type BenchContext, type PeerConfig, type PeerOutput, type Row } from '../common.js';

const ITERATIONS = 1000;
const SCHEDULE_ITERATIONS = 10000;
/** Each side takes about a minute, so three rounds (ours, then the peer) keep the case near 8 minutes. */
const ROUNDS = 3;
/** Training steps of a thread/Adam probe of the peer (its per-step time after 5 warm-up steps decides). */
const PROBE_ITERATIONS = 30;
const RSS_LIMIT_MB = 1024;

/** PyTorch on 2 cores: one of torch's OpenMP pool and OpenBLAS on 2 threads, each with both Adam implementations. */
const PEER_CONFIGS: readonly PeerConfig[] = [
  { label: 'torch 2 threads, OpenBLAS 1, for-loop Adam', args: ['--threads', '2', '--blas-threads', '1', '--adam', 'single'] },
  { label: 'torch 1 thread, OpenBLAS 2, for-loop Adam', args: ['--threads', '1', '--blas-threads', '2', '--adam', 'single'] },
  { label: 'torch 2 threads, OpenBLAS 1, foreach Adam', args: ['--threads', '2', '--blas-threads', '1', '--adam', 'foreach'] },
  { label: 'torch 1 thread, OpenBLAS 2, foreach Adam', args: ['--threads', '1', '--blas-threads', '2', '--adam', 'foreach'] },
];

const ours = join(dirname(fileURLToPath(import.meta.url)), '..', 'desom-train-ours.ts');

/** One run of bench/desom-train-ours.ts in a fresh node process (the runner's environment: OpenBLAS overrides unset). */
function runOurs(ctx: BenchContext, dataDir: string, precision: MatmulPrecision): PeerOutput & { process_ms: number } {
  const t0 = performance.now();
  const args = [
    '--threads',
    String(ctx.threads),
    '--data-dir',
    dataDir,
    '--iterations',
    String(ITERATIONS),
    '--schedule-iterations',
    String(SCHEDULE_ITERATIONS),
    '--matmul-precision',
    precision,
  ];
  const r = spawnSync(process.execPath, ['--import', 'tsx', ours, ...args], {
    env: process.env,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const processMs = performance.now() - t0;
  if (r.status !== 0) {
    throw new Error(
      `desom-train: bench/desom-train-ours.ts failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? '').trim().split('\n').slice(-4).join(' | ')}`,
    );
  }
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return { ...(JSON.parse(line) as PeerOutput), process_ms: processMs };
}

const num = (o: PeerOutput, k: string): number => o[k] as number;

function metricsText(m: unknown): string {
  if (m === null || typeof m !== 'object') return '—';
  return Object.entries(m as Record<string, number>)
    .map(([k, v]) => `${k} ${v.toFixed(4)}`)
    .join(', ');
}

function describe(o: PeerOutput): string {
  return (
    `total ${(num(o, 'total_ms') / 1000).toFixed(1)} s (load ${(num(o, 'load_ms') / 1000).toFixed(1)}, train ${(num(o, 'train_ms') / 1000).toFixed(1)}, eval ${(num(o, 'eval_ms') / 1000).toFixed(1)}), ` +
    `${num(o, 'samples_per_s').toFixed(0)} samples/s, peak RSS ${num(o, 'peak_rss_mb').toFixed(0)} MB, other_cores ${String(o.other_cores)}`
  );
}

/**
 * The case at one matmul precision: 'float32' (desom-train and desom-train-peak-rss, against
 * PyTorch in float32) or 'bfloat16' (desom-train-bf16: ours with matmul precision bfloat16 against
 * PyTorch with its forward passes, in training and in the final encoding, under bfloat16 autocast).
 */
function desomTrainCaseAt(precision: MatmulPrecision): BenchCase {
  const name = precision === 'float32' ? 'desom-train' : 'desom-train-bf16';
  return {
    name,
    description:
      precision === 'float32'
        ? `DESOM paper configuration on MNIST end to end (load, ${ITERATIONS} of ${SCHEDULE_ITERATIONS} iterations, final metrics) and its peak RSS vs PyTorch`
        : "the same at matmul precision 'bfloat16' vs PyTorch under bfloat16 autocast",
    rows: precision === 'float32' ? ['desom-train', 'desom-train-peak-rss'] : ['desom-train-bf16'],
    run: (ctx) => runCase(ctx, name, precision),
  };
}

export const desomTrainCase = desomTrainCaseAt('float32');
export const desomTrainBf16Case = desomTrainCaseAt('bfloat16');

async function runCase(ctx: BenchContext, name: string, precision: MatmulPrecision): Promise<Row[]> {
  const env = ctx.useNative();
  const why = backend().matmulPrecisionUnavailable(precision);
  if (why !== null) throw new Error(`${name}: ${why}`);
  // Both sides read the same IDX files: LATENTLAB_DATA_DIR's mnist/, else the cache.
  const { dir } = await resolveDataDir('mnist');
  const autocast = precision === 'bfloat16' ? ['--autocast-bf16'] : [];
  const common = ['--data-dir', dir, '--iterations', String(ITERATIONS), '--schedule-iterations', String(SCHEDULE_ITERATIONS), ...autocast];

  // A full peer run takes over a minute, so each thread/Adam layout is probed with a short
  // training run and only the fastest one runs the timed rounds.
  const probes: { label: string; ms_per_step: number; other_cores: unknown }[] = [];
  for (const c of PEER_CONFIGS) {
    const out = ctx.peer(
      'desom_train_torch.py',
      ['--data-dir', dir, '--iterations', String(PROBE_ITERATIONS), '--no-eval', ...autocast, ...c.args],
      c.env ?? {},
    );
    if (out === null) continue;
    probes.push({ label: c.label, ms_per_step: num(out, 'ms_per_step_steady'), other_cores: out.other_cores ?? null });
    ctx.log(`${name}: PyTorch probe (${c.label}) ${num(out, 'ms_per_step_steady').toFixed(1)} ms/step`);
  }
  const chosen = probes.length === 0 ? null : PEER_CONFIGS.find((c) => c.label === [...probes].sort((a, b) => a.ms_per_step - b.ms_per_step)[0].label)!;

  const oursRuns: (PeerOutput & { process_ms: number })[] = [];
  const peerRuns: PeerOutput[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const o = runOurs(ctx, dir, precision);
    oursRuns.push(o);
    ctx.log(`${name} round ${round + 1}: latentlab ${describe(o)}`);
    ctx.log(`${name} round ${round + 1}: latentlab metrics ${metricsText(o.metrics)}`);
    const p = chosen === null ? null : ctx.peer('desom_train_torch.py', [...common, ...chosen.args], chosen.env ?? {});
    if (p === null) continue;
    peerRuns.push(p);
    ratios.push(num(o, 'total_ms') / num(p, 'total_ms'));
    ctx.log(`${name} round ${round + 1}: PyTorch (${chosen?.label}) ${describe(p)}`);
    ctx.log(`${name} round ${round + 1}: PyTorch metrics ${metricsText(p.metrics)}`);
    ctx.log(`${name} round ${round + 1}: ratio ${ratios[ratios.length - 1].toFixed(3)}`);
  }

  const med = (runs: PeerOutput[], k: string): number | null => (runs.length === 0 ? null : median(runs.map((r) => num(r, k))));
  const oursMs = med(oursRuns, 'total_ms')!;
  // The training's arithmetic rate (the step's FLOPs as desom-step counts them; the training's
  // last batch of each pass is short, so this slightly overstates it) against the FMA limit of the
  // same threads, measured after the runs.
  const trainMs = med(oursRuns, 'train_ms')!;
  const trainGflops = (ITERATIONS * desomStepFlops(256)) / (trainMs * 1e6);
  const be = backend();
  const peak = be.name === 'native' ? (be as NativeBackend).fmaPeakGflops(ctx.threads, 0.3) : null;
  ctx.log(
    `${name}: training ${(trainMs / ITERATIONS).toFixed(2)} ms/step, ${trainGflops.toFixed(1)} GFLOP/s${peak === null ? '' : ` (${((100 * trainGflops) / peak).toFixed(0)} % of the FMA limit, ${peak.toFixed(0)} GFLOP/s on ${ctx.threads} threads)`}`,
  );
  const peerMs = med(peerRuns, 'total_ms');
  const ratio = ratios.length > 0 ? median(ratios) : null;
  const oursRss = Math.max(...oursRuns.map((r) => num(r, 'peak_rss_mb')));
  const peerRss = peerRuns.length === 0 ? null : Math.max(...peerRuns.map((r) => num(r, 'peak_rss_mb')));
  const torch = peerRuns.length > 0 ? String(peerRuns[0].torch) : '';
  const summary = (r: PeerOutput) => ({
    total_ms: r.total_ms,
    load_ms: r.load_ms,
    init_ms: r.init_ms,
    train_ms: r.train_ms,
    eval_ms: r.eval_ms,
    samples_per_s: r.samples_per_s,
    peak_rss_mb: r.peak_rss_mb,
    loss_first: r.loss_first,
    loss_last: r.loss_last,
    metrics: r.metrics,
    other_cores: r.other_cores ?? null,
  });
  ctx.log(
    `${name}: latentlab ${(oursMs / 1000).toFixed(1)} s, PyTorch ${peerMs === null ? '—' : `${(peerMs / 1000).toFixed(1)} s`}, ratio ${ratio === null ? '—' : ratio.toFixed(3)}; ` +
      `peak RSS latentlab ${oursRss.toFixed(0)} MB (limit ${RSS_LIMIT_MB}), PyTorch ${peerRss === null ? '—' : peerRss.toFixed(0)} MB`,
  );
  const peerName =
    peerMs === null
      ? null
      : `PyTorch ${torch}${autocast.length > 0 ? ', bfloat16 autocast' : ''} (${chosen?.label}, the fastest in a ${PROBE_ITERATIONS}-step probe)`;
  const rows: Row[] = [
    {
      case: name,
      unit: 'ms',
      ours: oursMs,
      peer: peerMs,
      peer_name: peerName,
      ratio,
      env,
      detail: {
        rows: oursRuns[0].rows,
        iterations: ITERATIONS,
        schedule_iterations: SCHEDULE_ITERATIONS,
        note: 'total = data loading (gunzip + pixel/255) + model and prototype init + training + encoding all rows and the final metrics, timed inside each process (imports excluded); seed 0 on both sides (different random streams)',
        samples_per_s: med(oursRuns, 'samples_per_s'),
        train_ms_per_step: trainMs / ITERATIONS,
        train_gflops: trainGflops,
        fma_limit_gflops: peak,
        train_fraction_of_fma_limit: peak === null ? null : trainGflops / peak,
        peer_samples_per_s: med(peerRuns, 'samples_per_s'),
        train_ms: med(oursRuns, 'train_ms'),
        peer_train_ms: med(peerRuns, 'train_ms'),
        eval_ms: med(oursRuns, 'eval_ms'),
        peer_eval_ms: med(peerRuns, 'eval_ms'),
        load_ms: med(oursRuns, 'load_ms'),
        peer_load_ms: med(peerRuns, 'load_ms'),
        ratio_of_medians: peerMs === null ? null : oursMs / peerMs,
        round_ratios: ratios,
        metrics: oursRuns[oursRuns.length - 1].metrics,
        peer_metrics: peerRuns.length > 0 ? peerRuns[peerRuns.length - 1].metrics : null,
        blas_core: oursRuns[0].blas_core,
        peer_blas_core: peerRuns.length > 0 ? peerRuns[0].blas_core : null,
        peer_config: chosen?.label ?? null,
        peer_probes: probes,
        runs: oursRuns.map((r) => ({ ...summary(r), process_ms: r.process_ms })),
        peer_runs: peerRuns.map(summary),
      },
    },
    {
      case: 'desom-train-peak-rss',
      unit: 'MB',
      ours: oursRss,
      peer: peerRss,
      peer_name: peerName,
      ratio: peerRss === null ? null : oursRss / peerRss,
      env,
      detail: {
        note: "highest peak resident set size over the rounds of each side (VmHWM of /proc/self/status: getrusage's maxrss carries a large parent's over fork and exec), each side a process of its own",
        limit_mb: RSS_LIMIT_MB,
        within_limit: oursRss <= RSS_LIMIT_MB,
        rounds_mb: oursRuns.map((r) => r.peak_rss_mb),
        peer_rounds_mb: peerRuns.map((r) => r.peak_rss_mb),
      },
    },
  ];
  return precision === 'float32' ? rows : rows.slice(0, 1);
}
