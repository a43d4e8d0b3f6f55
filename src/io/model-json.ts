/**
 * The run directory's model/ folder: model.json (format, version, architecture, tensor list) and
 * weights.safetensors (parameters + buffers under their PyTorch state_dict names, F32), so
 * `model.load_state_dict(safetensors.torch.load_file("weights.safetensors"))` works on the
 * equivalent torch.nn.Sequential. Both files are written atomically; loading checks that the
 * weights fit the architecture exactly before copying anything.
 * This module reads them from any FileReader (no file system of its own: the explorer's browser
 * app loads models with it); model-file.ts saves models and reads them from a folder.
 */
import type { Module } from '../nn/module.js';
import { buildModule, parseModuleSpec, type ModuleSpec } from '../nn/serialize.js';
import { Rng } from '../random.js';
import { isMissing, readText, type FileReader } from './file-reader.js';
import { decodeSafetensors, type SafeTensor, type SafetensorsFile } from './safetensors-codec.js';

/** Value of model.json's "format". */
export const MODEL_FORMAT = 'latentlab-model';
/** The model.json version this code writes and reads. */
export const MODEL_VERSION = 1;
/** File names inside a model/ folder. */
export const MODEL_JSON = 'model.json';
export const MODEL_WEIGHTS = 'weights.safetensors';

/** A tensor's state_dict name and shape. */
export interface TensorEntry {
  name: string;
  shape: number[];
}

/** The contents of model.json. */
export interface ModelJson {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
  architecture: ModuleSpec;
  parameters: TensorEntry[];
  buffers: TensorEntry[];
}

/** A float32 tensor of a state dict. */
export interface F32Tensor {
  dtype: 'F32';
  shape: number[];
  data: Float32Array;
}

function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function quoteList(names: readonly string[], max = 8): string {
  const shown = names.slice(0, max).map((n) => JSON.stringify(n));
  return shown.join(', ') + (names.length > max ? ` … (${names.length} in all)` : '');
}

/**
 * Parameters then buffers keyed like PyTorch's state_dict ("0.weight", "1.running_mean", …).
 * The arrays are the model's own memory (no copy): encode or copy them before training on.
 */
export function stateDict(model: Module): Record<string, F32Tensor> {
  const out: Array<[string, F32Tensor]> = [];
  for (const [name, p] of model.namedParameters()) out.push([name, { dtype: 'F32', shape: [...p.value.shape], data: p.value.data }]);
  for (const [name, b] of model.namedBuffers()) out.push([name, { dtype: 'F32', shape: [...b.shape], data: b.data }]);
  return Object.fromEntries(out);
}

/**
 * Copies `tensors` into the model's parameters and buffers. The names must match the model's
 * state dict exactly (no missing, no extra tensor), every tensor must be F32 with the model's
 * shape; everything is checked before anything is copied. `source` (a path) is named in errors.
 */
export function loadStateDict(model: Module, tensors: Record<string, SafeTensor>, source?: string): void {
  copyStateDict(`loadStateDict: ${source === undefined ? '' : `${source}: `}`, model, tensors);
}

