// Every compiled backend against the js reference (js.ts), kernel by kernel, on random inputs: each
// check is written once as a function of the backend under test and runs in one describe per
// backend. What is a backend's own stays beside it: native.test.ts (OpenBLAS, threads) and
// wasm.test.ts (the committed kernels.wasm, the arena, the registry). A backend that cannot load
// fails every test here with its reason (CI installs OpenBLAS; kernels.wasm is committed): it
// never skips. Tolerances are float32 error bounds, stated where they are used.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../random.js';
import type { ActivationKind, AdamParams, Backend } from '../backend.js';
import { JsBackend } from './js.js';
import { loadNativeBackend } from './native.js';
import { loadWasmBackend } from './wasm.js';

const js = new JsBackend();

/**
 * The backends under test. sameBitsInEveryBlock: a row's distances have the same bits whichever
 * call or block of rows computes them; backend.ts allows native to differ in the last bit
 * (OpenBLAS computes a row by its place in a tile), wasm runs every row through the same kernels.
 */
const BACKENDS: readonly { name: 'native' | 'wasm'; loaded: { backend: Backend } | { error: string }; sameBitsInEveryBlock: boolean }[] = [
  { name: 'native', loaded: loadNativeBackend(), sameBitsInEveryBlock: false },
  { name: 'wasm', loaded: loadWasmBackend(), sameBitsInEveryBlock: true },
];

/** The backend under test; throws the reason it did not load. */
type Under = () => Backend;

/**
 * Inputs and js results of a case, computed by the first backend's describe and reused by the
 * next ones (tests in a file run one after the other), so that each backend costs only its own calls.
 */
const references = new Map<string, unknown>();
function reference<T>(key: string, compute: () => T): T {
  if (!references.has(key)) references.set(key, compute());
  return references.get(key) as T;
}

const KINDS: readonly ActivationKind[] = ['identity', 'relu', 'leaky_relu', 'tanh', 'sigmoid'];

function normal(rng: Rng, n: number, std = 1): Float32Array {
  return rng.fillNormal(new Float32Array(n), 0, std);
}

/** ‖row‖² of each of the rows of a (rows×d), in float64. */
function rowSqNorms(a: Float32Array, rows: number, d: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let q = 0; q < d; q++) s += a[r * d + q] ** 2;
    out[r] = s;
  }
  return out;
}

/** Asserts |a−e| ≤ atol(i) + rtol·|e| element-wise (NaN matches NaN); names the first mismatch. */
function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number | ((i: number) => number), what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    const tol = (typeof atol === 'number' ? atol : atol(i)) + rtol * Math.abs(e);
    if (!(Math.abs(a - e) <= tol)) {
      assert.fail(`${what}: element ${i} is ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > tolerance ${tol})`);
    }
  }
}

