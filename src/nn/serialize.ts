/**
 * Architecture JSON ↔ modules: `describeModule` turns a network into a plain spec (the
 * `architecture` of model.json), `buildModule` validates a spec and constructs the network.
 * Layer types use the names of the PyTorch fixture specs (linear, leaky_relu, batchnorm1d, …).
 */
import { z } from 'zod';
import type { Rng } from '../random.js';
import { Identity, LeakyReLU, ReLU, Sigmoid, Tanh } from './activation.js';
import { BatchNorm1d } from './batchnorm1d.js';
import { Dropout } from './dropout.js';
import { INIT_NAMES, type InitName } from './init.js';
import { Linear } from './linear.js';
import type { Module } from './module.js';
import { Sequential } from './sequential.js';
import { Softmax } from './softmax.js';

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

/** A layer without settings. */
export interface SimpleSpec {
  type: 'relu' | 'tanh' | 'sigmoid' | 'softmax' | 'identity';
}

/** The JSON description of a module. */
export type ModuleSpec = SequentialSpec | LinearSpec | LeakyReLUSpec | BatchNorm1dSpec | DropoutSpec | SimpleSpec;

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
  simple('relu'),
  simple('tanh'),
  simple('sigmoid'),
  simple('softmax'),
  simple('identity'),
]);

/** Layer types `buildModule` accepts, for messages. */
export const MODULE_TYPES = ['sequential', 'linear', 'relu', 'leaky_relu', 'tanh', 'sigmoid', 'softmax', 'identity', 'batchnorm1d', 'dropout'] as const;

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
    default:
      throw new TypeError(
        `describeModule: cannot describe ${path === '' ? 'the module' : path} (a ${m.constructor.name}); ` +
          'expected Sequential, Linear, ReLU, LeakyReLU, Tanh, Sigmoid, Softmax, Identity, Dropout or BatchNorm1d',
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
    default: {
      const never: never = s;
      throw new TypeError(`buildModule: internal: unhandled layer type ${show((never as { type: unknown }).type)}`);
    }
  }
}
