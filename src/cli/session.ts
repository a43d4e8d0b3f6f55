/**
 * What every `latentlab train <kind>` command shares: opening or resuming the run directory,
 * validating the config, the summary's lifecycle (running → completed | failed | interrupted),
 * SIGINT/SIGTERM handling and the event-loop yields that let those signals in during a
 * synchronous training loop.
 */
import { z } from 'zod';
import { hasCheckpoint } from '../runs/checkpoint.js';
import { peakRssMb } from '../runs/peak-rss.js';
import { RunDir, type RunSummary } from '../runs/run-dir.js';
import { backend, useBackend } from '../tensor/registry.js';
import { MATMUL_PRECISIONS, type BackendInfo, type MatmulPrecision } from '../tensor/backend.js';
import { readConfigFile, resolveConfig } from './config.js';
import { UsageError } from './errors.js';
import type { Output } from './output.js';
import { packageVersion } from './version.js';

export interface TrainFlags<C> {
  config?: string;
  resume?: string;
  out: string;
  /** Name of the new run directory (default: <kind>-<date>-<time>). */
  runId?: string;
  values: Partial<Record<keyof C, unknown>>;
}

/** The config key `matmul_precision` (see MatmulPrecision): float32 unless asked. */
export const MATMUL_PRECISION_FIELD = z.enum(MATMUL_PRECISIONS as [MatmulPrecision, ...MatmulPrecision[]]).default('float32');

/** Help of the `--matmul-precision` flag every training command has. */
export const MATMUL_PRECISION_HELP = "GEMM precision: float32, or bfloat16 (operands rounded to bfloat16, sums in float32; about twice as fast on CPUs with AVX512-BF16)";

/** "native (Cooperlake, 2 threads, bfloat16 matmul)": the backend as a training command's first notice names it. */
export function describeBackend(info: BackendInfo): string {
  const parts = info.blasCore ? [info.blasCore, `${info.threads} threads`] : [];
  if (info.matmulPrecision !== 'float32') parts.push(`${info.matmulPrecision} matmul`);
  return parts.length > 0 ? `${info.name} (${parts.join(', ')})` : info.name;
}

/** Config keys shared by the SOM and clustering commands: seed, backend, threads and row limits. */
export const RUN_FIELDS = {
  seed: z.int().nonnegative().default(0),
  backend: z.enum(['auto', 'js', 'native']).default('auto'),
  threads: z.int().positive().optional(),
  matmul_precision: MATMUL_PRECISION_FIELD,
  limit: z.int().positive().optional(),
  /** Use only the first n rows of the test split (the held-out metrics; eval uses the same rows). */
  test_limit: z.int().positive().optional(),
};

/** The config keys every training command has. */
interface CommonConfig {
  seed: number;
  backend: 'auto' | 'js' | 'native';
  threads?: number;
  /** Absent in configs saved before the key existed: float32. */
  matmul_precision?: MatmulPrecision;
}

