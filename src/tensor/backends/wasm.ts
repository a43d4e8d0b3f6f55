/**
 * The wasm backend: the kernels of assembly/ (AssemblyScript) compiled to WebAssembly with 128-bit
 * SIMD, shipped as wasm/kernels.wasm so that it needs no compiler, for machines without the native
 * addon and the explorer's in-browser inference (web/draw/backend.ts). Over wasm/kernels-mt.wasm
 * (the same kernels over a shared memory) it runs the GEMMs, the distance GEMMs, Adam and the
 * larger activations on `setThreads(n)` threads (wasm-threads.ts); over kernels.wasm, on one.
 *
 * The module has its own linear memory: each call copies its Float32Array operands into a
 * grow-only arena in that memory, runs the kernel on them there and copies the outputs back.
 * Every array is given room for a whole number of f32x4 plus one vector, so the kernels run whole
 * vectors and may write that padding. Arrays made by `residentArray` (kernels-mt.wasm: views of
 * its shared memory) are used where they are by gemm, biasActivation, colSum, the optimizers and
 * the distance kernels' prototypes, when that is safe (Arena.output).
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
import {
  CONTROL_BYTES,
  JOB_ACTIVATION,
  JOB_ADAM,
  JOB_BIAS_ACTIVATION,
  JOB_GEMM,
  MAX_TILES,
  ThreadPool,
  sharedMemoryUnavailableReason,
  threadsUnavailableReason,
} from './wasm-threads.js';

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
  runTile(job: number, t: number, self: number): void;
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
  'runTile',
];

/** The parts of the WebAssembly JS API used here (the project's type libraries do not declare it). */
interface WebAssemblyApi {
  Module: { new (bytes: Uint8Array): WasmModule; imports(module: WasmModule): { module: string; name: string; kind: string }[] };
  Instance: new (module: WasmModule, imports: object) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => { readonly buffer: ArrayBufferLike };
}

/** A WebAssembly.Instance of kernels.wasm (as `WebAssembly.instantiate` gives it in a browser). */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

/** A compiled WebAssembly.Module of kernels.wasm or kernels-mt.wasm (`WebAssembly.compile` in a browser). */
export type WasmModule = object;

const WASM_PAGE = 65536;
/** wasm32 addresses 4 GiB at most. */
const MAX_BYTES = 2 ** 32;
/** The shared memory's maximum (pages): all wasm32 addresses, reserved, not allocated, until the arena grows. */
const SHARED_MAX_PAGES = MAX_BYTES / WASM_PAGE;
/** Multiply-adds below which a GEMM stays on one thread (waking the others costs more), as the native backend. */
const GEMM_THREADS_MIN = 1 << 18;
/** Elements below which Adam stays on one thread, as the native backend. */
const ADAM_THREADS_MIN = 1 << 16;
/** Elements of tanh or sigmoid (e^x per element) below which an activation stays on one thread. */
const EXP_THREADS_MIN = 1 << 15;
/** Tiles per thread of a job: the threads claim them as they finish, so a thread slowed by others' work leaves its share to the rest. */
const TILES_PER_THREAD = 4;
/**
 * Fewest columns (rows) of C per GEMM tile beyond one tile per thread: each tile packs all of the
 * other operand again, which costs about as much as a few multiply-adds per packed float.
 */
const GEMM_MIN_SPAN = 64;
/** Most threads setThreads accepts (the native backend's limit). */
const MAX_THREADS = 1024;
/**
 * Most threads the backend runs (more asked for run as this many): each worker is a JavaScript
 * isolate of its own (about 8.5 MB), and the per-thread scratch of a GEMM is allocated for each.
 */
const MAX_WASM_THREADS = 64;
/** Most threads by default (the cores beyond are left alone unless asked for: see defaultWasmThreads). */
const DEFAULT_MAX_THREADS = 8;
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
 * The kernels' memory above heapBase(): first the resident arrays (`resident`, kept for the
 * backend's life), then the scratch handed out afresh by every call (`reset`) and grown when a
 * call needs more: it never shrinks, so it stays as large as the largest call made.
 */
