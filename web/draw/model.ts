/**
 * A run's model, rebuilt in the browser from the files the run saved (the same loaders and checks as
 * the CLI: src/io/model-json.ts, src/ae/autoencoder-json.ts, src/desom/desom-json.ts) on the wasm
 * backend (the js backend where WebAssembly is unavailable: backend.ts), and what it says about
 * one input: each layer's outputs (src/analysis/capture.ts), the cluster of each analysed layer
 * (the nearest of the layer's k-means centroids, as the signatures command assigns inserted rows),
 * the prediction, the best-matching cell, the reconstruction, and the input's place in each saved
 * projection (UMAP's transform of a new point, on the layer's principal axes when the UMAP ran on
 * them). This module is its own chunk of the app, loaded when the draw panel is first used.
 */
import { z } from 'zod';
import { Autoencoder } from '../../src/ae/autoencoder.js';
import { autoencoderFrom } from '../../src/ae/autoencoder-json.js';
import { captureActivations, captureLayers, type CaptureModel } from '../../src/analysis/capture.js';
import { desomJsonFrom } from '../../src/desom/desom-json.js';
import { DESOM } from '../../src/desom/model.js';
import { memoryReader, subReader, type FileReader } from '../../src/io/file-reader.js';
import { modelFrom } from '../../src/io/model-json.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Rng } from '../../src/random.js';
import { SOM, checkSomSpec } from '../../src/som/som.js';
import { Topology } from '../../src/som/topology.js';
import { Tensor } from '../../src/tensor/tensor.js';
import type { RunDetail } from '../../src/serve/types.js';
import { umapTransform, type UmapFitted } from '../../src/viz/umap-transform.js';
import { fetchRun, runUrl } from '../api.js';
import { imageShapeOf } from '../map-model.js';
import { parseNpy, type NpyArray } from '../npy.js';
import type { ProbeResult } from '../probe.js';
import { drawBackend, type DrawBackend } from './backend.js';

// zod (the model files' schemas) without its compiled parsers: they need eval, which the app's CSP
// refuses. (The backend, wasm or js, is chosen by backend.ts when the first model is opened.)
z.config({ jitless: true });

type ArrayOf = (name: string) => Promise<NpyArray>;

const hasArray = (run: RunDetail, name: string): boolean => run.arrays.some((a) => a.name === name && a.shape !== null);

async function fetchBytes(runId: string, path: string): Promise<Uint8Array> {
  const url = `${runUrl(runId)}/files/${path.split('/').map(encodeURIComponent).join('/')}`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`the model of run ${runId}: ${path}: ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The run's model/ files that `names` lists, as a FileReader over them. */
async function modelFiles(runId: string, names: readonly string[]): Promise<FileReader> {
  const got = await Promise.all(names.map(async (n) => [n, await fetchBytes(runId, `model/${n}`)] as const));
  return memoryReader(new Map(got), `${runId}/model`);
}

function f32(a: NpyArray, what: string): Float32Array {
  if (!(a.data instanceof Float32Array)) throw new Error(`draw: ${what} holds ${a.dtype}; expected float32`);
  return a.data;
}

function i32(a: NpyArray, what: string): Int32Array {
  if (!(a.data instanceof Int32Array)) throw new Error(`draw: ${what} holds ${a.dtype}; expected int32`);
  return a.data;
}

/** The model of a run of `kind` (mlp, ae, desom) rebuilt from its model/ folder; a SOM has no network (null). */
async function loadModelOf(run: RunDetail): Promise<CaptureModel | null> {
  switch (run.kind) {
    case 'som':
      return null;
    case 'mlp':
    case 'cnn': {
      const m = modelFrom(await modelFiles(run.id, ['model.json', 'weights.safetensors']));
      if (!(m instanceof Sequential)) throw new Error(`draw: run ${run.id}'s model is not a Sequential network`);
      return m;
    }
    case 'ae':
      return autoencoderFrom(await modelFiles(run.id, ['model.json', 'weights.safetensors']));
    case 'desom': {
      const top = await modelFiles(run.id, ['desom.json']);
      const j = desomJsonFrom(top);
      const files = await modelFiles(run.id, [
        'desom.json',
        `${j.autoencoder_dir}/model.json`,
        `${j.autoencoder_dir}/weights.safetensors`,
        `${j.som_dir}/som.json`,
        `${j.som_dir}/prototypes.npy`,
      ]);
      const ae = autoencoderFrom(subReader(files, j.autoencoder_dir));
      const somJson: unknown = JSON.parse(new TextDecoder().decode(files.bytes(`${j.som_dir}/som.json`)));
      const spec = checkSomSpec(`draw: ${files.path(`${j.som_dir}/som.json`)}`, somJson);
      const protos = parseNpy(files.bytes(`${j.som_dir}/prototypes.npy`).slice().buffer, files.path(`${j.som_dir}/prototypes.npy`));
      if (protos.shape[0] !== spec.size || protos.shape[1] !== spec.dim)
        throw new Error(`draw: the map's prototypes have shape (${protos.shape.join(', ')}); som.json says (${spec.size}, ${spec.dim})`);
      const som = new SOM(new Topology(spec.topology), new Tensor(f32(protos, 'prototypes.npy'), [spec.size, spec.dim]));
      return new DESOM(ae, som, { prototypeInit: j.prototype_init, somInitEpochs: j.som_init_epochs });
    }
    default:
      throw new Error(`draw: a ${run.kind} run has no network to run in the browser`);
  }
}

