/**
 * latentlab's models as ONNX graphs (opset 17, IR version 8, float32, a dynamic batch "N"):
 *
 * | model        | part        | inputs                  | outputs                                                     |
 * |--------------|-------------|-------------------------|-------------------------------------------------------------|
 * | a Sequential | —           | input [N, …]            | output (a classifier: logits, + probabilities with softmax) |
 * | Autoencoder  | whole       | input [N, n]            | reconstruction [N, n], code [N, p]                          |
 * |              | encoder     | input [N, n]            | code [N, p]                                                 |
 * |              | decoder     | code [N, p]             | reconstruction [N, n]                                       |
 * | VAE          | whole       | input [N, n]            | reconstruction = decoder(μ), mu, logvar [N, p]              |
 * |              | encoder     | input [N, n]            | mu, logvar [N, p]                                           |
 * |              | decoder     | z [N, p]                | reconstruction [N, n]                                       |
 * | DESOM        | whole       | input [N, n]            | code, sq_distances [N, K], bmu [N] (int64), reconstruction  |
 * |              | bmu         | input [N, n]            | code, sq_distances, bmu                                     |
 * |              | encoder / decoder | as the autoencoder's |                                                            |
 *
 * A DESOM's prototypes are an initializer; sq_distances[i, k] = ‖codeᵢ − mₖ‖² computed directly
 * (Σ over the latent dimension of the squared differences) and bmu = ArgMin over k, the first
 * index on ties (as findBmus).
 */
import type { Autoencoder } from '../../ae/autoencoder.js';
import type { DESOM } from '../../desom/model.js';
import { Identity, LeakyReLU, ReLU, Sigmoid, Tanh } from '../../nn/activation.js';
import { BatchNorm1d } from '../../nn/batchnorm1d.js';
import { Dropout } from '../../nn/dropout.js';
import { Dropout2d } from '../../nn/dropout2d.js';
import { Unflatten } from '../../nn/flatten.js';
import { Linear } from '../../nn/linear.js';
import type { Module } from '../../nn/module.js';
import { Sequential } from '../../nn/sequential.js';
import type { VAE } from '../../vae/vae.js';
import { GraphBuilder, type OnnxIo, type Value } from './graph.js';
import { emitModule } from './layers.js';

/** Which piece of a model to export; `whole` is every kind's default. */
export type OnnxPart = 'whole' | 'encoder' | 'decoder' | 'bmu';

export const ONNX_PARTS: readonly OnnxPart[] = ['whole', 'encoder', 'decoder', 'bmu'];

/** An exported model: the ModelProto bytes and what its graph takes and gives. */
export interface OnnxModel {
  bytes: Uint8Array;
  inputs: OnnxIo[];
  outputs: OnnxIo[];
  /** The op types of the graph's nodes, in order. */
  ops: string[];
  /** Values stored in the file's initializers (parameters, running statistics, prototypes, constants). */
  values: number;
}

/** Common options: a name for the graph, a doc string and metadata_props recorded in the file. */
export interface OnnxModelOptions {
  name?: string;
  doc?: string;
  metadata?: Record<string, string>;
}

/** Layers that take any shape and keep it. */
const SHAPELESS: readonly unknown[] = [Identity, ReLU, LeakyReLU, Tanh, Sigmoid, Dropout, Dropout2d];

function finish(g: GraphBuilder, o: OnnxModelOptions, metadata: Record<string, string>): OnnxModel {
  const bytes = g.encode({ doc: o.doc, metadata: { ...metadata, ...o.metadata } });
  return { bytes, ...g.signature(), ops: g.opTypes(), values: g.initializerValues() };
}

/**
 * The input shape (batch dropped) a network's first shaping layer fixes: a Linear's features, an
 * Unflatten's product of sizes, a BatchNorm1d's features; null when it starts with a convolution
 * (its image size is not part of the network).
 */