class Arena {
  private top: number;
  /** When not null, the length in floats of every copy in or out (a benchmark's `traceCopies`). */
  copies: number[] | null = null;
  private heapF32 = new Float32Array(0);
  private heapF64 = new Float64Array(0);
  /**
   * The buffers resident arrays are views of: a shared memory hands out a new SharedArrayBuffer
   * object each time it grows (the older ones stay valid, at their length), so an array lives in
   * this memory when its buffer is one of these.
   */
  private readonly residentBuffers = new WeakSet<ArrayBufferLike>();
  /** Where each resident block ends (its padding, a whole vector, follows). */
  private readonly residentEnds = new Set<number>();

  constructor(
    private readonly k: Kernels,
    private base: number,
  ) {
    this.top = base;
  }

  /** n zeros in memory of their own below the scratch, as a view (a shared memory never detaches it). */
  resident(fn: string, n: number): Float32Array {
    this.reset();
    const ptr = this.alloc(fn, n);
    this.base = this.top;
    const buffer = this.k.memory.buffer;
    const view = new Float32Array(buffer, ptr, n);
    view.fill(0);
    this.residentBuffers.add(buffer);
    this.residentEnds.add(ptr + 4 * n);
    return view;
  }

  /** The address of arr[0] when arr lives in this memory (a resident array or a view of one), else −1. */
  where(arr: Float32Array): number {
    return this.residentBuffers.has(arr.buffer) ? arr.byteOffset : -1;
  }

  /** The address of src[0..n) for a kernel that only reads it: src itself when it lives in this memory, else a copy. */
  input(fn: string, src: Float32Array, n: number): number {
    const at = this.where(src);
    return at >= 0 ? at : this.put(fn, src, n);
  }

  /**
   * The address a kernel writes dst[0..n) at, holding dst's values first when `keep`: dst itself
   * when it lives in this memory, the kernel's writes stay inside it (`exact`: it writes the n
   * entries only; else it writes whole vectors, which stay inside when n is a multiple of 4 or dst
   * reaches the end of its block) and none of `others` (the call's other operands) lives in the
   * same memory; else a copy in the scratch, which `finish` copies back.
   */
  output(fn: string, dst: Float32Array, n: number, keep: boolean, exact: boolean, ...others: (Float32Array | null)[]): number {
    const at = this.where(dst);
    if (at >= 0 && (exact || n % 4 === 0 || this.residentEnds.has(at + 4 * n))) {
      const end = at + 4 * ((n + 3) & ~3);
      const overlaps = others.some((o) => {
        const w = o === null ? -1 : this.where(o);
        return w >= 0 && w < end + 16 && at < w + 4 * (o as Float32Array).length + 16;
      });
      if (!overlaps) return at;
    }
    return keep ? this.put(fn, dst, n) : this.alloc(fn, n);
  }

