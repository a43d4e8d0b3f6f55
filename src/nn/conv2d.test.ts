/**
 * Conv2d: a hand-computed case, finite differences over a configuration table (for Conv2d and, with
 * the same checker, ConvTranspose2d), js/native agreement, gradient accumulation, errors and init.
 * PyTorch parity is test/conv-parity.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../random.js';
import type { ConvGeometry } from '../tensor/backend.js';
import { backend, withBackend, type BackendName } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { Conv2d, type Conv2dOptions } from './conv2d.js';
import { ConvTranspose2d, type ConvTranspose2dOptions } from './conv-transpose2d.js';

const BACKENDS = ['js', 'native'] as const satisfies readonly BackendName[];
const U = 2 ** -24; // float32 unit roundoff

/** γ_n = n·u/(1 − n·u): the relative error bound of a float32 sum of n terms (Higham, §3.1). */
const gamma = (n: number): number => (n * U) / (1 - n * U);

function random(shape: number[], rng: Rng): Tensor {
  const t = Tensor.zeros(shape);
  rng.fillUniform(t.data, -1, 1);
  return t;
}

describe('Conv2d on a hand-computed case', () => {
  // One 3×3 image, one 2×2 kernel, stride 2, padding 1; output ⌊(3 + 2 − 1 − 1)/2⌋ + 1 = 2 per side.
  //
  //   x = 1 2 3    padded:  0 0 0 0 0    W = 1 2    b = 0.5
  //       4 5 6             0 1 2 3 0        3 4
  //       7 8 9             0 4 5 6 0
  //                         0 7 8 9 0
  //                         0 0 0 0 0   (the last padded row and column are never reached)
  //
  //   y[0,0] = window [0 0; 0 1] · W = 4·1           + 0.5 =  4.5
  //   y[0,1] = window [0 0; 2 3] · W = 3·2 + 4·3     + 0.5 = 18.5
  //   y[1,0] = window [0 4; 0 7] · W = 2·4 + 4·7     + 0.5 = 36.5
  //   y[1,1] = window [5 6; 8 9] · W = 5 + 12 + 24 + 36 + 0.5 = 77.5
  //
  // Each pixel is read by exactly one window, so with dy = [1 10; 100 1000] each dx pixel is its
  // window's dy times the weight that read it: dx[0,0] = 1·W[1,1] = 4, dx[0,1] = 10·W[1,0] = 30,
  // dx[0,2] = 10·W[1,1] = 40, dx[1,0] = 100·W[0,1] = 200, dx[1,1] = 1000·W[0,0], …
  // dW[i,j] = Σ dy[oy,ox]·padded[2oy+i, 2ox+j]: dW[0,0] = 1000·5 = 5000, dW[0,1] = 100·4 + 1000·6 = 6400,
  // dW[1,0] = 10·2 + 1000·8 = 8020, dW[1,1] = 1·1 + 10·3 + 100·7 + 1000·9 = 9731; db = 1111.
  // All values are small integers (+ 0.5): exact in float32, so the comparison is exact.
  for (const b of BACKENDS) {
    test(`forward and backward on the ${b} backend`, () =>
      withBackend(b, () => {
        const conv = new Conv2d(1, 1, 2, { rng: new Rng(0), stride: 2, padding: 1 });
        conv.weight.value.data.set([1, 2, 3, 4]);
        conv.bias?.value.data.set([0.5]);
        const y = conv.forward(Tensor.from([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]));
        assert.deepEqual(y.shape, [1, 1, 2, 2]);
        assert.deepEqual([...y.data], [4.5, 18.5, 36.5, 77.5]);
        conv.zeroGrad();
        const dx = conv.backward(Tensor.from([1, 10, 100, 1000], [1, 1, 2, 2]));
        assert.deepEqual(dx.shape, [1, 1, 3, 3]);
        assert.deepEqual([...dx.data], [4, 30, 40, 200, 1000, 2000, 400, 3000, 4000]);
        assert.deepEqual([...conv.weight.grad.data], [5000, 6400, 8020, 9731]);
        assert.deepEqual([...(conv.bias?.grad.data ?? [])], [1111]);
      }));
  }
});