export class TrainSession<C extends CommonConfig> {
  readonly startedAt = new Date().toISOString();
  readonly info: BackendInfo;
  readonly summary: RunSummary;
  private stopSignal: NodeJS.Signals | null = null;
  private lastYield = performance.now();
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.stopSignal = sig;
  };

  private constructor(
    readonly kind: string,
    readonly run: RunDir,
    readonly cfg: C,
    readonly resuming: boolean,
    private readonly outRoot: string,
  ) {
    useBackend(cfg.backend);
    if (cfg.threads !== undefined) backend().setThreads(cfg.threads);
    const precision = cfg.matmul_precision ?? 'float32';
    const why = backend().matmulPrecisionUnavailable(precision);
    if (why !== null) throw new UsageError(`matmul_precision ${precision}: ${why}`);
    backend().setMatmulPrecision(precision);
    this.info = backend().info();
    const previous = run.readSummary();
    this.summary = {
      status: 'running',
      metrics: {},
      timings: {},
      kind,
      run_id: run.id,
      started_at: previous?.started_at ?? this.startedAt,
      updated_at: this.startedAt,
      pid: process.pid,
      step: 0,
      resumed_from_step: [...(previous?.resumed_from_step ?? [])],
    };
  }

  /**
   * A new run (config file + flags, validated by `schema`) or, with `flags.resume`, the run to
   * continue (its saved config; refused when it is of another kind or already completed).
   */
  static open<C extends CommonConfig>(kind: string, schema: z.ZodType<C>, flags: TrainFlags<C>, command: string): TrainSession<C> {
    if (flags.resume !== undefined) {
      // A resumed run keeps its saved config (exact resume); silently ignoring other flags would mislead.
      const given = Object.entries(flags.values).filter(([, v]) => v !== undefined).map(([k]) => `--${k.replace(/_/g, '-')}`);
      if (flags.config !== undefined) given.unshift('--config');
      if (flags.runId !== undefined) given.unshift('--run-id');
      if (given.length > 0) throw new UsageError(`--resume: a resumed run keeps its saved config; remove ${given.join(', ')}`);
      const run = RunDir.open(flags.resume, flags.out);
      const saved = run.readConfig<{ kind: string; config: unknown }>();
      if (saved.kind !== kind) throw new UsageError(`--resume: run ${run.id} is a "${saved.kind}" run, not a ${kind} run`);
      if (run.effectiveStatus() === 'completed') throw new UsageError(`--resume: run ${run.id} already completed`);
      return new TrainSession(kind, run, schema.parse(saved.config), true, flags.out);
    }
    const cfg = resolveConfig(schema, flags.config === undefined ? null : readConfigFile(flags.config), flags.values as Record<string, unknown>, command);
    let run: RunDir;
    try {
      run = RunDir.create(flags.out, kind, flags.runId);
    } catch (e) {
      if (flags.runId === undefined) throw e;
      throw new UsageError(`--run-id: ${(e as Error).message}`, { cause: e });
    }
    return new TrainSession(kind, run, cfg, false, flags.out);
  }

  /** True when resuming a run that has a checkpoint to load. */
  get canResume(): boolean {
    return this.resuming && hasCheckpoint(this.run.file('checkpoint'));
  }

  /** config.json for a new run (a resumed run keeps the one it has). */
  writeConfig(extra: Record<string, unknown>): void {
    if (this.resuming) return;
    this.run.writeConfig({
      kind: this.kind,
      config: this.cfg,
      seed: this.cfg.seed,
      package: { name: 'latentlab', version: packageVersion() },
      backend: this.info,
      created_at: this.startedAt,
      ...extra,
    });
  }

  /** Marks the run as running from `step` of `totalSteps` and starts listening for SIGINT/SIGTERM. */
  begin(step: number, totalSteps: number, timings: Record<string, number>): void {
    if (step > 0) {
      this.summary.resumed_from_step?.push(step);
      this.run.event({ type: 'resume', step, time: new Date().toISOString() });
    }
    Object.assign(this.summary, { step, total_steps: totalSteps, timings: { ...timings } });
    this.run.writeSummary(this.summary);
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /** Lets pending signal handlers run about every 50 ms; returns the signal that asked to stop, if any. */
  async poll(): Promise<NodeJS.Signals | null> {
    if (performance.now() - this.lastYield > 50) {
      await new Promise((r) => setImmediate(r));
      this.lastYield = performance.now();
    }
    return this.stopSignal;
  }

  get stopRequested(): NodeJS.Signals | null {
    return this.stopSignal;
  }

  /** Records progress in summary.json (after a checkpoint), so `runs list` shows how far a live run is. */
  progress(step: number): void {
    this.summary.step = step;
    this.summary.updated_at = new Date().toISOString();
    this.run.writeSummary(this.summary);
  }

  /** Records an interruption (the caller has saved its checkpoint) and returns exit code 130. */
  interrupted(step: number, timings: Record<string, number>, out: Output): number {
    this.run.writeSummary({ ...this.summary, status: 'interrupted', step, timings: { ...this.summary.timings, ...timings } });
    const outFlag = this.outRoot === 'runs' ? '' : ` --out ${this.outRoot}`;
    out.notice(`interrupted by ${this.stopSignal ?? 'a signal'} at step ${step}; resume with: latentlab train ${this.kind} --resume ${this.run.id}${outFlag}`);
    return 130;
  }

  completed(step: number, metrics: Record<string, number>, timings: Record<string, number>, extra: Record<string, unknown> = {}): void {
    // Peak resident memory of this process (the whole command: data, model, figures), in MiB.
    const peakRss = peakRssMb();
    Object.assign(this.summary, { status: 'completed', step, metrics, timings: { ...this.summary.timings, ...timings }, peak_rss_mb: peakRss, ...extra });
    this.run.writeSummary(this.summary);
  }

  failed(step: number, err: unknown): void {
    this.run.writeSummary({ ...this.summary, status: 'failed', step, error: (err as Error).message ?? String(err) });
  }

  /** Stops listening for signals. */
  close(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
