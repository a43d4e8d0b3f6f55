// The wasm backend on several threads (kernels-mt.wasm and its workers, wasm-threads.ts) and its
// resident arrays: results bit-identical for 1, 2 and 3 threads and against js within the float32
// bound, one thread when shared memory or the workers are missing (one notice, never a hang),
// workers that never keep a process alive, the committed kernels-mt.wasm being the build of assembly/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../random.js';
import type { AdamParams } from '../backend.js';
import { JsBackend } from './js.js';
import { WasmBackend, wasmKernelsUrl, wasmThreadedKernelsUrl } from './wasm.js';

const js = new JsBackend();
const mtBytes = readFileSync(wasmThreadedKernelsUrl());
const WASM_TS = fileURLToPath(new URL('./wasm.ts', import.meta.url));

/** Unit roundoff of float32 and Higham's γ(n) = n·u / (1 − n·u). */
const U = 2 ** -24;
const gamma = (n: number): number => (n * U) / (1 - n * U);

const nap = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms: number): void {
  Atomics.wait(nap, 0, 0, ms);
}

/** A backend over kernels-mt.wasm on `threads` threads, its workers running (they start in the background). */
function onThreads(threads: number): WasmBackend {
  const b = new WasmBackend(mtBytes);
  b.setThreads(threads);
  for (let i = 0; i < 1000 && b.workerStats().running < threads - 1; i++) sleep(10);
  assert.equal(b.workerStats().running, threads - 1, `${threads - 1} workers should be running`);
  return b;
}

function normal(rng: Rng, n: number, std = 1): Float32Array {
  return rng.fillNormal(new Float32Array(n), 0, std);
}

/** Asserts the same bits (NaN matching NaN), naming the first difference. */
function assertSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) assert.fail(`${what}: element ${i} is ${actual[i]}, ${expected[i]} on one thread`);
  }
}

/** op(X)[i, p] of a row-major X stored rows × cols (transposed: X is stored cols × rows). */
const at = (x: Float32Array, trans: boolean, rows: number, cols: number, i: number, p: number): number => (trans ? x[p * rows + i] : x[i * cols + p]);

/** The shapes: across the tiles along rows and along columns, odd everywhere, and one left on one thread. */
const SHAPES: readonly [number, number, number][] = [
  [67, 131, 259],
  [131, 67, 300],
  [5, 523, 97],
  [517, 3, 170],
  [3, 5, 7],
];