// ---------------------------------------------------------------------------------------------
// Finite differences
// ---------------------------------------------------------------------------------------------

type ConvLayer = Conv2d | ConvTranspose2d;

/**
 * Central differences of L = Σ_j w_j·y_j (float64 sum of the float32 outputs y, w random) against
 * the analytic gradients, for every input entry and every weight and bias.
 *
 * Tolerance, from the step and float32 rounding. A convolution is affine in each single input,
 * weight or bias entry v, so the central difference (L(v⁺) − L(v⁻))/(v⁺ − v⁻) has no truncation
 * error at any step: the step only divides rounding errors, so it is large, h = 1024, and the
 * difference is divided by the step actually taken (v± = fround(v ± h)). What remains is rounding:
 * - each float32 output y_j is a sum of at most T terms (a GEMM over in·kh·kw, or over `in` then ≤
 *   kh·kw overlapping col2im additions, plus the bias), so |ŷ_j − y_j| ≤ γ_T·S_j, S_j the sum of
 *   its terms' magnitudes. Moving v by δ changes S_j by at most |δ|·|∂y_j/∂v| (v enters y_j in one
 *   term), so Σ_j |w_j|·S_j(v±) ≤ A + |δ|·S'_v, with A = Σ_j |w_j|·S_j at the unperturbed values and
 *   S'_v = Σ_j |w_j|·|∂y_j/∂v|. Hence |numeric − exact| ≤ 2·γ_T·(A + h·S'_v)/(v⁺ − v⁻) ≈ γ_T·(A/h + S'_v);
 * - the analytic gradient of v is a float32 sum of at most T' terms whose magnitudes sum to S'_v
 *   (a weight gradient sums over N·H'·W' positions, an input gradient over out·kh·kw), so its
 *   error is ≤ γ_T'·S'_v.
 * A and S' come from the same layer run on absolute values (forward for S_j, backward for S').
 * The check is the sum of both bounds, entry by entry: about (T + T')·2⁻²⁴ relative to the sum of
 * magnitudes, 2·10⁻⁴ or less of the gradients' scale here (the test asserts < 10⁻³), where an
 * indexing mistake is O(1); the errors seen are about 10⁻⁶ of the scale.
 */
function checkGradients(make: () => ConvLayer, inputShape: number[], seed: number): void {
  const rng = new Rng(seed);
  const layer = make();
  const x = random(inputShape, rng);
  const y0 = layer.forward(x);
  const w = random([...y0.shape], rng);
  const objective = (): number => {
    const y = layer.forward(x).data;
    let s = 0;
    for (let j = 0; j < y.length; j++) s += w.data[j] * y[j];
    return s;
  };
  layer.zeroGrad();
  layer.forward(x);
  const analytic = [layer.backward(w).data.slice(), ...layer.parameters().map((p) => p.grad.data.slice())];
  const H = 1024;
  const steps: Float64Array[] = [];
  const numeric = [x.data, ...layer.parameters().map((p) => p.value.data)].map((v) => {
    const g = new Float64Array(v.length);
    const step = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const old = v[i];
      v[i] = old + H;
      const vp = v[i];
      const fp = objective();
      v[i] = old - H;
      const vm = v[i];
      const fm = objective();
      v[i] = old;
      step[i] = vp - vm;
      g[i] = (fp - fm) / step[i];
    }
    steps.push(step);
    return g;
  });

  // The layer on absolute values: its forward gives S_j, its backward on |w| gives S'.
  const abs = make();
  abs.parameters().forEach((p, i) => p.value.data.set(layer.parameters()[i].value.data.map(Math.abs)));
  const sOut = abs.forward(new Tensor(x.data.map(Math.abs), x.shape)).data;
  let a = 0;
  for (let j = 0; j < sOut.length; j++) a += Math.abs(w.data[j]) * sOut[j];
  abs.zeroGrad();
  const sPrime = [abs.backward(new Tensor(w.data.map(Math.abs), w.shape)).data, ...abs.parameters().map((p) => p.grad.data)];

  const [n, , h, wd] = x.shape;
  const [, , oh, ow] = y0.shape;
  const taps = layer.kernelSize[0] * layer.kernelSize[1];
  const channels = layer.inChannels + layer.outChannels;
  const tForward = channels * taps + taps + 1;
  const tBackward = n * Math.max(h * wd, oh * ow) + channels * taps + taps;
  const slack = 1 + 1e-5; // the float32 rounding of A, S' and of |v± − v| ≤ h + ulp
  const names = ['input', ...layer.parameters().map((p) => p.name)];
  let scale = 0;
  for (const g of numeric) for (const v of g) scale = Math.max(scale, Math.abs(v));
  analytic.forEach((an, t) => {
    for (let i = 0; i < an.length; i++) {
      const numericBound = (2 * gamma(tForward) * (a + H * sPrime[t][i]) * slack) / steps[t][i];
      const bound = numericBound + gamma(tBackward) * sPrime[t][i] * slack;
      const err = Math.abs(an[i] - numeric[t][i]);
      assert.ok(
        err <= bound,
        `${layer.toString()}: ${names[t]} gradient [${i}]: analytic ${an[i]} vs numeric ${numeric[t][i]} (bound ${bound.toExponential(2)})`,
      );
      assert.ok(bound <= 1e-3 * scale, `${layer.toString()}: the rounding bound ${bound.toExponential(2)} is too loose to test anything`);
    }
  });
}