function argumentErrors(under: Under): void {
  describe('argument errors', () => {
    test('throws an error naming the function when an array is too short for the sizes given', () => {
      const b = under();
      const s = new Float32Array(3);
      assert.throws(() => b.gemm(false, false, 2, 2, 2, 1, s, new Float32Array(4), 0, new Float32Array(4)), /gemm: a has 3 elements, expected at least 4/);
      assert.throws(() => b.gemm(true, true, 2, 2, 2, 1, new Float32Array(4), new Float32Array(4), 0, s), /gemm: c has 3 elements/);
      assert.throws(() => b.axpy(4, 1, s, new Float32Array(4)), /axpy: x has 3 elements/);
      assert.throws(() => b.colSum(new Float32Array(6), 2, 3, new Float32Array(2), false), /colSum: out has 2 elements/);
      assert.throws(() => b.mse(s, s, new Float32Array(2), 3, 1), /mse: grad has 2 elements/);
      assert.throws(() => b.bce(s, s, 1, 3, new Float64Array(0), null, 1), /bce: rowSums has 0 elements/);
      assert.throws(() => b.softmax(s, s, 2, 2), /softmax: logits has 3 elements/);
      assert.throws(() => b.biasActivation('relu', new Float32Array(6), s, 2, 4, 0), /biasActivation: y has 6 elements/);
      assert.throws(() => b.biasActivation('relu', new Float32Array(8), s, 2, 4, 0), /biasActivation: bias has 3 elements/);
      assert.throws(() => b.activationBackward('tanh', s, s, new Float32Array(2), 3, 0), /activationBackward: dx has 2 elements/);
      const p = new Float32Array(5);
      const o: AdamParams = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 };
      assert.throws(() => b.adam(p, p, p, new Float32Array(4), 5, o), /adam: v has 4 elements/);
      assert.throws(() => b.sgd(p, p, new Float32Array(4), 5, 0.1, 0.9, 0, 0, false, false), /sgd: buf has 4 elements/);
      assert.throws(() => b.rmsprop(p, p, p, new Float32Array(1), null, 5, 0.1, 0.9, 1e-8, 0, 0), /rmsprop: gAvg has 1 elements/);
      assert.throws(() => b.sqDistances(s, s, 2, 1, 2, new Float32Array(2)), /sqDistances: x has 3 elements/);
      assert.throws(() => b.sqDistances(s, s, 1, 1, 2, new Float32Array(1), new Float64Array(0)), /sqDistances: xNorm2 has 0 elements/);
      assert.throws(() => b.sqNorms(s, 2, 2, new Float64Array(2)), /sqNorms: x has 3 elements/);
      assert.throws(() => b.nearest(s, s, 1, 1, 3, s, new Int32Array(0), null), /nearest: best has 0 elements/);
      // The value k had is in wasm's message only (wasm.test.ts checks it).
      assert.throws(() => b.nearest(s, s, 1, 0, 3, s, new Int32Array(1), null), /nearest: expected k ≥ 1/);
      assert.throws(() => b.scale(-1, 2, s), /scale: expected n to be a non-negative integer/);
      assert.throws(() => b.scale(1.5, 2, s), /scale: expected n to be a non-negative integer\b.*, got 1.5/);
      assert.throws(() => b.colSum(s, 2 ** 40, 2 ** 40, s, false), /colSum: a has 3 elements/);
      assert.throws(() => b.scale(2 ** 31, 2, new Float32Array(0)), /scale: x has 0 elements/);
    });

    test('throws when given something other than a Float32Array', () => {
      const b = under();
      const wrong = new Float64Array(4) as unknown as Float32Array;
      assert.throws(() => b.scale(4, 2, wrong), /scale: expected x to be a Float32Array/);
      assert.throws(() => b.mse(new Float32Array(4), new Float32Array(4), wrong, 4, 1), /mse: expected grad to be a Float32Array or null/);
      assert.throws(() => b.sqNorms(new Float32Array(4), 2, 2, new Float32Array(2) as unknown as Float64Array), /sqNorms: expected out to be a Float64Array/);
    });
  });
}

function gemm(under: Under): void {
  describe('gemm', () => {
    const sizes: readonly [number, number, number][] = [
      [1, 1, 1],
      [3, 17, 65],
      [17, 3, 257],
      [65, 257, 3],
      [257, 65, 17],
      [7, 13, 5],
      [65, 33, 129],
      [3, 4, 0],
      [0, 5, 3],
      // big enough for native to cut into blocks for its worker threads: by columns, then by rows (narrow C)
      [70, 150, 101],
      [301, 10, 97],
      // across wasm's GEMM blocks: rows (MC = 128), k (KC = 256), columns (NC = 2048)
      [130, 21, 300],
      [5, 2051, 9],
    ];
    const scalars: readonly [number, number][] = [
      [1, 0],
      [0.5, 0],
      [1.3, -0.7],
      [-2, 1],
    ];

    for (const [m, n, k] of sizes) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          test(`matches js for ${m}×${n}×${k} with transA=${transA}, transB=${transB} and every alpha/beta`, () => {
            const ref = reference(`gemm ${m} ${n} ${k} ${transA} ${transB}`, () => {
              // One set of buffers per size serves the four transpositions: op(A) is m×k either way.
              const { a, b, c0, absA, absB } = reference(`gemm inputs ${m} ${n} ${k}`, () => {
                const rng = new Rng(m * 10007 + n * 101 + k);
                const [a, b, c0] = [normal(rng, m * k), normal(rng, k * n), normal(rng, m * n)];
                return { a, b, c0, absA: a.map(Math.abs), absB: b.map(Math.abs) };
              });
              const absProduct = new Float32Array(m * n);
              js.gemm(transA, transB, m, n, k, 1, absA, absB, 0, absProduct);
              return scalars.map(([alpha, beta]) => {
                // beta 0 must ignore C entirely, even NaN.
                const start = beta === 0 ? new Float32Array(m * n).fill(NaN) : c0;
                const expected = start.slice();
                js.gemm(transA, transB, m, n, k, alpha, a, b, beta, expected);
                // Scale of each entry: |alpha|·|op(A)|·|op(B)| + |beta|·|C|; float error grows with k.
                const scale = absProduct.map((v, i) => Math.abs(alpha) * v + (beta === 0 ? 0 : Math.abs(beta * c0[i])));
                return { alpha, beta, a, b, start, expected, scale };
              });
            });
            for (const { alpha, beta, a, b, start, expected, scale } of ref) {
              const c = start.slice();
              under().gemm(transA, transB, m, n, k, alpha, a, b, beta, c);
              // js sums in float64 and rounds once; a float32 sum of k products, in any order, is off by
              // at most k·2⁻²⁴ of the sum of their magnitudes, and alpha and beta add two roundings:
              // (k + 2)·6e-8 of the scale, which 3e-7·(k + 2) leaves a factor 5 above.
              assertClose(c, expected, 0, (i) => 3e-7 * (k + 2) * scale[i] + 1e-30, `C (alpha ${alpha}, beta ${beta})`);
            }
          });
        }
      }
    }

    test('reads Float32Array views at their byte offset and writes only inside the output view', () => {
      const rng = new Rng(5);
      const [m, n, k] = [9, 11, 6];
      const abuf = normal(rng, m * k + 3);
      const bbuf = normal(rng, k * n + 5);
      const cbuf = new Float32Array(m * n + 4).fill(7);
      const a = abuf.subarray(3);
      const b = bbuf.subarray(5);
      const c = cbuf.subarray(2, 2 + m * n);
      const expected = new Float32Array(m * n);
      js.gemm(false, false, m, n, k, 1, a, b, 0, expected);
      under().gemm(false, false, m, n, k, 1, a, b, 0, c);
      assertClose(c, expected, 1e-5, 1e-5, 'C view');
      assert.deepEqual([cbuf[0], cbuf[1], cbuf[m * n + 2], cbuf[m * n + 3]], [7, 7, 7, 7]);
    });
  });
}

