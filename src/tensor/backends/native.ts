/**
 * The native backend: the N-API addon built from native/latentlab.cc (system OpenBLAS sgemm +
 * fused single-threaded C++ kernels). Arrays are passed zero-copy; the wrapper only converts
 * flags and activation names to integers, the addon checks that lengths cover the sizes given.
 */
import { ACTIVATION_CODE, CONV_GEOMETRY_FIELDS, checkConvGemm, checkConvGeometry, checkMatmulPrecision } from '../backend.js';
import type { ActivationKind, AdamParams, Backend, BackendInfo, ConvGeometry, MatmulPrecision, UmapEpochState } from '../backend.js';
import { convGemmBackwardPerImage, convGemmPerImage } from './js.js';

/** What native/latentlab.cc exports; flags are 0/1, activations ACTIVATION_CODE values. */
/** gemm and gemmBf16: Backend.gemm with 0/1 flags. */
type AddonGemm = (
  transA: number,
  transB: number,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  b: Float32Array,
  beta: number,
  c: Float32Array,
) => void;

interface NativeAddon {
  gemm: AddonGemm;
  gemmBf16: AddonGemm;
  bf16Available(): boolean;
  biasActivation(kind: number, y: Float32Array, bias: Float32Array | null, rows: number, cols: number, slope: number): void;
  activation(kind: number, x: Float32Array, out: Float32Array, n: number, slope: number): void;
  activationBackward(kind: number, y: Float32Array, dy: Float32Array, dx: Float32Array, n: number, slope: number): void;
  colSum(a: Float32Array, rows: number, cols: number, out: Float32Array, accumulate: number): void;
  mse(y: Float32Array, t: Float32Array, grad: Float32Array | null, n: number, scale: number): number;
  bce(p: Float32Array, t: Float32Array, rows: number, cols: number, rowSums: Float64Array | null, grad: Float32Array | null, scale: number): number;
  softmax(logits: Float32Array, probs: Float32Array, rows: number, cols: number): void;
  axpy(n: number, alpha: number, x: Float32Array, y: Float32Array): void;
  scale(n: number, alpha: number, x: Float32Array): void;
  adam(
    p: Float32Array,
    g: Float32Array,
    m: Float32Array,
    v: Float32Array,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    decoupled: number,
    step: number,
  ): void;
  sgd(
    p: Float32Array,
    g: Float32Array,
    buf: Float32Array | null,
    n: number,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: number,
    firstStep: number,
  ): void;
  rmsprop(
    p: Float32Array,
    g: Float32Array,
    sq: Float32Array,
    gAvg: Float32Array | null,
    buf: Float32Array | null,
    n: number,
    lr: number,
    alpha: number,
    eps: number,
    weightDecay: number,
    momentum: number,
  ): void;
  sqDistances(
    x: Float32Array,
    mProto: Float32Array,
    n: number,
    k: number,
    d: number,
    out: Float32Array,
    xNorm2: Float64Array | null,
    mNorm2: Float64Array | null,
  ): void;
  sqNorms(x: Float32Array, n: number, d: number, out: Float64Array): void;
  sqDistancesRows(
    x: Float32Array,
    rows: Int32Array,
    m: number,
    mProto: Float32Array,
    k: number,
    d: number,
    out: Float32Array,
    xNorm2: Float64Array | null,
  ): void;
  nearest(x: Float32Array, mProto: Float32Array, n: number, k: number, d: number, scratch: Float32Array, best: Int32Array, second: Int32Array | null): void;
  setThreads(n: number): void;
  getThreads(): number;
  coreName(): string | null;
  config(): string | null;
  umapLayoutEpoch(
    y: Float32Array,
    head: Int32Array,
    tail: Int32Array,
    period: Float64Array,
    negPeriod: Float64Array,
    nextSample: Float64Array,
    nextNeg: Float64Array,
    attraction: Float64Array,
    repulsion: Float64Array,
    seed: Int32Array,
    n: number,
    epoch: number,
    alpha: number,
    a: number,
    b: number,
  ): void;
  /** geometry: the ConvGeometry fields in CONV_GEOMETRY_FIELDS order (native/conv.h). */
  im2col(x: Float32Array, images: number, geometry: Int32Array, cols: Float32Array, threads: number): void;
  col2im(cols: Float32Array, images: number, geometry: Int32Array, x: Float32Array, accumulate: boolean, threads: number): void;
  convGemm(a: Float32Array, images: number, geometry: Int32Array, w: Float32Array, m: number, out: Float32Array, accumulate: boolean, threads: number): void;
  convGemmBackward(
    a: Float32Array | null,
    d: Float32Array,
    images: number,
    geometry: Int32Array,
    w: Float32Array,
    m: number,
    dw: Float32Array | null,
    accumulateW: boolean,
    db: Float32Array | null,
    accumulateB: boolean,
    da: Float32Array | null,
    accumulateA: boolean,
    threads: number,
  ): void;
}

