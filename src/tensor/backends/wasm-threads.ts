/**
 * The wasm backend's worker threads: n − 1 workers (node:worker_threads in Node, Web Workers in a
 * cross-origin-isolated browser worker) each instantiate kernels-mt.wasm over the calling thread's
 * shared WebAssembly.Memory, and share the tiles of a kernel call with the calling thread.
 *
 * The Backend API is synchronous, so a call does not post messages: the caller writes the call's
 * arguments into a job record in the shared memory (assembly/parallel.ts reads it), publishes the
 * job in a small control block (Atomics.store + Atomics.notify), claims tiles itself like every
 * worker, and waits (Atomics.wait) until the tiles claimed by others are done. Nothing waits for a
 * particular worker: a worker still starting, descheduled or gone leaves its tiles to the others,
 * so a call never hangs on one, and every tile computes its entries exactly as the one-thread call
 * does, so results do not depend on who ran what. Each thread has its own scratch (`self`).
 *
 * The control block (32-bit words at `ctl`):
 *   GEN    the job's number (1 … 2²⁰ − 1, wrapping), stored last when a job is published;
 *   NEXT   (GEN << 11) | the next tile to claim: claimed by compare-exchange, so a worker that read
 *          an older job (its GEN differs) can never claim a tile of this one; set to CLOSED tiles
 *          when the job is over, before the next job's arguments are written;
 *   DONE   tiles finished;
 *   EPOCH  the worker generation: a worker whose epoch is not this one exits (setThreads, close);
 *   FAILED set when a tile threw in a worker (the caller then throws);
 *   RUNNING workers running (counted up once instantiated, down as they exit), WORKER_TILES tiles
 *          the workers ran (both for tests and diagnostics: nothing depends on them).
 * The job record follows (JOB_SLOTS 32-bit slots, assembly/parallel.ts).
 */

/** Job kinds, as assembly/parallel.ts numbers them. */
export const JOB_GEMM = 1;
export const JOB_ADAM = 2;
export const JOB_BIAS_ACTIVATION = 3;
export const JOB_ACTIVATION = 4;

const GEN = 0;
const NEXT = 1;
const DONE = 2;
const EPOCH = 3;
const FAILED = 4;
const RUNNING = 5;
const WORKER_TILES = 6;
/** Words of the control block before the job record (a multiple of 4: the record stays 16-byte aligned). */
const CONTROL_WORDS = 8;
/** 32-bit slots of the job record. */
export const JOB_SLOTS = 24;
/** Bytes the control block and the job record take (16-byte aligned). */
export const CONTROL_BYTES = (CONTROL_WORDS + JOB_SLOTS) * 4;
/** The tile counter's bits in NEXT; a job has fewer tiles than CLOSED. */
const COUNT_BITS = 11;
const CLOSED = (1 << COUNT_BITS) - 1;
/** The most tiles a job may have. */
export const MAX_TILES = CLOSED - 1;
const GEN_MASK = (1 << (31 - COUNT_BITS)) - 1;

/**
 * Milliseconds a worker keeps polling for the next job before it sleeps in Atomics.wait (the GEMMs
 * of a training step come a fraction of a millisecond apart; waking a sleeping thread costs tens
 * of microseconds), and the calling thread for the last tiles before it sleeps.
 */
const WORKER_SPIN_MS = 0.1;
const CALLER_SPIN_MS = 0.05;

/**
 * A worker's body, as source (a worker runs a script, not a function of this module): `start(d)`
 * with d = { module, memory, ctl, self, epoch } instantiates the kernels over the shared memory and
 * runs the tiles it claims until its epoch ends. The claim loop is the caller's `claim` below.
 */
