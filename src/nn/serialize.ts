/**
 * Architecture JSON ↔ modules: `describeModule` turns a network into a plain spec (the
 * `architecture` of model.json), `buildModule` validates a spec and constructs the network.
 * Layer types use the names of the PyTorch fixture specs (linear, leaky_relu, batchnorm1d, …).
 */
import { z } from 'zod';
import type { Rng } from '../random.js';
import { Identity, LeakyReLU, ReLU, Sigmoid, Tanh } from './activation.js';
import { BatchNorm1d } from './batchnorm1d.js';
import { BatchNorm2d } from './batchnorm2d.js';
import { ConvTranspose2d } from './conv-transpose2d.js';
import { Conv2d } from './conv2d.js';
import { Dropout } from './dropout.js';
import { Dropout2d } from './dropout2d.js';
import { Flatten, Unflatten } from './flatten.js';
import { INIT_NAMES, type InitName } from './init.js';
import { Linear } from './linear.js';
import type { Module } from './module.js';
import { AvgPool2d, MaxPool2d, MinPool2d } from './pool2d.js';
import { Sequential } from './sequential.js';
import { Softmax } from './softmax.js';
import { Upsample } from './upsample.js';

/** Modules in order; `fuse: false` disables the fused Linear → activation pass. */
export interface SequentialSpec {
  type: 'sequential';
  layers: ModuleSpec[];
  fuse?: boolean;
}

/** y = x·Wᵀ + b; `bias` defaults to true, `init` to glorot_uniform, `input_grad` to true. */
export interface LinearSpec {
  type: 'linear';
  in: number;
  out: number;
  bias?: boolean;
  init?: InitName;
  input_grad?: boolean;
}

/** LeakyReLU with its negative-side slope (default 0.01). */
export interface LeakyReLUSpec {
  type: 'leaky_relu';
  slope?: number;
}

/** BatchNorm1d; eps, momentum and affine default to PyTorch's 1e-5, 0.1, true. */
export interface BatchNorm1dSpec {
  type: 'batchnorm1d';
  features: number;
  eps?: number;
  momentum?: number;
  affine?: boolean;
}

/** Inverted dropout with drop probability p. */
export interface DropoutSpec {
  type: 'dropout';
  p: number;
}

/** A [height, width] pair. */
export type Pair = [number, number];

/** Conv2d (NCHW, PyTorch's `nn.Conv2d`): padding per side, or 'same'; bias and input_grad default true, init torch_default. */
export interface Conv2dSpec {
  type: 'conv2d';
  in: number;
  out: number;
  kernel: Pair;
  stride?: Pair;
  padding?: Pair | 'same';
  dilation?: Pair;
  bias?: boolean;
  init?: InitName;
  input_grad?: boolean;
}

/** ConvTranspose2d (PyTorch's `nn.ConvTranspose2d`). */
export interface ConvTranspose2dSpec {
  type: 'conv_transpose2d';
  in: number;
  out: number;
  kernel: Pair;
  stride?: Pair;
  padding?: Pair;
  output_padding?: Pair;
  dilation?: Pair;
  bias?: boolean;
  init?: InitName;
  input_grad?: boolean;
}

/** Max or min pooling (min: −maxpool(−x), the course's). */
export interface MaxPool2dSpec {
  type: 'maxpool2d' | 'minpool2d';
  kernel: Pair;
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  ceil_mode?: boolean;
}

export interface AvgPool2dSpec {
  type: 'avgpool2d';
  kernel: Pair;
  stride?: Pair;
  padding?: Pair;
  ceil_mode?: boolean;
  count_include_pad?: boolean;
}

/** Nearest-neighbour upsampling by an integer factor per axis. */
export interface UpsampleSpec {
  type: 'upsample';
  scale: Pair;
  mode?: 'nearest';
}

export interface FlattenSpec {
  type: 'flatten';
  start_dim?: number;
  end_dim?: number;
}

export interface UnflattenSpec {
  type: 'unflatten';
  dim: number;
  sizes: number[];
}

