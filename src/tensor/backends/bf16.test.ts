// Matmul precision 'bfloat16' (native/gemm-bf16.cc) against a float64 reference of the same
// product with both operands rounded to bfloat16, every transpose, tile tails, k blocks, alpha/beta;
// results independent of the thread count; the js backend and bad values refused with reasons.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../random.js';
import type { Backend } from '../backend.js';
import { JsBackend } from './js.js';
import { loadNativeBackend } from './native.js';

const loaded = loadNativeBackend();

function nat(): Backend {
  if ('error' in loaded) throw new Error(loaded.error);
  return loaded.backend;
}

const bits = new Uint32Array(1);
const flt = new Float32Array(bits.buffer);
/** float32 → bfloat16 → float32, round to nearest even (NaN kept NaN). */
function bf16(x: number): number {
  flt[0] = x;
  if (Number.isNaN(flt[0])) return NaN;
  const u = bits[0];
  bits[0] = ((u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000) >>> 0;
  return flt[0];
}

interface Case {
  m: number;
  n: number;
  k: number;
  tA: boolean;
  tB: boolean;
  alpha: number;
  beta: number;
}

/** Runs gemm at 'bfloat16' on the native backend; returns [result, reference, tolerance per element]. */
function run(be: Backend, c: Case, rng: Rng): { got: Float32Array; ref: Float64Array; tol: Float64Array; f32: Float32Array } {
  const { m, n, k, tA, tB, alpha, beta } = c;
  const a = rng.fillNormal(new Float32Array(m * k), 0, 1);
  const b = rng.fillNormal(new Float32Array(k * n), 0, 1);
  const c0 = rng.fillNormal(new Float32Array(m * n), 0, 1);
  const A = (i: number, p: number) => (tA ? a[p * m + i] : a[i * k + p]);
  const B = (p: number, j: number) => (tB ? b[j * k + p] : b[p * n + j]);
  const ref = new Float64Array(m * n);
  const tol = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const t = bf16(A(i, p)) * bf16(B(p, j));
        s += t;
        abs += Math.abs(t);
      }
      const prev = beta === 0 ? 0 : beta * c0[i * n + j];
      ref[i * n + j] = alpha * s + prev;
      // float32 summation of k products, then the alpha/beta update: far below bfloat16's 2⁻⁹.
      tol[i * n + j] = 2 ** -20 * (Math.abs(alpha) * abs + Math.abs(prev)) + 1e-30;
    }
  }
  const got = c0.slice();
  if (beta === 0) got.fill(NaN); // beta 0 must ignore C, even NaN
  be.setMatmulPrecision('bfloat16');
  try {
    be.gemm(tA, tB, m, n, k, alpha, a, b, beta, got);
  } finally {
    be.setMatmulPrecision('float32');
  }
  const f32 = c0.slice();
  be.gemm(tA, tB, m, n, k, alpha, a, b, beta, f32);
  return { got, ref, tol, f32 };
}

const SHAPES: readonly [number, number, number][] = [
  [1, 1, 1],
  [7, 5, 3],
  [3, 50, 20], // fewer rows than a tile
  [37, 61, 129], // tails in every direction, odd k
  [9, 100, 513], // two k blocks, the last one value long
  [17, 40, 1100], // three k blocks
  [256, 10, 300], // narrow C: computed transposed
  [20, 130, 64],
];