  /** After the kernel: copies dst[0..n) back from `ptr` unless `output` gave dst itself. */
  finish(ptr: number, dst: Float32Array, n: number): void {
    if (this.where(dst) !== ptr) this.get(ptr, dst, n);
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

/**
 * The kernels' exports, checked (throws naming what is missing), and for kernels-mt.wasm the
 * module and the shared memory it was instantiated over (the workers instantiate the same).
 */
function instantiate(source: Uint8Array | WasmInstance | WasmModule): { k: Kernels; shared: { module: WasmModule; memory: object } | null } {
  let instance: WasmInstance;
  let shared: { module: WasmModule; memory: object } | null = null;
  const wa = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (source instanceof Uint8Array || (wa !== undefined && source instanceof wa.Module)) {
    if (wa === undefined) throw new Error('this JavaScript engine has no WebAssembly');
    // Synchronous compilation: allowed for a module of any size in Node (a browser's main thread
    // may cap it: there, instantiate asynchronously and pass the instance).
    const module = source instanceof Uint8Array ? new wa.Module(source) : source;
    if (wa.Module.imports(module).some((i) => i.kind === 'memory')) {
      // kernels-mt.wasm: its memory is shared, made here (the pages above the first are reserved, not allocated).
      const why = sharedMemoryUnavailableReason();
      if (why !== null) throw new Error(`kernels-mt.wasm needs a shared memory: ${why}; use kernels.wasm`);
      const memory = new wa.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
      instance = new wa.Instance(module, { env: { memory } });
      shared = { module, memory };
    } else instance = new wa.Instance(module, {});
  } else instance = source as WasmInstance;
  const ex = instance.exports;
  const missing = KERNEL_FUNCTIONS.filter((f) => typeof ex[f] !== 'function');
  if (missing.length > 0 || typeof ex.memory !== 'object')
    throw new Error(`kernels.wasm is out of date (missing ${missing.join(', ') || 'memory'}); run \`npm run build:wasm\``);
  return { k: ex as unknown as Kernels, shared };
}

/** Backend over the wasm kernels; see the file's comment. */
export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  private readonly k: Kernels;
  private readonly arena: Arena;
  /** The worker threads (kernels-mt.wasm only; null over kernels.wasm). */
  private readonly pool: ThreadPool | null;
  /** Why this backend runs on one thread whatever setThreads asks, or null. */
  private readonly noThreads: string | null;
  /** The reference backend, for what is delegated to it (im2col, col2im). */
  private readonly js = new JsBackend();

  /**
   * Over kernels.wasm: its bytes, compiled here synchronously (`loadWasmBackend` reads them from the
   * package in Node), or an instance of it made asynchronously (a browser: `WebAssembly.instantiate`).
   * Over kernels-mt.wasm (its bytes or its compiled WebAssembly.Module): the same kernels over a
   * shared memory made here, on the threads `setThreads` asks for (one until then); throws where
   * shared memory is unavailable.
   */
  constructor(source: Uint8Array | WasmInstance | WasmModule) {
    const { k, shared } = instantiate(source);
    this.k = k;
    // The threads' control block, then the arena.
    const ctl = (k.heapBase() + 15) & ~15;
    this.arena = new Arena(k, ctl + CONTROL_BYTES);
    this.arena.alloc('WasmBackend', 0); // grows the memory over the control block when needed
    this.arena.reset();
    this.noThreads = shared === null ? 'threads need kernels-mt.wasm (its bytes or module), not kernels.wasm or an instance' : threadsUnavailableReason();
    this.pool =
      shared === null
        ? null
        : new ThreadPool(
            shared.module,
            k.memory,
            ctl,
            (job, t, self) => k.runTile(job, t, self),
            (why) => threadNotice(`the wasm backend's worker threads failed (${why}); running on one thread`),
          );
  }

  info(): BackendInfo {
    return { name: 'wasm', threads: this.pool?.threads ?? 1, blasCore: null, matmulPrecision: 'float32' };
  }

  /** Why this backend runs on one thread whatever `setThreads` asks (no shared memory, no workers, a worker failed), or null. */
  threadsUnavailableReason(): string | null {
    return this.noThreads ?? this.pool?.failure ?? null;
  }

  /** Worker threads running now and the tiles they have run (diagnostics and tests; 0 and 0 without threads). */
  workerStats(): { running: number; workerTiles: number } {
    return this.pool?.stats() ?? { running: 0, workerTiles: 0 };
  }

  /** Stops the worker threads (the backend goes on, on the calling thread, until setThreads asks for more). */
  close(): void {
    this.pool?.stop();
  }

  /**
   * n zeros for an array that lives as long as the backend (a model's parameters, their gradients,
   * an optimizer's state), in the module's memory: the kernels use it (or a view of it) where it
   * is instead of copying it in and out at every call. Over kernels-mt.wasm only, whose shared
   * memory never detaches a view as it grows (kernels.wasm's would: there, and when the memory is
   * full, an ordinary Float32Array, which the kernels copy as any other). Never freed: the memory
   * keeps it until the process ends.
   */
  residentArray(n: number): Float32Array {
    size('residentArray', 'n', n);
    int32('residentArray', 'n', n);
    if (this.pool === null) return new Float32Array(n);
    try {
      return this.arena.resident('residentArray', n);
    } catch {
      return new Float32Array(n);
    }
  }

  matmulPrecisionUnavailable(p: MatmulPrecision): string | null {
    checkMatmulPrecision(p);
    return p === 'float32' ? null : `the wasm backend multiplies in float32 only; '${p}' needs the native backend`;
  }

  setMatmulPrecision(p: MatmulPrecision): void {
    const why = this.matmulPrecisionUnavailable(p);
    if (why !== null) throw new Error(`setMatmulPrecision: ${why}`);
  }

  /**
   * Threads for the GEMMs, Adam and the larger activations: n − 1 workers are started (they join
   * as soon as they run); more than 64 run as 64. Over kernels.wasm, or where threads are
   * unavailable, only validated: one thread.
   */
  setThreads(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`setThreads: expected a positive integer thread count, got ${n}`);
    if (n > MAX_THREADS) throw new RangeError(`setThreads: expected at most ${MAX_THREADS} threads, got ${n}`);
    if (this.pool !== null && this.noThreads === null) this.pool.setThreads(Math.min(n, MAX_WASM_THREADS));
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
    const pa = ar.input(fn, a, m * k);
    const pb = ar.input(fn, b, k * n);
    const pc = ar.output(fn, c, m * n, beta !== 0, true, a, b);
    this.gemmAt(fn, transA, transB, m, n, k, alpha, pa, pb, beta, pc);
    ar.finish(pc, c, m * n);
  }