const SPECIAL = [
  0,
  -0,
  1e-7,
  -1e-7,
  0.624,
  -0.624,
  0.626,
  -0.626,
  9,
  -9,
  10,
  -10,
  20,
  -20,
  50,
  -50,
  87,
  -87,
  88.5,
  -88.5,
  100,
  -100,
  1000,
  -1000,
  Infinity,
  -Infinity,
  NaN,
];

function activationInputs(rng: Rng, n: number): Float32Array {
  const x = normal(rng, n, 4);
  x.set(SPECIAL, 0);
  return x;
}

// native and wasm compute e^x, tanh and sigmoid with the same float32 formulas (Cephes), whose error
// against the exact value (checked over every float in native/latentlab.cc) is at most 8.5e-8,
// 1.5e-7 and 2.1e-7 relative; js rounds the double result once (6e-8): 1e-6 leaves a factor 3.
// exp(x) below FLT_MIN is 0 in native and wasm and a subnormal in js: an absolute floor far below
// anything that matters.
const ACT_RTOL = 1e-6;
const ACT_ATOL = 1e-30;

function activations(under: Under): void {
  describe('activations', () => {
    for (const kind of KINDS) {
      for (const slope of kind === 'leaky_relu' ? [0.01, 0.2] : [0]) {
        const label = kind === 'leaky_relu' ? `${kind} (slope ${slope})` : kind;

        test(`activation ${label} matches js, in place and out of place, including infinities and NaN`, () => {
          const rng = new Rng(11);
          const x = activationInputs(rng, 1037);
          const yj = new Float32Array(x.length);
          const yb = new Float32Array(x.length);
          js.activation(kind, x, yj, x.length, slope);
          under().activation(kind, x, yb, x.length, slope);
          assertClose(yb, yj, ACT_RTOL, ACT_ATOL, label);
          const inPlace = x.slice();
          under().activation(kind, inPlace, inPlace, inPlace.length, slope);
          assertClose(inPlace, yj, ACT_RTOL, ACT_ATOL, `${label} in place`);
        });

        test(`biasActivation ${label} matches js with a bias and without one`, () => {
          const rng = new Rng(12);
          const [rows, cols] = [37, 53];
          const y = normal(rng, rows * cols, 3);
          const bias = normal(rng, cols);
          for (const b of [bias, null]) {
            const yj = y.slice();
            const yb = y.slice();
            js.biasActivation(kind, yj, b, rows, cols, slope);
            under().biasActivation(kind, yb, b, rows, cols, slope);
            // With a bias, y + b is rounded to float before the activation (js adds in double), which
            // moves sigmoid's far tail by up to |x|·6e-8 relative: hence the absolute floor.
            assertClose(yb, yj, 2e-6, b === null ? ACT_ATOL : 1e-9, `${label}, bias ${b === null ? 'null' : 'given'}`);
          }
        });

        test(`activationBackward ${label} matches js, also when dx aliases dy`, () => {
          const rng = new Rng(13);
          const n = 999;
          const x = activationInputs(rng, n);
          const y = new Float32Array(n);
          js.activation(kind, x, y, n, slope);
          const dy = normal(rng, n);
          const dj = new Float32Array(n);
          const db = new Float32Array(n);
          js.activationBackward(kind, y, dy, dj, n, slope);
          under().activationBackward(kind, y, dy, db, n, slope);
          assertClose(db, dj, 1e-6, 1e-30, label);
          const inPlace = dy.slice();
          under().activationBackward(kind, y, inPlace, inPlace, n, slope);
          assertClose(inPlace, dj, 1e-6, 1e-30, `${label} in place`);
        });
      }
    }
  });
}

