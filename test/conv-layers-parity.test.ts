/**
 * PyTorch parity of the non-convolution CNN layers (pooling, upsampling, flatten, BatchNorm2d), on
 * both backends. References: scripts/fixtures/make_conv_layers.py (Debian's torch 1.13, float32,
 * one thread), test/fixtures/conv-layers/*.json.
 *
 * Tolerances are worst-case float32 error bounds of the operations involved, never observed
 * errors. u = 2⁻²⁴ is float32's unit roundoff. A float32 sum of k terms, in any order, is within
 * (k−1)·u·Σ|terms| of the exact sum; our layers sum in float64 where they can (far inside that).
 * Where both PyTorch and we may be off from the exact value by E, we allow 2E.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { BatchNorm2d } from '../src/nn/batchnorm2d.js';
import { Flatten, Unflatten } from '../src/nn/flatten.js';
import type { Module } from '../src/nn/module.js';
import { AvgPool2d, MaxPool2d, MinPool2d, pool2dOutputSize } from '../src/nn/pool2d.js';
import { Upsample } from '../src/nn/upsample.js';
import { withBackend, type BackendName } from '../src/tensor/registry.js';
import { Tensor } from '../src/tensor/tensor.js';

const U = 2 ** -24;

interface Arr {
  shape: number[];
  data: number[];
}
type Pair = number | [number, number];
interface PoolCase {
  name: string;
  options: { kernel: Pair; stride: Pair; padding: Pair; dilation?: Pair; ceil_mode: boolean; count_include_pad?: boolean };
  x: Arr;
  y: Arr;
  dy: Arr;
  dx: Arr;
  tied_windows?: number;
}
interface UpsampleCase {
  name: string;
  scale_factor: number | [number, number];
  x: Arr;
  y: Arr;
  dy: Arr;
  dx: Arr;
}
interface BnStep {
  x: Arr;
  y: Arr;
  dy: Arr;
  dx: Arr;
  dweight?: number[];
  dbias?: number[];
  running_mean?: number[];
  running_var?: number[];
}
interface BnCase {
  name: string;
  num_features: number;
  options: { eps: number; momentum: number; affine: boolean; track_running_stats: boolean };
  weight?: number[];
  bias?: number[];
  train_steps: BnStep[];
  eval: BnStep;
}

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/conv-layers/${name}.json`, import.meta.url), 'utf8')) as T;
}

const maxFile = load<{ cases: PoolCase[]; output_sizes: [number, number, number, number, number, boolean, number | null][] }>('maxpool2d');
const maxCases = maxFile.cases;
const minCases = load<{ cases: PoolCase[] }>('minpool2d').cases;
const avgCases = load<{ cases: PoolCase[] }>('avgpool2d').cases;
const upCases = load<{ cases: UpsampleCase[] }>('upsample').cases;
const flat = load<{
  flatten: { input: number[]; start_dim: number; end_dim: number; output: number[] }[];
  unflatten: { input: number[]; dim: number; sizes: number[]; output: number[] }[];
}>('flatten');
const bnCases = load<{ cases: BnCase[] }>('batchnorm2d').cases;

const tensor = (a: Arr): Tensor => Tensor.from(a.data, a.shape);
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);
const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};

/** Asserts |ours − ref| ≤ tol elementwise (tol 0: bitwise equal to the float32 reference). */
function close(what: string, ours: Float32Array, ref: Arr | number[], tol: number | ((i: number) => number)): void {
  const data = Array.isArray(ref) ? ref : ref.data;
  assert.equal(ours.length, data.length, `${what}: ${ours.length} values, expected ${data.length}`);
  for (let i = 0; i < data.length; i++) {
    const t = typeof tol === 'number' ? tol : tol(i);
    const e = Math.abs(ours[i] - Math.fround(data[i]));
    if (!(e <= t)) assert.fail(`${what}[${i}]: ${ours[i]} vs torch ${data[i]} (|Δ| ${e.toExponential(2)} > ${t.toExponential(2)})`);
  }
}

