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
  nearest(
    x: Float32Array,
    mProto: Float32Array,
    n: number,
    k: number,
    d: number,
    scratch: Float32Array | null,
    best: Int32Array,
    second: Int32Array | null,
  ): void;
  setThreads(n: number): void;
  getThreads(): number;
  setGemm(choice: number, path: number): void;
  gemmInfo(): { choice: number; path: string; best: string };
  fmaPeak(threads: number, seconds: number): number;
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
  'setGemm',
  'gemmInfo',
  'fmaPeak',
  'coreName',
  'config',
  'umapLayoutEpoch',
  'im2col',
  'col2im',
  'convGemm',
  'convGemmBackward',
];

/**
 * Which float32 GEMM the native backend runs (LATENTLAB_GEMM, `setGemmKernel`): 'auto' gives each
 * product to our own AVX-512 kernels (native/gemm-f32.cc) or to OpenBLAS by the measured policy in
 * native/latentlab.cc; 'openblas' and 'own' force one side ('own' needs a CPU with AVX2 and FMA).
 */
export type GemmKernel = 'auto' | 'openblas' | 'own';
/** The instruction sets of our float32 kernels (LATENTLAB_GEMM_ISA, `setGemmKernel`). */
export type F32Isa = 'avx512' | 'avx2';

const GEMM_KERNELS: readonly GemmKernel[] = ['auto', 'openblas', 'own'];
const F32_ISAS: readonly F32Isa[] = ['avx2', 'avx512']; // index + 1 = the addon's path code

/** The native backend's float32 GEMM setting (`NativeBackend.gemmKernel`). */
export interface GemmKernelInfo {
  kernel: GemmKernel;
  /** The instruction set our kernels run with, or null when this CPU has neither. */
  isa: F32Isa | null;
  /** The widest one this CPU runs, or null. */
  best: F32Isa | null;
}

function isaOrNull(name: string): F32Isa | null {
  return name === 'avx512' || name === 'avx2' ? name : null;
}

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

  /**
   * Chooses the float32 GEMM (and the fused nearest-prototype kernel that goes with ours) for the
   * whole process, as LATENTLAB_GEMM / LATENTLAB_GEMM_ISA do at load: `kernel` 'auto' | 'openblas'
   * | 'own', `isa` the instruction set of our kernels (default: the widest this CPU runs).
   */
  setGemmKernel(kernel: GemmKernel, isa?: F32Isa): void {
    const choice = GEMM_KERNELS.indexOf(kernel);
    if (choice < 0) throw new RangeError(`setGemmKernel: expected kernel 'auto', 'openblas' or 'own', got ${JSON.stringify(kernel)}`);
    const path = isa === undefined ? 0 : F32_ISAS.indexOf(isa) + 1;
    if (path === 0 && isa !== undefined) throw new RangeError(`setGemmKernel: expected isa 'avx512' or 'avx2', got ${JSON.stringify(isa)}`);
    const best = isaOrNull(this.addon.gemmInfo().best);
    if (kernel === 'own' && best === null) throw new RangeError("setGemmKernel: 'own' needs a CPU with AVX2 and FMA; this one has neither");
    if (isa !== undefined && (best === null || path > F32_ISAS.indexOf(best) + 1)) {
      throw new RangeError(`setGemmKernel: this CPU does not run the ${isa} kernels (widest: ${best ?? 'none'})`);
    }
    this.addon.setGemm(choice, path);
  }

  /** Runs `fn` with the float32 GEMM chosen as setGemmKernel does, then restores the setting it found (also when fn throws). */
  withGemmKernel<T>(kernel: GemmKernel, fn: () => T, isa?: F32Isa): T {
    const before = this.gemmKernel();
    this.setGemmKernel(kernel, isa);
    try {
      return fn();
    } finally {
      this.setGemmKernel(before.kernel, before.isa ?? undefined);
    }
  }

  /** The float32 GEMM setting (see setGemmKernel). */
  gemmKernel(): GemmKernelInfo {
    const g = this.addon.gemmInfo();
    return { kernel: GEMM_KERNELS[g.choice], isa: isaOrNull(g.path), best: isaOrNull(g.best) };
  }

  /**
   * The measured FMA limit in GFLOP/s of our kernels' instruction set: `threads` threads (default:
   * the backend's) each running independent fused multiply-add chains for about `seconds` of their
   * own CPU time (time given to other processes is not counted). 0 when the CPU has no AVX2+FMA.
   */
  fmaPeakGflops(threads = this.addon.getThreads(), seconds = 0.2): number {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`fmaPeakGflops: expected a positive integer thread count, got ${threads}`);
    if (!(seconds > 0 && seconds <= 10)) throw new RangeError(`fmaPeakGflops: expected 0 < seconds ≤ 10, got ${seconds}`);
    return this.addon.fmaPeak(threads, seconds);
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

  nearest(
    x: Float32Array,
    mProto: Float32Array,
    n: number,
    k: number,
    d: number,
    scratch: Float32Array | null,
    best: Int32Array,
    second: Int32Array | null,
  ): void {
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
 * Applies LATENTLAB_GEMM / LATENTLAB_GEMM_ISA of `env` (empty = unset) to the backend: null when
 * both are fine (or unset), else why not (and nothing is changed).
 */
export function applyGemmEnv(backend: NativeBackend, env: Readonly<Record<string, string | undefined>>): string | null {
  const kernel = env.LATENTLAB_GEMM || undefined;
  const isa = env.LATENTLAB_GEMM_ISA || undefined;
  if (kernel === undefined && isa === undefined) return null;
  if (kernel !== undefined && !(GEMM_KERNELS as readonly string[]).includes(kernel)) {
    return `LATENTLAB_GEMM is ${JSON.stringify(kernel)}; expected 'auto', 'openblas' or 'own'`;
  }
  if (isa !== undefined && !(F32_ISAS as readonly string[]).includes(isa)) return `LATENTLAB_GEMM_ISA is ${JSON.stringify(isa)}; expected 'avx512' or 'avx2'`;
  try {
    backend.setGemmKernel((kernel ?? 'auto') as GemmKernel, isa as F32Isa | undefined);
  } catch (e) {
    return `LATENTLAB_GEMM${isa === undefined ? '' : ' / LATENTLAB_GEMM_ISA'}: ${(e as Error).message}`;
  }
  return null;
}

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
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
    const why = applyGemmEnv(new NativeBackend(mod), env);
    if (why !== null) return { error: why };
    loaded = mod;
  }
  return { backend: new NativeBackend(loaded) };
}