const ADDON_FUNCTIONS: readonly (keyof NativeAddon)[] = [
  'gemm',
  'gemmBf16',
  'bf16Available',
  'biasActivation',
  'activation',
  'activationBackward',
  'colSum',
  'mse',
  'bce',
  'softmax',
  'axpy',
  'scale',
  'adam',
  'sgd',
  'rmsprop',
  'sqDistances',
  'sqNorms',
  'sqDistancesRows',
  'nearest',
  'setThreads',
  'getThreads',
  'coreName',
  'config',
  'umapLayoutEpoch',
  'im2col',
  'col2im',
  'convGemm',
  'convGemmBackward',
];

/** Where `npm run build:native` puts the addon (repo root, from src/ or dist/ alike). */
export function nativeAddonPath(): string {
  return decodeURIComponent(new URL('../../../build/Release/latentlab_native.node', import.meta.url).pathname);
}

/**
 * Node's module loader, reached without a static `node:` import so that this file (and the backend
 * registry) can be bundled for a browser, where the native backend is simply unavailable.
 */
function nodeRequire(): ((id: string) => unknown) | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.('node:module') as { createRequire(url: string): (id: string) => unknown } | undefined;
  return mod === undefined ? null : mod.createRequire(import.meta.url);
}

/** Backend over the addon; each method forwards straight to its C++ kernel. */
export class NativeBackend implements Backend {
  readonly name = 'native' as const;
  private readonly addon: NativeAddon;
  private precision: MatmulPrecision = 'float32';
  private readonly geometry = new Int32Array(CONV_GEOMETRY_FIELDS.length);

  constructor(addon: NativeAddon) {
    this.addon = addon;
  }

  info(): BackendInfo {
    return { name: 'native', threads: this.addon.getThreads(), blasCore: this.addon.coreName(), matmulPrecision: this.precision };
  }

  matmulPrecisionUnavailable(p: MatmulPrecision): string | null {
    checkMatmulPrecision(p);
    if (p === 'float32' || this.addon.bf16Available()) return null;
    return `'${p}' needs a CPU with AVX512-BF16 (e.g. AMD Zen 4, Intel Cooper Lake or Sapphire Rapids); the native addon was built without it for this CPU`;
  }

  setMatmulPrecision(p: MatmulPrecision): void {
    const why = this.matmulPrecisionUnavailable(p);
    if (why !== null) throw new Error(`setMatmulPrecision: ${why}`);
    this.precision = p;
  }

  /** OpenBLAS's build configuration string (openblas_get_config), for diagnostics. */
  blasConfig(): string | null {
    return this.addon.config();
  }

  setThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads: expected a positive integer thread count, got ${n}`);
    this.addon.setThreads(n);
  }

  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    b: Float32Array,
    beta: number,
    c: Float32Array,
  ): void {
    if (this.precision === 'bfloat16') this.addon.gemmBf16(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, b, beta, c);
    else this.addon.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, b, beta, c);
  }

  biasActivation(kind: ActivationKind, y: Float32Array, bias: Float32Array | null, rows: number, cols: number, slope: number): void {
    this.addon.biasActivation(ACTIVATION_CODE[kind], y, bias, rows, cols, slope);
  }

  activation(kind: ActivationKind, x: Float32Array, out: Float32Array, n: number, slope: number): void {
    this.addon.activation(ACTIVATION_CODE[kind], x, out, n, slope);
  }

  activationBackward(kind: ActivationKind, y: Float32Array, dy: Float32Array, dx: Float32Array, n: number, slope: number): void {
    this.addon.activationBackward(ACTIVATION_CODE[kind], y, dy, dx, n, slope);
  }

  colSum(a: Float32Array, rows: number, cols: number, out: Float32Array, accumulate: boolean): void {
    this.addon.colSum(a, rows, cols, out, accumulate ? 1 : 0);
  }

  mse(y: Float32Array, t: Float32Array, grad: Float32Array | null, n: number, scale: number): number {
    return this.addon.mse(y, t, grad, n, scale);
  }

  bce(p: Float32Array, t: Float32Array, rows: number, cols: number, rowSums: Float64Array | null, grad: Float32Array | null, scale: number): number {
    return this.addon.bce(p, t, rows, cols, rowSums, grad, scale);
  }

  softmax(logits: Float32Array, probs: Float32Array, rows: number, cols: number): void {
    this.addon.softmax(logits, probs, rows, cols);
  }

  axpy(n: number, alpha: number, x: Float32Array, y: Float32Array): void {
    this.addon.axpy(n, alpha, x, y);
  }

  scale(n: number, alpha: number, x: Float32Array): void {
    this.addon.scale(n, alpha, x);
  }

  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, o: AdamParams): void {
    this.addon.adam(p, g, m, v, n, o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, o.decoupled ? 1 : 0, o.step);
  }

  sgd(
    p: Float32Array,
    g: Float32Array,
    buf: Float32Array | null,
    n: number,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    firstStep: boolean,
  ): void {
    this.addon.sgd(p, g, buf, n, lr, momentum, dampening, weightDecay, nesterov ? 1 : 0, firstStep ? 1 : 0);
  }

  rmsprop(
    p: Float32Array,
    g: Float32Array,
    sq: Float32Array,
    gAvg: Float32Array | null,
    buf: Float32Array | null,
    n: number,
    lr: number,
    alpha: number,
    eps: number,
    weightDecay: number,
    momentum: number,
  ): void {
    this.addon.rmsprop(p, g, sq, gAvg, buf, n, lr, alpha, eps, weightDecay, momentum);
  }

  sqDistances(
    x: Float32Array,
    mProto: Float32Array,
    n: number,
    k: number,
    d: number,
    out: Float32Array,
    xNorm2: Float64Array | null = null,
    mNorm2: Float64Array | null = null,
  ): void {
    this.addon.sqDistances(x, mProto, n, k, d, out, xNorm2, mNorm2);
  }

  sqNorms(x: Float32Array, n: number, d: number, out: Float64Array): void {
    this.addon.sqNorms(x, n, d, out);
  }

  sqDistancesRows(
    x: Float32Array,
    rows: Int32Array,
    m: number,
    mProto: Float32Array,
    k: number,
    d: number,
    out: Float32Array,
    xNorm2: Float64Array | null = null,
  ): void {
    this.addon.sqDistancesRows(x, rows, m, mProto, k, d, out, xNorm2);
  }

  nearest(x: Float32Array, mProto: Float32Array, n: number, k: number, d: number, scratch: Float32Array, best: Int32Array, second: Int32Array | null): void {
    this.addon.nearest(x, mProto, n, k, d, scratch, best, second);
  }

  im2col(x: Float32Array, images: number, g: ConvGeometry, cols: Float32Array): void {
    checkConvGeometry('im2col', g, images, x.length, cols.length);
    this.addon.im2col(x, images, this.packGeometry(g), cols, this.addon.getThreads());
  }

  col2im(cols: Float32Array, images: number, g: ConvGeometry, x: Float32Array, accumulate: boolean): void {
    checkConvGeometry('col2im', g, images, x.length, cols.length);
    this.addon.col2im(cols, images, this.packGeometry(g), x, accumulate, this.addon.getThreads());
  }

  /** Column matrix for the per-image path (matmul precision 'bfloat16'). */
  private cols = new Float32Array(0);

  private colsFor = (size: number): Float32Array => {
    if (this.cols.length < size) this.cols = new Float32Array(size);
    return this.cols.subarray(0, size);
  };

  convGemm(a: Float32Array, images: number, g: ConvGeometry, w: Float32Array, m: number, out: Float32Array, accumulate: boolean): void {
    // The addon's kernel multiplies in float32; at 'bfloat16' the products go through this.gemm.
    if (this.precision === 'bfloat16') return convGemmPerImage(this, this.colsFor, a, images, g, w, m, out, accumulate);
    checkConvGemm('convGemm', g, images, m, { a, w, out });
    this.addon.convGemm(a, images, this.packGeometry(g), w, m, out, accumulate, this.addon.getThreads());
  }

  convGemmBackward(
    a: Float32Array | null,
    d: Float32Array,
    images: number,
    g: ConvGeometry,
    w: Float32Array,
    m: number,
    dw: Float32Array | null,
    accumulateW: boolean,
    db: Float32Array | null,
    accumulateB: boolean,
    da: Float32Array | null,
    accumulateA: boolean,
  ): void {
    if (this.precision === 'bfloat16') {
      return convGemmBackwardPerImage(this, this.colsFor, a, d, images, g, w, m, dw, accumulateW, db, accumulateB, da, accumulateA);
    }
    checkConvGemm('convGemmBackward', g, images, m, { a, d, w, dw, db, da });
    if (dw !== null && a === null) throw new RangeError('convGemmBackward: the weight gradient needs a');
    this.addon.convGemmBackward(a, d, images, this.packGeometry(g), w, m, dw, accumulateW, db, accumulateB, da, accumulateA, this.addon.getThreads());
  }

  /** The geometry as the addon reads it (one reused array: calls are synchronous). */
  private packGeometry(g: ConvGeometry): Int32Array {
    CONV_GEOMETRY_FIELDS.forEach((f, i) => (this.geometry[i] = g[f]));
    return this.geometry;
  }

  umapLayoutEpoch(s: UmapEpochState, epoch: number, alpha: number): void {
    this.addon.umapLayoutEpoch(
      s.y,
      s.head,
      s.tail,
      s.period,
      s.negPeriod,
      s.nextSample,
      s.nextNeg,
      s.attraction,
      s.repulsion,
      s.seed,
      s.n,
      epoch,
      alpha,
      s.a,
      s.b,
    );
  }
}

function isAddon(value: unknown): value is NativeAddon {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ADDON_FUNCTIONS.every((name) => typeof record[name] === 'function');
}

let loaded: NativeAddon | null = null;

/**
 * Loads build/Release/latentlab_native.node. Never throws: on failure returns the reason, and the
 * caller falls back to the js backend.
 */
export function loadNativeBackend(): { backend: Backend } | { error: string } {
  if (loaded === null) {
    const req = nodeRequire();
    if (req === null) return { error: 'not running under Node.js (no native addons here)' };
    const path = nativeAddonPath();
    let mod: unknown;
    try {
      mod = req(path);
    } catch (e) {
      const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
      return { error: `could not load the native addon ${path}: ${message} (run \`npm run build:native\`)` };
    }
    if (!isAddon(mod)) {
      return {
        error: `the native addon ${path} is out of date (missing functions); run \`npm run build:native\``,
      };
    }
    loaded = mod;
  }
  return { backend: new NativeBackend(loaded) };
}