/** For each cluster (or cell), the class most of its rows have (the overall majority for an empty one). */
export function majorityOf(clusters: Int32Array, labels: Int32Array, k: number): Int32Array {
  let classes = 0;
  for (const l of labels) classes = Math.max(classes, l + 1);
  const counts = new Int32Array(k * classes);
  const total = new Int32Array(classes);
  for (let i = 0; i < clusters.length; i++) {
    if (clusters[i] < 0 || clusters[i] >= k || labels[i] < 0) continue;
    counts[clusters[i] * classes + labels[i]]++;
    total[labels[i]]++;
  }
  const argmax = (v: Int32Array): number => v.reduce((best, c, j) => (c > v[best] ? j : best), 0);
  const overall = argmax(total);
  return Int32Array.from({ length: k }, (_, c) => {
    const row = counts.subarray(c * classes, (c + 1) * classes);
    return row.some((v) => v > 0) ? argmax(row) : overall;
  });
}

/** The index of the row of `centroids` (k × d) nearest to `x` (d). */
function nearestRow(centroids: Float32Array, d: number, x: Float32Array): number {
  let best = -1;
  let bestD = Infinity;
  for (let c = 0; c * d < centroids.length; c++) {
    let s = 0;
    for (let q = 0; q < d; q++) {
      const t = centroids[c * d + q] - x[q];
      s += t * t;
    }
    if (s < bestD) {
      bestD = s;
      best = c;
    }
  }
  return best;
}

