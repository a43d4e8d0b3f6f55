/**
 * desom.json, the description of a saved DESOM (see file.ts for the folder), read from any
 * FileReader: the folder on disk, or the files the explorer's browser app fetched (it rebuilds the
 * autoencoder from ae/ and takes the prototypes from the run's arrays).
 */
import { z } from 'zod';
import { AE_ACTIVATIONS, type AeActivation } from '../ae/autoencoder.js';
import { isMissing, readText, type FileReader } from '../io/file-reader.js';
import { PROTOTYPE_INITS, type PrototypeInit } from './model.js';

export const DESOM_FORMAT = 'latentlab-desom';
/**
 * The newest desom.json version: 2 records a convolutional encoder (`encoder`, `image`, `filters`,
 * `kernel`); a fully connected DESOM is still written as version 1, as before.
 */
export const DESOM_VERSION = 2;
/** The version of a fully connected DESOM's desom.json. */
export const DESOM_MLP_VERSION = 1;
export const DESOM_JSON_FILE = 'desom.json';
export const DESOM_AE_DIR = 'ae';
export const DESOM_SOM_DIR = 'som';

/** What desom.json holds. */
export interface DesomJson {
  format: typeof DESOM_FORMAT;
  version: typeof DESOM_MLP_VERSION | typeof DESOM_VERSION;
  autoencoder_dir: string;
  som_dir: string;
  input: number;
  /** Version 2: a convolutional encoder, its image [channels, height, width], filters and kernel. */
  encoder?: 'conv';
  image?: [number, number, number];
  filters?: number[];
  kernel?: number;
  /** The encoder's fully connected hidden sizes (after the convolutions with encoder 'conv'). */
  hidden: number[];
  latent: number;
  activation: AeActivation;
  rows: number;
  cols: number;
  prototype_init: PrototypeInit;
  som_init_epochs: number;
  /** Free-form (e.g. the training options); not read back. */
  info?: Record<string, unknown>;
}

const positiveInt = z.number().int().min(1);
const desomSchema = z.object({
  format: z.literal(DESOM_FORMAT),
  version: z.union([z.literal(DESOM_MLP_VERSION), z.literal(DESOM_VERSION)]),
  autoencoder_dir: z.string().regex(/^[^/\\]+$/, 'a folder name inside the model folder'),
  som_dir: z.string().regex(/^[^/\\]+$/, 'a folder name inside the model folder'),
  input: positiveInt,
  encoder: z.literal('conv').optional(),
  image: z.tuple([positiveInt, positiveInt, positiveInt]).optional(),
  filters: z.array(positiveInt).min(1).optional(),
  kernel: positiveInt.optional(),
  hidden: z.array(positiveInt),
  latent: positiveInt,
  activation: z.enum(AE_ACTIVATIONS as [AeActivation, ...AeActivation[]]),
  rows: positiveInt,
  cols: positiveInt,
  prototype_init: z.enum(PROTOTYPE_INITS as [PrototypeInit, ...PrototypeInit[]]),
  som_init_epochs: positiveInt,
  info: z.record(z.string(), z.unknown()).optional(),
});

/** Reads and validates desom.json from `files` (errors name its path, as loadDesom's do). */
export function desomJsonFrom(files: FileReader): DesomJson {
  const path = files.path(DESOM_JSON_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readText(files, DESOM_JSON_FILE));
  } catch (err) {
    if (isMissing(err)) throw new Error(`loadDesom: ${path} not found`, { cause: err });
    throw new Error(`loadDesom: ${path}: ${err instanceof SyntaxError ? `not valid JSON (${err.message})` : (err as Error).message}`, { cause: err });
  }
  const parsed = desomSchema.safeParse(raw);
  if (!parsed.success) {
    const iss = parsed.error.issues[0];
    throw new TypeError(`loadDesom: ${path}: ${iss.path.map(String).join('.') || '(root)'}: ${iss.message}`);
  }
  const j = parsed.data;
  const conv = j.encoder === 'conv';
  if (conv !== (j.version === DESOM_VERSION))
    throw new RangeError(
      `loadDesom: ${path}: version ${j.version} ${conv ? 'cannot describe a conv encoder (version 2 does)' : 'is the version of a conv DESOM, but encoder is not "conv"'}`,
    );
  const wrong = (['image', 'filters', 'kernel'] as const).find((k) => (j[k] === undefined) === conv);
  if (wrong !== undefined)
    throw new TypeError(
      `loadDesom: ${path}: ${wrong}: ${conv ? 'missing (a conv DESOM records image, filters and kernel)' : 'unexpected without encoder "conv"'}`,
    );
  return j;
}
