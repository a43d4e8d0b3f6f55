/**
 * Sizes checked against the machine before a command allocates them. A flag that would need more
 * memory than the machine has, or an array longer than JavaScript can hold, is a usage error that
 * names the flag and its value — rather than "Invalid typed array length" (exit 1, no flag named)
 * or the process dying out of memory in the middle of a run.
 *
 * The estimates are deliberately rough (float32 everywhere, a factor for gradients and optimizer
 * state): they exist to refuse the hopeless, not to predict peak memory.
 */
import { availableParallelism, totalmem } from 'node:os';
import { UsageError } from './errors.js';

/** Longest typed array V8 allocates on 64-bit Node 20+ (2^32 values): a longer one throws "Invalid typed array length". */
export const MAX_TYPED_ARRAY_LENGTH = 2 ** 32;

/** Most threads a command accepts: the native backend's setThreads refuses more. */
export const MAX_THREADS = 1024;

/** float32 bytes. */
const F32 = 4;
/** A parameter's value, gradient and two optimizer moments (Adam's m and v; SGD and RMSprop keep fewer). */
const PER_PARAMETER = 4 * F32;
/** Activations are kept for the backward pass and get a gradient of their own. */
const PER_ACTIVATION = 2 * F32;
/** Rows the SOM code measures distances for at once (src/som/bmu.ts chunks at most this many rows). */
const BMU_CHUNK_ROWS = 1024;

/** Something a command is about to allocate, blamed on the flag whose value sizes it. */
export interface Need {
  /** '--hidden'. */
  flag: string;
  /** The flag's value as the user gave it (a list is shown comma-separated). */
  value: number | string | readonly number[];
  /** What it is, to finish "… needs 47 GiB": 'a 784-5000000000-10 model (parameters, gradients and optimizer state)'. */
  what: string;
  bytes: number;
  /** Values in its single largest typed array. */
  largest: number;
}

/** Bytes for people: "512 MiB", "47 GiB", "3.6 TiB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 && u > 0 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

function show(v: Need['value']): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

/**
 * Refuses needs the machine cannot meet: all of them together (plus `base` bytes already held, e.g.
 * the loaded data) more than `memory`, blamed on the largest; or one array longer than a typed
 * array can be.
 */
export function checkNeeds(needs: readonly Need[], o: { memory?: number; base?: number } = {}): void {
  const memory = o.memory ?? totalmem();
  const total = needs.reduce((s, n) => s + n.bytes, o.base ?? 0);
  if (total > memory && needs.length > 0) {
    const worst = needs.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    const all = total > worst.bytes * 1.05 ? ` (${formatBytes(total)} for the whole run)` : '';
    throw new UsageError(
      `${worst.flag} ${show(worst.value)}: ${worst.what} needs ${formatBytes(worst.bytes)}${all}, more than this machine's ${formatBytes(memory)} of memory`,
    );
  }
  for (const n of needs) {
    if (n.largest > MAX_TYPED_ARRAY_LENGTH) {
      throw new UsageError(
        `${n.flag} ${show(n.value)}: ${n.what} needs an array of ${n.largest} values, more than the ${MAX_TYPED_ARRAY_LENGTH} a JavaScript typed array can hold`,
      );
    }
  }
}

/** Refuses a thread count above MAX_THREADS (undefined: the backend's default). */
export function checkThreads(threads: unknown): void {
  if (typeof threads === 'number' && threads > MAX_THREADS) {
    throw new UsageError(
      `--threads ${threads}: expected at most ${MAX_THREADS} threads (the native backend's limit; this machine has ${availableParallelism()} logical CPUs)`,
    );
  }
}

/** Refuses more clusters than rows to cluster (k-means++ needs k distinct rows to start from). */
export function checkClusters(k: number, rows: number, split: string): void {
  if (k > rows) throw new UsageError(`--k ${k}: expected at most the ${rows} ${split} rows to cluster (one row per cluster at least)`);
}

/** Layer sizes → parameters (weights and biases) and the largest weight matrix. */
function dense(sizes: readonly number[]): { parameters: number; largest: number } {
  let parameters = 0;
  let largest = 0;
  for (let i = 0; i + 1 < sizes.length; i++) {
    parameters += (sizes[i] + 1) * sizes[i + 1];
    largest = Math.max(largest, sizes[i] * sizes[i + 1]);
  }
  return { parameters, largest };
}

const sum = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0);

/**
 * A fully connected net trained by src/train/loop.ts: parameters (blamed on `sizeFlag`) and the
 * minibatch (blamed on --batch-size). The loop holds at most `rows` rows per batch, but the input
 * buffers (`inputBuffers` of them as wide as the input: the inputs, and an autoencoder's targets)
 * are counted at the batch size asked for: a size far beyond what memory could hold is refused as
 * the likely typo it is rather than quietly trained as one full batch.
 */