function reductions(under: Under): void {
  describe('reductions', () => {
    for (const [rows, cols] of [
      [1, 1],
      [3, 17],
      [17, 65],
      [37, 53],
      [256, 2000],
      [3, 0],
    ] as const) {
      test(`colSum of ${rows}×${cols} matches js, overwriting and accumulating`, () => {
        const { a, start, expected } = reference(`colSum ${rows} ${cols}`, () => {
          const rng = new Rng(rows + cols);
          const a = normal(rng, rows * cols);
          const start = normal(rng, cols);
          const expected = [false, true].map((accumulate) => {
            const out = start.slice();
            js.colSum(a, rows, cols, out, accumulate);
            return out;
          });
          return { a, start, expected };
        });
        for (const accumulate of [false, true]) {
          const out = start.slice();
          under().colSum(a, rows, cols, out, accumulate);
          assertClose(out, expected[Number(accumulate)], 1e-6, 1e-6, `accumulate ${accumulate}`);
        }
      });
    }

    for (const n of [1, 3, 7, 17, 65, 257, 1000, 12345]) {
      test(`mse over ${n} elements matches js, with and without a gradient`, () => {
        const rng = new Rng(n);
        const y = normal(rng, n);
        const t = normal(rng, n);
        const gj = new Float32Array(n);
        const gb = new Float32Array(n);
        const lj = js.mse(y, t, gj, n, 0.75);
        const lb = under().mse(y, t, gb, n, 0.75);
        assert.ok(Math.abs(lb - lj) <= 1e-9 * lj, `loss ${lb} vs ${lj}`);
        assertClose(gb, gj, 1e-6, 1e-12, 'grad');
        const noGrad = under().mse(y, t, null, n, 0.75);
        assert.ok(Math.abs(noGrad - lj) <= 1e-9 * lj, `loss without grad ${noGrad} vs ${lj}`);
      });
    }

    test('bce matches js per row, with the clamp at 0 and 1, with and without a gradient; NaN outside [0, 1]', () => {
      const rng = new Rng(31);
      const [rows, cols] = [9, 784];
      const p = new Float32Array(rows * cols);
      const t = new Float32Array(rows * cols);
      for (let i = 0; i < p.length; i++) {
        p[i] = rng.uniform();
        t[i] = i % 3 === 0 ? rng.uniform() : i % 2;
      }
      p.set([0, 1, 0, 1, 1e-30], 0); // log 0 clamps at −100; p(1 − p) = 0 clamps at 1e−12
      t.set([0, 1, 1, 0, 0.5], 0);
      const [rj, rb] = [new Float64Array(rows), new Float64Array(rows)];
      const [gj, gb] = [new Float32Array(p.length), new Float32Array(p.length)];
      const lj = js.bce(p, t, rows, cols, rj, gj, 0.125);
      const lb = under().bce(p, t, rows, cols, rb, gb, 0.125);
      // Both work in float64 (logs within an ulp of each other, sums in another order): cols·2⁻⁵² of the row's sum.
      for (let r = 0; r < rows; r++) assert.ok(Math.abs(rb[r] - rj[r]) <= cols * 2 ** -52 * rj[r], `row ${r}: ${rb[r]} vs ${rj[r]}`);
      assert.ok(Math.abs(lb - lj) <= rows * cols * 2 ** -52 * lj, `total ${lb} vs ${lj}`);
      assert.equal(rj[0] > 100, true, 'a clamped log costs 100 nats');
      assertClose(gb, gj, 1e-6, 0, 'grad'); // the same float64 expression rounded once to float32
      assert.ok(Math.abs(under().bce(p, t, rows, cols, null, null, 1) - lj) <= rows * cols * 2 ** -52 * lj);
      for (const [bad, where] of [
        [1.5, 'p'],
        [-0.25, 't'],
        [NaN, 'p'],
      ] as const) {
        const pb = p.slice();
        const tb = t.slice();
        (where === 'p' ? pb : tb)[700] = bad;
        assert.ok(Number.isNaN(js.bce(pb, tb, rows, cols, null, null, 1)), `js ${where} = ${bad}`);
        assert.ok(Number.isNaN(under().bce(pb, tb, rows, cols, null, null, 1)), `${under().name} ${where} = ${bad}`);
      }
    });

    test('softmax matches js on ordinary and on very large logits, also in place', () => {
      const rng = new Rng(21);
      const [rows, cols] = [17, 10];
      const logits = normal(rng, rows * cols, 3);
      logits.set([1000, 999, 0, -1000, 1000, 998, 500, -5, 3, 1], 0);
      logits.set([-1000, -1001, -1002, -1000, -1003, -2000, -1000, -1000.5, -1e30, -1000], cols);
      logits.set([88, 87, -88, 0, 1e-30, -1e-30, 50, 60, 70, 80], 2 * cols);
      const pj = new Float32Array(rows * cols);
      const pb = new Float32Array(rows * cols);
      js.softmax(logits, pj, rows, cols);
      under().softmax(logits, pb, rows, cols);
      assertClose(pb, pj, 1e-6, 1e-30, 'probs');
      const inPlace = logits.slice();
      under().softmax(inPlace, inPlace, rows, cols);
      assertClose(inPlace, pj, 1e-6, 1e-30, 'probs in place');
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += pb[r * cols + c];
        assert.ok(Math.abs(s - 1) < 1e-6, `row ${r} sums to ${s}`);
      }
    });

    test('softmax of a single column is 1', () => {
      const probs = new Float32Array(3);
      under().softmax(new Float32Array([5, -1000, 1000]), probs, 3, 1);
      assert.deepEqual([...probs], [1, 1, 1]);
    });
  });
}

