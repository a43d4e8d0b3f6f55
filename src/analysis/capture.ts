/**
 * Activation capture: what each layer of a trained network outputs for every row of a dataset, the
 * raw material of activation signatures (the Cluster Paths student project and Cluster
 * Paths, arXiv 2510.06541: cluster each layer's activations, then follow each row's path of clusters
 * through the layers).
 *
 * A layer's output is its post-activation output: the network is cut after each activation module
 * (`ReLU`, `LeakyReLU`, `Tanh`, `Sigmoid`, `Softmax`, `Identity`) — or, in a CNN, after the pooling
 * that follows it (a conv block's output is its pooled maps, captured as rows of C·H·W values) —
 * and after a `Linear` followed directly by another `Linear` (a linear layer), and its last module
 * gives the final output. So in
 * Linear → BatchNorm1d → ReLU → Dropout → Linear the first layer's output is the ReLU's (Dropout
 * passes it on unchanged in eval mode).
 *
 * | model         | layers, in order                                                              |
 * |---------------|-------------------------------------------------------------------------------|
 * | `Sequential`  | 'h1', 'h2', …, 'output'                                                        |
 * | `Autoencoder` | encoder 'h1' … 'hm', 'code' (the encoder's output), decoder 'hm+1' …, 'output' |
 * | `DESOM`       | encoder 'h1' … 'hm', 'code', 'map' (each row's best-matching cell)             |
 *
 * `index` is the position of the module whose output a layer is, in the model's module list: a
 * Sequential's `modules`; an autoencoder's encoder modules followed by its decoder modules; a
 * DESOM's encoder modules followed by the SOM ('map' is the encoder's module count). The forward
 * pass is the model's own (the same fused Linear + activation passes as `Sequential.forward`), in
 * eval mode, over row batches: memory is one batch's activations plus the captured tensors.
 */