function shapeEq(what: string, t: Tensor, a: Arr): void {
  assert.deepEqual([...t.shape], a.shape, `${what}: shape`);
}

/** How many windows of one axis can contain a given input position: ⌈effective kernel / stride⌉. */
function overlap(k: number, s: number, d: number): number {
  return Math.ceil((d * (k - 1) + 1) / s);
}

function poolCase(kind: 'max' | 'min' | 'avg', c: PoolCase): void {
  const o = c.options;
  const k = pair(o.kernel);
  const s = pair(o.stride);
  const d = pair(o.dilation ?? 1);
  const layer: Module =
    kind === 'avg'
      ? new AvgPool2d(o.kernel, { stride: o.stride, padding: o.padding, ceilMode: o.ceil_mode, countIncludePad: o.count_include_pad })
      : new (kind === 'max' ? MaxPool2d : MinPool2d)(o.kernel, { stride: o.stride, padding: o.padding, dilation: o.dilation, ceilMode: o.ceil_mode });
  const x = tensor(c.x);
  const y = layer.forward(x);
  shapeEq(`${c.name}: y`, y, c.y);
  assert.deepEqual([...layer.outputShape(x.shape)], c.y.shape);
  const dx = layer.backward(tensor(c.dy));
  shapeEq(`${c.name}: dx`, dx, c.dx);
  // At most m windows contain an input value, so a dx entry is a sum of at most m terms.
  const m = overlap(k[0], s[0], d[0]) * overlap(k[1], s[1], d[1]);
  const dyMax = maxAbs(c.dy.data);
  if (kind === 'avg') {
    // y: PyTorch sums the K = kh·kw (or fewer) window values in float32, (K−1)·u·Σ|x|, then
    // divides (or multiplies by a rounded reciprocal): ≤ 2u·|y| more. Σ|x| / divisor ≤ max|x| since
    // the divisor counts at least the in-bounds values. Ours: one rounding, u·|y|. Total (K+3)·u·max|x|.
    const K = k[0] * k[1];
    close(`${c.name}: y`, y.data, c.y, (K + 3) * U * maxAbs(c.x.data));
    // dx: up to m terms dy/div, each rounded once (u) and summed in float32 ((m−1)·u·Σ), by both
    // sides: 2·m·u·(m·max|dy|).
    close(`${c.name}: dx`, dx.data, c.dx, 2 * m * m * U * dyMax);
  } else {
    // A selection: bitwise equal. dx sums the dy of the (at most m) windows whose extreme it is, in
    // float32 by both sides: 2·(m−1)·u·(m·max|dy|) — exact when windows do not overlap. A wrong
    // tie rule moves a whole dy and fails this.
    close(`${c.name}: y`, y.data, c.y, 0);
    close(`${c.name}: dx`, dx.data, c.dx, 2 * (m - 1) * m * U * dyMax);
  }
}

function upsampleCase(c: UpsampleCase): void {
  const up = new Upsample({ scaleFactor: c.scale_factor });
  const x = tensor(c.x);
  const y = up.forward(x);
  shapeEq(`${c.name}: y`, y, c.y);
  assert.deepEqual([...up.outputShape(x.shape)], c.y.shape);
  close(`${c.name}: y`, y.data, c.y, 0); // a copy: bitwise
  const dx = up.backward(tensor(c.dy));
  shapeEq(`${c.name}: dx`, dx, c.dx);
  // A source pixel is copied to at most ⌈out/in⌉+1 rows times ⌈out/in⌉+1 columns (floor of an
  // arithmetic progression of step ≈ in/out), so dx sums m such terms in float32 on both sides.
  const [, , h, w] = c.x.shape;
  const [, , oh, ow] = c.y.shape;
  const m = (Math.ceil(oh / h) + 1) * (Math.ceil(ow / w) + 1);
  close(`${c.name}: dx`, dx.data, c.dx, 2 * (m - 1) * m * U * maxAbs(c.dy.data));
}