type ConvCase = { kernel: number | [number, number]; input: number[] } & Omit<Conv2dOptions, 'rng'>;
type TransposedCase = { kernel: number | [number, number]; input: number[]; out: number } & Omit<ConvTranspose2dOptions, 'rng'>;

/** Conv2d configurations: kernel 1/3/5 and rectangular, stride 1/2, padding 0/1/'same'/'valid', dilation 1/2, bias on/off, C_in 1/3. */
const CONV_CASES: ConvCase[] = [
  { kernel: 1, input: [2, 3, 5, 6] },
  { kernel: 1, input: [2, 3, 5, 6], stride: 2, bias: false },
  { kernel: 3, input: [2, 3, 6, 7], padding: 1 },
  { kernel: 3, input: [2, 1, 6, 7], stride: 2, bias: false },
  { kernel: 3, input: [2, 3, 7, 6], stride: 2, padding: 1 },
  { kernel: 5, input: [2, 3, 6, 7], padding: 2 },
  { kernel: 5, input: [2, 1, 9, 8], stride: 2, padding: 1 },
  { kernel: 3, input: [2, 3, 7, 8], dilation: 2, padding: 2 },
  { kernel: 3, input: [2, 1, 9, 8], dilation: 2, stride: 2, bias: false },
  { kernel: [2, 3], input: [2, 3, 6, 7], stride: [1, 2], padding: [1, 0] },
  { kernel: [3, 1], input: [2, 1, 6, 7], dilation: [2, 1], padding: [0, 1] },
  { kernel: 3, input: [2, 3, 6, 7], padding: 'same' },
  { kernel: [2, 4], input: [2, 1, 6, 7], padding: 'same' },
  { kernel: 3, input: [2, 3, 6, 7], padding: 'same', dilation: 2, bias: false },
  { kernel: 3, input: [2, 3, 6, 7], padding: 'valid', stride: 2 },
];

/** ConvTranspose2d configurations: the same axes, plus output padding. */
const TRANSPOSED_CASES: TransposedCase[] = [
  { kernel: 1, input: [2, 3, 4, 5], out: 2 },
  { kernel: 1, input: [2, 3, 4, 5], out: 2, stride: 2, bias: false },
  { kernel: 3, input: [2, 3, 4, 5], out: 2 },
  { kernel: 3, input: [2, 3, 4, 5], out: 2, stride: 2, padding: 1, outputPadding: 1 },
  { kernel: 3, input: [2, 1, 4, 5], out: 3, stride: 2, bias: false },
  { kernel: 5, input: [2, 1, 4, 5], out: 2, stride: 2, padding: 2, outputPadding: 1 },
  { kernel: 4, input: [2, 3, 4, 5], out: 2, stride: 2, padding: 1 },
  { kernel: 3, input: [2, 3, 4, 5], out: 2, dilation: 2, padding: 1, bias: false },
  { kernel: 3, input: [2, 3, 4, 5], out: 2, dilation: 2, outputPadding: 1 },
  { kernel: [2, 3], input: [2, 3, 4, 5], out: 3, stride: [2, 1], padding: [0, 1] },
  { kernel: [3, 1], input: [2, 1, 4, 5], out: 2, dilation: [1, 2], stride: [1, 2], outputPadding: [0, 1] },
];