import { Autoencoder } from '../ae/autoencoder.js';
import { DESOM } from '../desom/model.js';
import { ElementwiseActivation, Identity } from '../nn/activation.js';
import { BatchNorm1d } from '../nn/batchnorm1d.js';
import { Dropout } from '../nn/dropout.js';
import { Unflatten } from '../nn/flatten.js';
import { Linear } from '../nn/linear.js';
import { AvgPool2d, MaxPool2d, MinPool2d } from '../nn/pool2d.js';
import type { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { Softmax } from '../nn/softmax.js';
import { Tensor, expect2d, type Shape } from '../tensor/tensor.js';

/** The models whose layers can be captured. */
export type CaptureModel = Sequential | Autoencoder | DESOM;

/** One layer's outputs: n × width, a fresh tensor (row i is the output for row i of x). */
export interface CapturedActivations {
  readonly kind: 'activations';
  readonly name: string;
  readonly index: number;
  readonly values: Tensor;
}

/** A DESOM's map: the best-matching cell of each row's code (0 … cells − 1), already a clustering. */
export interface CapturedCells {
  readonly kind: 'cells';
  readonly name: 'map';
  readonly index: number;
  readonly values: Int32Array;
  /** Number of cells of the map. */
  readonly cells: number;
}

export type CapturedLayer = CapturedActivations | CapturedCells;

/** A layer a model offers for capture. */
export interface LayerInfo {
  readonly name: string;
  readonly index: number;
  readonly kind: 'activations' | 'cells';
}

export interface CaptureOptions {
  /** The layers to capture, by name (default: all of them). The result keeps the model's order. */
  layers?: readonly string[];
  /** Rows per forward pass (default 1024). */
  batchSize?: number;
}

/** One Sequential of the model and the layers it ends. */
interface Stage {
  readonly seq: Sequential;
  /** Added to a module's position in `seq.modules` to give the layer's index. */
  readonly offset: number;
  /** The module positions (within `seq.modules`) whose outputs are layers, with their names. */
  readonly cuts: readonly { readonly at: number; readonly name: string }[];
}

interface Plan {
  readonly stages: readonly Stage[];
  /** The DESOM whose map follows the last stage, if any. */
  readonly desom: DESOM | null;
  /** Columns x must have, when the model knows them. */
  readonly input: number | null;
}

function isActivation(m: Module): boolean {
  return m instanceof ElementwiseActivation || m instanceof Softmax || m instanceof Identity;
}

const isPool = (m: Module | undefined): boolean => m instanceof MaxPool2d || m instanceof MinPool2d || m instanceof AvgPool2d;

/**
 * The positions of `seq.modules` after which a hidden layer ends (the last module excluded). A
 * convolution's layer includes the pooling right after its activation, as a CNN's blocks are drawn
 * (conv → activation → pool): its output is the pooled maps.
 */
function hiddenCuts(seq: Sequential): number[] {
  const ms = seq.modules;
  const cuts: number[] = [];
  for (let i = 0; i + 1 < ms.length; i++) {
    if (isActivation(ms[i]) || (ms[i] instanceof Linear && ms[i + 1] instanceof Linear)) {
      let at = i;
      while (at + 2 < ms.length && isPool(ms[at + 1])) at++;
      cuts.push(at);
      i = at;
    }
  }
  return cuts;
}

/** Names the hidden layers of `seq` h{first}, h{first+1}, … and its final output `last`. */
function stage(seq: Sequential, offset: number, first: number, last: string): Stage {
  const cuts = hiddenCuts(seq).map((at, j) => ({ at, name: `h${first + j}` }));
  cuts.push({ at: seq.modules.length - 1, name: last });
  return { seq, offset, cuts };
}

function plan(fn: string, model: CaptureModel): Plan {
  const empty = (what: string, s: Sequential): void => {
    if (s.modules.length === 0) throw new RangeError(`${fn}: ${what} has no modules, so no layers to capture`);
  };
  if (model instanceof DESOM) {
    const enc = model.ae.encoder;
    empty('the DESOM encoder', enc);
    return { stages: [stage(enc, 0, 1, 'code')], desom: model, input: model.config.input };
  }
  if (model instanceof Autoencoder) {
    const enc = model.encoder;
    empty('the encoder', enc);
    empty('the decoder', model.decoder);
    const encoder = stage(enc, 0, 1, 'code');
    const decoder = stage(model.decoder, enc.modules.length, encoder.cuts.length, 'output');
    return { stages: [encoder, decoder], desom: null, input: model.options.input };
  }
  if (model instanceof Sequential) {
    empty('the Sequential', model);
    // The input width is the first Linear's when only shape-keeping modules come before it, or what
    // a leading Unflatten of the rows into images ([N, C·H·W] → [N, C, H, W]) reads.
    const first = model.modules.find((m) => !(isActivation(m) || m instanceof Dropout || m instanceof BatchNorm1d));
    const input =
      first instanceof Linear
        ? first.inFeatures
        : first instanceof Unflatten && first.dim === 1 && first.sizes.every((d) => d > 0)
          ? first.sizes.reduce((a, b) => a * b, 1)
          : null;
    return { stages: [stage(model, 0, 1, 'output')], desom: null, input };
  }
  const got = model === null || typeof model !== 'object' ? String(model) : (model as object).constructor.name;
  throw new TypeError(`${fn}: expected a Sequential, an Autoencoder or a DESOM, got ${got}`);
}

function infos(p: Plan): LayerInfo[] {
  const out: LayerInfo[] = [];
  for (const s of p.stages) for (const c of s.cuts) out.push({ name: c.name, index: s.offset + c.at, kind: 'activations' });
  if (p.desom !== null) out.push({ name: 'map', index: p.desom.ae.encoder.modules.length, kind: 'cells' });
  return out;
}

/** The layers `captureActivations` can capture from a model, in order. */
export function captureLayers(model: CaptureModel): LayerInfo[] {
  return infos(plan('captureLayers', model));
}

/** Every module of a tree (the root first). */
function allModules(m: Module, out: Module[] = []): Module[] {
  out.push(m);
  for (const c of m.children()) allModules(c, out);
  return out;
}

/**
 * Runs modules [0, stop] of `seq` on h as `Sequential.forward` does (fusing Linear → activation
 * pairs when the Sequential fuses) and hands each cut's output to `take`. Returns the last output.
 */
function runStage(s: Stage, h: Tensor, stop: number, take: (at: number, y: Tensor) => void): Tensor {
  const ms = s.seq.modules;
  const wanted = new Set(s.cuts.map((c) => c.at));
  for (let i = 0; i <= stop; i++) {
    const m = ms[i];
    const next = ms[i + 1];
    // A fused pair never skips a cut: a Linear followed by an activation is not one.
    if (s.seq.fuse && m instanceof Linear && next instanceof ElementwiseActivation && i + 1 <= stop) {
      h = next.adoptOutput(m.forward(h, { kind: next.kind, slope: next.slope }));
      i++;
    } else {
      h = m.forward(h);
    }
    if (wanted.has(i)) take(i, h);
  }
  return h;
}

/**
 * The outputs of a model's layers for every row of x (n × features), as fresh tensors (the modules'
 * own output buffers are overwritten by the next batch, so each batch is copied out). Runs in eval
 * mode and restores each module's previous mode, even when a forward pass throws.
 */
export function captureActivations(model: CaptureModel, x: Tensor, o: CaptureOptions = {}): CapturedLayer[] {
  const fn = 'captureActivations';
  const p = plan(fn, model);
  expect2d(fn, x, p.input ?? undefined);
  if (o === null || typeof o !== 'object') throw new TypeError(`${fn}: expected an options object, got ${String(o)}`);
  const batchSize = o.batchSize ?? 1024;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`${fn}: expected batchSize to be a positive integer, got ${batchSize}`);

  const available = infos(p);
  const names = available.map((l) => l.name);
  let selected: Set<string>;
  if (o.layers === undefined) {
    selected = new Set(names);
  } else {
    if (!Array.isArray(o.layers)) throw new TypeError(`${fn}: expected layers to be an array of layer names, got ${String(o.layers)}`);
    if (o.layers.length === 0) throw new RangeError(`${fn}: expected at least one layer name; the layers of this model are ${names.join(', ')}`);
    for (const name of o.layers as readonly unknown[]) {
      if (typeof name !== 'string' || !names.includes(name))
        throw new RangeError(`${fn}: unknown layer ${JSON.stringify(name)}; the layers of this model are ${names.join(', ')}`);
    }
    selected = new Set<string>(o.layers);
  }

  // The captured tensors, allocated once at their full size; widths from the modules' output shapes.
  const n = x.rows;
  const outs = new Map<string, Tensor>();
  let shape: Shape = [n, x.cols];
  let lastStage = -1; // the last stage (and its last module) a selected layer needs
  let lastAt = -1;
  p.stages.forEach((s, si) => {
    s.seq.modules.forEach((m, at) => {
      shape = m.outputShape(shape);
      const cut = s.cuts.find((c) => c.at === at);
      if (cut !== undefined && selected.has(cut.name)) {
        // A convolution's maps [N, C, H, W] are captured as rows of C·H·W values (channel-major, as NCHW stores them).
        outs.set(cut.name, Tensor.zeros([n, shape.slice(1).reduce((a, b) => a * b, 1)]));
        lastStage = si;
        lastAt = at;
      }
    });
  });
  const cells = p.desom !== null && selected.has('map') ? new Int32Array(n) : null;
  if (cells !== null) {
    lastStage = p.stages.length - 1;
    lastAt = p.stages[lastStage].seq.modules.length - 1;
  }

  const modules = allModules(model);
  const modes = modules.map((m) => m.training);
  model.eval();
  try {
    for (let s0 = 0; s0 < n; s0 += batchSize) {
      const rows = Math.min(n, s0 + batchSize) - s0;
      let h = x.sliceRows(s0, s0 + rows);
      for (let si = 0; si <= lastStage; si++) {
        const s = p.stages[si];
        const stop = si === lastStage ? lastAt : s.seq.modules.length - 1;
        h = runStage(s, h, stop, (at, y) => {
          const name = s.cuts.find((c) => c.at === at)?.name;
          const out = name === undefined ? undefined : outs.get(name);
          if (out === undefined) return;
          if (y.shape[0] !== rows || y.size !== rows * out.cols)
            throw new RangeError(
              `${fn}: layer ${name} gave shape [${y.shape.join(', ')}] where its modules' outputShape() said ${rows} rows of ${out.cols} values`,
            );
          out.data.set(y.data, s0 * out.cols);
        });
      }
      if (cells !== null && p.desom !== null) cells.set(p.desom.som.bmus(h), s0);
    }
  } finally {
    modules.forEach((m, i) => (m.training = modes[i]));
  }

  const result: CapturedLayer[] = [];
  for (const l of available) {
    if (!selected.has(l.name)) continue;
    if (l.kind === 'cells') {
      if (cells !== null && p.desom !== null) result.push({ kind: 'cells', name: 'map', index: l.index, values: cells, cells: p.desom.size });
    } else {
      const values = outs.get(l.name);
      if (values !== undefined) result.push({ kind: 'activations', name: l.name, index: l.index, values });
    }
  }
  return result;
}