export function copyStateDict(where: string, model: Module, tensors: Record<string, SafeTensor>): void {
  if (tensors === null || typeof tensors !== 'object') throw new TypeError(`${where}expected an object of tensors, got ${String(tensors)}`);
  const target = stateDict(model);
  const missing = Object.keys(target).filter((k) => !Object.hasOwn(tensors, k));
  const unexpected = Object.keys(tensors).filter((k) => !Object.hasOwn(target, k));
  if (missing.length > 0 || unexpected.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing tensor${missing.length > 1 ? 's' : ''} ${quoteList(missing)}`);
    if (unexpected.length > 0) parts.push(`unexpected tensor${unexpected.length > 1 ? 's' : ''} ${quoteList(unexpected)}`);
    throw new RangeError(`${where}${parts.join('; ')} (the model has ${quoteList(Object.keys(target))})`);
  }
  for (const [name, dst] of Object.entries(target)) {
    const t = tensors[name];
    if (t.dtype !== 'F32' || !(t.data instanceof Float32Array)) throw new TypeError(`${where}tensor "${name}": expected dtype F32, got ${String(t.dtype)}`);
    if (!sameShape(t.shape, dst.shape)) {
      throw new RangeError(`${where}tensor "${name}" has shape ${fmtShape(t.shape)} but the model expects ${fmtShape(dst.shape)}`);
    }
    if (t.data.length !== dst.data.length)
      throw new RangeError(`${where}tensor "${name}": shape ${fmtShape(t.shape)} needs ${dst.data.length} values, got ${t.data.length}`);
  }
  // Copy only after every check passed, so a refused file leaves the model untouched.
  for (const [name, dst] of Object.entries(target)) dst.data.set(tensors[name].data as Float32Array);
}

function parseEntries(fn: string, key: string, value: unknown): TensorEntry[] {
  const isEntry = (e: unknown): e is TensorEntry =>
    e !== null &&
    typeof e === 'object' &&
    typeof (e as TensorEntry).name === 'string' &&
    Array.isArray((e as TensorEntry).shape) &&
    (e as TensorEntry).shape.every((d) => Number.isSafeInteger(d) && d >= 0);
  if (!Array.isArray(value)) throw new TypeError(`${fn}: ${key}: expected an array of {name, shape}, got ${JSON.stringify(value)}`);
  value.forEach((e, i) => {
    if (!isEntry(e)) throw new TypeError(`${fn}: ${key}[${i}]: expected {name: string, shape: non-negative integers}, got ${JSON.stringify(e)}`);
  });
  return value as TensorEntry[];
}

/** Reads and validates model.json (format, version, architecture, tensor lists) from `files`. */
export function modelJsonFrom(files: FileReader): ModelJson {
  const path = files.path(MODEL_JSON);
  const fn = `loadModel: ${path}`;
  let raw: unknown;
  try {
    raw = JSON.parse(readText(files, MODEL_JSON));
  } catch (err) {
    if (err instanceof SyntaxError) throw new SyntaxError(`${fn}: not valid JSON (${err.message})`, { cause: err });
    if (isMissing(err)) throw new Error(`loadModel: ${path} not found`, { cause: err });
    throw new Error(`loadModel: cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new TypeError(`${fn}: expected a JSON object, got ${JSON.stringify(raw)}`);
  const o = raw as Record<string, unknown>;
  if (o.format !== MODEL_FORMAT) throw new TypeError(`${fn}: expected format ${JSON.stringify(MODEL_FORMAT)}, got ${JSON.stringify(o.format)}`);
  if (o.version !== MODEL_VERSION)
    throw new RangeError(`${fn}: unsupported version ${JSON.stringify(o.version)}; this latentlab reads version ${MODEL_VERSION}`);
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    architecture: parseModuleSpec(o.architecture, fn, 'architecture'),
    parameters: parseEntries(fn, 'parameters', o.parameters),
    buffers: parseEntries(fn, 'buffers', o.buffers),
  };
}

function checkListed(fn: string, key: string, listed: TensorEntry[], actual: Map<string, readonly number[]>): void {
  const names = listed.map((e) => e.name);
  const built = [...actual.keys()];
  if (names.length !== built.length || names.some((n, i) => n !== built[i])) {
    throw new RangeError(`${fn}: ${key} lists ${quoteList(names)} but the architecture has ${quoteList(built)}`);
  }
  for (const e of listed) {
    const shape = actual.get(e.name)!;
    if (!sameShape(e.shape, shape))
      throw new RangeError(`${fn}: ${key}: "${e.name}" is listed with shape ${fmtShape(e.shape)} but the architecture gives ${fmtShape(shape)}`);
  }
}

/**
 * Rebuilds the model saved in `files` (model.json + weights.safetensors) and loads its weights;
 * refuses a wrong format or version, a damaged weights file, and weights that do not fit the
 * architecture (names, dtype, shapes). `rng` draws the (overwritten) initial weights and drives
 * Dropout. The model is in training mode.
 */
export function modelFrom(files: FileReader, rng: Rng = new Rng(0)): Module {
  const info = modelJsonFrom(files);
  const fn = `loadModel: ${files.path(MODEL_JSON)}`;
  const model = buildModule(info.architecture, rng);
  checkListed(fn, 'parameters', info.parameters, new Map([...model.namedParameters()].map(([k, p]) => [k, p.value.shape])));
  checkListed(fn, 'buffers', info.buffers, new Map([...model.namedBuffers()].map(([k, b]) => [k, b.shape])));
  const weightsPath = files.path(MODEL_WEIGHTS);
  let file: SafetensorsFile;
  try {
    file = decodeSafetensors(files.bytes(MODEL_WEIGHTS), weightsPath);
  } catch (err) {
    throw new Error(isMissing(err) ? `loadModel: ${weightsPath} not found` : `loadModel: ${(err as Error).message}`, { cause: err });
  }
  copyStateDict(`loadModel: ${weightsPath}: `, model, file.tensors);
  return model;
}
