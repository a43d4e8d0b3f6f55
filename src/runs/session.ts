/**
 * What every run kind's training shares: opening or resuming the run directory, validating the
 * config, the summary's lifecycle (running → completed | failed | interrupted), SIGINT/SIGTERM
 * handling and the event-loop yields that let those signals in during a synchronous training loop.
 * The runs API (api.ts) opens a session and hands it to the kind's `train`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { hasCheckpoint, latestCheckpointStep } from './checkpoint.js';
import { checkFiniteTensors, checkFiniteValue, DivergenceError } from './divergence.js';
import { RunLock, RunLockedError } from './lock.js';
import { peakRssMb } from './peak-rss.js';
import { RunDir, RunsFolderError, type RunSummary } from './run-dir.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Module } from '../nn/module.js';
import { backend, useBackend } from '../tensor/registry.js';
import type { BackendInfo } from '../tensor/backend.js';
import { readConfigFile, resolveConfig } from './config.js';
import { UsageError } from './errors.js';
import type { CommonConfig, RunEvent, TrainResult } from './kind.js';
import { packageVersion } from '../version.js';

/** What to train: a new run (config file, then values, over the kind's defaults) or the run `resume` names. */
export interface TrainRequest<C = Record<string, unknown>> {
  /** A JSON config file (its keys are the kind's config keys). */
  config?: string;
  /** A run id under `out`, or a run directory, to continue from its last checkpoint. */
  resume?: string;
  /** The runs folder (default 'runs'). */
  out?: string;
  /** Name of the new run directory (default: <kind>-<date>-<time>). */
  runId?: string;
  /** Config values (over the file's); undefined ones are ignored. */
  values?: Partial<Record<keyof C, unknown>>;
}

/** "native (Cooperlake, 2 threads, bfloat16 matmul)": the backend as a training command's first notice names it. */
export function describeBackend(info: BackendInfo): string {
  const parts = info.blasCore ? [info.blasCore, `${info.threads} threads`] : [];
  if (info.matmulPrecision !== 'float32') parts.push(`${info.matmulPrecision} matmul`);
  return parts.length > 0 ? `${info.name} (${parts.join(', ')})` : info.name;
}