function softmax(z: Float32Array): Float32Array {
  let m = -Infinity;
  for (const v of z) m = Math.max(m, v);
  const e = Float32Array.from(z, (v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** A saved 2-d projection the input can be placed in: UMAP's fitted rows and their coordinates. */
interface Placement {
  /** The scatter view's key. */
  key: string;
  /** The layer whose outputs it projects. */
  layer: string;
  /** Loads what the transform needs (the fitted rows can be tens of MB: only on first use). */
  load(): Promise<{ fitted: UmapFitted; basis: { mean: Float32Array; components: Float32Array; count: number } | null }>;
}

export interface DrawModelInfo {
  /** The run whose network runs here (a signatures run's analysed run). */
  modelRun: string;
  modelKind: string;
  /** Input rows are images of this shape (height, width). */
  imageShape: [number, number];
  /** Layers whose clusters make the signatures path, in order (empty outside signatures runs). */
  pathLayers: string[];
  /** What a prediction is: the network's, or the majority class of a cluster or cell; null when none. */
  predictionBy: ProbeResult['predictionBy'];
  /** The projections the input is placed in, by scatter view key. */
  placements: string[];
  /** The backend the model runs on in this page (wasm, or js and why). */
  backend: DrawBackend;
}

export class DrawModel {
  private readonly placed = new Map<string, Promise<Awaited<ReturnType<Placement['load']>>>>();

  private constructor(
    readonly info: DrawModelInfo,
    private readonly model: CaptureModel | null,
    /** A SOM on raw pixels: its prototypes (K × h·w), whose nearest is the input's cell. */
    private readonly prototypes: Float32Array | null,
    private readonly centroids: Map<string, { data: Float32Array; d: number }>,
    private readonly majority: Int32Array | null,
    private readonly placements: Placement[],
    private readonly seed: number,
  ) {}

  /** Rebuilds the model behind `run` (itself, or the run a signatures run analyses) with what placing an input needs. */
  static async open(run: RunDetail, array: ArrayOf): Promise<DrawModel> {
    const rec = run.record ?? {};
    const backend = await drawBackend();
    if (run.kind === 'signatures' && run.model_run === null) throw new Error(`draw: signatures run ${run.id} names no analysed run in its config.json`);
    const modelRun = run.kind === 'signatures' ? await fetchRun(run.model_run as string) : run;
    const imageShape = run.image_shape ?? modelRun.image_shape ?? imageShapeOf(run.record) ?? imageShapeOf(modelRun.record);
    if (imageShape === null) throw new Error(`draw: run ${modelRun.id}'s dataset has no image shape in config.json; the draw panel needs image inputs`);
    const model = await loadModelOf(modelRun);
    const centroids = new Map<string, { data: Float32Array; d: number }>();
    const placements: Placement[] = [];
    let somPrototypes: Float32Array | null = null;
    let pathLayers: string[] = [];
    let majority: Int32Array | null = null;
    let predictionBy: ProbeResult['predictionBy'] = modelRun.kind === 'mlp' || modelRun.kind === 'cnn' ? 'network' : null;
    if (run.kind === 'signatures') {
      pathLayers = Array.isArray(rec.layers) ? (rec.layers as unknown[]).map(String) : [];
      for (const l of pathLayers) {
        if (!hasArray(run, `centroids_${l}`)) continue;
        const a = await array(`centroids_${l}`);
        centroids.set(l, { data: f32(a, `centroids_${l}.npy`), d: a.shape[1] });
      }
      const last = pathLayers[pathLayers.length - 1];
      if (predictionBy === null && last !== undefined && hasArray(run, `clusters_${last}`) && hasArray(run, 'labels')) {
        const [c, labels] = await Promise.all([array(`clusters_${last}`), array('labels')]);
        const clusters = i32(c, `clusters_${last}.npy`);
        const k = last === 'map' && model instanceof DESOM ? model.som.size : (centroids.get(last)?.data.length ?? 0) / (centroids.get(last)?.d ?? 1);
        majority = majorityOf(clusters, i32(labels, 'labels.npy'), k);
        predictionBy = last === 'map' ? 'cell majority' : 'cluster majority';
      }
      for (const l of pathLayers) {
        if (!hasArray(run, `umap_${l}`) || !hasArray(run, `umap_input_${l}`)) continue;
        placements.push({
          key: `umap_${l}`,
          layer: l,
          load: async () => {
            const [emb, input, basis] = await Promise.all([
              array(`umap_${l}`),
              array(`umap_input_${l}`),
              hasArray(run, `umap_pca_${l}`) ? array(`umap_pca_${l}`) : Promise.resolve(null),
            ]);
            const fitted: UmapFitted = {
              data: f32(input, `umap_input_${l}.npy`),
              rows: input.shape[0],
              cols: input.shape[1],
              embedding: f32(emb, `umap_${l}.npy`),
            };
            if (basis === null) return { fitted, basis: null };
            const b = f32(basis, `umap_pca_${l}.npy`);
            const width = basis.shape[1];
            return { fitted, basis: { mean: b.subarray(0, width), components: b.subarray(width), count: basis.shape[0] - 1 } };
          },
        });
      }
    } else if (run.kind === 'desom') {
      if (hasArray(run, 'bmus') && hasArray(run, 'labels') && model instanceof DESOM) {
        const [b, labels] = await Promise.all([array('bmus'), array('labels')]);
        majority = majorityOf(i32(b, 'bmus.npy'), i32(labels, 'labels.npy'), model.som.size);
        predictionBy = 'cell majority';
      }
      if (hasArray(run, 'codes_umap') && hasArray(run, 'codes'))
        placements.push({
          key: 'codes_umap',
          layer: 'code',
          load: async () => {
            const [emb, codes] = await Promise.all([array('codes_umap'), array('codes')]);
            return {
              fitted: { data: f32(codes, 'codes.npy'), rows: codes.shape[0], cols: codes.shape[1], embedding: f32(emb, 'codes_umap.npy') },
              basis: null,
            };
          },
        });
    } else if (run.kind === 'som') {
      const protos = hasArray(run, 'prototypes') ? await array('prototypes') : null;
      if (protos === null || protos.shape[1] !== imageShape[0] * imageShape[1])
        throw new Error(
          `draw: SOM run ${run.id} was not fitted on the images' pixels${protos === null ? '' : ` (its prototypes have ${protos.shape[1]} features)`}; draw on the page of the run whose codes it maps`,
        );
      somPrototypes = f32(protos, 'prototypes.npy');
      if (hasArray(run, 'bmus') && hasArray(run, 'labels')) {
        const [b, labels] = await Promise.all([array('bmus'), array('labels')]);
        majority = majorityOf(i32(b, 'bmus.npy'), i32(labels, 'labels.npy'), protos.shape[0]);
        predictionBy = 'cell majority';
      }
    } else if (run.kind === 'ae') {
      if (hasArray(run, 'latent_umap') && hasArray(run, 'test_codes'))
        placements.push({
          key: 'latent_umap',
          layer: 'code',
          load: async () => {
            const [emb, codes, idx] = await Promise.all([
              array('latent_umap'),
              array('test_codes'),
              hasArray(run, 'latent_umap_indices') ? array('latent_umap_indices') : Promise.resolve(null),
            ]);
            const all = f32(codes, 'test_codes.npy');
            const d = codes.shape[1];
            const rows = idx === null ? null : i32(idx, 'latent_umap_indices.npy');
            const data = rows === null ? all : new Float32Array(rows.length * d);
            if (rows !== null) rows.forEach((r, i) => data.set(all.subarray(r * d, (r + 1) * d), i * d));
            return { fitted: { data, rows: data.length / d, cols: d, embedding: f32(emb, 'latent_umap.npy') }, basis: null };
          },
        });
    }
    const seed = typeof run.config.seed === 'number' ? run.config.seed : 0;
    const info: DrawModelInfo = {
      modelRun: modelRun.id,
      modelKind: modelRun.kind,
      imageShape,
      pathLayers,
      predictionBy,
      placements: placements.map((p) => p.key),
      backend,
    };
    return new DrawModel(info, model, somPrototypes, centroids, majority, placements, seed);
  }

  /** Runs one input (h × w grey levels in [0, 1]) through the model and (unless `place` is false) places it in the projections. */
  async infer(input: Float32Array, o: { place?: boolean } = {}): Promise<ProbeResult> {
    const [h, w] = this.info.imageShape;
    if (input.length !== h * w) throw new Error(`DrawModel.infer: expected ${h * w} values (${h} × ${w}), got ${input.length}`);
    const t0 = performance.now();
    const m = this.model;
    const x = new Tensor(Float32Array.from(input), [1, h * w]);
    const names = m === null ? [] : captureLayers(m).map((l) => l.name);
    const captured = m === null ? [] : captureActivations(m, x);
    const activations = new Map<string, Float32Array>();
    let bmu: number | null = null;
    for (const c of captured) {
      if (c.kind === 'cells') bmu = c.values[0];
      else activations.set(c.name, Float32Array.from(c.values.data));
    }
    let reconstruction: Float32Array | null = null;
    if (this.prototypes !== null) {
      // A SOM on pixels: the input's cell is its nearest prototype, shown in place of a reconstruction.
      bmu = nearestRow(this.prototypes, h * w, input);
      reconstruction = this.prototypes.slice(bmu * h * w, (bmu + 1) * h * w);
    }
    if (m instanceof Autoencoder) reconstruction = activations.get('output') ?? null;
    const code = activations.get('code');
    if (m instanceof DESOM && code !== undefined) {
      // The decoder on the code just captured (not the whole autoencoder again: the encoder ran once).
      const out = captureActivations(m.ae.decoder, new Tensor(Float32Array.from(code), [1, code.length]), { layers: ['output'] })[0];
      if (out.kind === 'activations') reconstruction = Float32Array.from(out.values.data);
    }
    const clusters = new Map<string, number>();
    for (const l of this.info.pathLayers) {
      if (l === 'map') {
        if (bmu !== null) clusters.set(l, bmu);
        continue;
      }
      const c = this.centroids.get(l);
      const a = activations.get(l);
      if (c !== undefined && a !== undefined) clusters.set(l, nearestRow(c.data, c.d, a));
    }
    let prediction: number | null = null;
    let probabilities: Float32Array | null = null;
    if (this.info.predictionBy === 'network' && names.includes('output')) {
      probabilities = softmax(activations.get('output') as Float32Array);
      prediction = probabilities.reduce((best, v, i, p) => (v > p[best] ? i : best), 0);
    } else if (this.majority !== null) {
      const last = this.info.pathLayers[this.info.pathLayers.length - 1];
      const at = last !== undefined ? clusters.get(last) : (bmu ?? undefined);
      if (at !== undefined) prediction = this.majority[at];
    }
    const t1 = performance.now();
    const points = new Map<string, [number, number]>();
    for (const p of o.place === false ? [] : this.placements) {
      let promise = this.placed.get(p.key);
      if (promise === undefined) this.placed.set(p.key, (promise = p.load()));
      const { fitted, basis } = await promise;
      const a = activations.get(p.layer);
      if (a === undefined) continue;
      let v = a;
      if (basis !== null) {
        const width = a.length;
        v = new Float32Array(basis.count);
        for (let j = 0; j < basis.count; j++) {
          let s = 0;
          for (let q = 0; q < width; q++) s += (a[q] - basis.mean[q]) * basis.components[j * width + q];
          v[j] = s;
        }
      }
      // The same seed for every input: a drawing that does not change lands where it landed.
      const xy = umapTransform(fitted, v, { rng: new Rng(this.seed) });
      points.set(p.key, [xy[0], xy[1]]);
    }
    const t2 = performance.now();
    return {
      input: Float32Array.from(input),
      activations,
      clusters,
      prediction,
      predictionBy: prediction === null ? null : this.info.predictionBy,
      probabilities,
      bmu,
      reconstruction,
      points,
      timings: { forward: t1 - t0, place: t2 - t1 },
    };
  }
}
