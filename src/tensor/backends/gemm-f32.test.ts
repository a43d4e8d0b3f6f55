// The native backend's own float32 GEMM (native/gemm-f32.cc) and the fused nearest-prototype
// kernel that goes with it (native/nearest.cc): against a float64 reference within a stated
// float32 bound, on odd sizes, every transpose, alpha/beta cases, on each instruction set this
// CPU runs; same bits for any thread count and either instruction set; the GEMM setting and its
// environment variables.
//
// The bound. Each element is Σ_p a_p·b_p summed in blocks along k: within a block a chain of fused
// multiply-adds from zero (one rounding per term), the block sum times alpha (one rounding), added
// to C (the first block with beta·C inside one FMA, then one addition per block). A term thus
// passes through at most k + 2 roundings, so |C − exact| ≤ γ_{k+2}·(|alpha|·Σ_p|a_p||b_p| +
// |beta|·|C₀|) with γ_j = j·u / (1 − j·u), u = 2⁻²⁴ (Higham, Accuracy and Stability of Numerical
// Algorithms, §3.1). The float64 reference adds at most k·2⁻⁵³ of the same sum, included below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../random.js';
import { applyGemmEnv, loadNativeBackend, type F32Isa, NativeBackend } from './native.js';

const loaded = loadNativeBackend();
const native = 'error' in loaded ? null : (loaded.backend as NativeBackend);
const skip =
  native === null
    ? `native backend unavailable (${'error' in loaded ? loaded.error : ''})`
    : native.gemmKernel().best === null
      ? 'this CPU has neither AVX2+FMA nor AVX-512'
      : false;

/** The instruction sets this CPU runs, narrowest first. */
function isas(be: NativeBackend): F32Isa[] {
  const best = be.gemmKernel().best;
  return best === 'avx512' ? ['avx2', 'avx512'] : best === 'avx2' ? ['avx2'] : [];
}

/** Runs fn with the backend's GEMM set to kernel/isa and its threads to `threads`, then restores both. */
function withGemm<T>(be: NativeBackend, kernel: 'auto' | 'openblas' | 'own', isa: F32Isa | undefined, threads: number, fn: () => T): T {
  const threadsBefore = be.info().threads;
  be.setThreads(threads);
  try {
    return be.withGemmKernel(kernel, fn, isa);
  } finally {
    be.setThreads(threadsBefore);
  }
}

const U = 2 ** -24;
const gamma = (j: number): number => (j * U) / (1 - j * U);

interface Case {
  tA: boolean;
  tB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
}

/** Checks C = alpha·op(A)·op(B) + beta·C₀ against float64 within the bound above; returns C. */
function checkCase(be: NativeBackend, c: Case, rng: Rng, label: string): Float32Array {
  const { tA, tB, m, n, k, alpha, beta } = c;
  const a = rng.fillUniform(new Float32Array(m * k), -1, 1);
  const b = rng.fillUniform(new Float32Array(k * n), -1, 1);
  const c0 = beta === 0 ? new Float32Array(m * n).fill(NaN) : rng.fillUniform(new Float32Array(m * n), -2, 2);
  const out = Float32Array.from(c0);
  be.gemm(tA, tB, m, n, k, alpha, a, b, beta, out);
  const at = (i: number, p: number): number => (tA ? a[p * m + i] : a[i * k + p]);
  const bt = (p: number, j: number): number => (tB ? b[j * k + p] : b[p * n + j]);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const t = at(i, p) * bt(p, j);
        s += t;
        abs += Math.abs(t);
      }
      const c0ij = beta === 0 ? 0 : c0[i * n + j];
      const ref = alpha * s + beta * c0ij;
      const mag = Math.abs(alpha) * abs + Math.abs(beta * c0ij);
      const bound = gamma(k + 2) * mag + k * 2 ** -53 * Math.abs(alpha) * abs;
      const got = out[i * n + j];
      if (!(Math.abs(got - ref) <= bound)) {
        assert.fail(
          `${label} ${tA ? 't' : 'n'}${tB ? 't' : 'n'} m=${m} n=${n} k=${k} alpha=${alpha} beta=${beta}: C[${i},${j}] = ${got}, float64 ${ref}, |err| ${Math.abs(got - ref)} > bound ${bound}`,
        );
      }
    }
  }
  return out;
}

const ODD = [1, 3, 15, 17, 31, 33, 255, 257];
const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

/** Each size of ODD in each dimension (the other two small and odd), all four transposes, alpha/beta cases. */
function oddCases(): Case[] {
  const cases: Case[] = [];
  const ab: [number, number][] = [
    [1, 0],
    [-2.5, 0],
    [0.5, 1],
    [1, -0.75],
  ];
  let q = 0;
  for (const [tA, tB] of TRANSPOSES) {
    for (const d of ODD) {
      for (const [m, n, k] of [
        [d, 17, 33],
        [15, d, 31],
        [33, 15, d],
      ]) {
        const [alpha, beta] = ab[q++ % ab.length];
        cases.push({ tA, tB, m, n, k, alpha, beta });
      }
    }
    // Past one block along k (384) and one packed block of columns (384), with ragged edges.
    cases.push({ tA, tB, m: 19, n: 401, k: 769, alpha: 1, beta: 0 });
  }
  return cases;
}