const WORKER_BODY = `
function start(d) {
  const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
  const runTile = inst.exports.runTile;
  const c = new Int32Array(d.memory.buffer, d.ctl, ${CONTROL_WORDS + JOB_SLOTS});
  const job = d.ctl + ${CONTROL_WORDS * 4};
  Atomics.add(c, ${RUNNING}, 1);
  try {
    loop(c, job, runTile, d);
  } finally {
    Atomics.sub(c, ${RUNNING}, 1);
  }
}
function loop(c, job, runTile, d) {
  let seen = 0;
  for (;;) {
    let g;
    const t0 = performance.now();
    for (let i = 1; (g = Atomics.load(c, ${GEN})) === seen; i++) {
      if ((i & 255) === 0 && performance.now() - t0 > ${WORKER_SPIN_MS}) Atomics.wait(c, ${GEN}, seen);
    }
    if (Atomics.load(c, ${EPOCH}) !== d.epoch) return;
    seen = g;
    const tiles = c[${CONTROL_WORDS + 1}];
    const tag = (g & ${GEN_MASK}) << ${COUNT_BITS};
    for (;;) {
      const w = Atomics.load(c, ${NEXT});
      const t = w & ${CLOSED};
      if ((w & ~${CLOSED}) !== tag || t >= tiles || t >= ${MAX_TILES}) break;
      if (Atomics.compareExchange(c, ${NEXT}, w, w + 1) !== w) continue;
      try {
        runTile(job, t, d.self);
      } catch (e) {
        Atomics.store(c, ${FAILED}, 1);
      }
      Atomics.add(c, ${WORKER_TILES}, 1);
      if (Atomics.add(c, ${DONE}, 1) + 1 === tiles) Atomics.notify(c, ${DONE});
    }
  }
}
`;

/**
 * The worker script under Node (worker_threads, evaluated as a CommonJS script). The builtin is
 * named without `node:` so that a browser bundle holds no `require("node:…")`, not even in a string.
 */
const NODE_WORKER_SOURCE = `${WORKER_BODY}\nstart(require('worker_threads').workerData);\n`;

/** The worker script in a browser (a Web Worker from a Blob; its first message is `d`). */
const BROWSER_WORKER_SOURCE = `${WORKER_BODY}\nself.onmessage = (e) => { self.onmessage = null; start(e.data); self.close(); };\n`;

/** What a worker is started with. */
interface WorkerData {
  module: object;
  memory: object;
  ctl: number;
  self: number;
  epoch: number;
}

/**
 * Starts a worker running WORKER_BODY on `data` (it stops by itself when its epoch ends); calls
 * `onFail(reason)` when it cannot start or dies.
 */
type Spawner = (data: WorkerData, onFail: (reason: string) => void) => void;

/** The parts of node:worker_threads used here (reached without a static import: this file is bundled for browsers too). */
interface NodeWorkerThreads {
  Worker: new (
    source: string,
    options: { eval: true; workerData: WorkerData; execArgv: string[]; name: string },
  ) => {
    unref(): void;
    on(event: 'error', f: (e: Error) => void): void;
    on(event: 'exit', f: (code: number) => void): void;
  };
}

/** The parts of a browser's Worker used here. */
interface BrowserWorker {
  postMessage(data: unknown): void;
  onerror: ((e: { message?: string }) => void) | null;
}

interface BrowserGlobals {
  Worker?: new (url: string) => BrowserWorker;
  Blob?: new (parts: string[], options: { type: string }) => object;
  URL?: { createObjectURL(blob: object): string };
  crossOriginIsolated?: boolean;
  document?: unknown;
}

/** Why this platform has no memory shared between threads (no SharedArrayBuffer, or no Atomics), or null. */
export function sharedMemoryUnavailableReason(): string | null {
  if (typeof SharedArrayBuffer === 'undefined') return 'no SharedArrayBuffer here (a browser page needs cross-origin isolation)';
  if (typeof Atomics === 'undefined') return 'no Atomics here';
  return null;
}

let spawner: { spawn: Spawner } | { error: string } | null = null;

