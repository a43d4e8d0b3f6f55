/**
 * Checkpoints: model weights, optimizer state and RNG states, so a resumed run ends with exactly
 * the weights of an uninterrupted one. Each checkpoint is written into its own folder
 * checkpoint/step-<n>/, then checkpoint/latest.json is atomically pointed at it, then older
 * folders are removed: a crash at any moment leaves latest.json naming a complete checkpoint.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import { loadStateDict, stateDict } from '../io/model-file.js';
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

interface LatestPointer {
  step: number;
  folder: string;
}

/** Writes a checkpoint of `model` + `optimizer` after `state.step` steps into `dir` (the run's checkpoint/). */
export function saveCheckpoint(dir: string, model: Module, optimizer: Optimizer, state: CheckpointState): void {
  mkdirSync(dir, { recursive: true });
  const folder = `step-${state.step}`;
  const target = join(dir, folder);
  mkdirSync(target, { recursive: true });
  writeSafetensors(join(target, 'weights.safetensors'), stateDict(model));
  const opt = optimizer.stateDict();
  const slots: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
  const present: Record<string, boolean[]> = {};
  for (const [slot, arrays] of Object.entries(opt.slots)) {
    present[slot] = arrays.map((a) => a !== null);
    arrays.forEach((a, i) => {
      if (a !== null) slots[`${slot}.${i}`] = { dtype: 'F32', shape: [a.length], data: a };
    });
  }
  writeSafetensors(join(target, 'optimizer.safetensors'), slots);
  writeJsonAtomic(join(target, 'state.json'), { ...state, optimizer: { type: opt.type, step: opt.step, lr: opt.lr, present } });
  writeJsonAtomic(join(dir, 'latest.json'), { step: state.step, folder } satisfies LatestPointer);
  for (const name of readdirSync(dir)) {
    if (name.startsWith('step-') && name !== folder) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** True when `dir` holds a complete checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'latest.json'));
}

/** The step of the checkpoint latest.json names, or null when there is none. */
export function latestCheckpointStep(dir: string): number | null {
  if (!hasCheckpoint(dir)) return null;
  try {
    const step = (JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as LatestPointer).step;
    return typeof step === 'number' ? step : null;
  } catch {
    return null;
  }
}

/** Restores weights and optimizer state in place; returns the saved loop state. */
export function loadCheckpoint(dir: string, model: Module, optimizer: Optimizer): CheckpointState {
  if (!hasCheckpoint(dir)) throw new Error(`loadCheckpoint: no checkpoint in ${dir} (latest.json missing)`);
  const latest = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8')) as LatestPointer;
  const folder = join(dir, latest.folder);
  const weightsPath = join(folder, 'weights.safetensors');
  loadStateDict(model, readSafetensors(weightsPath).tensors, weightsPath);
  const state = JSON.parse(readFileSync(join(folder, 'state.json'), 'utf8')) as CheckpointState & {
    optimizer: { type: string; step: number; lr: number; present: Record<string, boolean[]> };
  };
  const opt = readSafetensors(join(folder, 'optimizer.safetensors'));
  const slots: Record<string, (Float32Array | null)[]> = {};
  for (const [slot, present] of Object.entries(state.optimizer.present)) {
    slots[slot] = present.map((has, i) => {
      if (!has) return null;
      const t = opt.tensors[`${slot}.${i}`];
      if (t === undefined || !(t.data instanceof Float32Array)) throw new Error(`loadCheckpoint: optimizer slot ${slot}.${i} missing or not F32`);
      return t.data;
    });
  }
  const optState: OptimizerState = { type: state.optimizer.type, step: state.optimizer.step, lr: state.optimizer.lr, slots };
  optimizer.loadStateDict(optState);
  return { step: state.step, rng: state.rng, extra: state.extra };
}