/** The rows of X (d wide) that sqDistancesRows gathers, per case of the "many rows" test. */
const MANY_ROWS: readonly { nx: number; k: number; d: number; m: number; draw: (rng: Rng, n: number) => Float32Array; why: string }[] = [
  // native: 768 rows of X per block at d = 64, so its worker threads share 4 blocks
  { nx: 3000, k: 10, d: 64, m: 2500, draw: (rng, n) => normal(rng, n, 2), why: 'blocks shared by native threads' },
  // d = 2000: wasm's arena takes 524 rows per block, so 1100 rows make 3 blocks (the last one short);
  // native gathers 48 rows per block, 23 of them. Uniform values (std 0.1): 2.2M of them cost a
  // third of what normals do.
  { nx: 1100, k: 10, d: 2000, m: 1100, draw: (rng, n) => rng.fillUniform(new Float32Array(n), -0.17, 0.17), why: 'many blocks of wide rows' },
];

function distances(under: Under, sameBitsInEveryBlock: boolean): void {
  describe('distances', () => {
    test('sqDistances matches js and is never negative, even between identical rows', () => {
      const rng = new Rng(31);
      const [n, k, d] = [37, 23, 17];
      const x = normal(rng, n * d, 2);
      const protos = normal(rng, k * d, 2);
      // A few prototypes equal to data points: their distance is 0 up to rounding, clamped.
      protos.set(x.subarray(0, d), 0);
      protos.set(x.subarray(5 * d, 6 * d), 3 * d);
      const dj = new Float32Array(n * k);
      const db = new Float32Array(n * k).fill(NaN);
      js.sqDistances(x, protos, n, k, d, dj);
      under().sqDistances(x, protos, n, k, d, db);
      const [xs, ps] = [rowSqNorms(x, n, d), rowSqNorms(protos, k, d)];
      // |−2·x·m| ≤ ‖x‖² + ‖m‖²: a float32 dot product of d terms is off by at most about d·2⁻²⁴ of that.
      assertClose(db, dj, 0, (i) => 3e-7 * (d + 2) * (xs[Math.floor(i / k)] + ps[i % k]), 'D');
      assert.ok(db.every((v) => v >= 0));
      assert.ok(db[0] < 1e-4 && db[5 * k + 3] < 1e-4, `self distances ${db[0]}, ${db[5 * k + 3]}`);
    });

    test('sqNorms are the norms sqDistances adds: passing them in changes nothing, on either backend', () => {
      const rng = new Rng(32);
      const [n, k, d] = [53, 9, 37];
      const x = normal(rng, n * d, 2);
      const protos = normal(rng, k * d, 2);
      for (const b of [js, under()]) {
        const xn = new Float64Array(n);
        const mn = new Float64Array(k);
        b.sqNorms(x, n, d, xn);
        b.sqNorms(protos, k, d, mn);
        const plain = new Float32Array(n * k);
        const given = new Float32Array(n * k);
        b.sqDistances(x, protos, n, k, d, plain);
        b.sqDistances(x, protos, n, k, d, given, xn, mn);
        assert.deepEqual(given, plain, b.name);
      }
      const xj = new Float64Array(n);
      const xb = new Float64Array(n);
      js.sqNorms(x, n, d, xj);
      under().sqNorms(x, n, d, xb);
      assertClose(xb, xj, 1e-12, 0, 'sqNorms');
    });

    test('sqDistancesRows gives the distances of the listed rows, in their order, as sqDistances over those rows', () => {
      const rng = new Rng(33);
      const [nx, k, d] = [60, 7, 33];
      const x = normal(rng, nx * d, 2);
      const protos = normal(rng, k * d, 2);
      const rows = Int32Array.from([5, 0, 59, 5, 17, 42, 3, 8, 30, 31, 2, 44]);
      const m = rows.length;
      const gathered = new Float32Array(m * d);
      for (let t = 0; t < m; t++) gathered.set(x.subarray(rows[t] * d, rows[t] * d + d), t * d);
      const xn = new Float64Array(nx);
      for (const b of [js, under()]) {
        // Fewer rows than one block, small enough for one single-threaded GEMM: the same call as sqDistances'.
        const want = new Float32Array(m * k);
        b.sqDistances(gathered, protos, m, k, d, want);
        const got = new Float32Array(m * k).fill(NaN);
        b.sqDistancesRows(x, rows, m, protos, k, d, got);
        assert.deepEqual(got, want, b.name);
        b.sqNorms(x, nx, d, xn);
        b.sqDistancesRows(x, rows, m, protos, k, d, got.fill(NaN), xn);
        assert.deepEqual(got, want, `${b.name}, with the norms given`);
        assert.throws(() => b.sqDistancesRows(x, Int32Array.from([0, nx]), 2, protos, k, d, got), /sqDistancesRows: rows\[1\] is 60, outside the 60 rows of x/);
        assert.throws(() => b.sqDistancesRows(x, Int32Array.from([-1]), 1, protos, k, d, got), /sqDistancesRows: rows\[0\] is -1/);
        assert.throws(() => b.sqDistancesRows(x, Int32Array.from([20]), 1, protos, k, d, got, xn.subarray(0, 20)), /outside the 20 rows of x and xNorm2/);
      }
    });

    for (const { nx, k, d, m, draw, why } of MANY_ROWS) {
      test(`sqDistancesRows of ${m} rows, sqDistances and nearest of ${nx} rows, ${d} wide (${why}), match js`, () => {
        const ref = reference(`many rows ${nx} ${k} ${d} ${m}`, () => {
          const rng = new Rng(34);
          const x = draw(rng, nx * d);
          const protos = draw(rng, k * d);
          const rows = new Int32Array(m);
          for (let t = 0; t < m; t++) rows[t] = rng.int(nx);
          const distances = new Float32Array(m * k);
          js.sqDistancesRows(x, rows, m, protos, k, d, distances);
          const [best, second, scores] = [new Int32Array(nx), new Int32Array(nx), new Float32Array(nx * k)];
          js.nearest(x, protos, nx, k, d, scores, best, second);
          return { x, protos, rows, xs: rowSqNorms(x, nx, d), ps: rowSqNorms(protos, k, d), distances, best, second, scores };
        });
        const { x, protos, rows, xs, ps } = ref;
        // |−2·x·m| ≤ ‖x‖² + ‖m‖²: a float32 dot product of d terms is off by at most about d·2⁻²⁴ of that.
        const tol = (r: number, j: number): number => 3e-7 * (d + 2) * (xs[r] + ps[j]);
        const dist = new Float32Array(m * k);
        under().sqDistancesRows(x, rows, m, protos, k, d, dist);
        assertClose(dist, ref.distances, 0, (i) => tol(rows[Math.floor(i / k)], i % k), 'sqDistancesRows');
        const all = new Float32Array(nx * k);
        under().sqDistances(x, protos, nx, k, d, all);
        for (let t = 0; t < m; t++) {
          const [got, want] = [all.subarray(rows[t] * k, rows[t] * k + k), ref.distances.subarray(t * k, t * k + k)];
          assertClose(got, want, 0, (j) => tol(rows[t], j), `sqDistances, row ${rows[t]}`);
          if (sameBitsInEveryBlock) assert.deepEqual(got, dist.subarray(t * k, t * k + k), `row ${rows[t]}: sqDistances and sqDistancesRows`);
        }
        const [best, second, scores] = [new Int32Array(nx), new Int32Array(nx), new Float32Array(nx * k)];
        under().nearest(x, protos, nx, k, d, scores, best, second);
        // The winners agree wherever the two best scores are further apart than the rounding.
        for (let i = 0; i < nx; i++) {
          const gap = Math.abs(ref.scores[i * k + ref.best[i]] - ref.scores[i * k + ref.second[i]]);
          if (gap > 2 * tol(i, ref.best[i])) assert.equal(best[i], ref.best[i], `best of row ${i}`);
        }
        // scratch receives the scores (backend.ts), and the best has the smallest.
        assertClose(scores, ref.scores, 0, (i) => tol(Math.floor(i / k), i % k), 'nearest scores');
        for (let i = 0; i < nx; i++) {
          assert.equal(scores[i * k + best[i]], Math.min(...scores.subarray(i * k, i * k + k)), `row ${i}: best is the smallest score`);
        }
        // Without scratch (null: the scores are not wanted) the same winners, bit for bit.
        const [best0, second0] = [new Int32Array(nx), new Int32Array(nx)];
        under().nearest(x, protos, nx, k, d, null, best0, second0);
        assert.deepEqual([best0, second0], [best, second], 'nearest without scratch');
      });
    }

    test('nearest with a single prototype gives it to every row, with no second', () => {
      const best = new Int32Array(3);
      const second = new Int32Array(3).fill(7);
      under().nearest(new Float32Array([1, 2, 3, 4, 5, 6]), new Float32Array([0, 0]), 3, 1, 2, new Float32Array(3), best, second);
      assert.deepEqual([...best, ...second], [0, 0, 0, -1, -1, -1]);
    });
  });
}