  /** The threads a job may be cut for now (1 without workers). */
  private threads(): number {
    return this.pool?.threads ?? 1;
  }

  /**
   * gemm over operands in the arena (its scratch allocated here): on the threads when the product is
   * large enough, C cut into blocks of whole 8-column or 4-row strips along its longer side (each
   * block packs all of the shorter side's operand again), one block per thread and up to
   * TILES_PER_THREAD when each keeps GEMM_MIN_SPAN columns (rows).
   */
  private gemmAt(
    fn: string,
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    pa: number,
    pb: number,
    beta: number,
    pc: number,
  ): void {
    const threads = this.threads();
    if (this.pool !== null && threads > 1 && k > 0 && m * n * k >= GEMM_THREADS_MIN) {
      const byCols = n >= m;
      const unit = byCols ? 8 : 4;
      const dim = byCols ? n : m;
      const units = Math.ceil(dim / unit);
      const tiles = Math.min(units, MAX_TILES, Math.max(threads, Math.min(threads * TILES_PER_THREAD, Math.floor(dim / GEMM_MIN_SPAN))));
      if (tiles > 1) {
        const span = Math.ceil(units / tiles) * unit; // the widest block
        const stride = (this.k.gemmWorkFloats(byCols ? m : span, byCols ? span : n, k) + 3) & ~3;
        const work = this.arena.alloc(fn, stride * threads);
        const j = this.pool.jobI32;
        const jf = this.pool.jobF32;
        j[0] = JOB_GEMM;
        j[2] = transA ? 1 : 0;
        j[3] = transB ? 1 : 0;
        j[4] = m;
        j[5] = n;
        j[6] = k;
        jf[7] = alpha;
        j[8] = pa;
        j[9] = pb;
        jf[10] = beta;
        j[11] = pc;
        j[12] = work;
        j[13] = stride * 4;
        j[14] = byCols ? 1 : 0;
        j[15] = unit;
        this.pool.run(tiles);
        return;
      }
    }
    const work = this.arena.alloc(fn, this.k.gemmWorkFloats(m, n, k));
    this.k.gemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, pa, pb, beta, pc, work);
  }

  /** Tiles for an element-wise job over n elements on the threads (ranges of whole 16-element blocks), or 1. */
  private rangeTiles(n: number, min: number): number {
    const threads = this.threads();
    if (this.pool === null || threads <= 1 || n < min) return 1;
    return Math.min(Math.ceil(n / 16), threads * TILES_PER_THREAD, MAX_TILES);
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
    const pb = bias === null ? 0 : ar.input(fn, bias, cols);
    const py = ar.output(fn, y, rows * cols, true, false, bias);
    // Without a bias the kernel runs whole vectors over the matrix: cut into element ranges then, else into rows.
    const tiles = !expCode(code) ? 1 : pb === 0 ? this.rangeTiles(rows * cols, EXP_THREADS_MIN) : Math.min(rows, this.rangeTiles(rows * cols, EXP_THREADS_MIN));
    if (this.pool !== null && tiles > 1) {
      if (pb === 0) this.runActivationJob(code, py, rows * cols, slope, tiles);
      else {
        const j = this.pool.jobI32;
        j[0] = JOB_BIAS_ACTIVATION;
        j[2] = code;
        j[3] = py;
        j[4] = pb;
        j[5] = rows;
        j[6] = cols;
        this.pool.jobF32[7] = slope;
        this.pool.run(tiles);
      }
    } else this.k.biasActivation(code, py, pb, rows, cols, slope);
    ar.finish(py, y, rows * cols);
  }

  /** The activation kernel over n floats at ptr, in place, cut into `tiles` on the threads (pool present). */
  private runActivationJob(code: number, ptr: number, n: number, slope: number, tiles: number): void {
    const j = this.pool!.jobI32;
    j[0] = JOB_ACTIVATION;
    j[2] = code;
    j[3] = ptr;
    j[4] = n;
    this.pool!.jobF32[5] = slope;
    this.pool!.run(tiles);
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
    const tiles = expCode(code) ? this.rangeTiles(n, EXP_THREADS_MIN) : 1;
    if (this.pool !== null && tiles > 1) this.runActivationJob(code, px, n, slope, tiles);
    else this.k.activation(code, px, n, slope);
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
    const pa = ar.input(fn, a, rows * cols);
    const po = ar.output(fn, out, cols, accumulate, true, a);
    const acc = ar.alloc(fn, cols + 4, 8);
    this.k.colSum(pa, rows, cols, po, accumulate ? 1 : 0, acc);
    ar.finish(po, out, cols);
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
    const pg = ar.input(fn, g, n);
    const pp = ar.output(fn, p, n, true, false, g, m, v);
    const pm = ar.output(fn, m, n, true, false, g, p, v);
    const pv = ar.output(fn, v, n, true, false, g, p, m);
    const tiles = this.rangeTiles(n, ADAM_THREADS_MIN);
    if (this.pool !== null && tiles > 1) {
      const j = this.pool.jobI32;
      const jf = this.pool.jobF32;
      j[0] = JOB_ADAM;
      j[2] = pp;
      j[3] = pg;
      j[4] = pm;
      j[5] = pv;
      j[6] = n;
      j[7] = mode;
      // One slot at a time: an array literal here would be an allocation per parameter per step.
      jf[8] = beta1;
      jf[9] = beta2;
      jf[10] = 1 - beta1;
      jf[11] = 1 - beta2;
      jf[12] = stepSize;
      jf[13] = invBc2Sqrt;
      jf[14] = eps;
      jf[15] = weightDecay;
      jf[16] = 1 - lr * weightDecay;
      this.pool.run(tiles);
    } else this.k.adam(pp, pg, pm, pv, n, beta1, beta2, 1 - beta1, 1 - beta2, stepSize, invBc2Sqrt, eps, weightDecay, 1 - lr * weightDecay, mode);
    ar.finish(pp, p, n);
    ar.finish(pm, m, n);
    ar.finish(pv, v, n);
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
    const pg = ar.input(fn, g, n);
    const pp = ar.output(fn, p, n, true, false, g, b);
    const pb = b === null ? 0 : ar.output(fn, b, n, !firstStep, false, g, p);
    this.k.sgd(pp, pg, pb, n, lr, momentum, 1 - dampening, weightDecay, nesterov ? 1 : 0, firstStep ? 1 : 0);
    ar.finish(pp, p, n);
    if (b !== null) ar.finish(pb, b, n);
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
    const pg = ar.input(fn, g, n);
    const pp = ar.output(fn, p, n, true, false, g, sq, gAvg, b);
    const ps = ar.output(fn, sq, n, true, false, g, p, gAvg, b);
    const pa = gAvg === null ? 0 : ar.output(fn, gAvg, n, true, false, g, p, sq, b);
    const pb = b === null ? 0 : ar.output(fn, b, n, true, false, g, p, sq, gAvg);
    this.k.rmsprop(pp, pg, ps, pa, pb, n, lr, alpha, eps, weightDecay, momentum);
    ar.finish(pp, p, n);
    ar.finish(ps, sq, n);
    if (gAvg !== null) ar.finish(pa, gAvg, n);
    if (b !== null) ar.finish(pb, b, n);
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
    const pm = ar.input(fn, mProto, k * d);
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
      fill(ar.f32(), px >>> 2, i0, rows);
      if (xNorm === null) this.k.sqNorms(px, rows, d, pxn);
      else {
        const heap = ar.f64();
        for (let i = 0; i < rows; i++) heap[(pxn >>> 3) + i] = xNorm(i0 + i);
      }
      this.gemmAt(fn, false, true, rows, k, d, -2, px, pm, 0, po);
      this.k.addSqNorms(po, rows, k, pxn, pmn);
      ar.get(po, out.subarray(i0 * k, (i0 + rows) * k), rows * k);
    }
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
    const fn = 'nearest';
    size(fn, 'n', n);
    size(fn, 'k', k);
    size(fn, 'd', d);
    f32(fn, 'x', x, n * d);
    f32(fn, 'mProto', mProto, k * d);
    f32(fn, 'scratch', scratch, n * k, true);
    checkArray(fn, 'best', best, n, Int32Array, false);
    checkArray(fn, 'second', second, n, Int32Array, true);
    if (k < 1) throw new RangeError(`nearest: expected k ≥ 1, got ${k}`);
    int32(fn, 'n', n);
    int32(fn, 'k', k);
    int32(fn, 'd', d);
    int32(fn, 'k·d', k * d);
    // scores = ‖m‖² (as float32, broadcast to every row) − 2·X·Mᵀ: one gemm with beta 1 per block of rows.
    const ar = this.arena;
    ar.reset();
    const pm = ar.input(fn, mProto, k * d);
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
      const heap = ar.f32();
      for (let i = 0; i < rows; i++) heap.set(mn, (ps >>> 2) + i * k);
      this.gemmAt(fn, false, true, rows, k, d, -2, px, pm, 1, ps);
      // The argmin reads the block's scores in the wasm memory; they are copied out only when asked for.
      const scores = ar.f32().subarray(ps >>> 2, (ps >>> 2) + rows * k);
      argmin2Rows(scores, rows, k, best.subarray(i0, i0 + rows), second === null ? null : second.subarray(i0, i0 + rows));
      if (scratch !== null) scratch.set(scores, i0 * k);
    }
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