describe("gemm at matmul precision 'bfloat16'", () => {
  const be = nat();
  const why = be.matmulPrecisionUnavailable('bfloat16');

  if (why !== null) {
    // A CPU without AVX512-BF16: the precision is refused, saying why.
    test('is refused on this CPU with the reason', () => {
      assert.throws(() => be.setMatmulPrecision('bfloat16'), /setMatmulPrecision: .*AVX512-BF16/);
      assert.equal(be.info().matmulPrecision, 'float32');
    });
    return;
  }

  test('equals the float64 product of bfloat16-rounded operands, every transpose and shape', () => {
    const rng = new Rng(11);
    for (const [m, n, k] of SHAPES) {
      for (const tA of [false, true]) {
        for (const tB of [false, true]) {
          for (const [alpha, beta] of [
            [1, 0],
            [0.5, 2],
          ]) {
            const c = { m, n, k, tA, tB, alpha, beta };
            const { got, ref, tol } = run(be, c, rng);
            for (let i = 0; i < ref.length; i++) {
              if (!(Math.abs(got[i] - ref[i]) <= tol[i])) {
                assert.fail(`${JSON.stringify(c)}: element ${i} is ${got[i]}, expected ${ref[i]} ± ${tol[i]}`);
              }
            }
          }
        }
      }
    }
  });

  test('really rounds to bfloat16: the result differs from the float32 product (2⁻⁹ per operand)', () => {
    const { got, f32 } = run(be, { m: 16, n: 64, k: 64, tA: false, tB: false, alpha: 1, beta: 0 }, new Rng(3));
    let maxRel = 0;
    for (let i = 0; i < got.length; i++) maxRel = Math.max(maxRel, Math.abs(got[i] - f32[i]) / (Math.abs(f32[i]) + 1));
    assert.ok(maxRel > 2 ** -14 && maxRel < 2 ** -3, `max relative difference ${maxRel}`);
  });

  test('gives the same bits on 1 and 2 threads, and the backend reports the precision', () => {
    const rng = new Rng(5);
    const m = 300;
    const n = 500;
    const k = 700;
    const a = rng.fillNormal(new Float32Array(m * k), 0, 1);
    const b = rng.fillNormal(new Float32Array(n * k), 0, 1);
    const threads = be.info().threads;
    const out: Float32Array[] = [];
    be.setMatmulPrecision('bfloat16');
    try {
      assert.equal(be.info().matmulPrecision, 'bfloat16');
      for (const t of [1, 2]) {
        be.setThreads(t);
        const c = new Float32Array(m * n);
        be.gemm(false, true, m, n, k, 1, a, b, 0, c);
        out.push(c);
      }
    } finally {
      be.setThreads(threads);
      be.setMatmulPrecision('float32');
    }
    assert.equal(be.info().matmulPrecision, 'float32');
    assert.deepEqual(out[0], out[1]);
  });

  test('propagates NaN and infinity, and k = 0 gives beta·C', () => {
    const a = new Float32Array([1, NaN, 2, 3, Infinity, 1]); // 3×2
    const b = new Float32Array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]); // 2×16
    const c = new Float32Array(48);
    be.setMatmulPrecision('bfloat16');
    try {
      be.gemm(false, false, 3, 16, 2, 1, a, b, 0, c);
      assert.ok(Number.isNaN(c[0]), `row 0: ${c[0]}`);
      assert.equal(c[16], 5);
      assert.equal(c[32], Infinity);
      const d = new Float32Array([1, 2, 3, 4]);
      be.gemm(false, false, 2, 2, 0, 1, new Float32Array(0), new Float32Array(0), 3, d);
      assert.deepEqual([...d], [3, 6, 9, 12]);
    } finally {
      be.setMatmulPrecision('float32');
    }
  });
});

describe('setMatmulPrecision', () => {
  test('the js backend multiplies in float32 only and says so', () => {
    const js = new JsBackend();
    assert.equal(js.matmulPrecisionUnavailable('float32'), null);
    assert.throws(
      () => js.setMatmulPrecision('bfloat16'),
      /setMatmulPrecision: the js backend multiplies in float32 only; 'bfloat16' needs the native backend/,
    );
    assert.equal(js.info().matmulPrecision, 'float32');
  });

  test('rejects an unknown precision, naming the value', () => {
    assert.throws(() => nat().setMatmulPrecision('float16' as never), /setMatmulPrecision: expected 'float32' or 'bfloat16', got "float16"/);
    assert.throws(() => new JsBackend().setMatmulPrecision('tf32' as never), /got "tf32"/);
  });
});
