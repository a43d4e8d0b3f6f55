/**
 * The wasm backend: the kernels of assembly/ (AssemblyScript) compiled to WebAssembly with 128-bit
 * SIMD, shipped as wasm/kernels.wasm so that it needs no compiler, for machines without the native
 * addon and the explorer's in-browser inference (web/draw/backend.ts). Single-threaded.
 *
 * The module has its own linear memory: each call copies its Float32Array operands into a
 * grow-only arena in that memory, runs the kernel on them there and copies the outputs back (a
 * later step may keep parameters resident). Every array is given room for a whole number of f32x4
 * plus one vector, so the kernels run whole vectors and may write that padding.
 *
 * In wasm: gemm (packed, register-tiled 4 × 8 SIMD), the fused bias + activation, the activations
 * and their gradients, colSum, mse, bce (plain wasm: no SIMD logarithm), softmax, axpy, scale,
 * Adam, SGD, RMSprop, the squared norms and distances, and `nearest`'s GEMM. Delegated to the js
 * backend for now: `im2col` and `col2im` (index shuffling, no arithmetic), so the convolutions run
 * their GEMMs here and their unfolding in js (`convGemm`, `convGemmBackward`), and `nearest`'s
 * argmin pass.
 */
import { ACTIVATION_CODE, checkMatmulPrecision } from '../backend.js';
import type { ActivationKind, AdamParams, Backend, BackendInfo, ConvGeometry, MatmulPrecision } from '../backend.js';
import { argmin2Rows } from '../nearest-rows.js';
import { JsBackend, convGemmBackwardPerImage, convGemmPerImage } from './js.js';

/** What assembly/index.ts exports (pointers are byte offsets into `memory`; 0 is a null array; flags 0/1). */
interface Kernels {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  heapBase(): number;
  gemmWorkFloats(m: number, n: number, k: number): number;
  gemm(transA: number, transB: number, m: number, n: number, k: number, alpha: number, a: number, b: number, beta: number, c: number, work: number): void;
  biasActivation(kind: number, y: number, bias: number, rows: number, cols: number, slope: number): void;
  activation(kind: number, x: number, n: number, slope: number): void;
  activationBackward(kind: number, y: number, dy: number, n: number, slope: number): void;
  colSum(a: number, rows: number, cols: number, out: number, accumulate: number, acc: number): void;
  mse(y: number, t: number, grad: number, n: number, scale: number): number;
  bce(p: number, t: number, rows: number, cols: number, rowSums: number, grad: number, scale: number): number;
  softmax(x: number, rows: number, cols: number): void;
  axpy(n: number, alpha: number, x: number, y: number): void;
  scale(n: number, alpha: number, x: number): void;
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    beta1: number,
    beta2: number,
    omb1: number,
    omb2: number,
    stepSize: number,
    invBc2Sqrt: number,
    eps: number,
    wd: number,
    decay: number,
    mode: number,
  ): void;
  sgd(p: number, g: number, buf: number, n: number, lr: number, momentum: number, omd: number, wd: number, nesterov: number, firstStep: number): void;
  rmsprop(p: number, g: number, sq: number, gAvg: number, buf: number, n: number, lr: number, alpha: number, eps: number, wd: number, momentum: number): void;
  sqNorms(x: number, n: number, d: number, out: number): void;
  addSqNorms(out: number, n: number, k: number, xn: number, mn: number): void;
}

const KERNEL_FUNCTIONS: readonly Exclude<keyof Kernels, 'memory'>[] = [
  'heapBase',
  'gemmWorkFloats',
  'gemm',
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
  'sqNorms',
  'addSqNorms',
];

/** The parts of the WebAssembly JS API used here (the project's type libraries do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => WasmInstance;
}

/** A WebAssembly.Instance of kernels.wasm (as `WebAssembly.instantiate` gives it in a browser). */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

const WASM_PAGE = 65536;
/** wasm32 addresses 4 GiB at most. */
const MAX_BYTES = 2 ** 32;
/** Rows of X per block in the distance kernels: about 4 MiB of X in the arena at a time. */
const BLOCK_BYTES = 4 << 20;
const INT32_MAX = 0x7fffffff;