/** Whether an activation computes e^x per element (tanh, sigmoid): worth threads at smaller sizes. */
function expCode(code: number): boolean {
  return code === ACTIVATION_CODE.tanh || code === ACTIVATION_CODE.sigmoid;
}

/** Says (a Node warning, as the registry's backend notices) what went wrong with the threads: once per backend. */
function threadNotice(msg: string): void {
  const proc = (globalThis as { process?: { emitWarning?: (message: string, options: { code: string }) => void } }).process;
  if (typeof proc?.emitWarning === 'function') proc.emitWarning(msg, { code: 'LATENTLAB_WASM_THREADS' });
  else console.warn(`latentlab: ${msg}`);
}

/** Rows of a d-wide X per block of the distance kernels. */
function blockRows(d: number): number {
  return Math.max(64, Math.floor(BLOCK_BYTES / 4 / Math.max(d, 1)));
}

/** Where the package keeps kernels.wasm (from src/ or dist/ alike: both sit at the package root). */
export function wasmKernelsUrl(): URL {
  return new URL('../../../src/tensor/backends/wasm/kernels.wasm', import.meta.url);
}

/** Where the package keeps kernels-mt.wasm, the same kernels over a shared memory (the threads). */
export function wasmThreadedKernelsUrl(): URL {
  return new URL('../../../src/tensor/backends/wasm/kernels-mt.wasm', import.meta.url);
}