/** Per-channel values of an NCHW array. */
function channelStats(a: Arr): { c: number; m: number; of: (ch: number) => number[] } {
  const [n, c, h, w] = a.shape;
  const hw = h * w;
  return {
    c,
    m: n * hw,
    of: (ch) => {
      const out: number[] = [];
      for (let b = 0; b < n; b++) for (let i = 0; i < hw; i++) out.push(Math.fround(a.data[(b * c + ch) * hw + i]));
      return out;
    },
  };
}

/**
 * BatchNorm2d error bounds, per channel, from the reference input (float64 statistics). M = N·H·W,
 * μ, σ² (biased), inv = 1/√(σ²+eps), X = max|x̂|, D = max|dy|. Worst case for a float32
 * implementation (PyTorch accumulates in double, which is inside these):
 * - mean: δμ ≤ M·u·max|x|; the variance Σ(x−μ')²/M = σ² + (μ−μ')² is first-order insensitive to
 *   δμ, so δσ²/σ² ≤ (M+2)·u and δinv/inv ≤ (M/2 + 4)·u;
 * - x̂ = (x−μ)·inv: δx̂ ≤ E = δμ·inv + (M/2 + 6)·u·X;
 * - y = γ·x̂ + β (or x·(γ·inv) + (β − μ·γ·inv)): |γ|·E + 4u·(|γ|·(X + |μ|·inv) + |β|);
 * - dx = γ·inv·(dy − mean(dy) − x̂·mean(dy·x̂)): the means' sums (M·u·D and M·u·D·X + D·E), x̂'s error
 *   times |mean(dy·x̂)| ≤ D·X, 4 roundings of the bracket, and inv's relative error times |dx| ≤
 *   |γ|·inv·D·(2 + X²);
 * - dγ = Σ dy·x̂: M·D·((M+1)·u·X + E); dβ = Σ dy: M·u·M·D.
 * Each bound is doubled (both sides may err).
 */
function bnBounds(x: Arr, dy: Arr, gamma: number[] | null, beta: number[] | null, eps: number, stats: { mean: number[]; var: number[] } | null) {
  const cs = channelStats(x);
  const ds = channelStats(dy);
  const M = cs.m;
  return Array.from({ length: cs.c }, (_, ch) => {
    const v = cs.of(ch);
    let mu: number;
    let s2: number;
    if (stats === null) {
      mu = v.reduce((a, b) => a + b, 0) / M;
      s2 = v.reduce((a, b) => a + (b - mu) ** 2, 0) / M;
    } else {
      mu = stats.mean[ch];
      s2 = stats.var[ch];
    }
    const inv = 1 / Math.sqrt(s2 + eps);
    const X = Math.max(...v.map((t) => Math.abs(t - mu) * inv));
    const xMax = Math.max(...v.map(Math.abs));
    const D = Math.max(...ds.of(ch).map(Math.abs));
    const g = gamma === null ? 1 : Math.abs(gamma[ch]);
    const b = beta === null ? 0 : Math.abs(beta[ch]);
    // In eval with running stats, μ and inv are given: only the element-wise roundings remain.
    const E = stats === null ? M * U * xMax * inv + (M / 2 + 6) * U * X : 4 * U * (X + Math.abs(mu) * inv);
    const invRel = stats === null ? (M / 2 + 4) * U : 2 * U;
    const y = 2 * (g * E + 4 * U * (g * (X + Math.abs(mu) * inv) + b));
    const dxTrain = 2 * g * inv * D * (M * U * (1 + X * X) + 2 * X * E + 4 * U * (2 + X * X) + (2 + X * X) * invRel);
    const dxEval = 2 * g * inv * D * 3 * U;
    const dGamma = 2 * M * D * ((M + 1) * U * X + E);
    const dBeta = 2 * M * M * U * D;
    return { mu, s2, M, xMax, y, dxTrain, dxEval, dGamma, dBeta };
  });
}