function denseNeeds(o: {
  sizes: readonly number[];
  model: string;
  sizeFlag: string;
  sizeValue: Need['value'];
  batch: number;
  rows: number;
  inputBuffers: number;
}): Need[] {
  const arch = o.sizes.join('-');
  const { parameters, largest } = dense(o.sizes);
  const rows = Math.min(o.batch, o.rows);
  const d = o.sizes[0];
  return [
    {
      flag: o.sizeFlag,
      value: o.sizeValue,
      what: `a ${arch} ${o.model} (parameters, gradients and optimizer state)`,
      bytes: parameters * PER_PARAMETER,
      largest,
    },
    {
      flag: '--batch-size',
      value: o.batch,
      what: `a minibatch of ${o.batch} rows through a ${arch} ${o.model}`,
      bytes: o.inputBuffers * o.batch * d * F32 + rows * sum(o.sizes) * PER_ACTIVATION,
      largest: Math.max(o.batch * d, rows * Math.max(...o.sizes)),
    },
  ];
}

/** `train mlp`: features-hidden…-classes. */
export function mlpNeeds(o: { features: number; hidden: readonly number[]; classes: number; batch: number; rows: number }): Need[] {
  return denseNeeds({
    sizes: [o.features, ...o.hidden, o.classes],
    model: 'model',
    sizeFlag: '--hidden',
    sizeValue: o.hidden,
    batch: o.batch,
    rows: o.rows,
    inputBuffers: 1,
  });
}

/** The mirrored autoencoder layers, and which flag to blame for its size (the latent layer when it is the widest). */
function aeSizes(features: number, hidden: readonly number[], latent: number): { sizes: number[]; flag: string; value: Need['value'] } {
  const sizes = [features, ...hidden, latent, ...[...hidden].reverse(), features];
  return latent > Math.max(0, ...hidden) ? { sizes, flag: '--latent', value: latent } : { sizes, flag: '--hidden', value: hidden };
}

/** `train ae`: features-hidden…-latent-…hidden-features. */
export function aeNeeds(o: { features: number; hidden: readonly number[]; latent: number; batch: number; rows: number }): Need[] {
  const { sizes, flag, value } = aeSizes(o.features, o.hidden, o.latent);
  return denseNeeds({ sizes, model: 'autoencoder', sizeFlag: flag, sizeValue: value, batch: o.batch, rows: o.rows, inputBuffers: 2 });
}

/**
 * The map of a SOM or DESOM (blamed on --map): the K×K map distances every topology holds (float64),
 * the prototypes and a chunk of row-to-cell distances; `squares` counts the K×K arrays.
 */
function mapNeed(o: { map: string; cells: number; dim: number; rows: number; squares: number; prototypeCopies: number }): Need {
  const K = o.cells;
  return {
    flag: '--map',
    value: o.map,
    what: `a ${o.map} map (${K} cells) of ${o.dim}-dimensional prototypes`,
    bytes: K * K * 8 * o.squares + K * o.dim * F32 * o.prototypeCopies + Math.min(BMU_CHUNK_ROWS, o.rows) * K * F32,
    largest: Math.max(K * K, K * o.dim),
  };
}

/** `train som`: the map, and for the gradient algorithm its minibatch against every cell. */
export function somNeeds(o: { map: string; cells: number; dim: number; rows: number; algorithm: string; batch?: number }): Need[] {
  // The batch algorithm adds a K×K neighbourhood matrix; the gradient one keeps Adam's moments and a gradient.
  const needs = [mapNeed({ ...o, squares: o.algorithm === 'batch' ? 2 : 1, prototypeCopies: o.algorithm === 'gradient' ? 4 : 2 })];
  if (o.algorithm === 'gradient' && o.batch !== undefined) {
    const bs = Math.min(o.batch, o.rows);
    needs.push({
      flag: '--batch-size',
      value: o.batch,
      what: `a minibatch of ${bs} rows against ${o.cells} cells`,
      bytes: bs * (2 * o.cells + o.dim) * F32,
      largest: bs * Math.max(o.cells, o.dim),
    });
  }
  return needs;
}

/** `train desom`: the autoencoder, its minibatch (activations and the batch × K SOM weights and distances) and the map. */
export function desomNeeds(o: {
  features: number;
  hidden: readonly number[];
  latent: number;
  map: string;
  cells: number;
  batch: number;
  rows: number;
}): Need[] {
  const { sizes, flag, value } = aeSizes(o.features, o.hidden, o.latent);
  const arch = sizes.join('-');
  const { parameters, largest } = dense(sizes);
  const bs = Math.min(o.batch, o.rows);
  const widest = Math.max(...sizes);
  return [
    // Encoding every row at once (the final metrics) holds rows × the widest layer.
    {
      flag,
      value,
      what: `a ${arch} autoencoder (parameters, gradients, optimizer state and every row's activations)`,
      bytes: parameters * PER_PARAMETER + o.rows * widest * F32,
      largest: Math.max(largest, o.rows * widest),
    },
    {
      flag: '--batch-size',
      value: o.batch,
      what: `a minibatch of ${bs} rows through a ${arch} autoencoder and ${o.cells} cells`,
      bytes: bs * (sum(sizes) * PER_ACTIVATION + 3 * o.cells * F32 + o.features * F32),
      largest: bs * Math.max(widest, o.cells),
    },
    // The objective caches K×K neighbourhood rows (float32) beside the topology's float64 distances.
    mapNeed({ map: o.map, cells: o.cells, dim: o.latent, rows: o.rows, squares: 1.5, prototypeCopies: 4 }),
  ];
}