test('own float32 GEMM: odd sizes, all transposes, alpha/beta, within γ_{k+2}·Σ|a||b| of float64, on each instruction set', { skip }, () => {
  const be = native!;
  for (const isa of isas(be)) {
    withGemm(be, 'own', isa, 2, () => {
      const rng = new Rng(11);
      for (const c of oddCases()) checkCase(be, c, rng, isa);
    });
  }
});

test('own float32 GEMM: beta = 0 ignores NaN in C; alpha = 0 and k = 0 leave beta·C', { skip }, () => {
  const be = native!;
  for (const isa of isas(be)) {
    withGemm(be, 'own', isa, 1, () => {
      const a = new Float32Array([1, 2, NaN, 4, 5, 6]);
      const b = new Float32Array([1, 0, 0, 1, 1, 1]);
      const c = new Float32Array(4).fill(NaN);
      be.gemm(false, false, 2, 2, 3, 1, new Float32Array([1, 2, 3, 4, 5, 6]), b, 0, c);
      assert.deepEqual([...c], [4, 5, 10, 11], `${isa}: beta 0 over NaN`);
      const d = new Float32Array([1, -2, 3, 8]);
      be.gemm(false, false, 2, 2, 3, 0, a, b, 0.5, d);
      assert.deepEqual([...d], [0.5, -1, 1.5, 4], `${isa}: alpha 0 reads neither A nor B`);
      be.gemm(false, false, 2, 2, 0, 1, new Float32Array(0), new Float32Array(0), 0, d);
      assert.deepEqual([...d], [0, 0, 0, 0], `${isa}: k = 0, beta 0`);
    });
  }
});

test('own float32 GEMM: the same bits for 1, 2 and 3 threads and for AVX2 and AVX-512', { skip }, () => {
  const be = native!;
  const rng = new Rng(5);
  const shapes: [boolean, boolean, number, number, number][] = [
    [false, true, 256, 500, 784],
    [false, false, 97, 130, 800],
    [true, false, 300, 41, 256],
    [false, true, 10, 257, 2000],
  ];
  for (const [tA, tB, m, n, k] of shapes) {
    const a = rng.fillUniform(new Float32Array(m * k), -1, 1);
    const b = rng.fillUniform(new Float32Array(k * n), -1, 1);
    const c0 = rng.fillUniform(new Float32Array(m * n), -1, 1);
    const run = (isa: F32Isa, threads: number): Float32Array =>
      withGemm(be, 'own', isa, threads, () => {
        const c = Float32Array.from(c0);
        be.gemm(tA, tB, m, n, k, 0.75, a, b, 0.5, c);
        return c;
      });
    const ref = run(isas(be)[0], 1);
    for (const isa of isas(be)) {
      for (const threads of [1, 2, 3]) {
        const c = run(isa, threads);
        assert.ok(
          c.every((v, i) => Object.is(v, ref[i])),
          `${tA ? 't' : 'n'}${tB ? 't' : 'n'} ${m}×${n}×${k}: ${isa} on ${threads} threads differs from ${isas(be)[0]} on 1`,
        );
      }
    }
  }
});

/** Float64 brute force: best and second-best index by exact squared distance (ties → lower index) and the smallest gap between ranks 1-2-3. */
function bruteForce(x: Float32Array, m: Float32Array, n: number, k: number, d: number): { best: number[]; second: number[]; margin: number } {
  const best: number[] = [];
  const second: number[] = [];
  let margin = Infinity;
  const dist = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let q = 0; q < d; q++) s += (x[i * d + q] - m[j * d + q]) ** 2;
      dist[j] = s;
    }
    const order = [...dist.keys()].sort((p, q) => dist[p] - dist[q] || p - q);
    best.push(order[0]);
    second.push(k > 1 ? order[1] : -1);
    if (k > 2) margin = Math.min(margin, dist[order[1]] - dist[order[0]], dist[order[2]] - dist[order[1]]);
  }
  return { best, second, margin };
}