/** Throws unless v is a non-negative integer (sizes are checked against the arrays afterwards). */
function size(fn: string, name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > Number.MAX_SAFE_INTEGER) throw new RangeError(`${fn}: expected ${name} to be a non-negative integer, got ${v}`);
  return v;
}

/** Throws unless v fits the kernels' 32-bit sizes (checked after the lengths, which usually fail first). */
function int32(fn: string, name: string, v: number): void {
  if (v > INT32_MAX) throw new RangeError(`${fn}: expected ${name} ≤ ${INT32_MAX} (the wasm kernels' sizes are 32-bit), got ${v}`);
}

type Typed = Float32Array | Float64Array | Int32Array;

/** Throws unless arr is a `what` (or null when nullable) with at least `need` elements. */
function checkArray<T extends Typed>(
  fn: string,
  name: string,
  arr: unknown,
  need: number,
  ctor: { new (n: number): T; name: string },
  nullable: boolean,
): T | null {
  if (arr === null && nullable) return null;
  if (!(arr instanceof ctor))
    throw new TypeError(`${fn}: expected ${name} to be a${ctor.name.startsWith('I') ? 'n' : ''} ${ctor.name}${nullable ? ' or null' : ''}`);
  if (arr.length < need) throw new RangeError(`${fn}: ${name} has ${arr.length} elements, expected at least ${need}`);
  return arr;
}

function f32(fn: string, name: string, arr: Float32Array, need: number): Float32Array;
function f32(fn: string, name: string, arr: Float32Array | null, need: number, nullable: true): Float32Array | null;
function f32(fn: string, name: string, arr: Float32Array | null, need: number, nullable = false): Float32Array | null {
  return checkArray(fn, name, arr, need, Float32Array, nullable);
}

function f64(fn: string, name: string, arr: Float64Array | null, need: number, nullable: boolean): Float64Array | null {
  return checkArray(fn, name, arr, need, Float64Array, nullable);
}

/**
 * The kernels' memory above heapBase(), handed out afresh by every call (`reset`) and grown when a
 * call needs more: it never shrinks, so it stays as large as the largest call made.
 */
class Arena {
  private top: number;
  /** When not null, the length in floats of every copy in or out (a benchmark's `traceCopies`). */
  copies: number[] | null = null;
  private heapF32 = new Float32Array(0);
  private heapF64 = new Float64Array(0);

  constructor(
    private readonly k: Kernels,
    private readonly base: number,
  ) {
    this.top = base;
  }

  /** Frees everything handed out (the next call's operands reuse the same memory). */
  reset(to = this.base): void {
    this.top = to;
  }

  /** Where the next allocation would start (to `reset` to it later). */
  mark(): number {
    return this.top;
  }

  /** Room for n values of `bytes` each, 16-byte aligned, rounded up to whole vectors plus one. */
  alloc(fn: string, n: number, bytes = 4): number {
    const ptr = this.top;
    this.top += (Math.ceil((n * bytes) / 16) + 1) * 16;
    const have = this.k.memory.buffer.byteLength;
    if (this.top > have) {
      if (this.top > MAX_BYTES) throw new RangeError(`${fn}: the operands need ${this.top} bytes of wasm memory, more than the 4 GiB wasm32 can address`);
      try {
        this.k.memory.grow(Math.ceil((this.top - have) / WASM_PAGE));
      } catch (e) {
        throw new RangeError(`${fn}: could not grow the wasm memory to ${this.top} bytes (${e instanceof Error ? e.message : String(e)})`, { cause: e });
      }
    }
    return ptr;
  }

  /** The memory as floats (views are made again after the memory grew). */
  f32(): Float32Array {
    if (this.heapF32.buffer !== this.k.memory.buffer) this.heapF32 = new Float32Array(this.k.memory.buffer);
    return this.heapF32;
  }

  f64(): Float64Array {
    if (this.heapF64.buffer !== this.k.memory.buffer) this.heapF64 = new Float64Array(this.k.memory.buffer);
    return this.heapF64;
  }

