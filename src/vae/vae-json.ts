/**
 * A VAE's saved form: model.json (format "latentlab-vae": its options, snake_case, and the
 * layer-by-layer description of each part) + weights.safetensors (PyTorch state_dict names: the
 * `VAE` module of scripts/fixtures/make_vae.py loads them with `load_state_dict`), read from any
 * FileReader — a folder (vae-file.ts) or the files a browser fetched.
 */
import { z } from 'zod';
import { AE_ACTIVATIONS, type AeActivation } from '../ae/autoencoder.js';
import { isMissing, readJsonObject, type FileReader } from '../io/file-reader.js';
import { loadStateDict, type TensorEntry } from '../io/model-json.js';
import { decodeSafetensors, type SafetensorsFile } from '../io/safetensors-codec.js';
import { INIT_NAMES, type InitName } from '../nn/init.js';
import { describeModule, type ModuleSpec } from '../nn/serialize.js';
import { Rng } from '../random.js';
import { VAE, VAE_LOSSES, type VaeLoss } from './vae.js';

/** model.json's "format" for a VAE. */
export const VAE_FORMAT = 'latentlab-vae';
/** The model.json version this code writes and reads. */
export const VAE_VERSION = 1;

/** The contents of a VAE's model.json. */
export interface VaeJson {
  format: typeof VAE_FORMAT;
  version: typeof VAE_VERSION;
  /** The resolved options, snake_case: this rebuilds the network (image, filters, kernel: architecture 'conv' only). */
  vae: {
    input: number;
    latent: number;
    hidden: number[];
    activation: AeActivation;
    output_activation: AeActivation;
    loss: VaeLoss;
    init: InitName;
    input_grad: boolean;
    architecture: 'mlp' | 'conv';
    /** [channels, height, width]. */
    image?: [number, number, number];
    filters?: number[];
    kernel?: number;
  };
  /** Layer-by-layer descriptions (informative, and checked against the rebuilt network). */
  encoder: ModuleSpec;
  mu: ModuleSpec;
  logvar: ModuleSpec;
  decoder: ModuleSpec;
  parameters: TensorEntry[];
  buffers: TensorEntry[];
}

const positiveInt = z.number().int().min(1);
const activation = z.enum(AE_ACTIVATIONS as [AeActivation, ...AeActivation[]]);
const vaeSchema = z.strictObject({
  input: positiveInt,
  latent: positiveInt,
  hidden: z.array(positiveInt),
  activation,
  output_activation: activation,
  loss: z.enum(VAE_LOSSES as [VaeLoss, ...VaeLoss[]]),
  init: z.enum(INIT_NAMES as [InitName, ...InitName[]]),
  input_grad: z.boolean(),
  architecture: z.enum(['mlp', 'conv']),
  image: z.tuple([positiveInt, positiveInt, positiveInt]).optional(),
  filters: z.array(positiveInt).min(1).optional(),
  kernel: positiveInt.optional(),
});

const PARTS = ['encoder', 'mu', 'logvar', 'decoder'] as const;

/** model.json of `vae`. */
export function vaeJson(vae: VAE): VaeJson {
  const c = vae.options;
  return {
    format: VAE_FORMAT,
    version: VAE_VERSION,
    vae: {
      input: c.input,
      latent: c.latent,
      hidden: [...c.hidden],
      activation: c.activation,
      output_activation: c.outputActivation,
      loss: c.loss,
      init: c.init,
      input_grad: c.inputGrad,
      architecture: c.architecture,
      ...(c.conv === null ? {} : { image: [...c.conv.image], filters: [...c.conv.filters], kernel: c.conv.kernel }),
    },
    encoder: describeModule(vae.encoder),
    mu: describeModule(vae.mu),
    logvar: describeModule(vae.logvar),
    decoder: describeModule(vae.decoder),
    parameters: [...vae.namedParameters()].map(([name, p]) => ({ name, shape: [...p.value.shape] })),
    buffers: [...vae.namedBuffers()].map(([name, b]) => ({ name, shape: [...b.shape] })),
  };
}

/** Rebuilds the VAE saved in `files` and loads its weights (refusing any mismatch). */
export function vaeFrom(files: FileReader): VAE {
  const path = files.path('model.json');
  const fn = `loadVae: ${path}`;
  const o = readJsonObject(files, 'model.json', 'loadVae');
  if (o.format !== VAE_FORMAT) throw new TypeError(`${fn}: expected format ${JSON.stringify(VAE_FORMAT)}, got ${JSON.stringify(o.format)}`);
  if (o.version !== VAE_VERSION) throw new RangeError(`${fn}: unsupported version ${JSON.stringify(o.version)}; this latentlab reads version ${VAE_VERSION}`);
  const parsed = vaeSchema.safeParse(o.vae);
  if (!parsed.success) {
    const iss = parsed.error.issues[0];
    throw new TypeError(`${fn}: vae${iss.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('')}: ${iss.message}`);
  }
  const a = parsed.data;
  const conv = a.architecture === 'conv';
  const misplaced = (['image', 'filters', 'kernel'] as const).filter((k) => (a[k] === undefined) === conv);
  if (misplaced.length > 0)
    throw new TypeError(
      `${fn}: vae.${misplaced[0]}: ${conv ? 'missing (a conv VAE records image, filters and kernel)' : 'unexpected without architecture "conv"'}`,
    );
  let vae: VAE;
  try {
    vae = new VAE({
      input: a.input,
      latent: a.latent,
      hidden: a.hidden,
      activation: a.activation,
      outputActivation: a.output_activation,
      loss: a.loss,
      init: a.init,
      inputGrad: a.input_grad,
      architecture: a.architecture,
      ...(conv ? { image: a.image, filters: a.filters, kernel: a.kernel } : {}),
      rng: new Rng(0),
    });
  } catch (err) {
    throw new RangeError(`${fn}: ${(err as Error).message}`, { cause: err });
  }
  for (const part of PARTS) {
    const expected = JSON.stringify(describeModule(vae[part]));
    if (JSON.stringify(o[part]) !== expected) throw new RangeError(`${fn}: the ${part} description does not match the one the vae options build (${expected})`);
  }
  const listed = Array.isArray(o.parameters) ? (o.parameters as Array<{ name?: unknown }>).map((e) => e?.name) : [];
  const names = [...vae.namedParameters().keys()];
  if (listed.length !== names.length || listed.some((n, i) => n !== names[i]))
    throw new RangeError(`${fn}: parameters list ${JSON.stringify(listed)} but the architecture has ${JSON.stringify(names)}`);
  const weightsPath = files.path('weights.safetensors');
  let file: SafetensorsFile;
  try {
    file = decodeSafetensors(files.bytes('weights.safetensors'), weightsPath);
  } catch (err) {
    throw new Error(isMissing(err) ? `loadVae: ${weightsPath} not found` : `loadVae: ${(err as Error).message}`, { cause: err });
  }
  loadStateDict(vae, file.tensors, weightsPath);
  return vae;
}