type NodeProcess = { getBuiltinModule?: (id: string) => unknown; env: Record<string, string | undefined> };

const nodeProcess = (globalThis as { process?: NodeProcess }).process;

/** fs.readFileSync, reached without a static `node:` import so that this file can be bundled for a browser. */
function nodeReadFile(): ((url: URL) => Uint8Array) | null {
  const fs = nodeProcess?.getBuiltinModule?.('node:fs') as { readFileSync(url: URL): Uint8Array } | undefined;
  return fs === undefined ? null : (url) => fs.readFileSync(url);
}

/**
 * The default thread count, as the native backend's: LATENTLAB_THREADS, else the cores this
 * process may use (os.availableParallelism()), at most 8 (a worker costs about 8.5 MB, and the
 * batch shapes trained here gain little from more; setThreads or LATENTLAB_THREADS give up to 64).
 * Throws on a LATENTLAB_THREADS that is not a positive integer, as the native backend's loading does.
 */
export function defaultWasmThreads(): number {
  const env = nodeProcess?.env.LATENTLAB_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`LATENTLAB_THREADS: expected a positive integer, got ${JSON.stringify(env)}`);
    return n;
  }
  const os = nodeProcess?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  return Math.min(DEFAULT_MAX_THREADS, Math.max(1, os?.availableParallelism?.() ?? 1));
}

