/**
 * Importing a PyTorch state_dict saved as safetensors (`safetensors.torch.save_file(model.state_dict(), …)`
 * or scripts/torch/latentlab_torch.py's `save_state_dict_safetensors`) into a latentlab model of
 * the same architecture. latentlab names its tensors as PyTorch names the same module's
 * ("0.weight", "encoder.2.bias", "prototypes", …) with the same shapes (Linear weights
 * [out, in], Conv2d [out, in, kh, kw], ConvTranspose2d [in, out, kh, kw]), so the copy is one to
 * one; what differs is checked and named:
 * - a missing or unexpected tensor (with its shape), with a hint when every name carries a prefix
 *   the model lacks (`module.` of DataParallel, `model.` of a wrapper): `stripPrefix` removes it;
 * - a shape that differs (the file's and the model's);
 * - BatchNorm's `num_batches_tracked` counters are dropped (latentlab keeps none: they only matter
 *   with momentum=None) and reported as ignored;
 * - F64 tensors are rounded to float32 (reported as converted); integer tensors are refused.
 * Nothing is copied unless everything fits.
 */
import type { Module } from '../nn/module.js';
import { stateDict } from './model-json.js';
import type { SafeTensor, SafetensorsFile } from './safetensors-codec.js';
import { readSafetensors } from './safetensors.js';

/** Options of `importStateDict`. */
export interface TorchImportOptions {
  /** Removed from the front of every name that starts with it (e.g. "module."). */
  stripPrefix?: string;
  /** The file's path, named in errors. */
  source?: string;
}

/** What `importStateDict` did. */
export interface TorchImportReport {
  /** Tensors copied into the model. */
  loaded: number;
  /** Names dropped on purpose (BatchNorm num_batches_tracked). */
  ignored: string[];
  /** Names rounded from F64 to F32. */
  converted: string[];
}

/** BatchNorm's batch counter, which latentlab does not keep. */
const COUNTER = 'num_batches_tracked';

const fmtShape = (s: readonly number[]): string => `[${s.join(', ')}]`;

function listed(items: string[], max = 6): string {
  return items.slice(0, max).join(', ') + (items.length > max ? `, … (${items.length} in all)` : '');
}

/** The prefix every unexpected name has and whose removal gives model names ("module."), if there is one. */
function prefixHint(unexpected: string[], target: Set<string>): string {
  const first = unexpected[0]?.indexOf('.') ?? -1;
  if (first < 0) return '';
  const prefix = unexpected[0].slice(0, first + 1);
  const fits = (n: string): boolean => n.startsWith(prefix) && (target.has(n.slice(prefix.length)) || n.endsWith(COUNTER));
  if (!unexpected.every(fits)) return '';
  return `; every unexpected name starts with "${prefix}", which the model's names lack: strip it (--strip-prefix ${prefix})`;
}

/**
 * Copies the tensors of a PyTorch state_dict into `model` (see the file's comment for what is
 * checked). Throws a RangeError / TypeError naming the tensors and shapes; the model is untouched
 * then.
 */
export function importStateDict(model: Module, tensors: Record<string, SafeTensor>, o: TorchImportOptions = {}): TorchImportReport {
  const fn = `importStateDict${o.source === undefined ? '' : `: ${o.source}`}`;
  if (tensors === null || typeof tensors !== 'object') throw new TypeError(`${fn}: expected an object of tensors, got ${String(tensors)}`);
  const target = stateDict(model);
  const targetNames = new Set(Object.keys(target));
  const ignored: string[] = [];
  const converted: string[] = [];
  const given = new Map<string, SafeTensor>();
  for (const [raw, t] of Object.entries(tensors)) {
    const name = o.stripPrefix !== undefined && o.stripPrefix !== '' && raw.startsWith(o.stripPrefix) ? raw.slice(o.stripPrefix.length) : raw;
    if (given.has(name)) throw new RangeError(`${fn}: two tensors become "${name}" once the prefix "${o.stripPrefix}" is stripped`);
    if (name.endsWith(COUNTER) && targetNames.has(`${name.slice(0, -COUNTER.length)}running_mean`)) ignored.push(raw);
    else given.set(name, t);
  }
  const missing = [...targetNames].filter((n) => !given.has(n));
  const unexpected = [...given.keys()].filter((n) => !targetNames.has(n));
  if (missing.length > 0 || unexpected.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing ${listed(missing.map((n) => `"${n}" (expected ${fmtShape(target[n].shape)})`))}`);
    if (unexpected.length > 0) parts.push(`unexpected ${listed(unexpected.map((n) => `"${n}" ${fmtShape(given.get(n)!.shape)}`))}`);
    throw new RangeError(`${fn}: ${parts.join('; ')}${prefixHint(unexpected, targetNames)} (the model's tensors: ${listed([...targetNames], 12)})`);
  }
  const wrong = [...targetNames].filter((n) => {
    const a = given.get(n)!.shape;
    const b = target[n].shape;
    return a.length !== b.length || a.some((d, i) => d !== b[i]);
  });
  if (wrong.length > 0)
    throw new RangeError(
      `${fn}: ${listed(wrong.map((n) => `"${n}" has shape ${fmtShape(given.get(n)!.shape)} but the model expects ${fmtShape(target[n].shape)}`))}`,
    );
  const values = new Map<string, Float32Array>();
  for (const n of targetNames) {
    const t = given.get(n)!;
    if (t.dtype === 'F32') values.set(n, t.data);
    else if (t.dtype === 'F64') {
      values.set(n, Float32Array.from(t.data));
      converted.push(n);
    } else throw new TypeError(`${fn}: tensor "${n}" has dtype ${t.dtype}; expected F32 (or F64, rounded to float32)`);
  }
  // Copy only once every check passed.
  for (const n of targetNames) target[n].data.set(values.get(n)!);
  return { loaded: targetNames.size, ignored, converted };
}

/** Reads a safetensors state_dict file (errors name the path). */
export function readTorchStateDict(path: string): SafetensorsFile {
  return readSafetensors(path);
}