export function inferInputShape(m: Module): number[] | null {
  if (m instanceof Sequential) {
    for (const c of m.modules) {
      // Element-wise layers keep whatever comes in: the first other layer decides.
      if (SHAPELESS.some((k) => c.constructor === k)) continue;
      return inferInputShape(c);
    }
    return null;
  }
  if (m instanceof Linear) return [m.inFeatures];
  if (m instanceof BatchNorm1d) return [m.features];
  if (m instanceof Unflatten && (m.dim === 1 || m.dim === -1)) return [m.sizes.reduce((a, b) => a * b, 1)];
  return null;
}

function checkShape(fn: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isSafeInteger(d) || d < 1))
    throw new RangeError(`${fn}: expected the input shape (without the batch) as positive integers, got ${JSON.stringify(shape)}`);
}

/**
 * A network (a Sequential, or any module the layer mapping knows) as an ONNX graph
 * `input [N, …inputShape] → output`. `inputShape` defaults to what the first layer fixes
 * (inferInputShape). With `softmax`, a second output `probabilities` = Softmax(output) (for a
 * classifier whose output is logits).
 */
export function sequentialToOnnx(
  model: Module,
  o: OnnxModelOptions & { inputShape?: readonly number[]; inputName?: string; outputName?: string; softmax?: boolean } = {},
): OnnxModel {
  const fn = 'sequentialToOnnx';
  const shape = o.inputShape ?? inferInputShape(model);
  if (shape === null)
    throw new RangeError(`${fn}: the network starts with a layer that does not fix its input size (a convolution); pass inputShape, e.g. [1, 28, 28]`);
  checkShape(fn, shape);
  const g = new GraphBuilder(o.name ?? 'latentlab');
  const x = g.input(o.inputName ?? 'input', shape, 'the input rows');
  const y = emitModule(g, model, x);
  const outName = o.outputName ?? 'output';
  g.output(y, outName, o.softmax === true ? 'the logits (unnormalised class scores)' : "the network's output");
  if (o.softmax === true) {
    if (y.shape.length !== 1) throw new RangeError(`${fn}: softmax needs [N, classes] outputs, got [N, ${y.shape.join(', ')}]`);
    g.output(
      { name: g.node('Softmax', 'probabilities', [outName], { axis: -1 })[0], shape: y.shape },
      'probabilities',
      'softmax of the logits: class probabilities',
    );
  }
  return finish(g, o, { latentlab_model: 'sequential' });
}

function checkPart(fn: string, part: unknown, allowed: readonly OnnxPart[]): OnnxPart {
  if (!(allowed as readonly unknown[]).includes(part))
    throw new RangeError(`${fn}: expected part to be one of ${allowed.join(', ')}, got ${JSON.stringify(part)}`);
  return part as OnnxPart;
}

/** The autoencoder's graph for `part` (whole, encoder or decoder) into g. */
function emitAutoencoder(g: GraphBuilder, ae: Autoencoder, part: OnnxPart): void {
  const { input, latent } = ae.options;
  if (part === 'decoder') {
    const z = g.input('code', [latent], 'latent codes');
    g.output(emitModule(g, ae.decoder, z, 'decoder.'), 'reconstruction', 'the decoded rows');
    return;
  }
  const x = g.input('input', [input], 'the input rows');
  const code = emitModule(g, ae.encoder, x, 'encoder.');
  if (part === 'whole') g.output(emitModule(g, ae.decoder, code, 'decoder.'), 'reconstruction', 'decoder(encoder(input))');
  g.output(code, 'code', 'encoder(input): the latent codes');
}

/** An autoencoder's encoder, decoder or whole reconstruction path (see the file's table). */
export function autoencoderToOnnx(ae: Autoencoder, o: OnnxModelOptions & { part?: OnnxPart } = {}): OnnxModel {
  const part = checkPart('autoencoderToOnnx', o.part ?? 'whole', ['whole', 'encoder', 'decoder']);
  const g = new GraphBuilder(o.name ?? `autoencoder_${part}`);
  emitAutoencoder(g, ae, part);
  return finish(g, o, { latentlab_model: 'autoencoder', latentlab_part: part });
}

