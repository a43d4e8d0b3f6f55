/**
 * A DESOM on disk (Node only; model.ts, objective.ts, steps.ts and desom-json.ts stay browser-safe):
 *   <dir>/desom.json   format, version, the architecture (DesomConfig, snake_case), optional info
 *   <dir>/ae/          the autoencoder (saveAutoencoder: model.json + weights.safetensors)
 *   <dir>/som/         the map (saveSom: som.json + prototypes.npy)
 * and its training checkpoints: the run's checkpoint/ folder in runs/checkpoint.ts's protocol (model
 * weights incl. prototypes, optimizer slots, the rng's start state, the iteration), plus the
 * per-sample assignments (assignments.npy) when updateInterval > 1.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadAutoencoder, saveAutoencoder } from '../ae/autoencoder-file.js';
import { writeJsonAtomic } from '../io/atomic.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { RngState } from '../random.js';
import { hasCheckpoint, int32Reader, int32Writer, modelWriters, readCheckpoint, restoreModel, writeCheckpoint } from '../runs/checkpoint.js';
import { loadSom, saveSom } from '../som/som-file.js';
import { DESOM, desomArchitecture } from './model.js';
import { DESOM_AE_DIR, DESOM_FORMAT, DESOM_JSON_FILE, DESOM_MLP_VERSION, DESOM_SOM_DIR, DESOM_VERSION, desomJsonFrom, type DesomJson } from './desom-json.js';
import { dirReader } from '../io/files.js';

export * from './desom-json.js';

/** Writes the model into dir (created if needed): ae/ and som/ first, desom.json last, each file atomically. */
export function saveDesom(dir: string, model: DESOM, info?: Record<string, unknown>): void {
  if (!(model instanceof DESOM))
    throw new TypeError(`saveDesom: expected a DESOM, got ${model === null || typeof model !== 'object' ? String(model) : (model as object).constructor.name}`);
  mkdirSync(dir, { recursive: true });
  saveAutoencoder(join(dir, DESOM_AE_DIR), model.ae, { kind: 'desom' });
  saveSom(model.som, join(dir, DESOM_SOM_DIR));
  const c = model.config;
  const json: DesomJson = {
    format: DESOM_FORMAT,
    version: c.conv === null ? DESOM_MLP_VERSION : DESOM_VERSION,
    autoencoder_dir: DESOM_AE_DIR,
    som_dir: DESOM_SOM_DIR,
    input: c.input,
    ...(c.conv === null ? {} : { encoder: 'conv' as const, image: [...c.conv.image], filters: [...c.conv.filters], kernel: c.conv.kernel }),
    hidden: [...c.hidden],
    latent: c.latent,
    activation: c.activation,
    rows: c.topology.rows,
    cols: c.topology.cols,
    prototype_init: c.prototypeInit,
    som_init_epochs: c.somInitEpochs,
    ...(info === undefined ? {} : { info }),
  };
  writeJsonAtomic(join(dir, DESOM_JSON_FILE), json);
}

/** Reads a model written by saveDesom (the autoencoder and SOM files are validated by their own loaders). */
export function loadDesom(dir: string): DESOM {
  const path = join(dir, DESOM_JSON_FILE);
  const j = desomJsonFrom(dirReader(dir));
  const ae = loadAutoencoder(join(dir, j.autoencoder_dir));
  const som = loadSom(join(dir, j.som_dir));
  const a = ae.options;
  const described = desomArchitecture({
    input: j.input,
    hidden: j.hidden,
    latent: j.latent,
    conv:
      j.encoder === 'conv' && j.image !== undefined && j.filters !== undefined && j.kernel !== undefined
        ? { image: j.image, filters: j.filters, kernel: j.kernel }
        : null,
  });
  const held = desomArchitecture(a);
  if (a.input !== j.input || described !== held || a.activation !== j.activation)
    throw new RangeError(`loadDesom: ${path} describes ${described} ${j.activation}, but ${j.autoencoder_dir}/ holds ${held} ${a.activation}`);
  if (som.topology.rows !== j.rows || som.topology.cols !== j.cols) {
    throw new RangeError(`loadDesom: ${path} describes a ${j.rows}×${j.cols} map, but ${j.som_dir}/ holds ${som.topology.rows}×${som.topology.cols}`);
  }
  return new DESOM(ae, som, { prototypeInit: j.prototype_init, somInitEpochs: j.som_init_epochs });
}

/** What a DESOM checkpoint restores besides the weights and optimizer state. */
export interface DesomCheckpointState {
  /** DESOM iterations completed: pass as startIteration. */
  readonly iteration: number;
  /** The state of desomSteps' rng when training started (not now): restore it and pass the rng. */
  readonly rngStart: RngState;
  /** The per-sample BMU store (updateInterval > 1): pass as assignments. */
  readonly assignments?: Int32Array;
  /** Anything else the caller saved (JSON). */
  readonly extra?: Record<string, unknown>;
}

const ASSIGNMENTS_FILE = 'assignments.npy';

/**
 * Writes a checkpoint into dir (a run's checkpoint/) with runs/checkpoint.ts's protocol: weights of
 * every model parameter (the prototypes included), the optimizer's slots and step, `rngStart`, the
 * iteration, and with `assignments` an assignments.npy. Resuming from it is exact (see desomSteps).
 */
export function saveDesomCheckpoint(dir: string, model: DESOM, optimizer: Optimizer, state: DesomCheckpointState): void {
  const fn = 'saveDesomCheckpoint';
  if (!Number.isSafeInteger(state.iteration) || state.iteration < 0)
    throw new RangeError(`${fn}: expected a non-negative integer iteration, got ${state.iteration}`);
  writeCheckpoint(
    dir,
    { step: state.iteration, rng: { desom: state.rngStart }, extra: { ...(state.extra ?? {}), kind: 'desom', assignments: state.assignments !== undefined } },
    { ...(state.assignments === undefined ? {} : { assignments: int32Writer(ASSIGNMENTS_FILE, state.assignments) }), ...modelWriters(model, optimizer) },
  );
}

/** Restores weights and optimizer state in place from dir; returns the iteration, the rng's start state and the assignments. */
export function loadDesomCheckpoint(dir: string, model: DESOM, optimizer: Optimizer): DesomCheckpointState {
  const fn = 'loadDesomCheckpoint';
  if (!hasCheckpoint(dir)) throw new Error(`${fn}: no checkpoint in ${dir} (latest.json missing)`);
  const ck = readCheckpoint(dir);
  const rngStart = ck.rng.desom;
  if (rngStart === undefined) throw new Error(`${fn}: the checkpoint in ${dir} has no "desom" rng state (not a DESOM checkpoint?)`);
  restoreModel(ck, model, optimizer);
  const { kind: _kind, assignments: hasAssignments, ...extra } = ck.extra ?? {};
  const assignments = hasAssignments === true ? ck.read('assignments', int32Reader(ASSIGNMENTS_FILE)) : undefined;
  return { iteration: ck.step, rngStart, ...(assignments === undefined ? {} : { assignments }), extra };
}
