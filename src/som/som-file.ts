/**
 * A trained SOM on disk (Node only): `<dir>/som.json` (the map's spec: topology options, size,
 * dim, and the array's file name) next to `<dir>/prototypes.npy` (K×d float32, numpy-readable),
 * both written atomically. Kept apart from som.ts so the browser bundle never pulls in node:fs.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../io/npy.js';
import { writeJsonAtomic } from '../io/atomic.js';
import { Tensor } from '../tensor/tensor.js';
import { SOM, checkSomSpec, type SomSpec } from './som.js';
import { Topology } from './topology.js';

export const SOM_JSON_FILE = 'som.json';
export const SOM_PROTOTYPES_FILE = 'prototypes.npy';

/** What som.json holds. */
export interface SomFileJSON extends SomSpec {
  readonly prototypesFile: string;
}

/** Writes som.json and prototypes.npy into dir (created if needed); returns the two paths. */
export function saveSom(som: SOM, dir: string): { json: string; prototypes: string } {
  mkdirSync(dir, { recursive: true });
  const prototypes = join(dir, SOM_PROTOTYPES_FILE);
  const json = join(dir, SOM_JSON_FILE);
  // The array first: a som.json on disk always points at a complete array.
  writeNpy(prototypes, { dtype: 'f4', shape: [som.size, som.dim], data: som.prototypes.data });
  const body: SomFileJSON = { ...som.spec(), prototypesFile: SOM_PROTOTYPES_FILE };
  writeJsonAtomic(json, body);
  return { json, prototypes };
}

/** Reads a SOM written by saveSom. */
export function loadSom(dir: string): SOM {
  const fn = 'loadSom';
  const path = join(dir, SOM_JSON_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${fn}: cannot read ${path} (${(e as Error).message})`, { cause: e });
  }
  const spec = checkSomSpec(`${fn}(${path})`, raw);
  const file = (raw as { prototypesFile?: unknown }).prototypesFile;
  if (typeof file !== 'string' || file.includes('/') || file.includes('\\')) {
    throw new TypeError(`${fn}(${path}): expected prototypesFile to be a file name in the same directory, got ${JSON.stringify(file)}`);
  }
  const arr = readNpy(join(dir, file));
  if (arr.dtype !== 'f4' || arr.shape.length !== 2 || arr.shape[0] !== spec.size || arr.shape[1] !== spec.dim) {
    throw new RangeError(`${fn}: expected ${file} to be float32 of shape [${spec.size}, ${spec.dim}], got ${arr.dtype} [${arr.shape.join(', ')}]`);
  }
  return new SOM(new Topology(spec.topology), new Tensor(arr.data as Float32Array, [spec.size, spec.dim]));
}