let loaded: { backend: Backend } | { error: string } | null = null;

/**
 * The wasm backend over the package's kernels, read and compiled synchronously (Node):
 * kernels-mt.wasm on defaultWasmThreads() threads where shared memory is available, else
 * kernels.wasm on one thread. Never throws but on a bad LATENTLAB_THREADS: on failure returns the
 * reason. Elsewhere (a browser), build one with `new WasmBackend(instance)` from the fetched file
 * and select it with `useBackend(backend)`.
 */
export function loadWasmBackend(): { backend: Backend } | { error: string } {
  if (loaded === null) {
    const read = nodeReadFile();
    if (read === null) return { error: 'not running under Node.js (pass the bytes of kernels.wasm to new WasmBackend(bytes))' };
    const threads = defaultWasmThreads();
    const url = wasmKernelsUrl();
    try {
      let backend: WasmBackend | null = null;
      if (sharedMemoryUnavailableReason() === null) {
        try {
          backend = new WasmBackend(read(wasmThreadedKernelsUrl()));
        } catch (e) {
          // kernels.wasm does all kernels-mt.wasm does, on one thread: say why once, go on.
          threadNotice(`the wasm backend runs on one thread: kernels-mt.wasm did not load (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
        }
      }
      backend ??= new WasmBackend(read(url));
      backend.setThreads(threads);
      loaded = { backend };
    } catch (e) {
      loaded = { error: `could not load ${decodeURIComponent(url.pathname)}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
    }
  }
  return loaded;
}