test('fused nearest: nearest and second-nearest prototype on each instruction set, one or several blocks of prototypes', { skip }, () => {
  const be = native!;
  const rng = new Rng(3);
  // k = 1500 with d = 40: two blocks of prototypes (at most 1024 per block).
  for (const [n, k, d] of [
    [37, 1, 9],
    [200, 5, 40],
    [301, 64, 33],
    [50, 1500, 40],
  ]) {
    const x = rng.fillUniform(new Float32Array(n * d), 0, 1);
    const m = rng.fillUniform(new Float32Array(k * d), 0, 1);
    const ref = bruteForce(x, m, n, k, d);
    assert.ok(ref.margin > 1e-4, `test data has near-ties (margin ${ref.margin})`);
    for (const isa of isas(be)) {
      for (const threads of [1, 2]) {
        withGemm(be, 'own', isa, threads, () => {
          const best = new Int32Array(n);
          const second = new Int32Array(n);
          // One thread without scratch (the scores never written), two with.
          be.nearest(x, m, n, k, d, threads === 1 ? null : new Float32Array(n * k), best, second);
          assert.deepEqual([...best], ref.best, `${isa}, ${threads} threads, n=${n} k=${k} d=${d}: best`);
          assert.deepEqual([...second], ref.second, `${isa}, ${threads} threads, n=${n} k=${k} d=${d}: second`);
        });
      }
    }
  }
});

test('fused nearest: ties go to the lower index across blocks of prototypes, and it agrees with the OpenBLAS path', { skip }, () => {
  const be = native!;
  const rng = new Rng(9);
  const n = 40;
  const k = 1200;
  const d = 40;
  const x = rng.fillUniform(new Float32Array(n * d), 0, 1);
  const m = rng.fillUniform(new Float32Array(k * d), 0, 1);
  // Prototype 1100 (second block) is a copy of each row's nearest one among the first 1008.
  const ref = bruteForce(x, m.subarray(0, 1008 * d), n, 1008, d);
  const twin = ref.best[0];
  m.copyWithin(1100 * d, twin * d, (twin + 1) * d);
  const runs = [...isas(be).map((isa) => ['own', isa] as const), ['openblas', undefined] as const];
  for (const [kernel, isa] of runs) {
    withGemm(be, kernel, isa, 2, () => {
      const best = new Int32Array(n);
      const second = new Int32Array(n);
      be.nearest(x, m, n, k, d, new Float32Array(n * k), best, second);
      assert.equal(best[0], twin, `${kernel} ${isa ?? ''}: the lower of two equal prototypes`);
      assert.equal(second[0], 1100, `${kernel} ${isa ?? ''}: its twin is second`);
    });
  }
});

test(
  'the GEMM setting: setGemmKernel, gemmKernel, LATENTLAB_GEMM / LATENTLAB_GEMM_ISA, and the FMA limit',
  { skip: native === null ? 'native backend unavailable' : false },
  () => {
    const be = native!;
    const before = be.gemmKernel();
    try {
      assert.equal(applyGemmEnv(be, { LATENTLAB_GEMM: 'openblas' }), null);
      assert.equal(be.gemmKernel().kernel, 'openblas');
      assert.equal(applyGemmEnv(be, {}), null);
      assert.equal(be.gemmKernel().kernel, 'openblas', 'unset variables change nothing');
      assert.match(applyGemmEnv(be, { LATENTLAB_GEMM: 'mkl' }) ?? '', /LATENTLAB_GEMM is "mkl"; expected 'auto', 'openblas' or 'own'/);
      assert.match(applyGemmEnv(be, { LATENTLAB_GEMM_ISA: 'sse' }) ?? '', /LATENTLAB_GEMM_ISA is "sse"; expected 'avx512' or 'avx2'/);
      assert.throws(() => be.setGemmKernel('fast' as 'auto'), /setGemmKernel: expected kernel 'auto', 'openblas' or 'own', got "fast"/);
      // withGemmKernel: the setting inside fn, the one it found after it, even when fn throws.
      be.setGemmKernel('auto');
      assert.equal(
        be.withGemmKernel('openblas', () => be.gemmKernel().kernel),
        'openblas',
      );
      assert.equal(be.gemmKernel().kernel, 'auto');
      assert.throws(
        () =>
          be.withGemmKernel('openblas', () => {
            throw new Error('inside');
          }),
        /inside/,
      );
      assert.equal(be.gemmKernel().kernel, 'auto');
      const best = be.gemmKernel().best;
      if (best !== null) {
        assert.equal(applyGemmEnv(be, { LATENTLAB_GEMM: 'own', LATENTLAB_GEMM_ISA: 'avx2' }), null);
        assert.deepEqual(be.gemmKernel(), { kernel: 'own', isa: 'avx2', best });
        const peak = be.fmaPeakGflops(1, 0.02);
        assert.ok(peak > 1, `FMA limit ${peak} GFLOP/s`);
        assert.throws(() => be.fmaPeakGflops(0), /fmaPeakGflops: expected a positive integer thread count, got 0/);
      }
      if (best !== 'avx512') assert.throws(() => be.setGemmKernel('own', 'avx512'), /this CPU does not run the avx512 kernels/);
    } finally {
      be.setGemmKernel(before.kernel, before.isa ?? undefined);
    }
  },
);
