/**
 * Checkpoints, the one protocol every trainer uses: what a resumed run needs to end with exactly
 * the weights of an uninterrupted one. Each checkpoint is written into its own folder
 * checkpoint/step-<n>/ — one file or more per named part (state writers: a module's weights, an
 * optimizer's state, a SOM, DESOM's assignments, …), then state.json (the step, the named RNG
 * states, `extra`, and what each part recorded under its name) — then checkpoint/latest.json is
 * atomically pointed at it, then older folders are removed: a crash at any moment leaves
 * latest.json naming a complete checkpoint.
 *
 * `writeCheckpoint` / `readCheckpoint` are the protocol; `saveCheckpoint` / `loadCheckpoint` are it
 * for the common case of one module and its optimizer (weights.safetensors, optimizer.safetensors).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import { loadStateDict, stateDict } from '../io/model-file.js';
import { readNpy, writeNpy } from '../io/npy.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import type { Module } from '../nn/module.js';
import type { Optimizer, OptimizerState } from '../optim/optimizer.js';
import type { RngState } from '../random.js';

export interface CheckpointState {
  /** Completed optimisation steps. */
  step: number;
  /** Named RNG states (e.g. the loop's state at the start of training, a dropout RNG now). */
  rng: Record<string, RngState>;
  /** Anything else the trainer needs (epoch losses so far, …). */
  extra?: Record<string, unknown>;
}

/**
 * Writes one part of a checkpoint as files into the step folder (created). A value it returns
 * (JSON) is recorded in state.json under the part's name and handed back to its reader.
 */
export type StateWriter = (folder: string) => unknown;

/** Reads one part back from the step folder; `recorded` is what its writer returned (undefined if nothing). */
export type StateReader<T> = (folder: string, recorded: unknown) => T;

/** The checkpoint latest.json names: its state, and its parts to read. */
export interface StoredCheckpoint extends CheckpointState {
  /** Its step-<n>/ folder. */
  readonly folder: string;
  /** Reads the part written under `name`. */
  read<T>(name: string, reader: StateReader<T>): T;
}

interface LatestPointer {
  step: number;
  folder: string;
}

const LATEST_FILE = 'latest.json';
const STATE_FILE = 'state.json';
/** Names state.json uses itself: no part may take them. */
const RESERVED = new Set(['step', 'rng', 'extra']);

/**
 * Writes a checkpoint after `state.step` steps into `dir` (a run's checkpoint/): every writer's
 * files into step-<n>/ (in the order given), state.json, then latest.json, then older folders go.
 */
export function writeCheckpoint(dir: string, state: CheckpointState, writers: Readonly<Record<string, StateWriter>>): void {
  const fn = 'writeCheckpoint';
  if (!Number.isSafeInteger(state.step) || state.step < 0) throw new RangeError(`${fn}: expected a non-negative integer step, got ${state.step}`);
  mkdirSync(dir, { recursive: true });
  const folder = `step-${state.step}`;
  const target = join(dir, folder);
  mkdirSync(target, { recursive: true });
  const recorded: Record<string, unknown> = {};
  for (const [name, write] of Object.entries(writers)) {
    if (RESERVED.has(name)) throw new RangeError(`${fn}: a part cannot be named "${name}" (state.json's own field)`);
    const r = write(target);
    if (r !== undefined) recorded[name] = r;
  }
  writeJsonAtomic(join(target, STATE_FILE), { step: state.step, rng: state.rng, extra: state.extra, ...recorded });
  writeJsonAtomic(join(dir, LATEST_FILE), { step: state.step, folder } satisfies LatestPointer);
  for (const name of readdirSync(dir)) {
    if (name.startsWith('step-') && name !== folder) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** True when `dir` holds a complete checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, LATEST_FILE));
}

/** The step of the checkpoint latest.json names, or null when there is none. */
export function latestCheckpointStep(dir: string): number | null {
  if (!hasCheckpoint(dir)) return null;
  try {
    const step = (JSON.parse(readFileSync(join(dir, LATEST_FILE), 'utf8')) as LatestPointer).step;
    return typeof step === 'number' ? step : null;
  } catch {
    return null;
  }
}

/** Opens the checkpoint latest.json names; its parts are read with `read(name, reader)`. */
export function readCheckpoint(dir: string): StoredCheckpoint {
  if (!hasCheckpoint(dir)) throw new Error(`readCheckpoint: no checkpoint in ${dir} (latest.json missing)`);
  const latest = JSON.parse(readFileSync(join(dir, LATEST_FILE), 'utf8')) as LatestPointer;
  const folder = join(dir, latest.folder);
  const saved = JSON.parse(readFileSync(join(folder, STATE_FILE), 'utf8')) as CheckpointState & Record<string, unknown>;
  return {
    step: saved.step,
    rng: saved.rng,
    extra: saved.extra,
    folder,
    read: <T>(name: string, reader: StateReader<T>): T => reader(folder, RESERVED.has(name) ? undefined : saved[name]),
  };
}

// ---------------------------------------------------------------------------------------------
// State writers and readers
// ---------------------------------------------------------------------------------------------