function bnCase(c: BnCase): void {
  const o = c.options;
  const bn = new BatchNorm2d(c.num_features, { eps: o.eps, momentum: o.momentum, affine: o.affine, trackRunningStats: o.track_running_stats });
  assert.deepEqual([...bn.namedParameters().keys()], o.affine ? ['weight', 'bias'] : []);
  assert.deepEqual([...bn.namedBuffers().keys()], o.track_running_stats ? ['running_mean', 'running_var'] : []);
  if (o.affine) {
    bn.weight!.value.data.set(c.weight!);
    bn.bias!.value.data.set(c.bias!);
  }
  const gamma = c.weight ?? null;
  const beta = c.bias ?? null;
  /** Values per channel, M = N·H·W. */
  const valuesPerChannel = (a: Arr): number => a.shape[0] * a.shape[2] * a.shape[3];
  /** Element i of an NCHW array → a per-channel tolerance. */
  const perChannel = (nc: number, a: Arr, f: (ch: number) => number) => (i: number) => f(Math.floor(i / (a.shape[2] * a.shape[3])) % nc);
  // Running-buffer bounds accumulate over the steps: each update adds momentum·(δμ or δσ²) and
  // three roundings of values ≤ max|x| (mean) or ≤ V = max(1, unbiased σ²) (variance).
  let rmTol = 0;
  let rvTol = 0;
  bn.train();
  c.train_steps.forEach((st, step) => {
    const what = `${c.name} step ${step}`;
    const bounds = bnBounds(st.x, st.dy, gamma, beta, o.eps, null);
    bn.zeroGrad();
    const y = bn.forward(tensor(st.x));
    close(
      `${what}: y`,
      y.data,
      st.y,
      perChannel(c.num_features, st.x, (ch) => bounds[ch].y),
    );
    const dx = bn.backward(tensor(st.dy));
    close(
      `${what}: dx`,
      dx.data,
      st.dx,
      perChannel(c.num_features, st.x, (ch) => bounds[ch].dxTrain),
    );
    if (o.affine) {
      close(`${what}: dweight`, bn.weight!.grad.data, st.dweight!, (ch) => bounds[ch].dGamma);
      close(`${what}: dbias`, bn.bias!.grad.data, st.dbias!, (ch) => bounds[ch].dBeta);
    }
    if (o.track_running_stats) {
      const M = valuesPerChannel(st.x);
      const xMax = Math.max(...bounds.map((b) => b.xMax));
      const V = Math.max(1, ...bounds.map((b) => (b.s2 * M) / (M - 1)));
      rmTol += 2 * (o.momentum * M * U * xMax + 3 * U * xMax);
      rvTol += 2 * (o.momentum * ((M + 2) * U * V + (M * U * xMax) ** 2) + 3 * U * V);
      close(`${what}: running_mean`, bn.runningMean!.data, st.running_mean!, rmTol);
      close(`${what}: running_var`, bn.runningVar!.data, st.running_var!, rvTol);
    }
  });
  // Eval on PyTorch's buffers (so that this step is judged on its own).
  const last = c.train_steps[c.train_steps.length - 1];
  if (o.track_running_stats) {
    bn.runningMean!.data.set(last.running_mean!);
    bn.runningVar!.data.set(last.running_var!);
  }
  bn.eval();
  bn.zeroGrad();
  const ev = c.eval;
  const stats = o.track_running_stats ? { mean: last.running_mean!.map(Math.fround), var: last.running_var!.map(Math.fround) } : null;
  const bounds = bnBounds(ev.x, ev.dy, gamma, beta, o.eps, stats);
  const y = bn.forward(tensor(ev.x));
  close(
    `${c.name} eval: y`,
    y.data,
    ev.y,
    perChannel(c.num_features, ev.x, (ch) => bounds[ch].y),
  );
  const dx = bn.backward(tensor(ev.dy));
  const dxTol = stats === null ? (ch: number) => bounds[ch].dxTrain : (ch: number) => bounds[ch].dxEval;
  close(`${c.name} eval: dx`, dx.data, ev.dx, perChannel(c.num_features, ev.x, dxTol));
  if (o.affine) {
    close(`${c.name} eval: dweight`, bn.weight!.grad.data, ev.dweight!, (ch) => bounds[ch].dGamma);
    close(`${c.name} eval: dbias`, bn.bias!.grad.data, ev.dbias!, (ch) => bounds[ch].dBeta);
  }
}