/** How this platform starts workers, or why it cannot. */
function platformSpawner(): { spawn: Spawner } | { error: string } {
  if (spawner !== null) return spawner;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const wt = proc?.getBuiltinModule?.('node:worker_threads') as NodeWorkerThreads | undefined;
  if (wt !== undefined) {
    spawner = {
      spawn: (data, onFail) => {
        // execArgv []: the worker runs plain JavaScript, no TypeScript loader to start. It prints
        // nothing and needs nothing from this thread's event loop once started (its errors do).
        const w = new wt.Worker(NODE_WORKER_SOURCE, { eval: true, workerData: data, execArgv: [], name: `latentlab-wasm-${data.self}` });
        w.unref(); // never keeps the process alive
        w.on('error', (e) => onFail(e.message));
        w.on('exit', (code) => {
          if (code !== 0) onFail(`exited with code ${code}`);
        });
      },
    };
    return spawner;
  }
  const g = globalThis as BrowserGlobals;
  const { Worker, Blob, URL } = g;
  if (Worker === undefined || Blob === undefined || URL === undefined) spawner = { error: 'no worker threads on this platform' };
  else if (g.crossOriginIsolated !== true) spawner = { error: 'the page is not cross-origin isolated (no shared memory between workers)' };
  else if (g.document !== undefined) spawner = { error: "a browser's main thread may not wait (Atomics.wait): run the backend in a Web Worker for threads" };
  else {
    const url = URL.createObjectURL(new Blob([BROWSER_WORKER_SOURCE], { type: 'text/javascript' }));
    spawner = {
      spawn: (data, onFail) => {
        const w = new Worker(url);
        w.onerror = (e) => onFail(e.message ?? 'the worker failed');
        w.postMessage(data);
      },
    };
  }
  return spawner;
}

/** Why this platform cannot run the wasm backend on several threads, or null when it can. */
export function threadsUnavailableReason(): string | null {
  const s = platformSpawner();
  return sharedMemoryUnavailableReason() ?? ('error' in s ? s.error : null);
}

/**
 * The workers of one WasmBackend over kernels-mt.wasm and its shared memory, and the calling
 * thread's side of a job. `threads` counts the calling thread.
 */
export class ThreadPool {
  /** Threads a job is cut for (the calling thread included); 1 after a worker failed. */
  threads = 1;
  /** Why the pool is back on one thread, once a worker failed. */
  failure: string | null = null;
  /** The job record as 32-bit integers and floats (32-bit slots, assembly/parallel.ts). */
  readonly jobI32: Int32Array;
  readonly jobF32: Float32Array;
  private readonly c: Int32Array;
  /** Workers started for this epoch (they may still be starting, or have failed). */
  private workers = 0;
  private gen = 0;
  private epoch = 0;

  constructor(
    private readonly module: object,
    private readonly memory: { readonly buffer: ArrayBufferLike },
    /** Byte offset of the control block (CONTROL_BYTES, 16-byte aligned) in the memory. */
    private readonly ctl: number,
    private readonly runTile: (job: number, t: number, self: number) => void,
    /** Called once, with the reason, when a worker fails to start or dies. */
    private readonly onFailure: (reason: string) => void,
  ) {
    // The control block lies in the memory's first pages: views made now stay valid as it grows
    // (a shared memory's buffer is never detached).
    this.c = new Int32Array(memory.buffer, ctl, CONTROL_WORDS + JOB_SLOTS);
    this.jobI32 = new Int32Array(memory.buffer, ctl + CONTROL_WORDS * 4, JOB_SLOTS);
    this.jobF32 = new Float32Array(memory.buffer, ctl + CONTROL_WORDS * 4, JOB_SLOTS);
  }

  /** Workers running now (instantiated and not exited), and the tiles workers have run so far. */
  stats(): { running: number; workerTiles: number } {
    return { running: Atomics.load(this.c, RUNNING), workerTiles: Atomics.load(this.c, WORKER_TILES) };
  }