const WEIGHTS_FILE = 'weights.safetensors';
const OPTIMIZER_FILE = 'optimizer.safetensors';

/** A module's state dict (PyTorch names) as weights.safetensors. */
export function moduleWriter(model: Module): StateWriter {
  return (folder) => {
    writeSafetensors(join(folder, WEIGHTS_FILE), stateDict(model));
  };
}

/** Restores what moduleWriter wrote into `model`, in place. */
export function moduleReader(model: Module): StateReader<void> {
  return (folder) => {
    const path = join(folder, WEIGHTS_FILE);
    loadStateDict(model, readSafetensors(path).tensors, path);
  };
}

/** What state.json records of an optimizer (its slots are in optimizer.safetensors). */
interface OptimizerRecord {
  type: string;
  step: number;
  lr: number;
  /** Per slot, which parameters have an array (`<slot>.<i>` in the file). */
  present: Record<string, boolean[]>;
}

/** An optimizer's state: its slot arrays as optimizer.safetensors, its type, step, lr and slot layout in state.json. */
export function optimizerWriter(optimizer: Optimizer): StateWriter {
  return (folder): OptimizerRecord => {
    const opt = optimizer.stateDict();
    const slots: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    const present: Record<string, boolean[]> = {};
    for (const [slot, arrays] of Object.entries(opt.slots)) {
      present[slot] = arrays.map((a) => a !== null);
      arrays.forEach((a, i) => {
        if (a !== null) slots[`${slot}.${i}`] = { dtype: 'F32', shape: [a.length], data: a };
      });
    }
    writeSafetensors(join(folder, OPTIMIZER_FILE), slots);
    return { type: opt.type, step: opt.step, lr: opt.lr, present };
  };
}

/** Restores what optimizerWriter wrote into `optimizer`, in place. */
export function optimizerReader(optimizer: Optimizer): StateReader<void> {
  return (folder, recorded) => {
    const rec = recorded as OptimizerRecord | undefined;
    if (rec === undefined || rec === null || typeof rec !== 'object' || typeof rec.present !== 'object')
      throw new Error(`checkpoint: ${folder} has no optimizer state`);
    const file = readSafetensors(join(folder, OPTIMIZER_FILE));
    const slots: Record<string, (Float32Array | null)[]> = {};
    for (const [slot, present] of Object.entries(rec.present)) {
      slots[slot] = present.map((has, i) => {
        if (!has) return null;
        const t = file.tensors[`${slot}.${i}`];
        if (t === undefined || !(t.data instanceof Float32Array)) throw new Error(`checkpoint: optimizer slot ${slot}.${i} missing or not F32 in ${folder}`);
        return t.data;
      });
    }
    const state: OptimizerState = { type: rec.type, step: rec.step, lr: rec.lr, slots };
    optimizer.loadStateDict(state);
  };
}

/** An Int32Array (e.g. per-sample assignments) as the .npy file `file`. */
export function int32Writer(file: string, values: Int32Array): StateWriter {
  return (folder) => {
    writeNpy(join(folder, file), { dtype: 'i4', shape: [values.length], data: values });
  };
}

/** Reads what int32Writer wrote. */
export function int32Reader(file: string): StateReader<Int32Array> {
  return (folder) => {
    const path = join(folder, file);
    if (!existsSync(path)) throw new Error(`checkpoint: ${path} is missing`);
    const arr = readNpy(path);
    if (arr.dtype !== 'i4' || arr.shape.length !== 1)
      throw new TypeError(`checkpoint: expected ${path} to be a 1-d int32 array, got ${arr.dtype} [${arr.shape.join(', ')}]`);
    return arr.data as Int32Array;
  };
}

// ---------------------------------------------------------------------------------------------
// One module and its optimizer
// ---------------------------------------------------------------------------------------------

/** The parts of a module + optimizer checkpoint: `weights` and `optimizer`. */
export function modelWriters(model: Module, optimizer: Optimizer): Record<string, StateWriter> {
  return { weights: moduleWriter(model), optimizer: optimizerWriter(optimizer) };
}

/** Restores the `weights` and `optimizer` parts of an opened checkpoint into `model` and `optimizer`, in place. */
export function restoreModel(ck: StoredCheckpoint, model: Module, optimizer: Optimizer): void {
  ck.read('weights', moduleReader(model));
  ck.read('optimizer', optimizerReader(optimizer));
}

/** Writes a checkpoint of `model` + `optimizer` after `state.step` steps into `dir` (the run's checkpoint/). */
export function saveCheckpoint(dir: string, model: Module, optimizer: Optimizer, state: CheckpointState): void {
  writeCheckpoint(dir, state, modelWriters(model, optimizer));
}

/** Restores weights and optimizer state in place; returns the saved loop state. */
export function loadCheckpoint(dir: string, model: Module, optimizer: Optimizer): CheckpointState {
  if (!hasCheckpoint(dir)) throw new Error(`loadCheckpoint: no checkpoint in ${dir} (latest.json missing)`);
  const ck = readCheckpoint(dir);
  restoreModel(ck, model, optimizer);
  return { step: ck.step, rng: ck.rng, extra: ck.extra };
}
