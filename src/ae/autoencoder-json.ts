/**
 * An Autoencoder's saved form: model.json (its architecture, sizes and activations) + weights.safetensors
 * (PyTorch state_dict names), read from any FileReader — a folder (autoencoder-file.ts) or the
 * files the explorer's browser app fetched.
 */
import { z } from 'zod';
import { isMissing, readJsonObject, type FileReader } from '../io/file-reader.js';
import { loadStateDict, type TensorEntry } from '../io/model-json.js';
import { decodeSafetensors, type SafetensorsFile } from '../io/safetensors-codec.js';
import { Rng } from '../random.js';
import { INIT_NAMES, type InitName } from '../nn/init.js';
import { describeModule, type ModuleSpec } from '../nn/serialize.js';
import { Autoencoder, AE_ACTIVATIONS, type AeActivation } from './autoencoder.js';

/** model.json's "format" for an autoencoder (a plain Sequential's is "latentlab-model"). */
export const AUTOENCODER_FORMAT = 'latentlab-autoencoder';
/**
 * The newest model.json version: 2 records a convolutional autoencoder (`architecture`, `image`,
 * `filters`, `kernel`). A fully connected one is still written as version 1, byte for byte what
 * earlier latentlabs wrote, so they keep reading it; this one reads both.
 */
export const AUTOENCODER_VERSION = 2;
/** The version of a fully connected autoencoder's model.json. */
export const AUTOENCODER_MLP_VERSION = 1;

/** The contents of an autoencoder's model.json. */
export interface AutoencoderJson {
  format: typeof AUTOENCODER_FORMAT;
  version: typeof AUTOENCODER_MLP_VERSION | typeof AUTOENCODER_VERSION;
  /** The resolved options, snake_case; this rebuilds the network (architecture … kernel: version 2, a conv autoencoder only). */
  autoencoder: {
    input: number;
    hidden: number[];
    latent: number;
    activation: AeActivation;
    latent_activation: AeActivation;
    output_activation: AeActivation;
    decoder_hidden: number[];
    init: InitName;
    input_grad: boolean;
    architecture?: 'conv';
    /** [channels, height, width]. */
    image?: [number, number, number];
    filters?: number[];
    kernel?: number;
  };
  /** Layer-by-layer descriptions (informative, and checked against the rebuilt network). */
  encoder: ModuleSpec;
  decoder: ModuleSpec;
  parameters: TensorEntry[];
  buffers: TensorEntry[];
}

const positiveInt = z.number().int().min(1);
const activation = z.enum(AE_ACTIVATIONS as [AeActivation, ...AeActivation[]]);
const aeSchema = z.strictObject({
  input: positiveInt,
  hidden: z.array(positiveInt),
  latent: positiveInt,
  activation,
  latent_activation: activation,
  output_activation: activation,
  decoder_hidden: z.array(positiveInt),
  init: z.enum(INIT_NAMES as [InitName, ...InitName[]]),
  input_grad: z.boolean(),
  architecture: z.literal('conv').optional(),
  image: z.tuple([positiveInt, positiveInt, positiveInt]).optional(),
  filters: z.array(positiveInt).min(1).optional(),
  kernel: positiveInt.optional(),
});

/** Rebuilds the autoencoder saved in `files` and loads its weights (refusing any mismatch). */
export function autoencoderFrom(files: FileReader): Autoencoder {
  const path = files.path('model.json');
  const fn = `loadAutoencoder: ${path}`;
  const o = readJsonObject(files, 'model.json', 'loadAutoencoder');
  if (o.format !== AUTOENCODER_FORMAT) throw new TypeError(`${fn}: expected format ${JSON.stringify(AUTOENCODER_FORMAT)}, got ${JSON.stringify(o.format)}`);
  if (o.version !== AUTOENCODER_MLP_VERSION && o.version !== AUTOENCODER_VERSION)
    throw new RangeError(
      `${fn}: unsupported version ${JSON.stringify(o.version)}; this latentlab reads versions ${AUTOENCODER_MLP_VERSION} and ${AUTOENCODER_VERSION}`,
    );
  const parsed = aeSchema.safeParse(o.autoencoder);
  if (!parsed.success) {
    const iss = parsed.error.issues[0];
    throw new TypeError(`${fn}: autoencoder${iss.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('')}: ${iss.message}`);
  }
  const a = parsed.data;
  const conv = a.architecture === 'conv';
  if (conv !== (o.version === AUTOENCODER_VERSION))
    throw new RangeError(
      `${fn}: version ${String(o.version)} ${conv ? 'cannot describe a conv autoencoder (version 2 does)' : 'is the version of a conv autoencoder, but autoencoder.architecture is not "conv"'}`,
    );
  const missing = (['image', 'filters', 'kernel'] as const).filter((k) => (a[k] === undefined) === conv);
  if (missing.length > 0)
    throw new TypeError(
      `${fn}: autoencoder.${missing[0]}: ${conv ? 'missing (a conv autoencoder records image, filters and kernel)' : 'unexpected without architecture "conv"'}`,
    );
  const ae = new Autoencoder({
    input: a.input,
    hidden: a.hidden,
    latent: a.latent,
    activation: a.activation,
    latentActivation: a.latent_activation,
    outputActivation: a.output_activation,
    decoderHidden: a.decoder_hidden,
    init: a.init,
    inputGrad: a.input_grad,
    ...(conv ? { architecture: 'conv' as const, image: a.image, filters: a.filters, kernel: a.kernel } : {}),
    rng: new Rng(0),
  });
  for (const part of ['encoder', 'decoder'] as const) {
    const expected = JSON.stringify(describeModule(ae[part]));
    if (JSON.stringify(o[part]) !== expected)
      throw new RangeError(`${fn}: the ${part} description does not match the one the autoencoder options build (${expected})`);
  }
  const listed = Array.isArray(o.parameters) ? (o.parameters as Array<{ name?: unknown }>).map((e) => e?.name) : [];
  const names = [...ae.namedParameters().keys()];
  if (listed.length !== names.length || listed.some((n, i) => n !== names[i])) {
    throw new RangeError(`${fn}: parameters list ${JSON.stringify(listed)} but the architecture has ${JSON.stringify(names)}`);
  }
  const weightsPath = files.path('weights.safetensors');
  let file: SafetensorsFile;
  try {
    file = decodeSafetensors(files.bytes('weights.safetensors'), weightsPath);
  } catch (err) {
    throw new Error(isMissing(err) ? `loadAutoencoder: ${weightsPath} not found` : `loadAutoencoder: ${(err as Error).message}`, { cause: err });
  }
  loadStateDict(ae, file.tensors, weightsPath);
  return ae;
}