/** A VAE's encoder (μ, log σ²), decoder, or deterministic reconstruction decoder(μ) (see the file's table). */
export function vaeToOnnx(vae: VAE, o: OnnxModelOptions & { part?: OnnxPart } = {}): OnnxModel {
  const part = checkPart('vaeToOnnx', o.part ?? 'whole', ['whole', 'encoder', 'decoder']);
  const { input, latent } = vae.options;
  const g = new GraphBuilder(o.name ?? `vae_${part}`);
  if (part === 'decoder') {
    const z = g.input('z', [latent], 'latent codes z');
    g.output(emitModule(g, vae.decoder, z, 'decoder.'), 'reconstruction', 'the decoded rows');
  } else {
    const x = g.input('input', [input], 'the input rows');
    const h = emitModule(g, vae.encoder, x, 'encoder.');
    const mu = emitModule(g, vae.mu, h, 'mu.');
    const logvar = emitModule(g, vae.logvar, h, 'logvar.');
    if (part === 'whole') g.output(emitModule(g, vae.decoder, mu, 'decoder.'), 'reconstruction', 'decoder(μ): the reconstruction without sampling');
    g.output(mu, 'mu', 'μ of q(z|x)');
    g.output(logvar, 'logvar', 'log σ² of q(z|x)');
  }
  return finish(g, o, { latentlab_model: 'vae', latentlab_part: part });
}

/**
 * Squared distances [N, K] from codes z [N, d] to the prototypes (an initializer) and the BMU
 * index [N] (int64), argminₖ, first index on ties.
 */
function emitBmu(g: GraphBuilder, z: Value, prototypes: Float32Array, k: number): { distances: Value; bmu: Value } {
  const d = z.shape[0];
  const m = g.floats('prototypes', [k, d], prototypes);
  const zu = g.node('Unsqueeze', 'som/code_rows', [z.name, g.ints('som/axis1', [1])])[0];
  const diff = g.node('Sub', 'som/diff', [zu, m])[0];
  const sq = g.node('Mul', 'som/sq', [diff, diff])[0];
  const distances = g.node('ReduceSum', 'som/sq_distances', [sq, g.ints('som/axis2', [2])], { keepdims: 0 })[0];
  const bmu = g.node('ArgMin', 'som/bmu', [distances], { axis: 1, keepdims: 0, select_last_index: 0 })[0];
  return { distances: { name: distances, shape: [k] }, bmu: { name: bmu, shape: [] } };
}

/** A DESOM: encoder + distances to the prototypes + BMU (+ the reconstruction for `whole`), or one half of its autoencoder. */
export function desomToOnnx(model: DESOM, o: OnnxModelOptions & { part?: OnnxPart } = {}): OnnxModel {
  const part = checkPart('desomToOnnx', o.part ?? 'whole', ['whole', 'bmu', 'encoder', 'decoder']);
  const { rows, cols } = model.config.topology;
  const metadata = { latentlab_model: 'desom', latentlab_part: part, som_rows: String(rows), som_cols: String(cols) };
  const g = new GraphBuilder(o.name ?? `desom_${part}`);
  if (part === 'encoder' || part === 'decoder') {
    emitAutoencoder(g, model.ae, part);
    return finish(g, o, metadata);
  }
  const x = g.input('input', [model.config.input], 'the input rows');
  const code = emitModule(g, model.ae.encoder, x, 'encoder.');
  const { distances, bmu } = emitBmu(g, code, model.prototypes.data, model.size);
  // Every node reading the code is added before it becomes an output (output() renames its uses).
  const reconstruction = part === 'whole' ? emitModule(g, model.ae.decoder, code, 'decoder.') : null;
  g.output(code, 'code', 'encoder(input): the latent codes');
  g.output(distances, 'sq_distances', `squared Euclidean distances to the ${model.size} prototypes (map ${rows}×${cols}, row-major cells)`);
  g.output(bmu, 'bmu', `best-matching unit, argmin of sq_distances (cell k is row ⌊k/${cols}⌋, column k mod ${cols})`, 'int64');
  if (reconstruction !== null) g.output(reconstruction, 'reconstruction', 'decoder(encoder(input))');
  return finish(g, o, metadata);
}
