/**
 * Saving a model into a folder (model.json + weights.safetensors, each written atomically) and
 * loading it back from one; the format, its checks and the state-dict helpers are in
 * model-json.ts.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Module } from '../nn/module.js';
import { describeModule } from '../nn/serialize.js';
import { Rng } from '../random.js';
import { writeJsonAtomic } from './atomic.js';
import { dirReader } from './files.js';
import { MODEL_FORMAT, MODEL_JSON, MODEL_VERSION, MODEL_WEIGHTS, modelFrom, modelJsonFrom, stateDict, type ModelJson, type TensorEntry } from './model-json.js';
import { writeSafetensors } from './safetensors.js';

export * from './model-json.js';

/**
 * Writes `model` into `dir` (created if needed) as weights.safetensors then model.json, each
 * atomically. `extra.metadata` goes into the safetensors header, after {format: "pt"} (the
 * marker Hugging Face loaders look for).
 */
export function saveModel(dir: string, model: Module, extra: { metadata?: Record<string, string> } = {}): void {
  const architecture = describeModule(model);
  const entries = (m: Map<string, { shape: readonly number[] }>): TensorEntry[] => [...m].map(([name, t]) => ({ name, shape: [...t.shape] }));
  const json: ModelJson = {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    architecture,
    parameters: entries(new Map([...model.namedParameters()].map(([k, p]) => [k, p.value]))),
    buffers: entries(model.namedBuffers()),
  };
  mkdirSync(dir, { recursive: true });
  // Weights first: a crash between the two writes leaves the previous model.json, whose
  // architecture check then refuses mismatched weights instead of loading them.
  writeSafetensors(join(dir, MODEL_WEIGHTS), stateDict(model), { format: 'pt', ...extra.metadata });
  writeJsonAtomic(join(dir, MODEL_JSON), json);
}

/** Reads and validates `dir`/model.json (format, version, architecture, tensor lists). */
export function readModelJson(dir: string): ModelJson {
  return modelJsonFrom(dirReader(dir));
}

/**
 * Rebuilds the model saved in `dir` and loads its weights; refuses a wrong format or version, a
 * damaged weights file, and weights that do not fit the architecture (names, dtype, shapes).
 * `rng` draws the (overwritten) initial weights and drives Dropout. The model is in training mode.
 */
export function loadModel(dir: string, rng: Rng = new Rng(0)): Module {
  return modelFrom(dirReader(dir), rng);
}
