/**
 * What a run kind is: its config schema, its training (a generator of events ending in the run's
 * result), its evaluation of a saved run on a dataset split, and the metric it is best known by.
 * The runs API (src/runs/api.ts) drives every kind the same way; the CLI, the benchmark, the
 * examples and the sweep go through it.
 */
import type { z } from 'zod';
import type { RunDir } from './run-dir.js';
import type { TrainSession } from './session.js';

/** The config keys every run kind has (src/runs/kinds/common.ts declares them). */
export interface CommonConfig {
  seed: number;
  backend: 'auto' | 'js' | 'native' | 'wasm';
  threads?: number;
  /** Absent in configs saved before the key existed: float32. */
  matmul_precision?: 'float32' | 'bfloat16';
}

/**
 * What a training tells while it runs. A progress display runs from `progress` to `progress-end`
 * (`tick`s between); notices and warnings may come at any time, also while one is shown.
 */
export type RunEvent =
  | { type: 'notice'; message: string }
  | { type: 'warning'; code: string; message: string }
  /** A progress display of `total` units begins; `format` is Output.progress's template (its tokens filled by the ticks' payloads). */
  | { type: 'progress'; total: number; format: string }
  | { type: 'tick'; value: number; payload?: Record<string, string> }
  | { type: 'progress-end' };

/** How a training ended (a failure is thrown, after the run is marked failed). */
export interface TrainResult {
  status: 'completed' | 'interrupted';
  run_id: string;
  path: string;
  /** The step (iteration, epoch: the kind's unit) reached. */
  step: number;
  metrics: Record<string, number>;
  timings: Record<string, number>;
  /** What a person reads at the end: the headline numbers, times and where the files are. */
  lines: string[];
  /** The result as `--json` prints it. */
  json: Record<string, unknown>;
}

/** A training: its events, then its result. */
export type Training = AsyncGenerator<RunEvent, TrainResult>;

/** What `evaluate` scores a saved run on. */
export interface EvalRequest {
  run: RunDir;
  /** The run's resolved config (config.json `config`). */
  config: { dataset: string; data_dir?: string; seed?: number } & Record<string, unknown>;
  split: 'train' | 'test' | 'all';
  /** Dataset and data directory to score on (the run's unless asked otherwise). */
  dataset: string;
  dataDir?: string;
  /** Metric-name prefix of the split: '' for train, 'test_' for test, 'all_' for all. */
  prefix: string;
}

/** A saved run scored on a split. */
export interface RunEvaluation {
  run_id: string;
  split: 'train' | 'test' | 'all';
  dataset: string;
  rows: number;
  /** What the rows went through besides the model (e.g. "encoded by ae-…"), or null. */
  via: string | null;
  /** Named as the run's summary names them, with the split's prefix: test_accuracy, test_purity, all_mse. */
  metrics: Record<string, number>;
}

export interface RunKind<C extends CommonConfig = CommonConfig> {
  /** config.json's `kind` and the run ids' prefix. */
  readonly name: string;
  /** The CLI command that makes such runs ('train mlp'). */
  readonly command: string;
  /** One line for --help. */
  readonly description: string;
  /** The config, an object schema: every key with its default, help text, choices and range (the CLI's flags come from it). */
  readonly schema: z.ZodType<C> & { readonly shape: Readonly<Record<string, z.ZodType>> };
  /** A config key the command takes as its argument instead of a flag (`latentlab signatures RUN`: `model`). */
  readonly argument?: { readonly key: string; readonly name: string };
  /** Whether an interrupted run can be resumed (k-means keeps no checkpoint: it is run again). */
  readonly resumable: boolean;
  /** The metrics a run is best known by, in order of preference (`runs list`'s column). */
  readonly headline: readonly string[];
  /** Trains the session's run (new or resumed), writing its files; yields what it tells as it goes. */
  train(session: TrainSession<C>): Training;
  /** Scores the saved model of a completed run on a split. */
  evaluate(request: EvalRequest): Promise<RunEvaluation>;
}