/** BatchNorm2d; eps, momentum, affine and track_running_stats default to PyTorch's 1e-5, 0.1, true, true. */
export interface BatchNorm2dSpec {
  type: 'batchnorm2d';
  features: number;
  eps?: number;
  momentum?: number;
  affine?: boolean;
  track_running_stats?: boolean;
}

/** Channel dropout with drop probability p. */
export interface Dropout2dSpec {
  type: 'dropout2d';
  p: number;
}

/** A layer without settings. */
export interface SimpleSpec {
  type: 'relu' | 'tanh' | 'sigmoid' | 'softmax' | 'identity';
}

/** The JSON description of a module. */
export type ModuleSpec =
  | SequentialSpec
  | LinearSpec
  | LeakyReLUSpec
  | BatchNorm1dSpec
  | DropoutSpec
  | SimpleSpec
  | Conv2dSpec
  | ConvTranspose2dSpec
  | MaxPool2dSpec
  | AvgPool2dSpec
  | UpsampleSpec
  | FlattenSpec
  | UnflattenSpec
  | BatchNorm2dSpec
  | Dropout2dSpec;

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v === null) return String(v);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- only functions and symbols, which JSON.stringify skips, reach String(), and it names them
  return JSON.stringify(v) ?? String(v);
}

/** An error function saying `expected <what>, got <value>` (or `missing` for an absent key). */
function expected(what: string): (iss: { input?: unknown }) => string {
  return (iss) => (iss.input === undefined ? `missing (expected ${what})` : `expected ${what}, got ${show(iss.input)}`);
}

/** A number schema whose every failure is worded by `expected(what)`. */
function num(what: string, check: (v: number) => boolean): z.ZodType<number> {
  const error = expected(what);
  return z.number({ error }).refine(check, { error });
}

const positiveInt = num('a positive integer', (v) => Number.isSafeInteger(v) && v >= 1);
const bool = z.boolean({ error: expected('a boolean') });

const simple = (type: SimpleSpec['type']) => z.strictObject({ type: z.literal(type) });

const nonNegativeInt = num('a non-negative integer', (v) => Number.isSafeInteger(v) && v >= 0);
const integer = num('an integer', (v) => Number.isSafeInteger(v));
const pair = (what: z.ZodType<number>) => z.tuple([what, what], { error: expected('a [height, width] pair') });
const init = z.enum(INIT_NAMES as [InitName, ...InitName[]], { error: expected(`one of ${INIT_NAMES.join(', ')}`) });
const maxPool = (type: MaxPool2dSpec['type']) =>
  z.strictObject({
    type: z.literal(type),
    kernel: pair(positiveInt),
    stride: pair(positiveInt).optional(),
    padding: pair(nonNegativeInt).optional(),
    dilation: pair(positiveInt).optional(),
    ceil_mode: bool.optional(),
  });