  /** Allocates n floats and copies src[0..n) there. */
  put(fn: string, src: Float32Array, n: number): number {
    const ptr = this.alloc(fn, n);
    this.f32().set(n === src.length ? src : src.subarray(0, n), ptr >>> 2);
    this.copies?.push(n);
    return ptr;
  }

  /** Allocates n doubles and copies src[0..n) there. */
  put64(fn: string, src: Float64Array, n: number): number {
    const ptr = this.alloc(fn, n, 8);
    this.f64().set(n === src.length ? src : src.subarray(0, n), ptr >>> 3);
    return ptr;
  }

  /** Copies n floats at ptr into dst[0..n). */
  get(ptr: number, dst: Float32Array, n: number): void {
    dst.set(this.f32().subarray(ptr >>> 2, (ptr >>> 2) + n));
    this.copies?.push(n);
  }

  get64(ptr: number, dst: Float64Array, n: number): void {
    dst.set(this.f64().subarray(ptr >>> 3, (ptr >>> 3) + n));
  }
}

/** The kernels' exports, checked; throws naming what is missing. */
function instantiate(source: Uint8Array | WasmInstance): Kernels {
  let instance: WasmInstance;
  if (source instanceof Uint8Array) {
    const wa = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
    if (wa === undefined) throw new Error('this JavaScript engine has no WebAssembly');
    // Synchronous compilation: allowed for a module of any size in Node (a browser's main thread
    // may cap it: there, instantiate asynchronously and pass the instance).
    instance = new wa.Instance(new wa.Module(source), {});
  } else instance = source;
  const ex = instance.exports;
  const missing = KERNEL_FUNCTIONS.filter((f) => typeof ex[f] !== 'function');
  if (missing.length > 0 || typeof ex.memory !== 'object')
    throw new Error(`kernels.wasm is out of date (missing ${missing.join(', ') || 'memory'}); run \`npm run build:wasm\``);
  return ex as unknown as Kernels;
}