describe('the wasm backend on several threads', () => {
  let backends: WasmBackend[] = [];
  before(() => {
    backends = [1, 2, 3].map(onThreads);
  });
  after(() => {
    for (const b of backends) b.close();
  });

  test('reports its threads, and one thread again after close()', () => {
    const b = onThreads(2);
    assert.equal(b.info().threads, 2);
    assert.equal(b.threadsUnavailableReason(), null);
    b.close();
    assert.equal(b.info().threads, 1);
    for (let i = 0; i < 500 && b.workerStats().running > 0; i++) sleep(10);
    assert.equal(b.workerStats().running, 0, 'the worker ends after close()');
    assert.throws(() => b.setThreads(1025), /setThreads: expected at most 1024 threads, got 1025/);
  });

  test('gemm: the same bits on 1, 2 and 3 threads, all transposes, and js within γ(k+3)·(|α|·Σ|a||b| + |β|·|c|) twice', () => {
    const rng = new Rng(11);
    for (const [m, n, k] of SHAPES) {
      for (const [transA, transB] of [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const) {
        for (const beta of [0, 0.5]) {
          const alpha = 0.75;
          const a = normal(rng, m * k);
          const b = normal(rng, k * n);
          // beta 0 ignores C, NaN included
          const c0 = beta === 0 ? new Float32Array(m * n).fill(NaN) : normal(rng, m * n);
          const what = `gemm ${m}×${n}×${k} transA ${transA} transB ${transB} beta ${beta}`;
          const outs = backends.map((be) => {
            const c = c0.slice();
            be.gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
            return c;
          });
          assertSameBits(outs[1], outs[0], `${what}, 2 threads`);
          assertSameBits(outs[2], outs[0], `${what}, 3 threads`);
          const ref = c0.slice();
          js.gemm(transA, transB, m, n, k, alpha, a, b, beta, ref);
          for (let i = 0; i < m; i++) {
            for (let j = 0; j < n; j++) {
              let s = 0;
              for (let p = 0; p < k; p++) s += Math.abs(at(a, transA, m, k, i, p) * at(b, transB, k, n, p, j));
              const tol = 2 * gamma(k + 3) * (Math.abs(alpha) * s + (beta === 0 ? 0 : Math.abs(beta * c0[i * n + j])));
              const d = Math.abs(outs[0][i * n + j] - ref[i * n + j]);
              if (!(d <= tol)) assert.fail(`${what}: C[${i}, ${j}] is ${outs[0][i * n + j]}, js ${ref[i * n + j]} (|diff| ${d} > ${tol})`);
            }
          }
        }
      }
    }
  });

  test('the workers take part (their tiles give the bits of one thread)', () => {
    const rng = new Rng(12);
    const [m, n, k] = [96, 250, 300];
    const a = normal(rng, m * k);
    const b = normal(rng, k * n);
    const ref = new Float32Array(m * n);
    backends[0].gemm(false, true, m, n, k, 1, a, b, 0, ref);
    for (const be of backends.slice(1)) {
      const before = be.workerStats().workerTiles;
      const t0 = performance.now();
      // The workers are running; on a loaded machine one may get no CPU during a single call.
      while (be.workerStats().workerTiles === before && performance.now() - t0 < 5000) {
        const c = new Float32Array(m * n);
        be.gemm(false, true, m, n, k, 1, a, b, 0, c);
        assertSameBits(c, ref, `gemm on ${be.info().threads} threads`);
      }
      assert.ok(be.workerStats().workerTiles > before, `the workers of ${be.info().threads} threads ran no tile in 5 s`);
    }
  });

  test('Adam, the fused bias + activation (with a bias and without), tanh and the distance kernels: the same bits on 1, 2 and 3 threads', () => {
    const rng = new Rng(13);
    const n = 70001; // above the 2^16 elements where Adam takes threads
    const p0 = normal(rng, n);
    const g = normal(rng, n);
    const m0 = normal(rng, n, 0.1);
    const v0 = normal(rng, n, 0.1).map(Math.abs);
    const o: AdamParams = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true, step: 3 };
    const [rows, cols] = [131, 301];
    const y0 = normal(rng, rows * cols, 3);
    const bias = normal(rng, cols);
    const [nx, kp, d] = [300, 64, 100];
    const x = normal(rng, nx * d);
    const protos = normal(rng, kp * d);
    const runs = backends.map((be) => {
      const [p, m, v] = [p0.slice(), m0.slice(), v0.slice()];
      be.adam(p, g, m, v, n, o);
      const y = y0.slice();
      be.biasActivation('sigmoid', y, bias, rows, cols, 0);
      const yNoBias = y0.slice(); // rows of 301 floats: whole vectors of the matrix cross them
      be.biasActivation('tanh', yNoBias, null, rows, cols, 0);
      const t = new Float32Array(rows * cols);
      be.activation('tanh', y0, t, rows * cols, 0);
      const dist = new Float32Array(nx * kp);
      be.sqDistances(x, protos, nx, kp, d, dist);
      const scores = new Float32Array(nx * kp);
      const best = new Int32Array(nx);
      be.nearest(x, protos, nx, kp, d, scores, best, null);
      return { p, m, v, y, yNoBias, t, dist, scores, best: Float32Array.from(best) };
    });
    for (const [i, r] of runs.entries()) {
      for (const key of Object.keys(r) as (keyof typeof r)[]) assertSameBits(r[key], runs[0][key], `${key} on ${i + 1} threads`);
    }
  });

  test('without shared memory (kernels.wasm) setThreads is only validated: one thread, and says why', () => {
    const b = new WasmBackend(readFileSync(wasmKernelsUrl()));
    b.setThreads(3);
    assert.equal(b.info().threads, 1);
    assert.match(b.threadsUnavailableReason() ?? '', /kernels-mt\.wasm/);
    assert.ok(!(b.residentArray(4).buffer instanceof SharedArrayBuffer), 'a resident array of kernels.wasm is an ordinary array');
  });
});