test("pool2dOutputSize is PyTorch's over a grid of geometries, and the layers refuse what PyTorch refuses", () => {
  assert.ok(maxFile.output_sizes.length > 500);
  for (const [size, k, s, p, d, ceil, out] of maxFile.output_sizes) {
    const what = `input ${size}, kernel ${k}, stride ${s}, padding ${p}, dilation ${d}, ceilMode ${ceil}`;
    const ours = pool2dOutputSize(size, k, s, p, d, ceil);
    const layer = new MaxPool2d([k, 1], { stride: [s, 1], padding: [p, 0], dilation: [d, 1], ceilMode: ceil });
    if (out === null) {
      assert.ok(ours < 1, `${what}: PyTorch refuses, we compute ${ours}`);
      assert.throws(() => layer.forward(Tensor.zeros([1, 1, size, 1])), /is larger than the padded input/, what);
    } else {
      assert.equal(ours, out, what);
      assert.deepEqual([...layer.forward(Tensor.zeros([1, 1, size, 1])).shape], [1, 1, out, 1], what);
    }
  }
});

test('the fixtures cover max-pool ties (the first-maximum rule decides their dx)', () => {
  assert.ok(maxCases.some((c) => (c.tied_windows ?? 0) > 0));
  assert.ok(minCases.some((c) => (c.tied_windows ?? 0) > 0));
});

for (const b of ['js', 'native', 'wasm'] as BackendName[]) {
  describe(`CNN layers match PyTorch on the ${b} backend`, () => {
    for (const c of maxCases) test(`MaxPool2d ${c.name}`, () => withBackend(b, () => poolCase('max', c)));
    for (const c of minCases) test(`MinPool2d ${c.name} (= -max_pool2d(-x))`, () => withBackend(b, () => poolCase('min', c)));
    for (const c of avgCases) test(`AvgPool2d ${c.name}`, () => withBackend(b, () => poolCase('avg', c)));
    for (const c of upCases) test(`Upsample ${c.name}`, () => withBackend(b, () => upsampleCase(c)));
    for (const c of bnCases) test(`BatchNorm2d ${c.name}`, () => withBackend(b, () => bnCase(c)));
    test('Flatten and Unflatten shapes', () =>
      withBackend(b, () => {
        for (const f of flat.flatten) {
          const x = Tensor.zeros(f.input);
          const l = new Flatten(f.start_dim, f.end_dim);
          const y = l.forward(x);
          assert.deepEqual([...y.shape], f.output, `Flatten(${f.start_dim}, ${f.end_dim}) of [${f.input.join(', ')}]`);
          assert.equal(y.data, x.data, 'a view');
          assert.deepEqual([...l.backward(Tensor.zeros(f.output)).shape], f.input);
        }
        for (const f of flat.unflatten) {
          const x = Tensor.zeros(f.input);
          const l = new Unflatten(f.dim, f.sizes);
          const y = l.forward(x);
          assert.deepEqual([...y.shape], f.output, `Unflatten(${f.dim}, [${f.sizes.join(', ')}]) of [${f.input.join(', ')}]`);
          assert.equal(y.data, x.data, 'a view');
          assert.deepEqual([...l.backward(Tensor.zeros(f.output)).shape], f.input);
        }
      }));
  });
}