export class TrainSession<C extends CommonConfig> {
  readonly startedAt = new Date().toISOString();
  readonly info: BackendInfo;
  readonly summary: RunSummary;
  /** How far the training got (step, iteration or epoch: the kind's unit), for the failure record. */
  step = 0;
  private stopSignal: NodeJS.Signals | null = null;
  private lastYield = performance.now();
  private lock: RunLock | null = null;
  /**
   * A resumed run's earlier segments: the training time they recorded (`train_s_before`) and how
   * many ended without recording it (`train_s_unknown_segments`: killed). A segment stopped by a
   * signal wrote its train_s, which already counts the segments before it.
   */
  private readonly earlier: { train_s_before: number; train_s_unknown_segments: number } | null;
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.stopSignal = sig;
  };

  private constructor(
    readonly kind: string,
    /** The CLI command that makes such runs ('train mlp'), for messages. */
    readonly command: string,
    readonly run: RunDir,
    readonly cfg: C,
    readonly resuming: boolean,
    /** The runs folder the run is in (resolves run ids such as --encoder). */
    readonly outRoot: string,
  ) {
    useBackend(cfg.backend);
    if (cfg.threads !== undefined) backend().setThreads(cfg.threads);
    const precision = cfg.matmul_precision ?? 'float32';
    const why = backend().matmulPrecisionUnavailable(precision);
    if (why !== null) throw new UsageError(`matmul_precision ${precision}: ${why}`);
    backend().setMatmulPrecision(precision);
    this.info = backend().info();
    const previous = run.readSummary();
    const pt = previous?.timings ?? {};
    const recorded = previous?.status === 'interrupted' && typeof pt.train_s === 'number';
    this.earlier = !resuming
      ? null
      : {
          train_s_before: recorded ? pt.train_s : (pt.train_s_before ?? 0),
          train_s_unknown_segments: (pt.train_s_unknown_segments ?? 0) + (recorded ? 0 : 1),
        };
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
  static open<C extends CommonConfig>(kind: string, schema: z.ZodType<C>, request: TrainRequest<C>, command: string): TrainSession<C> {
    const flags = { out: 'runs', values: {}, ...request };
    if (flags.resume !== undefined) {
      // A resumed run keeps its saved config (exact resume); silently ignoring other flags would mislead.
      const given = Object.entries(flags.values)
        .filter(([, v]) => v !== undefined)
        .map(([k]) => `--${k.replace(/_/g, '-')}`);
      if (flags.config !== undefined) given.unshift('--config');
      if (flags.runId !== undefined) given.unshift('--run-id');
      if (given.length > 0) throw new UsageError(`--resume: a resumed run keeps its saved config; remove ${given.join(', ')}`);
      let run: RunDir;
      try {
        run = RunDir.open(flags.resume, flags.out);
      } catch (e) {
        throw new UsageError(`--resume: ${(e as Error).message.replace(/^RunDir\.open: /, '')}`, { cause: e });
      }
      const saved = run.readConfig<{ kind: string; config: unknown }>();
      if (saved.kind !== kind) throw new UsageError(`--resume: run ${run.id} is a "${saved.kind}" run, not a ${kind} run`);
      const status = run.effectiveStatus();
      if (status === 'completed') throw new UsageError(`--resume: run ${run.id} already completed`);
      const lock = TrainSession.lock(run);
      if (status === 'running' && run.readSummary()?.pid !== process.pid) {
        // A run from before run.lock existed, whose writer is alive.
        lock.release();
        throw new UsageError(`--resume: run ${run.id} is still training (process ${run.readSummary()?.pid}); wait for it to end or stop it first`);
      }
      return TrainSession.start(kind, command, run, () => schema.parse(saved.config), true, flags.out, lock);
    }
    const cfg = resolveConfig(schema, flags.config === undefined ? null : readConfigFile(flags.config), flags.values as Record<string, unknown>, command);
    let run: RunDir;
    try {
      run = RunDir.create(flags.out, kind, flags.runId);
    } catch (e) {
      if (e instanceof RunsFolderError) throw new UsageError(`--out ${flags.out}: ${e.message.replace(/^RunDir\.create: /, '')}`, { cause: e });
      if (flags.runId === undefined) throw e;
      throw new UsageError(`--run-id: ${(e as Error).message}`, { cause: e });
    }
    return TrainSession.start(kind, command, run, () => cfg, false, flags.out, TrainSession.lock(run));
  }

  private static lock(run: RunDir): RunLock {
    try {
      return RunLock.acquire(run.path, run.id);
    } catch (e) {
      if (e instanceof RunLockedError) throw new UsageError(`--resume: ${e.message}`, { cause: e });
      throw e;
    }
  }

  /** Builds the session holding `lock`; a run that cannot start gives its lock back (and a new one is removed). */
  private static start<C extends CommonConfig>(
    kind: string,
    command: string,
    run: RunDir,
    cfg: () => C,
    resuming: boolean,
    outRoot: string,
    lock: RunLock,
  ): TrainSession<C> {
    try {
      const session = new TrainSession(kind, command, run, cfg(), resuming, outRoot);
      session.lock = lock;
      return session;
    } catch (e) {
      lock.release();
      if (!resuming) rmSync(run.path, { recursive: true, force: true });
      throw e;
    }
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
      command_line: process.argv.slice(2),
      git: gitCommit(),
      backend: this.info,
      created_at: this.startedAt,
      ...extra,
    });
  }

  /** Marks the run as running from `step` of `totalSteps` and starts listening for SIGINT/SIGTERM. */
  begin(step: number, totalSteps: number, timings: Record<string, number>): void {
    // Events a killed run logged past its last checkpoint are replayed now: drop the old ones.
    if (this.resuming) this.run.truncateEvents(step);
    if (step > 0) {
      this.summary.resumed_from_step?.push(step);
      this.run.event({ type: 'resume', step, time: new Date().toISOString() });
    }
    Object.assign(this.summary, { step, total_steps: totalSteps, timings: { ...timings, ...this.earlier } });
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

  /**
   * Records an interruption (the caller has saved its checkpoint at `step`): tells how to resume,
   * and returns the interrupted result (`return yield* session.interrupted(…)`).
   */
  *interrupted(step: number, timings: Record<string, number>): Generator<RunEvent, TrainResult> {
    const all = { ...this.summary.timings, ...this.withEarlier(timings) };
    this.run.writeSummary({ ...this.summary, status: 'interrupted', step, timings: all });
    const outFlag = this.outRoot === 'runs' ? '' : ` --out ${this.outRoot}`;
    yield {
      type: 'notice',
      message: `interrupted by ${this.stopSignal ?? 'a signal'} at step ${step}; resume with: latentlab ${this.command} --resume ${this.run.id}${outFlag}`,
    };
    const json = { run_id: this.run.id, path: this.run.path, status: 'interrupted', step };
    return { status: 'interrupted', run_id: this.run.id, path: this.run.path, step, metrics: {}, timings: all, lines: [], json };
  }

  completed(step: number, metrics: Record<string, number>, timings: Record<string, number>, extra: Record<string, unknown> = {}): void {
    // Peak resident memory of this process (the whole command: data, model, figures), in MiB.
    const peakRss = peakRssMb();
    Object.assign(this.summary, {
      status: 'completed',
      step,
      metrics,
      timings: { ...this.summary.timings, ...this.withEarlier(timings) },
      peak_rss_mb: peakRss,
      ...extra,
    });
    this.run.writeSummary(this.summary);
  }

  /**
   * A segment's timings as the run's: on a resumed run train_s adds the earlier segments' recorded
   * time (this segment's alone stays as train_s_segment); a lower bound when some ended unrecorded.
   */
  private withEarlier(timings: Record<string, number>): Record<string, number> {
    if (this.earlier === null || typeof timings.train_s !== 'number') return timings;
    return { ...timings, ...this.earlier, train_s_segment: timings.train_s, train_s: timings.train_s + this.earlier.train_s_before };
  }

  /**
   * Ends a completed training: summary.json `completed` (with `extra`), the `final` record of
   * events.jsonl (where it ended, `at`, and the metrics), and the result the kind returns: the
   * lines a person reads, and `json` (by default the run, its status, metrics and timings).
   */
  finish(o: {
    step: number;
    at?: Record<string, number>;
    metrics: Record<string, number>;
    timings: Record<string, number>;
    extra?: Record<string, unknown>;
    lines: string[];
    json?: Record<string, unknown>;
  }): TrainResult {
    this.completed(o.step, o.metrics, o.timings, o.extra);
    this.run.event({ type: 'final', ...o.at, ...o.metrics });
    const { id, path } = this.run;
    const timings = this.withEarlier(o.timings);
    const json = o.json ?? { run_id: id, path, status: 'completed', metrics: o.metrics, timings };
    return { status: 'completed', run_id: id, path, step: o.step, metrics: o.metrics, timings, lines: o.lines, json };
  }

  /**
   * Records a failure. A new run that never started (no config.json: e.g. its data failed to
   * load) is removed rather than left as an empty folder; any other is marked failed, with the
   * step and, for a divergence, the last good checkpoint.
   */
  failed(err: unknown, step = this.step): void {
    if (!this.resuming && !existsSync(this.run.file('config.json'))) {
      this.lock?.release();
      this.lock = null;
      rmSync(this.run.path, { recursive: true, force: true });
      return;
    }
    const failure = err instanceof DivergenceError ? { reason: 'diverged', step: err.step, last_checkpoint_step: this.lastCheckpointStep() } : undefined;
    this.run.writeSummary({ ...this.summary, status: 'failed', step, error: (err as Error).message ?? String(err), ...(failure ? { failure } : {}) });
    this.run.event({ type: 'failed', step, error: (err as Error).message ?? String(err), time: new Date().toISOString() });
  }

  lastCheckpointStep(): number | null {
    return latestCheckpointStep(this.run.file('checkpoint'));
  }

  /** Stops the run (DivergenceError) when a loss or other scalar it reports is not finite. */
  checkFinite(what: string, value: number, step: number, hint = 'try a lower --lr'): void {
    if (Number.isFinite(value)) return;
    checkFiniteValue(what, value, step, { lastCheckpointStep: this.lastCheckpointStep(), hint });
  }

  /** Stops the run when a parameter of `model` holds NaN or ±Infinity: call before every checkpoint and the final save. */
  checkFiniteModel(model: Module, step: number, hint = 'try a lower --lr'): void {
    this.checkFiniteParameters(
      [...model.namedParameters()].map(([n, p]) => [`parameter ${n}`, p.value] as [string, Tensor]),
      step,
      hint,
    );
  }

  /** Stops the run when a named tensor holds NaN or ±Infinity. */
  checkFiniteParameters(tensors: Iterable<[string, Tensor | Float32Array]>, step: number, hint = 'try a lower --lr'): void {
    checkFiniteTensors(tensors, step, { lastCheckpointStep: this.lastCheckpointStep(), hint });
  }

  /** A warning about the result (e.g. a collapsed map), kept in summary.json by `completed`; yield the event it returns. */
  warn(code: string, message: string): RunEvent {
    (this.summary.warnings ??= []).push({ code, message });
    return { type: 'warning', code, message };
  }

  /** Stops listening for signals and gives the run's lock back. */
  close(): void {
    this.lock?.release();
    this.lock = null;
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}

/** The git commit of the package when it runs from a checkout (with `dirty` for local changes); null otherwise. */
export function gitCommit(): { commit: string; dirty: boolean } | null {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  if (!existsSync(join(root, '.git'))) return null;
  const rev = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', timeout: 5000 });
  if (rev.status !== 0) return null;
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8', timeout: 5000 });
  return { commit: rev.stdout.trim(), dirty: status.status === 0 && status.stdout.trim() !== '' };
}