/** Backend over the wasm kernels; see the file's comment. */
export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  private readonly k: Kernels;
  private readonly arena: Arena;
  /** The reference backend, for what is delegated to it (im2col, col2im). */
  private readonly js = new JsBackend();

  /**
   * Over kernels.wasm: its bytes, compiled here synchronously (`loadWasmBackend` reads them from the
   * package in Node), or an instance of it made asynchronously (a browser: `WebAssembly.instantiate`).
   */
  constructor(source: Uint8Array | WasmInstance) {
    this.k = instantiate(source);
    this.arena = new Arena(this.k, (this.k.heapBase() + 15) & ~15);
  }

  info(): BackendInfo {
    return { name: 'wasm', threads: 1, blasCore: null, matmulPrecision: 'float32' };
  }

  matmulPrecisionUnavailable(p: MatmulPrecision): string | null {
    checkMatmulPrecision(p);
    return p === 'float32' ? null : `the wasm backend multiplies in float32 only; '${p}' needs the native backend`;
  }

  setMatmulPrecision(p: MatmulPrecision): void {
    const why = this.matmulPrecisionUnavailable(p);
    if (why !== null) throw new Error(`setMatmulPrecision: ${why}`);
  }

  setThreads(n: number): void {
    // Single-threaded for now (worker threads over a shared memory are a later step): only validated.
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads: expected a positive integer thread count, got ${n}`);
  }

  /**
   * Starts (on) or stops (off) recording the operand copies between JS and wasm memory, returning
   * the lengths (floats) of those made since the last call: what a benchmark replays to time them.
   * The distance kernels' row gathers are not recorded.
   */
  traceCopies(on: boolean): number[] {
    const done = this.arena.copies ?? [];
    this.arena.copies = on ? [] : null;
    return done;
  }

  /** Bytes of wasm memory the arena holds now (it grows to the largest call's operands and stays). */
  memoryBytes(): number {
    return this.k.memory.buffer.byteLength;
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
    const fn = 'gemm';
    size(fn, 'm', m);
    size(fn, 'n', n);
    size(fn, 'k', k);
    f32(fn, 'a', a, m * k);
    f32(fn, 'b', b, k * n);
    f32(fn, 'c', c, m * n);
    int32(fn, 'm', m);
    int32(fn, 'n', n);
    int32(fn, 'k', k);
    int32(fn, 'm·k', m * k);
    int32(fn, 'k·n', k * n);
    int32(fn, 'm·n', m * n);
    if (m === 0 || n === 0) return;
    const ar = this.arena;
    ar.reset();
    const pa = ar.put(fn, a, m * k);
    const pb = ar.put(fn, b, k * n);
    const pc = beta === 0 ? ar.alloc(fn, m * n) : ar.put(fn, c, m * n);
    const work = ar.alloc(fn, this.k.gemmWorkFloats(m, n, k));
    this.k.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, pa, pb, beta, pc, work);
    ar.get(pc, c, m * n);
  }

  biasActivation(kind: ActivationKind, y: Float32Array, bias: Float32Array | null, rows: number, cols: number, slope: number): void {
    const fn = 'biasActivation';
    const code = activationCode(fn, kind);
    size(fn, 'rows', rows);
    size(fn, 'cols', cols);
    f32(fn, 'y', y, rows * cols);
    f32(fn, 'bias', bias, cols, true);
    int32(fn, 'rows·cols', rows * cols);
    const ar = this.arena;
    ar.reset();
    const py = ar.put(fn, y, rows * cols);
    const pb = bias === null ? 0 : ar.put(fn, bias, cols);
    this.k.biasActivation(code, py, pb, rows, cols, slope);
    ar.get(py, y, rows * cols);
  }

  activation(kind: ActivationKind, x: Float32Array, out: Float32Array, n: number, slope: number): void {
    const fn = 'activation';
    const code = activationCode(fn, kind);
    size(fn, 'n', n);
    f32(fn, 'x', x, n);
    f32(fn, 'out', out, n);
    int32(fn, 'n', n);
    const ar = this.arena;
    ar.reset();
    const px = ar.put(fn, x, n); // computed in place there, so out may alias x
    this.k.activation(code, px, n, slope);
    ar.get(px, out, n);
  }

  activationBackward(kind: ActivationKind, y: Float32Array, dy: Float32Array, dx: Float32Array, n: number, slope: number): void {
    const fn = 'activationBackward';
    const code = activationCode(fn, kind);
    size(fn, 'n', n);
    f32(fn, 'y', y, n);
    f32(fn, 'dy', dy, n);
    f32(fn, 'dx', dx, n);
    int32(fn, 'n', n);
    const ar = this.arena;
    ar.reset();
    const py = ar.put(fn, y, n);
    const pd = ar.put(fn, dy, n); // dx is computed over dy's copy, so dx may alias dy
    this.k.activationBackward(code, py, pd, n, slope);
    ar.get(pd, dx, n);
  }

  colSum(a: Float32Array, rows: number, cols: number, out: Float32Array, accumulate: boolean): void {
    const fn = 'colSum';
    size(fn, 'rows', rows);
    size(fn, 'cols', cols);
    f32(fn, 'a', a, rows * cols);
    f32(fn, 'out', out, cols);
    int32(fn, 'rows·cols', rows * cols);
    const ar = this.arena;
    ar.reset();
    const pa = ar.put(fn, a, rows * cols);
    const po = accumulate ? ar.put(fn, out, cols) : ar.alloc(fn, cols);
    const acc = ar.alloc(fn, cols + 4, 8);
    this.k.colSum(pa, rows, cols, po, accumulate ? 1 : 0, acc);
    ar.get(po, out, cols);
  }

  mse(y: Float32Array, t: Float32Array, grad: Float32Array | null, n: number, scale: number): number {
    const fn = 'mse';
    size(fn, 'n', n);
    f32(fn, 'y', y, n);
    f32(fn, 't', t, n);
    f32(fn, 'grad', grad, n, true);
    int32(fn, 'n', n);
    const ar = this.arena;
    ar.reset();
    const py = ar.put(fn, y, n);
    const pt = ar.put(fn, t, n);
    const pg = grad === null ? 0 : ar.alloc(fn, n);
    const loss = this.k.mse(py, pt, pg, n, scale);
    if (grad !== null) ar.get(pg, grad, n);
    return loss;
  }

  bce(p: Float32Array, t: Float32Array, rows: number, cols: number, rowSums: Float64Array | null, grad: Float32Array | null, scale: number): number {
    const fn = 'bce';
    size(fn, 'rows', rows);
    size(fn, 'cols', cols);
    f32(fn, 'p', p, rows * cols);
    f32(fn, 't', t, rows * cols);
    f64(fn, 'rowSums', rowSums, rows, true);
    f32(fn, 'grad', grad, rows * cols, true);
    int32(fn, 'rows·cols', rows * cols);
    const ar = this.arena;
    ar.reset();
    const pp = ar.put(fn, p, rows * cols);
    const pt = ar.put(fn, t, rows * cols);
    const pr = rowSums === null ? 0 : ar.alloc(fn, rows, 8);
    const pg = grad === null ? 0 : ar.alloc(fn, rows * cols);
    const total = this.k.bce(pp, pt, rows, cols, pr, pg, scale);
    if (rowSums !== null) ar.get64(pr, rowSums, rows);
    if (grad !== null) ar.get(pg, grad, rows * cols);
    return total;
  }

  softmax(logits: Float32Array, probs: Float32Array, rows: number, cols: number): void {
    const fn = 'softmax';
    size(fn, 'rows', rows);
    size(fn, 'cols', cols);
    f32(fn, 'logits', logits, rows * cols);
    f32(fn, 'probs', probs, rows * cols);
    int32(fn, 'rows·cols', rows * cols);
    const ar = this.arena;
    ar.reset();
    const px = ar.put(fn, logits, rows * cols);
    this.k.softmax(px, rows, cols);
    ar.get(px, probs, rows * cols);
  }

  axpy(n: number, alpha: number, x: Float32Array, y: Float32Array): void {
    const fn = 'axpy';
    size(fn, 'n', n);
    f32(fn, 'x', x, n);
    f32(fn, 'y', y, n);
    int32(fn, 'n', n);
    const ar = this.arena;
    ar.reset();
    const px = ar.put(fn, x, n);
    const py = ar.put(fn, y, n);
    this.k.axpy(n, alpha, px, py);
    ar.get(py, y, n);
  }

  scale(n: number, alpha: number, x: Float32Array): void {
    const fn = 'scale';
    size(fn, 'n', n);
    f32(fn, 'x', x, n);
    int32(fn, 'n', n);
    const ar = this.arena;
    ar.reset();
    const px = ar.put(fn, x, n);
    this.k.scale(n, alpha, px);
    ar.get(px, x, n);
  }

  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, o: AdamParams): void {
    const fn = 'adam';
    size(fn, 'n', n);
    f32(fn, 'p', p, n);
    f32(fn, 'g', g, n);
    f32(fn, 'm', m, n);
    f32(fn, 'v', v, n);
    int32(fn, 'n', n);
    // The scalars in float64 (bias corrections folded into two of them), rounded once by the call.
    const { lr, beta1, beta2, eps, weightDecay, decoupled, step } = o;
    const stepSize = lr / (1 - Math.pow(beta1, step));
    const invBc2Sqrt = 1 / Math.sqrt(1 - Math.pow(beta2, step));
    const mode = weightDecay === 0 ? 0 : decoupled ? 2 : 1;
    const ar = this.arena;
    ar.reset();
    const pp = ar.put(fn, p, n);
    const pg = ar.put(fn, g, n);
    const pm = ar.put(fn, m, n);
    const pv = ar.put(fn, v, n);
    this.k.adam(pp, pg, pm, pv, n, beta1, beta2, 1 - beta1, 1 - beta2, stepSize, invBc2Sqrt, eps, weightDecay, 1 - lr * weightDecay, mode);
    ar.get(pp, p, n);
    ar.get(pm, m, n);
    ar.get(pv, v, n);
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
    const fn = 'sgd';
    size(fn, 'n', n);
    f32(fn, 'p', p, n);
    f32(fn, 'g', g, n);
    f32(fn, 'buf', buf, n, true);
    int32(fn, 'n', n);
    const b = momentum === 0 ? null : buf;
    const ar = this.arena;
    ar.reset();
    const pp = ar.put(fn, p, n);
    const pg = ar.put(fn, g, n);
    const pb = b === null ? 0 : firstStep ? ar.alloc(fn, n) : ar.put(fn, b, n);
    this.k.sgd(pp, pg, pb, n, lr, momentum, 1 - dampening, weightDecay, nesterov ? 1 : 0, firstStep ? 1 : 0);
    ar.get(pp, p, n);
    if (b !== null) ar.get(pb, b, n);
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
    const fn = 'rmsprop';
    size(fn, 'n', n);
    f32(fn, 'p', p, n);
    f32(fn, 'g', g, n);
    f32(fn, 'sq', sq, n);
    f32(fn, 'gAvg', gAvg, n, true);
    f32(fn, 'buf', buf, n, true);
    int32(fn, 'n', n);
    const b = momentum > 0 ? buf : null;
    const ar = this.arena;
    ar.reset();
    const pp = ar.put(fn, p, n);
    const pg = ar.put(fn, g, n);
    const ps = ar.put(fn, sq, n);
    const pa = gAvg === null ? 0 : ar.put(fn, gAvg, n);
    const pb = b === null ? 0 : ar.put(fn, b, n);
    this.k.rmsprop(pp, pg, ps, pa, pb, n, lr, alpha, eps, weightDecay, momentum);
    ar.get(pp, p, n);
    ar.get(ps, sq, n);
    if (gAvg !== null) ar.get(pa, gAvg, n);
    if (b !== null) ar.get(pb, b, n);
  }

  sqNorms(x: Float32Array, n: number, d: number, out: Float64Array): void {
    const fn = 'sqNorms';
    size(fn, 'n', n);
    size(fn, 'd', d);
    f32(fn, 'x', x, n * d);
    f64(fn, 'out', out, n, false);
    int32(fn, 'd', d);
    const ar = this.arena;
    const block = blockRows(d);
    for (let i0 = 0; i0 < n; i0 += block) {
      const rows = Math.min(block, n - i0);
      ar.reset();
      const px = ar.alloc(fn, rows * d);
      ar.f32().set(x.subarray(i0 * d, (i0 + rows) * d), px >>> 2);
      const po = ar.alloc(fn, rows, 8);
      this.k.sqNorms(px, rows, d, po);
      ar.get64(po, out.subarray(i0, i0 + rows), rows);
    }
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
    const fn = 'sqDistances';
    size(fn, 'n', n);
    size(fn, 'k', k);
    size(fn, 'd', d);
    f32(fn, 'x', x, n * d);
    f32(fn, 'mProto', mProto, k * d);
    f32(fn, 'out', out, n * k);
    f64(fn, 'xNorm2', xNorm2, n, true);
    f64(fn, 'mNorm2', mNorm2, k, true);
    this.distances(
      fn,
      n,
      k,
      d,
      mProto,
      out,
      mNorm2,
      (heap, at, i0, rows) => heap.set(x.subarray(i0 * d, (i0 + rows) * d), at),
      xNorm2 === null ? null : (i) => xNorm2[i],
    );
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
    const fn = 'sqDistancesRows';
    size(fn, 'm', m);
    size(fn, 'k', k);
    size(fn, 'd', d);
    f32(fn, 'x', x, 0);
    checkArray(fn, 'rows', rows, m, Int32Array, false);
    f32(fn, 'mProto', mProto, k * d);
    f32(fn, 'out', out, m * k);
    f64(fn, 'xNorm2', xNorm2, 0, true);
    const rowsOfX = Math.min(d === 0 ? Infinity : Math.floor(x.length / d), xNorm2 === null ? Infinity : xNorm2.length);
    for (let t = 0; t < m; t++) {
      const r = rows[t];
      if (!(r >= 0 && r < rowsOfX)) throw new RangeError(`${fn}: rows[${t}] is ${r}, outside the ${rowsOfX} rows of x${xNorm2 === null ? '' : ' and xNorm2'}`);
    }
    // The rows are gathered straight into the arena: the same computation as sqDistances over them.
    this.distances(
      fn,
      m,
      k,
      d,
      mProto,
      out,
      null,
      (heap, at, t0, count) => {
        for (let t = 0; t < count; t++) heap.set(x.subarray(rows[t0 + t] * d, rows[t0 + t] * d + d), at + t * d);
      },
      xNorm2 === null ? null : (t) => xNorm2[rows[t]],
    );
  }

  /**
   * out (n × k) = ‖x_i − m_j‖², X by blocks of rows: `fill` copies rows [i0, i0 + count) of X to
   * heap[at …], xNorm(i) is ‖x_i‖² when given. M and its norms go into the arena once.
   */
  private distances(
    fn: string,
    n: number,
    k: number,
    d: number,
    mProto: Float32Array,
    out: Float32Array,
    mNorm2: Float64Array | null,
    fill: (heap: Float32Array, at: number, i0: number, count: number) => void,
    xNorm: ((i: number) => number) | null,
  ): void {
    int32(fn, 'n', n);
    int32(fn, 'k', k);
    int32(fn, 'd', d);
    int32(fn, 'k·d', k * d);
    if (n === 0 || k === 0) return;
    const ar = this.arena;
    ar.reset();
    const pm = ar.put(fn, mProto, k * d);
    const pmn = mNorm2 === null ? ar.alloc(fn, k, 8) : ar.put64(fn, mNorm2, k);
    if (mNorm2 === null) this.k.sqNorms(pm, k, d, pmn);
    const block = blockRows(d);
    const mark = ar.mark();
    for (let i0 = 0; i0 < n; i0 += block) {
      const rows = Math.min(block, n - i0);
      ar.reset(mark);
      const px = ar.alloc(fn, rows * d);
      const pxn = ar.alloc(fn, rows, 8);
      const po = ar.alloc(fn, rows * k);
      const work = ar.alloc(fn, this.k.gemmWorkFloats(rows, k, d));
      fill(ar.f32(), px >>> 2, i0, rows);
      if (xNorm === null) this.k.sqNorms(px, rows, d, pxn);
      else {
        const heap = ar.f64();
        for (let i = 0; i < rows; i++) heap[(pxn >>> 3) + i] = xNorm(i0 + i);
      }
      this.k.gemm(0, 1, rows, k, d, -2, px, pm, 0, po, work);
      this.k.addSqNorms(po, rows, k, pxn, pmn);
      ar.get(po, out.subarray(i0 * k, (i0 + rows) * k), rows * k);
    }
  }

  nearest(x: Float32Array, mProto: Float32Array, n: number, k: number, d: number, scratch: Float32Array, best: Int32Array, second: Int32Array | null): void {
    const fn = 'nearest';
    size(fn, 'n', n);
    size(fn, 'k', k);
    size(fn, 'd', d);
    f32(fn, 'x', x, n * d);
    f32(fn, 'mProto', mProto, k * d);
    f32(fn, 'scratch', scratch, n * k);
    checkArray(fn, 'best', best, n, Int32Array, false);
    checkArray(fn, 'second', second, n, Int32Array, true);
    if (k < 1) throw new RangeError(`nearest: expected k ≥ 1, got ${k}`);
    int32(fn, 'n', n);
    int32(fn, 'k', k);
    int32(fn, 'd', d);
    int32(fn, 'k·d', k * d);
    // scratch = ‖m‖² (as float32, broadcast to every row) − 2·X·Mᵀ: one gemm with beta 1 per block of rows.
    const ar = this.arena;
    ar.reset();
    const pm = ar.put(fn, mProto, k * d);
    const pmn = ar.alloc(fn, k, 8);
    this.k.sqNorms(pm, k, d, pmn);
    const mn = Float32Array.from(ar.f64().subarray(pmn >>> 3, (pmn >>> 3) + k));
    const block = blockRows(d);
    const mark = ar.mark();
    for (let i0 = 0; i0 < n; i0 += block) {
      const rows = Math.min(block, n - i0);
      ar.reset(mark);
      const px = ar.put(fn, x.subarray(i0 * d, (i0 + rows) * d), rows * d);
      const ps = ar.alloc(fn, rows * k);
      const work = ar.alloc(fn, this.k.gemmWorkFloats(rows, k, d));
      const heap = ar.f32();
      for (let i = 0; i < rows; i++) heap.set(mn, (ps >>> 2) + i * k);
      this.k.gemm(0, 1, rows, k, d, -2, px, pm, 1, ps, work);
      ar.get(ps, scratch.subarray(i0 * k, (i0 + rows) * k), rows * k);
    }
    argmin2Rows(scratch, n, k, best, second);
  }

  // im2col / col2im: the js backend's loops (index arithmetic and copies, no products); the
  // convolutions below run their GEMMs on this backend, one image at a time.
  im2col(x: Float32Array, images: number, g: ConvGeometry, cols: Float32Array): void {
    this.js.im2col(x, images, g, cols);
  }

  col2im(cols: Float32Array, images: number, g: ConvGeometry, x: Float32Array, accumulate: boolean): void {
    this.js.col2im(cols, images, g, x, accumulate);
  }

  /** Column matrix for one image (convGemm, convGemmBackward). */
  private cols = new Float32Array(0);

  private colsFor = (size: number): Float32Array => {
    if (this.cols.length < size) this.cols = new Float32Array(size);
    return this.cols.subarray(0, size);
  };

  convGemm(a: Float32Array, images: number, g: ConvGeometry, w: Float32Array, m: number, out: Float32Array, accumulate: boolean): void {
    convGemmPerImage(this, this.colsFor, a, images, g, w, m, out, accumulate);
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
    convGemmBackwardPerImage(this, this.colsFor, a, d, images, g, w, m, dw, accumulateW, db, accumulateB, da, accumulateA);
  }
}

/** The activation's code, or a RangeError naming the function. */
function activationCode(fn: string, kind: ActivationKind): number {
  const code = ACTIVATION_CODE[kind] as number | undefined;
  if (code === undefined) throw new RangeError(`${fn}: unknown activation ${JSON.stringify(kind)}`);
  return code;
}

/** Rows of a d-wide X per block of the distance kernels. */
function blockRows(d: number): number {
  return Math.max(64, Math.floor(BLOCK_BYTES / 4 / Math.max(d, 1)));
}

/** Where the package keeps kernels.wasm (from src/ or dist/ alike: both sit at the package root). */
export function wasmKernelsUrl(): URL {
  return new URL('../../../src/tensor/backends/wasm/kernels.wasm', import.meta.url);
}

/** fs.readFileSync, reached without a static `node:` import so that this file can be bundled for a browser. */
function nodeReadFile(): ((url: URL) => Uint8Array) | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as { readFileSync(url: URL): Uint8Array } | undefined;
  return fs === undefined ? null : (url) => fs.readFileSync(url);
}

let loaded: { backend: Backend } | { error: string } | null = null;

/**
 * The wasm backend over the package's kernels.wasm, read and compiled synchronously (Node). Never
 * throws: on failure returns the reason. Elsewhere (a browser), build one with
 * `new WasmBackend(instance)` from the fetched file and select it with `useBackend(backend)`.
 */
export function loadWasmBackend(): { backend: Backend } | { error: string } {
  if (loaded === null) {
    const read = nodeReadFile();
    if (read === null) return { error: 'not running under Node.js (pass the bytes of kernels.wasm to new WasmBackend(bytes))' };
    const url = wasmKernelsUrl();
    try {
      loaded = { backend: new WasmBackend(read(url)) };
    } catch (e) {
      loaded = { error: `could not load ${decodeURIComponent(url.pathname)}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
    }
  }
  return loaded;
}