function updates(under: Under): void {
  describe('element-wise updates', () => {
    for (const n of [1, 3, 17, 65, 257, 1001])
      test(`axpy and scale of ${n} elements match js`, () => {
        const rng = new Rng(41 + n);
        const x = normal(rng, n);
        const y = normal(rng, n);
        const yj = y.slice();
        const yb = y.slice();
        js.axpy(n, -0.37, x, yj);
        under().axpy(n, -0.37, x, yb);
        assertClose(yb, yj, 1e-6, 1e-7, 'axpy');
        js.scale(n, 1.7, yj);
        under().scale(n, 1.7, yb);
        assertClose(yb, yj, 1e-6, 1e-7, 'scale');
      });

    /**
     * Runs `steps` updates on the backend under test from the state and with the gradients js had
     * (js's run is made once per case, `key`), comparing the states after each of `steps`.
     * stateAtol gives a state array its own absolute tolerance when its terms are much larger than its value.
     */
    function compareOptimizer(
      key: string,
      seed: number,
      n: number,
      stateArrays: number,
      steps: readonly number[],
      update: (b: Backend, p: Float32Array, g: Float32Array, state: Float32Array[], step: number) => void,
      rtol: number,
      atol: number,
      stateAtol: readonly number[] = [],
    ): void {
      const ref = reference(`optimizer ${key}`, () => {
        const rng = new Rng(seed);
        const p0 = normal(rng, n);
        const [p, state] = [p0.slice(), Array.from({ length: stateArrays }, () => new Float32Array(n))];
        const grads: Float32Array[] = [];
        const after = new Map<number, Float32Array[]>();
        for (let step = 1; step <= Math.max(...steps); step++) {
          grads.push(normal(rng, n, 0.5));
          update(js, p, grads[step - 1], state, step);
          if (steps.includes(step)) after.set(step, [p.slice(), ...state.map((a) => a.slice())]);
        }
        return { p0, grads, after };
      });
      const [p, state] = [ref.p0.slice(), Array.from({ length: stateArrays }, () => new Float32Array(n))];
      for (let step = 1; step <= ref.grads.length; step++) {
        update(under(), p, ref.grads[step - 1], state, step);
        const want = ref.after.get(step);
        if (want === undefined) continue;
        assertClose(p, want[0], rtol, atol, `p after step ${step}`);
        for (let s = 0; s < stateArrays; s++) assertClose(state[s], want[s + 1], rtol, stateAtol[s] ?? atol, `state ${s} after step ${step}`);
      }
    }

    test('adam over 70,001 parameters (split between native threads; not a whole number of wasm vectors) matches js', () => {
      compareOptimizer(
        'adam 70001',
        52,
        70001,
        2,
        [1, 3],
        (b, p, g, [m, v], step) => b.adam(p, g, m, v, p.length, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step }),
        1e-5,
        1e-7,
      );
    });

    for (const [weightDecay, decoupled] of [
      [0, false],
      [0.05, false],
      [0.05, true],
    ] as const) {
      const label = weightDecay === 0 ? 'without weight decay' : decoupled ? 'with decoupled weight decay (AdamW)' : 'with coupled L2 weight decay';
      test(`adam ${label} matches js at step 1 and step 10`, () => {
        compareOptimizer(
          `adam ${label}`,
          51,
          1003,
          2,
          [1, 10],
          (b, p, g, [m, v], step) => b.adam(p, g, m, v, p.length, { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay, decoupled, step }),
          1e-5,
          1e-7,
        );
      });
    }

    test('adam reads and writes Float32Array views at their byte offset', () => {
      const rng = new Rng(52);
      const n = 100;
      const views = (): Float32Array[] => [0, 1, 2, 3].map((o) => new Float32Array(n + 4).subarray(o, o + n));
      const [pj, gj, mj, vj] = views();
      const [pb, gb, mb, vb] = views();
      rng.fillNormal(pj);
      rng.fillNormal(gj);
      pb.set(pj);
      gb.set(gj);
      const o: AdamParams = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 };
      js.adam(pj, gj, mj, vj, n, o);
      under().adam(pb, gb, mb, vb, n, o);
      assertClose(pb, pj, 1e-6, 1e-7, 'p');
      assertClose(vb, vj, 1e-6, 1e-12, 'v');
      assert.equal(new Float32Array(pb.buffer)[n + 3], 0);
    });

    const sgdCases: readonly { name: string; momentum: number; dampening: number; weightDecay: number; nesterov: boolean }[] = [
      { name: 'plain SGD', momentum: 0, dampening: 0, weightDecay: 0, nesterov: false },
      { name: 'SGD with weight decay and no momentum', momentum: 0, dampening: 0, weightDecay: 0.01, nesterov: false },
      { name: 'SGD with momentum', momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false },
      { name: 'SGD with momentum and dampening', momentum: 0.9, dampening: 0.3, weightDecay: 0.01, nesterov: false },
      { name: 'SGD with Nesterov momentum', momentum: 0.9, dampening: 0, weightDecay: 0.01, nesterov: true },
    ];
    for (const c of sgdCases) {
      test(`${c.name} matches js over the first step and the ten after it`, () => {
        compareOptimizer(
          c.name,
          61,
          1003,
          1,
          [1, 2, 11],
          (b, p, g, [buf], step) => b.sgd(p, g, c.momentum === 0 ? null : buf, p.length, 0.05, c.momentum, c.dampening, c.weightDecay, c.nesterov, step === 1),
          1e-5,
          1e-6,
        );
      });
    }

    const rmspropCases: readonly { name: string; centered: boolean; momentum: number; weightDecay: number }[] = [
      { name: 'RMSprop', centered: false, momentum: 0, weightDecay: 0 },
      { name: 'RMSprop with weight decay', centered: false, momentum: 0, weightDecay: 0.01 },
      { name: 'centered RMSprop', centered: true, momentum: 0, weightDecay: 0 },
      { name: 'RMSprop with momentum', centered: false, momentum: 0.9, weightDecay: 0.01 },
      { name: 'centered RMSprop with momentum', centered: true, momentum: 0.9, weightDecay: 0 },
    ];
    for (const c of rmspropCases) {
      test(`${c.name} matches js at step 1 and step 10`, () => {
        compareOptimizer(
          c.name,
          71,
          1003,
          3,
          [1, 10],
          (b, p, g, [sq, gAvg, buf]) =>
            b.rmsprop(p, g, sq, c.centered ? gAvg : null, c.momentum > 0 ? buf : null, p.length, 1e-3, 0.99, 1e-8, c.weightDecay, c.momentum),
          1e-5,
          1e-6,
          // buf sums terms g/√avg of size up to 1/√(1−alpha) = 10 that largely cancel: one float
          // rounding of a term (a 1-ulp difference in the stored state) is ~1e-6 there.
          [1e-9, 1e-7, 1e-5],
        );
      });
    }
  });
}

// Last, once every case table above is initialized: describe runs its body at once.
for (const { name, loaded, sameBitsInEveryBlock } of BACKENDS) {
  describe(`the ${name} backend against js`, () => {
    const under: Under = () => ('error' in loaded ? assert.fail(`the ${name} backend did not load: ${loaded.error}`) : loaded.backend);
    test('loads', () => void under());
    argumentErrors(under);
    gemm(under);
    activations(under);
    reductions(under);
    distances(under, sameBitsInEveryBlock);
    updates(under);
  });
}