  /** Byte offset of the job record (runTile's `job`). */
  get job(): number {
    return this.ctl + CONTROL_WORDS * 4;
  }

  /**
   * n threads from the next job on: stops the current workers and starts n − 1 new ones, which
   * join the jobs once they are running (the calling thread runs every tile until then).
   */
  setThreads(n: number): void {
    if (this.failure !== null) return;
    if (n === this.threads && this.workers === n - 1) return;
    this.stop();
    this.threads = n;
    if (n === 1) return;
    const s = platformSpawner();
    if ('error' in s) {
      this.fail(s.error);
      return;
    }
    const epoch = this.epoch;
    for (let self = 1; self < n; self++) {
      try {
        s.spawn({ module: this.module, memory: this.memory, ctl: this.ctl, self, epoch }, (why) => {
          if (this.epoch === epoch) this.fail(`worker ${self}: ${why}`);
        });
        this.workers++;
      } catch (e) {
        this.fail(`worker ${self}: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
    }
  }

  /**
   * Stops the workers: woken by a job of no tiles, they see the new epoch and end (their thread
   * exits; one still starting ends as soon as it runs). The pool runs on the calling thread.
   */
  stop(): void {
    this.epoch = (this.epoch + 1) | 0;
    Atomics.store(this.c, EPOCH, this.epoch);
    this.publish(0);
    this.workers = 0;
    this.threads = 1;
  }

  private fail(reason: string): void {
    if (this.failure !== null) return;
    this.failure = reason;
    this.stop();
    this.onFailure(reason);
  }

  /** Publishes a job of `tiles` tiles (its record written) and wakes the sleeping workers. */
  private publish(tiles: number): void {
    this.gen = (this.gen & GEN_MASK) + 1;
    if (this.gen > GEN_MASK) this.gen = 1;
    this.c[CONTROL_WORDS + 1] = tiles;
    Atomics.store(this.c, DONE, 0);
    Atomics.store(this.c, FAILED, 0);
    Atomics.store(this.c, NEXT, this.gen << COUNT_BITS);
    Atomics.store(this.c, GEN, this.gen);
    Atomics.notify(this.c, GEN);
  }

  /**
   * Runs the job whose record is written (its kind and arguments; `tiles` goes in slot 1): publishes
   * it, runs the tiles this thread claims, waits for the others' and closes it. Throws when a tile
   * threw in a worker.
   */
  run(tiles: number): void {
    if (!(Number.isInteger(tiles) && tiles >= 1 && tiles <= MAX_TILES)) throw new RangeError(`ThreadPool.run: expected 1 … ${MAX_TILES} tiles, got ${tiles}`);
    this.publish(tiles);
    const c = this.c;
    const tag = this.gen << COUNT_BITS;
    let error: Error | null = null;
    for (;;) {
      const w = Atomics.load(c, NEXT);
      const t = w & CLOSED;
      if (t >= tiles) break;
      if (Atomics.compareExchange(c, NEXT, w, w + 1) !== w) continue;
      try {
        this.runTile(this.job, t, 0);
      } catch (e) {
        error ??= e instanceof Error ? e : new Error(`runTile: ${JSON.stringify(e)}`);
      }
      Atomics.add(c, DONE, 1);
    }
    // Every tile claimed: wait for the workers' last ones (spinning briefly, then asleep).
    const t0 = performance.now();
    for (let i = 1; ; i++) {
      const done = Atomics.load(c, DONE);
      if (done === tiles) break;
      if ((i & 63) === 0 && performance.now() - t0 > CALLER_SPIN_MS) Atomics.wait(c, DONE, done, 1000);
    }
    // Closed before the next job's record is written: no late worker can claim a tile of this one.
    Atomics.store(c, NEXT, tag | CLOSED);
    if (error !== null) throw error;
    if (Atomics.load(c, FAILED) !== 0) throw new Error('a kernel failed in a wasm worker thread');
  }
}