/** Runs an ES module script under tsx in a child process; its status, stdout and stderr. */
function child(script: string, env: Record<string, string> = {}): { status: number | null; signal: string | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** A script's lines that load the package's wasm backend (LATENTLAB_THREADS in its environment) and run one threaded gemm. */
const LOAD_AND_MULTIPLY = `
const { loadWasmBackend } = await import(${JSON.stringify(WASM_TS)});
const r = loadWasmBackend();
if ('error' in r) throw new Error(r.error);
const b = r.backend;
const [m, n, k] = [64, 128, 96];
const a = new Float32Array(m * k).fill(0.5), bb = new Float32Array(k * n).fill(0.25), c = new Float32Array(m * n);
b.gemm(false, false, m, n, k, 1, a, bb, 0, c);
if (!c.every((v) => v === 12)) throw new Error('gemm gave ' + c[0]);
`;

describe('the wasm backend when threads cannot run', () => {
  test('without SharedArrayBuffer, or without Atomics, the package backend is kernels.wasm on one thread', () => {
    for (const global of ['SharedArrayBuffer', 'Atomics']) {
      const r = child(
        `delete globalThis.${global};\n${LOAD_AND_MULTIPLY}\nconsole.log(JSON.stringify({ threads: b.info().threads, why: b.threadsUnavailableReason() }));`,
        { LATENTLAB_THREADS: '2' },
      );
      assert.equal(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as { threads: number; why: string };
      assert.equal(out.threads, 1, global);
      assert.match(out.why, /kernels-mt\.wasm/);
      assert.doesNotMatch(r.stderr, /Warning/, 'no notice: one thread is all such a platform has');
    }
  });

  test('a worker that fails to start (at once, or later) leaves one thread and one notice, and no call waits for it', () => {
    // node:worker_threads replaced by one whose Worker throws, or reports an error a little later
    const r = child(
      `
const real = process.getBuiltinModule.bind(process);
let mode = 'throw';
class Worker {
  constructor() { if (mode === 'throw') throw new Error('no thread for you'); }
  unref() {}
  on(event, f) { if (event === 'error') setTimeout(() => f(new Error('the thread died')), 50); }
}
process.getBuiltinModule = (id) => (id === 'node:worker_threads' ? { Worker } : real(id));
const warnings = [];
process.on('warning', (w) => warnings.push(w.message));
${LOAD_AND_MULTIPLY}
const first = { threads: b.info().threads, why: b.threadsUnavailableReason() };
mode = 'later';
const { WasmBackend, wasmThreadedKernelsUrl } = await import(${JSON.stringify(WASM_TS)});
const { readFileSync } = await import('node:fs');
const late = new WasmBackend(readFileSync(wasmThreadedKernelsUrl()));
late.setThreads(2);
const c2 = new Float32Array(m * n);
late.gemm(false, false, m, n, k, 1, a, bb, 0, c2); // no worker will ever come: the calling thread runs every tile
const during = late.info().threads;
await new Promise((res) => setTimeout(res, 300));
console.log(JSON.stringify({ first, during, after: late.info().threads, why: late.threadsUnavailableReason(), ok: c2.every((v) => v === 12), warnings }));
`,
      { LATENTLAB_THREADS: '2' },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      first: { threads: number; why: string };
      during: number;
      after: number;
      why: string;
      ok: boolean;
      warnings: string[];
    };
    assert.equal(out.first.threads, 1);
    assert.match(out.first.why, /no thread for you/);
    assert.equal(out.during, 2);
    assert.equal(out.after, 1);
    assert.match(out.why, /the thread died/);
    assert.ok(out.ok);
    assert.equal(out.warnings.length, 2, out.warnings.join('\n'));
    assert.match(out.warnings[0], /worker threads failed \(worker 1: no thread for you\); running on one thread/);
    assert.match(out.warnings[1], /worker threads failed \(worker 1: the thread died\); running on one thread/);
  });

  test('its workers do not keep the process alive', () => {
    const r = child(
      `${LOAD_AND_MULTIPLY}
const nap = new Int32Array(new SharedArrayBuffer(4));
for (let i = 0; i < 500 && b.workerStats().running < 1; i++) Atomics.wait(nap, 0, 0, 10);
console.log(JSON.stringify({ threads: b.info().threads, running: b.workerStats().running }));
`,
      { LATENTLAB_THREADS: '2' },
    );
    assert.equal(r.signal, null, 'the child had to be killed: a worker kept it alive');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { threads: 2, running: 1 });
  });
});

describe('resident arrays', () => {
  let be: WasmBackend;
  before(() => {
    be = onThreads(2);
  });
  after(() => be.close());

  /** Copies `fn` made (floats), and its result. */
  function copies<T>(fn: () => T): { floats: number; result: T } {
    be.traceCopies(true);
    const result = fn();
    return { floats: be.traceCopies(false).reduce((s, c) => s + c, 0), result };
  }

  function resident(values: Float32Array): Float32Array {
    const r = be.residentArray(values.length);
    assert.ok(r.buffer instanceof SharedArrayBuffer);
    assert.ok(r.every((v) => v === 0));
    r.set(values);
    return r;
  }

  test('are used where they are: the same bits as ordinary arrays, without their copies', () => {
    const rng = new Rng(21);
    const [m, n, k] = [33, 70, 90];
    const w = normal(rng, n * k);
    const x = normal(rng, m * k);
    const dy = normal(rng, m * n);
    const wR = resident(w);
    const gwR = resident(new Float32Array(n * k));
    // forward y = x·Wᵀ, the weight gradient dW = dyᵀ·x, the bias gradient, Adam
    const yPlain = new Float32Array(m * n);
    be.gemm(false, true, m, n, k, 1, x, w, 0, yPlain);
    const yRes = new Float32Array(m * n);
    const fwd = copies(() => be.gemm(false, true, m, n, k, 1, x, wR, 0, yRes));
    assertSameBits(yRes, yPlain, 'forward');
    assert.equal(fwd.floats, m * k + m * n, 'x in and y out; W not copied');
    const gw = new Float32Array(n * k);
    be.gemm(true, false, n, k, m, 1, dy, x, 0, gw);
    const back = copies(() => be.gemm(true, false, n, k, m, 1, dy, x, 0, gwR));
    assertSameBits(gwR, gw, 'weight gradient');
    assert.equal(back.floats, m * n + m * k, 'dy and x in; dW written in place');
    const o: AdamParams = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 };
    const [mPlain, vPlain] = [new Float32Array(n * k), new Float32Array(n * k)];
    const [mR, vR] = [resident(mPlain), resident(vPlain)];
    be.adam(w, gw, mPlain, vPlain, n * k, o);
    const upd = copies(() => be.adam(wR, gwR, mR, vR, n * k, o));
    assert.equal(upd.floats, 0);
    assertSameBits(wR, w, 'Adam: parameters');
    assertSameBits(mR, mPlain, 'Adam: m');
    assertSameBits(vR, vPlain, 'Adam: v');
    const bias = normal(rng, n);
    const gb = new Float32Array(n);
    const gbR = resident(gb);
    be.colSum(dy, m, n, gb, false);
    be.colSum(dy, m, n, gbR, false);
    assertSameBits(gbR, gb, 'colSum');
    const y1 = yPlain.slice();
    be.biasActivation('sigmoid', y1, bias, m, n, 0);
    const y2 = yPlain.slice();
    const fused = copies(() => be.biasActivation('sigmoid', y2, resident(bias), m, n, 0));
    assertSameBits(y2, y1, 'biasActivation');
    assert.equal(fused.floats, 2 * m * n, 'y in and out; the bias not copied');
  });

  test('stay valid and in place after the memory grows', () => {
    const r = resident(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
    const before = be.memoryBytes();
    const big = new Float32Array(2 << 20);
    be.scale(big.length, 2, big); // 8 MiB copied in: the memory grows
    assert.ok(be.memoryBytes() > before);
    const s = copies(() => be.scale(8, 2, r));
    assert.deepEqual([...r], [2, 4, 6, 8, 10, 12, 14, 16]);
    assert.equal(s.floats, 16, 'scale copies as before (only the optimizer and GEMM kernels use arrays in place)');
    const g = Float32Array.from([1, 1, 1, 1, 1, 1, 1, 1]);
    const o: AdamParams = { lr: 0.5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 };
    const [m, v] = [resident(new Float32Array(8)), resident(new Float32Array(8))];
    assert.equal(copies(() => be.adam(r, g, m, v, 8, o)).floats, 8, 'only g copied in');
    assert.ok(
      r.every((x, i) => Math.abs(x - (2 * i + 2 - 0.5)) < 1e-5),
      `Adam in place: ${[...r].join(', ')}`,
    );
  });

  test('a part of one is written in place only when the kernel cannot write past it', () => {
    // Adam writes whole vectors: on 5 of 8 elements in place it would update elements 5 … 7 too.
    const p = resident(Float32Array.from([1, 1, 1, 1, 1, 1, 1, 1]));
    const [m, v] = [resident(new Float32Array(8)), resident(new Float32Array(8))];
    const g = new Float32Array(8).fill(1);
    const o: AdamParams = { lr: 0.5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 };
    be.adam(p.subarray(0, 5), g, m.subarray(0, 5), v.subarray(0, 5), 5, o);
    assert.deepEqual(
      [...p].map((x) => Math.round(x * 1e4) / 1e4),
      [0.5, 0.5, 0.5, 0.5, 0.5, 1, 1, 1],
    );
    assert.deepEqual([...m.subarray(5)], [0, 0, 0]);
    // A whole resident array of 5 has its block's padding after it: in place.
    const q = resident(new Float32Array(5).fill(1));
    const [m5, v5] = [resident(new Float32Array(5)), resident(new Float32Array(5))];
    assert.equal(copies(() => be.adam(q, g, m5, v5, 5, o)).floats, 5, 'only g copied');
    assert.ok(q.every((x) => Math.abs(x - 0.5) < 1e-6));
  });

  test('an output overlapping an input is computed aside, as with ordinary arrays', () => {
    const rng = new Rng(22);
    const n = 16;
    const a = normal(rng, n * n);
    // C = A·A written over A itself, and over its second half
    const plain = a.slice();
    be.gemm(false, false, n, n, n, 1, plain, plain, 0, plain);
    const r = resident(a);
    be.gemm(false, false, n, n, n, 1, r, r, 0, r);
    assertSameBits(r, plain, 'C = A·A over A');
    const half = a.slice();
    be.gemm(false, false, n / 2, n, n, 1, half.slice(0, (n * n) / 2).fill(0.5), half, 0, half.subarray((n * n) / 2));
    const r2 = resident(a);
    be.gemm(false, false, n / 2, n, n, 1, new Float32Array((n * n) / 2).fill(0.5), r2, 0, r2.subarray((n * n) / 2));
    assertSameBits(r2, half, 'C over the second half of B');
  });
});

test('the committed kernels-mt.wasm is the build of assembly/ (rebuilt into a temporary file, byte for byte)', () => {
  // A child process without tsx: loading the compiler through tsx's hooks takes seven times as long.
  // (wasm.test.ts checks kernels.wasm the same way.)
  const dir = mkdtempSync(join(tmpdir(), 'latentlab-wasm-mt-'));
  try {
    const out = join(dir, 'kernels-mt.wasm');
    const r = spawnSync(process.execPath, [fileURLToPath(new URL('../../../scripts/build-wasm.mjs', import.meta.url)), '--mt', '--out', out], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    const built = readFileSync(out);
    const committed = readFileSync(wasmThreadedKernelsUrl());
    assert.ok(
      built.equals(committed),
      `kernels-mt.wasm (${committed.length} bytes) differs from a fresh build of assembly/ (${built.length} bytes): run \`npm run build:wasm\``,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