/** Zod schema of a ModuleSpec (strict: unknown keys are refused). */
export const moduleSpecSchema: z.ZodType<ModuleSpec> = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('sequential'),
    layers: z.array(
      z.lazy(() => moduleSpecSchema),
      { error: expected('an array of layer specs') },
    ),
    fuse: bool.optional(),
  }),
  z.strictObject({
    type: z.literal('linear'),
    in: positiveInt,
    out: positiveInt,
    bias: bool.optional(),
    init: z.enum(INIT_NAMES as [InitName, ...InitName[]], { error: expected(`one of ${INIT_NAMES.join(', ')}`) }).optional(),
    input_grad: bool.optional(),
  }),
  z.strictObject({ type: z.literal('leaky_relu'), slope: num('a positive finite slope', (v) => v > 0 && Number.isFinite(v)).optional() }),
  z.strictObject({
    type: z.literal('batchnorm1d'),
    features: positiveInt,
    eps: num('eps > 0', (v) => v > 0 && Number.isFinite(v)).optional(),
    momentum: num('0 ≤ momentum ≤ 1', (v) => v >= 0 && v <= 1).optional(),
    affine: bool.optional(),
  }),
  z.strictObject({ type: z.literal('dropout'), p: num('0 ≤ p < 1', (v) => v >= 0 && v < 1) }),
  z.strictObject({
    type: z.literal('conv2d'),
    in: positiveInt,
    out: positiveInt,
    kernel: pair(positiveInt),
    stride: pair(positiveInt).optional(),
    padding: z.union([pair(nonNegativeInt), z.literal('same')], { error: expected("a [height, width] pair or 'same'") }).optional(),
    dilation: pair(positiveInt).optional(),
    bias: bool.optional(),
    init: init.optional(),
    input_grad: bool.optional(),
  }),
  z.strictObject({
    type: z.literal('conv_transpose2d'),
    in: positiveInt,
    out: positiveInt,
    kernel: pair(positiveInt),
    stride: pair(positiveInt).optional(),
    padding: pair(nonNegativeInt).optional(),
    output_padding: pair(nonNegativeInt).optional(),
    dilation: pair(positiveInt).optional(),
    bias: bool.optional(),
    init: init.optional(),
    input_grad: bool.optional(),
  }),
  maxPool('maxpool2d'),
  maxPool('minpool2d'),
  z.strictObject({
    type: z.literal('avgpool2d'),
    kernel: pair(positiveInt),
    stride: pair(positiveInt).optional(),
    padding: pair(nonNegativeInt).optional(),
    ceil_mode: bool.optional(),
    count_include_pad: bool.optional(),
  }),
  z.strictObject({ type: z.literal('upsample'), scale: pair(positiveInt), mode: z.literal('nearest', { error: expected("'nearest'") }).optional() }),
  z.strictObject({ type: z.literal('flatten'), start_dim: integer.optional(), end_dim: integer.optional() }),
  z.strictObject({ type: z.literal('unflatten'), dim: integer, sizes: z.array(positiveInt, { error: expected('an array of positive integers') }) }),
  z.strictObject({
    type: z.literal('batchnorm2d'),
    features: positiveInt,
    eps: num('eps > 0', (v) => v > 0 && Number.isFinite(v)).optional(),
    momentum: num('0 ≤ momentum ≤ 1', (v) => v >= 0 && v <= 1).optional(),
    affine: bool.optional(),
    track_running_stats: bool.optional(),
  }),
  z.strictObject({ type: z.literal('dropout2d'), p: num('0 ≤ p < 1', (v) => v >= 0 && v < 1) }),
  simple('relu'),
  simple('tanh'),
  simple('sigmoid'),
  simple('softmax'),
  simple('identity'),
]);

/** Layer types `buildModule` accepts, for messages. */
export const MODULE_TYPES = [
  'sequential',
  'linear',
  'relu',
  'leaky_relu',
  'tanh',
  'sigmoid',
  'softmax',
  'identity',
  'batchnorm1d',
  'dropout',
  'conv2d',
  'conv_transpose2d',
  'maxpool2d',
  'minpool2d',
  'avgpool2d',
  'upsample',
  'flatten',
  'unflatten',
  'batchnorm2d',
  'dropout2d',
] as const;

function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out === '' ? String(k) : `.${String(k)}`;
  return out;
}