for (const b of BACKENDS) {
  describe(`finite differences agree with backward on the ${b} backend`, () => {
    CONV_CASES.forEach(({ kernel, input, ...options }, i) => {
      const make = (): Conv2d => new Conv2d(input[1], 3, kernel, { rng: new Rng(i), ...options });
      test(`${make().toString()} on [${input.join(', ')}]`, () => withBackend(b, () => checkGradients(make, input, 100 + i)));
    });
    TRANSPOSED_CASES.forEach(({ kernel, input, out, ...options }, i) => {
      const make = (): ConvTranspose2d => new ConvTranspose2d(input[1], out, kernel, { rng: new Rng(i), ...options });
      test(`${make().toString()} on [${input.join(', ')}]`, () => withBackend(b, () => checkGradients(make, input, 200 + i)));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Backends agree
// ---------------------------------------------------------------------------------------------

/**
 * |a − b| ≤ bound entry by entry, where a and b are two float32 evaluations of the same sums: the
 * js backend (GEMM and col2im summed in float64, rounded once: error ≤ u·|value| + u·S) and the
 * native one (OpenBLAS and col2im in float32: ≤ γ_T·S), with S the sums of magnitudes. Their
 * difference is at most γ_{T+2}·S.
 */
function assertWithin(what: string, a: Float32Array, b: Float32Array, s: Float32Array, terms: number): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    const bound = gamma(terms + 2) * s[i] * (1 + 1e-5);
    assert.ok(Math.abs(a[i] - b[i]) <= bound, `${what}[${i}]: js ${a[i]} vs native ${b[i]} (bound ${bound.toExponential(2)})`);
  }
}

describe('the js and native backends agree', () => {
  // A strided geometry (the row-by-row kernels) and stride-1 ones whose output keeps the width (the
  // native backend's contiguous kernels): 'same' with an even kernel at dilation 2 (asymmetric), and
  // a 5×3 one with a vertical shift.
  const geometries: ConvGeometry[] = [
    { channels: 3, height: 7, width: 9, kernelH: 3, kernelW: 2, strideH: 2, strideW: 3, padTop: 1, padLeft: 2, dilationH: 2, dilationW: 1, outH: 4, outW: 4 },
    { channels: 3, height: 7, width: 9, kernelH: 3, kernelW: 4, strideH: 1, strideW: 1, padTop: 2, padLeft: 3, dilationH: 2, dilationW: 2, outH: 7, outW: 9 },
    { channels: 2, height: 6, width: 5, kernelH: 5, kernelW: 3, strideH: 1, strideW: 1, padTop: 0, padLeft: 1, dilationH: 1, dilationW: 1, outH: 2, outW: 5 },
  ];
  for (const g of geometries) {
    test(`im2col is the same copy and col2im its adjoint, on both (${g.kernelH}×${g.kernelW}, stride ${g.strideH}, ${g.outH}×${g.outW} out)`, () =>
      checkIm2col(g, 2, new Rng(5)));
  }

  function checkIm2col(g: ConvGeometry, images: number, rng: Rng): void {
    const x = random([images * g.channels * g.height * g.width], rng).data;
    const colsLen = images * g.channels * g.kernelH * g.kernelW * g.outH * g.outW;
    const taps = g.kernelH * g.kernelW;
    const cols = { js: new Float32Array(colsLen), native: new Float32Array(colsLen) };
    for (const b of BACKENDS) withBackend(b, () => backend().im2col(x, images, g, cols[b]));
    assert.deepEqual(cols.native, cols.js, 'im2col copies values: bit for bit the same');
    // col2im: the same sums of ≤ kh·kw terms per pixel, float64 (js) and float32 (native): within
    // γ_{taps+1}·Σ|terms|, the sums of magnitudes being col2im of |c|
    const c = random([colsLen], rng).data;
    const [jsFold, nativeFold] = BACKENDS.map((b) =>
      withBackend(b, () => {
        const out = new Float32Array(x.length);
        backend().col2im(c, images, g, out, false);
        return out;
      }),
    );
    const magnitudes = new Float32Array(x.length);
    withBackend('js', () => backend().col2im(c.map(Math.abs), images, g, magnitudes, false));
    for (let i = 0; i < x.length; i++) {
      assert.ok(Math.abs(jsFold[i] - nativeFold[i]) <= gamma(taps + 1) * magnitudes[i], `col2im[${i}]: js ${jsFold[i]} vs native ${nativeFold[i]}`);
    }
    // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ for random c (the adjoint), in float64 from float32 values
    for (const b of BACKENDS) {
      withBackend(b, () => {
        const back = new Float32Array(x.length).fill(7);
        backend().col2im(c, images, g, back, false);
        let lhs = 0;
        let rhs = 0;
        for (let i = 0; i < colsLen; i++) lhs += cols.js[i] * c[i];
        for (let i = 0; i < x.length; i++) rhs += x[i] * back[i];
        // col2im's float32 sums: ≤ kh·kw terms per pixel, each |c| ≤ 1
        assert.ok(Math.abs(lhs - rhs) <= x.length * gamma(taps) * taps, `${b}: ⟨im2col x, c⟩ ${lhs} vs ⟨x, col2im c⟩ ${rhs}`);
        const acc = back.slice();
        backend().col2im(c, images, g, acc, true);
        for (let i = 0; i < x.length; i++) assert.ok(Math.abs(acc[i] - 2 * back[i]) <= 2 * gamma(taps) * taps, `${b}: accumulate`);
      });
    }
  }

  for (const [name, make] of [
    ['Conv2d(8→16, 3×3, padding 1)', (rng: Rng) => new Conv2d(8, 16, 3, { rng, padding: 1 })],
    ['Conv2d(8→16, 5×3, stride 2, dilation (1, 2))', (rng: Rng) => new Conv2d(8, 16, [5, 3], { rng, stride: 2, dilation: [1, 2] })],
    ['ConvTranspose2d(8→6, 4×4, stride 2, padding 1)', (rng: Rng) => new ConvTranspose2d(8, 6, 4, { rng, stride: 2, padding: 1 })],
  ] as const) {
    test(`${name}: output and every gradient within float32 summation error`, () => {
      const rng = new Rng(11);
      const x = random([4, 8, 13, 12], rng);
      const results = BACKENDS.map((b) =>
        withBackend(b, () => {
          const layer = make(new Rng(1));
          const y = layer.forward(x).clone();
          layer.zeroGrad();
          const dy = random([...y.shape], new Rng(2));
          const dx = layer.backward(dy).clone();
          return { y, dx, dw: layer.weight.grad.data.slice(), db: layer.bias?.grad.data.slice() ?? new Float32Array(0), dy };
        }),
      );
      // Sums of magnitudes, from the same layer on absolute values (js).
      const s = withBackend('js', () => {
        const layer = make(new Rng(1));
        for (const p of layer.parameters()) p.value.data.set(p.value.data.map(Math.abs));
        const y = layer.forward(new Tensor(x.data.map(Math.abs), x.shape)).clone();
        layer.zeroGrad();
        const dx = layer.backward(new Tensor(results[0].dy.data.map(Math.abs), results[0].dy.shape));
        return { y, dx, dw: layer.weight.grad.data, db: layer.bias?.grad.data ?? new Float32Array(0) };
      });
      const layer = make(new Rng(1));
      const taps = layer.kernelSize[0] * layer.kernelSize[1];
      const terms = Math.max(layer.inChannels, layer.outChannels) * taps + taps + 1;
      const [js, native] = results;
      assertWithin('output', js.y.data, native.y.data, s.y.data, terms);
      assertWithin('input gradient', js.dx.data, native.dx.data, s.dx.data, terms);
      // weight and bias gradients sum over the images' positions
      const positions = x.shape[0] * Math.max(x.shape[2] * x.shape[3], js.y.shape[2] * js.y.shape[3]);
      assertWithin('weight gradient', js.dw, native.dw, s.dw, positions);
      assertWithin('bias gradient', js.db, native.db, s.db, positions);
    });
  }
});

test('the native backend gives the same bits on 1 and 2 threads (images dealt by blocks, sums in block order)', () =>
  withBackend('native', () => {
    const be = backend();
    const threads = be.info().threads;
    const run = (t: number): Float32Array[] => {
      be.setThreads(t);
      const out: Float32Array[] = [];
      for (const layer of [new Conv2d(6, 8, 3, { rng: new Rng(1), padding: 1 }), new ConvTranspose2d(6, 8, 3, { rng: new Rng(1), stride: 2 })]) {
        const x = random([40, 6, 12, 11], new Rng(2));
        const y = layer.forward(x);
        layer.zeroGrad();
        const dx = layer.backward(random([...y.shape], new Rng(3)));
        out.push(y.data.slice(), dx.data.slice(), ...layer.parameters().map((p) => p.grad.data.slice()));
      }
      return out;
    };
    try {
      const [one, two] = [run(1), run(2)];
      one.forEach((a, i) => assert.deepEqual(two[i], a, `result ${i}`));
    } finally {
      be.setThreads(threads);
    }
  }));

test("matmul precision 'bfloat16' reaches the convolution's GEMMs on the native backend", (t) =>
  withBackend('native', () => {
    const be = backend();
    const why = be.matmulPrecisionUnavailable('bfloat16');
    if (why !== null) return t.skip(why);
    const conv = new Conv2d(16, 8, 3, { rng: new Rng(1), padding: 1 });
    const x = random([4, 16, 9, 10], new Rng(2));
    const dy = random([4, 8, 9, 10], new Rng(3));
    const run = (): Float32Array[] => {
      conv.zeroGrad();
      const y = conv.forward(x).data.slice();
      const dx = conv.backward(dy).data.slice();
      return [y, dx, conv.weight.grad.data.slice()];
    };
    const exact = run();
    be.setMatmulPrecision('bfloat16');
    let rounded: Float32Array[];
    try {
      rounded = run();
    } finally {
      be.setMatmulPrecision('float32');
    }
    // Operands rounded to bfloat16 (8-bit mantissa, relative error ≤ 2⁻⁹ each): a product moves by
    // ≤ 2⁻⁸ (+ 2⁻¹⁸) of itself, a result by ≤ 2⁻⁸·(terms × largest |term|), with |x|, |dy| < 1 and
    // |W| ≤ 1/√(16·9) = 1/12: y sums 16·9 terms ≤ 1/12, dx 8·9 terms ≤ 1/12, dW 4·9·10 terms ≤ 1
    // (1.01 covers the float32 accumulation). And the results do move.
    const worst = [(16 * 9) / 12, (8 * 9) / 12, 4 * 9 * 10].map((s) => 2 ** -8 * s * 1.01);
    exact.forEach((e, i) => {
      const diff = Math.max(...e.map((v, j) => Math.abs(v - rounded[i][j])));
      assert.ok(diff > 0, `result ${i}: unchanged, so the bfloat16 GEMM was not used`);
      assert.ok(diff <= worst[i], `result ${i}: moved by ${diff}, more than ${worst[i]}`);
    });
  }));

// ---------------------------------------------------------------------------------------------
// Contract
// ---------------------------------------------------------------------------------------------

for (const b of BACKENDS) {
  describe(`Conv2d contract on the ${b} backend`, () => {
    const setup = (options: Partial<Conv2dOptions> = {}): { conv: Conv2d; x: Tensor; dy: Tensor } => {
      const rng = new Rng(4);
      const conv = new Conv2d(3, 4, 3, { rng, padding: 1, ...options });
      const x = random([2, 3, 5, 6], rng);
      const dy = random([2, 4, 5, 6], rng);
      return { conv, x, dy };
    };

    test('backward accumulates into the gradients until zeroGrad, as Linear', () =>
      withBackend(b, () => {
        const { conv, x, dy } = setup();
        conv.zeroGrad();
        conv.forward(x);
        const dx = conv.backward(dy).data.slice();
        const once = [conv.weight.grad.data.slice(), conv.bias?.grad.data.slice() ?? new Float32Array(0)];
        conv.forward(x);
        assert.deepEqual(conv.backward(dy).data, dx, 'the input gradient is recomputed, never accumulated');
        [conv.weight, conv.bias].forEach((p, i) => {
          const twice = p?.grad.data ?? new Float32Array(0);
          for (let j = 0; j < twice.length; j++) assert.ok(Math.abs(twice[j] - 2 * once[i][j]) <= 1e-6 * Math.abs(once[i][j]) + 1e-7);
        });
        conv.zeroGrad();
        conv.forward(x);
        conv.backward(dy);
        assert.deepEqual(conv.weight.grad.data, once[0], 'after zeroGrad the gradient is overwritten, not added');
      }));

    test('inputGrad: false skips the input gradient and leaves the parameter gradients unchanged', () =>
      withBackend(b, () => {
        const full = setup();
        const first = setup({ inputGrad: false });
        for (const { conv, x } of [full, first]) {
          conv.zeroGrad();
          conv.forward(x);
        }
        assert.deepEqual(full.conv.backward(full.dy).shape, [2, 3, 5, 6]);
        const none = first.conv.backward(first.dy);
        assert.deepEqual(none.shape, [0, 3, 5, 6]);
        assert.deepEqual(first.conv.weight.grad.data, full.conv.weight.grad.data);
        assert.deepEqual(first.conv.bias?.grad.data, full.conv.bias?.grad.data);
      }));

    test('a fused activation equals the activation applied after', () =>
      withBackend(b, () => {
        const { conv, x } = setup();
        const plain = conv.forward(x).data.map((v) => (v > 0 ? v : 0.25 * v)); // 0.25: exact in float32
        assert.deepEqual(conv.forward(x, { kind: 'leaky_relu', slope: 0.25 }).data, plain);
      }));

    test('an empty batch gives empty outputs and zero gradients', () =>
      withBackend(b, () => {
        const { conv } = setup();
        conv.weight.grad.data.fill(5);
        conv.zeroGrad();
        const y = conv.forward(Tensor.zeros([0, 3, 5, 6]));
        assert.deepEqual(y.shape, [0, 4, 5, 6]);
        assert.deepEqual(conv.backward(Tensor.zeros([0, 4, 5, 6])).shape, [0, 3, 5, 6]);
        assert.ok(conv.weight.grad.data.every((v) => v === 0) && (conv.bias?.grad.data.every((v) => v === 0) ?? false));
      }));
  });
}

describe('Conv2d shapes, names, errors and init', () => {
  const rng = new Rng(8);

  test('weight [out, in, kh, kw] and bias [out] named as in torch.nn.Conv2d', () => {
    const conv = new Conv2d(3, 8, [2, 5], { rng });
    assert.deepEqual(conv.weight.value.shape, [8, 3, 2, 5]);
    assert.deepEqual([...conv.namedParameters('0.').keys()], ['0.weight', '0.bias']);
    assert.deepEqual(conv.bias?.value.shape, [8]);
    assert.deepEqual([...new Conv2d(3, 8, 3, { rng, bias: false }).namedParameters().keys()], ['weight']);
  });

  test('outputShape and toString', () => {
    assert.deepEqual(new Conv2d(1, 32, 5, { rng }).outputShape([64, 1, 28, 28]), [64, 32, 24, 24]);
    assert.deepEqual(new Conv2d(1, 32, 3, { rng, stride: 2, padding: 1 }).outputShape([64, 1, 28, 28]), [64, 32, 14, 14]);
    assert.deepEqual(new Conv2d(3, 4, [2, 4], { rng, padding: 'same' }).outputShape([1, 3, 9, 9]), [1, 4, 9, 9]);
    assert.equal(new Conv2d(1, 32, 3, { rng }).toString(), 'Conv2d(1→32, 3×3)');
    assert.equal(new Conv2d(3, 8, [3, 5], { rng, stride: [2, 1], padding: [1, 2] }).toString(), 'Conv2d(3→8, 3×5, stride (2, 1), padding (1, 2))');
    assert.equal(new Conv2d(3, 8, 3, { rng, padding: 'same', dilation: 2, bias: false }).toString(), 'Conv2d(3→8, 3×3, padding same, dilation 2, no bias)');
    assert.deepEqual(new Conv2d(3, 8, [2, 4], { rng, padding: 'same' }).pads, [0, 1, 1, 2]);
    assert.deepEqual(new Conv2d(3, 8, 3, { rng, padding: 'valid' }).padding, [0, 0]);
  });

  test('shape errors name the layer and the shapes', () => {
    const conv = new Conv2d(1, 32, 3, { rng });
    assert.throws(() => conv.forward(Tensor.zeros([64, 784])), {
      name: 'RangeError',
      message: 'Conv2d(1→32, 3×3): expected input [N, 1, H, W], got [64, 784]',
    });
    assert.throws(() => conv.forward(Tensor.zeros([2, 3, 8, 8])), /^RangeError: Conv2d\(1→32, 3×3\): expected input \[N, 1, H, W\], got \[2, 3, 8, 8\]$/);
    assert.throws(
      () => new Conv2d(1, 32, 5, { rng }).forward(Tensor.zeros([1, 1, 3, 9])),
      /^RangeError: Conv2d\(1→32, 5×5\): input 3×9 is too small: convOutputSize: the kernel spans 5 inputs/,
    );
    assert.throws(() => conv.backward(Tensor.zeros([1, 32, 2, 2])), /Conv2d\(1→32, 3×3\).backward: called before forward/);
    conv.forward(Tensor.zeros([2, 1, 6, 6]));
    assert.throws(
      () => conv.backward(Tensor.zeros([2, 32, 3, 3])),
      /Conv2d\(1→32, 3×3\).backward: expected an output gradient \[2, 32, 4, 4\] .*, got \[2, 32, 3, 3\]/,
    );
  });

  test('option errors', () => {
    assert.throws(
      () => new Conv2d(1, 4, 3, { rng, stride: 2, padding: 'same' }),
      /Conv2d\(1→4, 3×3\): samePadding: padding 'same' needs stride 1 \(as PyTorch\), got stride 2/,
    );
    assert.throws(() => new Conv2d(0, 4, 3, { rng }), /Conv2d: expected inChannels to be a positive integer, got 0/);
    assert.throws(() => new Conv2d(1, 4, 0, { rng }), /Conv2d: expected kernelSize to be an integer ≥ 1 or \[height, width\] of them, got 0/);
    assert.throws(
      () => new Conv2d(1, 4, 3, { rng, padding: -1 }),
      /Conv2d\(1→4, 3×3\): expected padding .* to be an integer ≥ 0 or \[height, width\] of them, got -1/,
    );
    assert.throws(() => new Conv2d(1, 4, 3, { rng, dilation: [1, 0] }), /expected dilation to be an integer ≥ 1 or \[height, width\] of them, got \[1,0\]/);
    assert.throws(() => new Conv2d(1, 4, 3, { rng, init: 'bogus' as never }), /Conv2d\(1→4, 3×3\): unknown init "bogus"/);
  });

  test("PyTorch's default init: U(±1/√(in·kh·kw)) for the weight and the bias", () => {
    const conv = new Conv2d(6, 50, [3, 2], { rng: new Rng(1) });
    const bound = 1 / Math.sqrt(6 * 3 * 2);
    for (const p of conv.parameters()) {
      const max = Math.max(...p.value.data.map(Math.abs));
      assert.ok(max <= bound && max > 0.9 * bound, `${p.name}: max |value| ${max} vs bound ${bound}`);
    }
    const again = new Conv2d(6, 50, [3, 2], { rng: new Rng(1) });
    assert.deepEqual(again.weight.value.data, conv.weight.value.data, 'same seed, same weights');
    const he = new Conv2d(6, 50, [3, 2], { rng: new Rng(1), init: 'he_uniform' });
    const heBound = Math.sqrt(6 / (6 * 3 * 2));
    assert.ok(Math.max(...he.weight.value.data.map(Math.abs)) <= heBound);
    assert.ok(
      he.bias?.value.data.every((v) => v === 0),
      'non-PyTorch inits start the bias at 0, as Linear',
    );
  });
});