/** Messages for the issues zod reports in its own words (the schema words the numeric ones). */
function issueMessage(iss: z.core.$ZodRawIssue): string | undefined {
  const input = iss.input as Record<string, unknown> | undefined;
  switch (iss.code) {
    case 'invalid_type': {
      const expected = String(iss.expected);
      const a = /^[aeiou]/.test(expected) ? 'an' : 'a';
      return input === undefined ? `missing (expected ${a} ${expected})` : `expected ${a} ${expected}, got ${show(input)}`;
    }
    case 'invalid_union': {
      if (!('discriminator' in iss)) return undefined;
      const value = input !== null && typeof input === 'object' ? input.type : undefined;
      const list = MODULE_TYPES.join(', ');
      return value === undefined ? `missing (expected one of ${list})` : `unknown layer type ${show(value)}; expected one of ${list}`;
    }
    case 'unrecognized_keys':
      return `unexpected key${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    default:
      return undefined;
  }
}

/**
 * Validates `value` as a ModuleSpec; on failure throws one error listing the problems with their
 * paths, e.g. `buildModule: layers[2].out: expected a positive integer, got -1`. `root` prefixes
 * the paths (e.g. "architecture" inside model.json).
 */
export function parseModuleSpec(value: unknown, fn = 'parseModuleSpec', root = ''): ModuleSpec {
  const r = moduleSpecSchema.safeParse(value, { error: issueMessage });
  if (r.success) return r.data;
  const problems = r.error.issues.map((iss) => {
    const where = formatPath(root, iss.path);
    return where === '' ? iss.message : `${where}: ${iss.message}`;
  });
  const shown = problems.slice(0, 5).join('; ');
  throw new TypeError(`${fn}: ${shown}${problems.length > 5 ? `; … and ${problems.length - 5} more` : ''}`);
}

/** The classes describeModule knows, for its error. */
const MODULE_CLASSES =
  'Sequential, Linear, ReLU, LeakyReLU, Tanh, Sigmoid, Softmax, Identity, Dropout, BatchNorm1d, Conv2d, ConvTranspose2d, MaxPool2d, MinPool2d, AvgPool2d, Upsample, Flatten, Unflatten, BatchNorm2d, Dropout2d';

/** Describes a module as a spec; throws for a module class it cannot describe. */
export function describeModule(m: Module): ModuleSpec {
  return describeAt(m, '');
}

function describeAt(m: Module, path: string): ModuleSpec {
  // Exact classes only: a subclass may behave differently, and rebuilding it as its parent
  // would silently change the network.
  switch (m.constructor) {
    case Sequential: {
      const s = m as Sequential;
      const spec: SequentialSpec = { type: 'sequential', layers: s.modules.map((c, i) => describeAt(c, `${path === '' ? '' : `${path}.`}layers[${i}]`)) };
      if (!s.fuse) spec.fuse = false;
      return spec;
    }
    case Linear: {
      const l = m as Linear;
      const spec: LinearSpec = { type: 'linear', in: l.inFeatures, out: l.outFeatures, bias: l.bias !== null, init: l.init };
      if (!l.inputGrad) spec.input_grad = false;
      return spec;
    }
    case LeakyReLU:
      return { type: 'leaky_relu', slope: (m as LeakyReLU).slope };
    case BatchNorm1d: {
      const b = m as BatchNorm1d;
      return { type: 'batchnorm1d', features: b.features, eps: b.eps, momentum: b.momentum, affine: b.weight !== null };
    }
    case Dropout:
      return { type: 'dropout', p: (m as Dropout).p };
    case ReLU:
      return { type: 'relu' };
    case Tanh:
      return { type: 'tanh' };
    case Sigmoid:
      return { type: 'sigmoid' };
    case Softmax:
      return { type: 'softmax' };
    case Identity:
      return { type: 'identity' };
    case Conv2d: {
      const c = m as Conv2d;
      const spec: Conv2dSpec = {
        type: 'conv2d',
        in: c.inChannels,
        out: c.outChannels,
        kernel: [...c.kernelSize],
        stride: [...c.stride],
        padding: c.padding === 'same' ? 'same' : [...c.padding],
        dilation: [...c.dilation],
        bias: c.bias !== null,
        init: c.init,
      };
      if (!c.inputGrad) spec.input_grad = false;
      return spec;
    }
    case ConvTranspose2d: {
      const c = m as ConvTranspose2d;
      const spec: ConvTranspose2dSpec = {
        type: 'conv_transpose2d',
        in: c.inChannels,
        out: c.outChannels,
        kernel: [...c.kernelSize],
        stride: [...c.stride],
        padding: [...c.padding],
        output_padding: [...c.outputPadding],
        dilation: [...c.dilation],
        bias: c.bias !== null,
        init: c.init,
      };
      if (!c.inputGrad) spec.input_grad = false;
      return spec;
    }
    case MaxPool2d:
    case MinPool2d: {
      const p = m as MaxPool2d;
      return {
        type: m.constructor === MaxPool2d ? 'maxpool2d' : 'minpool2d',
        kernel: [...p.kernelSize],
        stride: [...p.stride],
        padding: [...p.padding],
        dilation: [...p.dilation],
        ceil_mode: p.ceilMode,
      };
    }
    case AvgPool2d: {
      const p = m as AvgPool2d;
      return {
        type: 'avgpool2d',
        kernel: [...p.kernelSize],
        stride: [...p.stride],
        padding: [...p.padding],
        ceil_mode: p.ceilMode,
        count_include_pad: p.countIncludePad,
      };
    }
    case Upsample:
      return { type: 'upsample', scale: [...(m as Upsample).scaleFactor], mode: 'nearest' };
    case Flatten: {
      const f = m as Flatten;
      return { type: 'flatten', start_dim: f.startDim, end_dim: f.endDim };
    }
    case Unflatten: {
      const u = m as Unflatten;
      return { type: 'unflatten', dim: u.dim, sizes: [...u.sizes] };
    }
    case BatchNorm2d: {
      const b = m as BatchNorm2d;
      return {
        type: 'batchnorm2d',
        features: b.numFeatures,
        eps: b.eps,
        momentum: b.momentum,
        affine: b.weight !== null,
        track_running_stats: b.runningMean !== null,
      };
    }
    case Dropout2d:
      return { type: 'dropout2d', p: (m as Dropout2d).p };
    default:
      throw new TypeError(
        `describeModule: cannot describe ${path === '' ? 'the module' : path} (a ${m.constructor.name}); ` + `expected one of ${MODULE_CLASSES}`,
      );
  }
}

/** Validates `spec` (errors name the path) and constructs the module; `rng` draws initial weights and dropout masks. */
export function buildModule(spec: unknown, rng: Rng): Module {
  return buildAt(parseModuleSpec(spec, 'buildModule'), rng);
}

function buildAt(s: ModuleSpec, rng: Rng): Module {
  switch (s.type) {
    case 'sequential':
      return new Sequential(
        s.layers.map((c) => buildAt(c, rng)),
        { fuse: s.fuse ?? true },
      );
    case 'linear':
      return new Linear(s.in, s.out, { rng, bias: s.bias ?? true, init: s.init, inputGrad: s.input_grad ?? true });
    case 'leaky_relu':
      return new LeakyReLU(s.slope);
    case 'batchnorm1d':
      return new BatchNorm1d(s.features, { eps: s.eps, momentum: s.momentum, affine: s.affine });
    case 'dropout':
      return new Dropout(s.p, rng);
    case 'relu':
      return new ReLU();
    case 'tanh':
      return new Tanh();
    case 'sigmoid':
      return new Sigmoid();
    case 'softmax':
      return new Softmax();
    case 'identity':
      return new Identity();
    case 'conv2d':
      return new Conv2d(s.in, s.out, s.kernel, {
        rng,
        stride: s.stride,
        padding: s.padding,
        dilation: s.dilation,
        bias: s.bias ?? true,
        init: s.init,
        inputGrad: s.input_grad ?? true,
      });
    case 'conv_transpose2d':
      return new ConvTranspose2d(s.in, s.out, s.kernel, {
        rng,
        stride: s.stride,
        padding: s.padding,
        outputPadding: s.output_padding,
        dilation: s.dilation,
        bias: s.bias ?? true,
        init: s.init,
        inputGrad: s.input_grad ?? true,
      });
    case 'maxpool2d':
    case 'minpool2d': {
      const o = { stride: s.stride, padding: s.padding, dilation: s.dilation, ceilMode: s.ceil_mode };
      return s.type === 'maxpool2d' ? new MaxPool2d(s.kernel, o) : new MinPool2d(s.kernel, o);
    }
    case 'avgpool2d':
      return new AvgPool2d(s.kernel, { stride: s.stride, padding: s.padding, ceilMode: s.ceil_mode, countIncludePad: s.count_include_pad });
    case 'upsample':
      return new Upsample({ scaleFactor: s.scale, mode: 'nearest' });
    case 'flatten':
      return new Flatten(s.start_dim ?? 1, s.end_dim ?? -1);
    case 'unflatten':
      return new Unflatten(s.dim, s.sizes);
    case 'batchnorm2d':
      return new BatchNorm2d(s.features, { eps: s.eps, momentum: s.momentum, affine: s.affine, trackRunningStats: s.track_running_stats });
    case 'dropout2d':
      return new Dropout2d(s.p, { rng });
    default: {
      const never: never = s;
      throw new TypeError(`buildModule: internal: unhandled layer type ${show((never as { type: unknown }).type)}`);
    }
  }
}
