/**
 * ConvTranspose2d: a hand-computed case, its definition as Conv2d's input gradient, gradient
 * accumulation, errors and init. Its finite-difference table runs in conv2d.test.ts (one checker for
 * both layers); PyTorch parity is test/conv-parity.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../random.js';
import { withBackend, type BackendName } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { Conv2d } from './conv2d.js';
import { ConvTranspose2d } from './conv-transpose2d.js';

const BACKENDS = ['js', 'native'] as const satisfies readonly BackendName[];

function random(shape: number[], rng: Rng): Tensor {
  const t = Tensor.zeros(shape);
  rng.fillUniform(t.data, -1, 1);
  return t;
}

describe('ConvTranspose2d on a hand-computed case', () => {
  // The transpose of conv2d.test.ts's case (3×3 image, 2×2 kernel W = [1 2; 3 4], stride 2,
  // padding 1): a 2×2 input scatters each value times W onto a 2-strided grid of the output,
  // cropped by the padding. Size (2 − 1)·2 − 2·1 + (2 − 1) + outputPadding + 1 = 2 + outputPadding:
  // outputPadding 1 gives the 3×3 image back. With x = [1 10; 100 1000] and b = 0.5:
  //
  //   x[0,0] = 1    lands on padded rows 0–1, cols 0–1: only W[1,1]·1 = 4 falls inside, at y[0,0]
  //   x[0,1] = 10   rows 0–1, cols 2–3: W[1,0]·10 = 30 at y[0,1], W[1,1]·10 = 40 at y[0,2]
  //   x[1,0] = 100  rows 2–3, cols 0–1: W[0,1]·100 = 200 at y[1,0], W[1,1]·100 = 400 at y[2,0]
  //   x[1,1] = 1000 rows 2–3, cols 2–3: 1000, 2000 at y[1,1], y[1,2]; 3000, 4000 at y[2,1], y[2,2]
  //
  // so y = [4 30 40; 200 1000 2000; 400 3000 4000] + 0.5 — Conv2d's input gradient of that case.
  // Backward with dy = the 3×3 image [1 2 3; 4 5 6; 7 8 9] is that Conv2d's forward (without bias):
  // dx = [4 18; 36 77]; dW = Σ x[p]·(dy's window at p), dW = [5000 6400; 8020 9731] (Conv2d's dW
  // with the roles of x and dy swapped); db = 45. All exact in float32.
  for (const b of BACKENDS) {
    test(`forward and backward on the ${b} backend`, () =>
      withBackend(b, () => {
        const t = new ConvTranspose2d(1, 1, 2, { rng: new Rng(0), stride: 2, padding: 1, outputPadding: 1 });
        t.weight.value.data.set([1, 2, 3, 4]);
        t.bias?.value.data.set([0.5]);
        const y = t.forward(Tensor.from([1, 10, 100, 1000], [1, 1, 2, 2]));
        assert.deepEqual(y.shape, [1, 1, 3, 3]);
        assert.deepEqual([...y.data], [4.5, 30.5, 40.5, 200.5, 1000.5, 2000.5, 400.5, 3000.5, 4000.5]);
        t.zeroGrad();
        const dx = t.backward(Tensor.from([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]));
        assert.deepEqual(dx.shape, [1, 1, 2, 2]);
        assert.deepEqual([...dx.data], [4, 18, 36, 77]);
        assert.deepEqual([...t.weight.grad.data], [5000, 6400, 8020, 9731]);
        assert.deepEqual([...(t.bias?.grad.data ?? [])], [45]);
        const noPadding = new ConvTranspose2d(1, 1, 2, { rng: new Rng(0), stride: 2, padding: 1 });
        assert.deepEqual(noPadding.outputShape([1, 1, 2, 2]), [1, 1, 2, 2], 'without outputPadding the size is 2, which a stride-2 conv also maps to 2');
      }));
  }
});

describe('ConvTranspose2d is the input gradient of Conv2d with the same weight', () => {
  // Conv2d(out → in) with weight [in, out, kh, kw] read as its [out', in', kh, kw]: its backward
  // maps dy [N, in, H, W] to dx [N, out, H', W'], which must be ConvTranspose2d(in → out)'s forward
  // (no bias) — the same float32 sums in the same order, so bit for bit.
  for (const b of BACKENDS) {
    for (const [kernel, stride, padding, dilation] of [
      [3, 2, 1, 1],
      [[2, 4], [1, 3], [0, 1], 1],
      [3, 1, 2, 2],
      [1, 2, 0, 1],
    ] as [number | [number, number], number | [number, number], number | [number, number], number][]) {
      test(`kernel ${JSON.stringify(kernel)}, stride ${JSON.stringify(stride)}, padding ${JSON.stringify(padding)}, dilation ${dilation} on the ${b} backend`, () =>
        withBackend(b, () => {
          const rng = new Rng(2);
          const conv = new Conv2d(3, 4, kernel, { rng, stride, padding, dilation, bias: false });
          const image = random([2, 3, 9, 10], rng);
          const dy = random([...conv.forward(image).shape], rng);
          const [, , h, w] = image.shape;
          const [, , oh, ow] = dy.shape;
          const pair = (v: number | [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : v);
          const [ks, ss, ps, ds] = [pair(kernel), pair(stride), pair(padding), pair(dilation)];
          // the output padding that brings the transposed output back to 9×10
          const op = [0, 1].map((a) => [h, w][a] - (([oh, ow][a] - 1) * ss[a] - 2 * ps[a] + ds[a] * (ks[a] - 1) + 1)) as [number, number];
          const t = new ConvTranspose2d(4, 3, kernel, { rng, stride, padding, dilation, outputPadding: op, bias: false });
          t.weight.value.data.set(conv.weight.value.data);
          conv.zeroGrad();
          conv.forward(image);
          const viaConv = conv.backward(dy);
          const viaTranspose = t.forward(dy);
          assert.deepEqual(viaTranspose.shape, viaConv.shape);
          assert.deepEqual(viaTranspose.data, viaConv.data);
        }));
    }
  }
});

for (const b of BACKENDS) {
  describe(`ConvTranspose2d contract on the ${b} backend`, () => {
    const setup = (inputGrad = true): { t: ConvTranspose2d; x: Tensor; dy: Tensor } => {
      const rng = new Rng(4);
      const t = new ConvTranspose2d(3, 2, 3, { rng, stride: 2, padding: 1, outputPadding: 1, inputGrad });
      const x = random([2, 3, 4, 5], rng);
      const dy = random([2, 2, 8, 10], rng);
      return { t, x, dy };
    };

    test('backward accumulates parameter gradients until zeroGrad and recomputes the input gradient', () =>
      withBackend(b, () => {
        const { t, x, dy } = setup();
        t.zeroGrad();
        t.forward(x);
        const dx = t.backward(dy).data.slice();
        const once = t.parameters().map((p) => p.grad.data.slice());
        t.forward(x);
        assert.deepEqual(t.backward(dy).data, dx);
        t.parameters().forEach((p, i) => {
          for (let j = 0; j < once[i].length; j++) assert.ok(Math.abs(p.grad.data[j] - 2 * once[i][j]) <= 1e-6 * Math.abs(once[i][j]) + 1e-7);
        });
        t.zeroGrad();
        t.forward(x);
        t.backward(dy);
        assert.deepEqual(t.weight.grad.data, once[0]);
      }));

    test('inputGrad: false returns an empty gradient and the same parameter gradients', () =>
      withBackend(b, () => {
        const full = setup();
        const first = setup(false);
        for (const { t, x, dy } of [full, first]) {
          t.zeroGrad();
          t.forward(x);
          t.backward(dy);
        }
        assert.deepEqual(first.t.backward(first.dy).shape, [0, 3, 4, 5]);
        assert.deepEqual(first.t.weight.grad.data.length, full.t.weight.grad.data.length);
        first.t.zeroGrad();
        full.t.zeroGrad();
        first.t.backward(first.dy);
        full.t.backward(full.dy);
        assert.deepEqual(first.t.weight.grad.data, full.t.weight.grad.data);
      }));
  });
}

describe('ConvTranspose2d shapes, names, errors and init', () => {
  const rng = new Rng(8);

  test('weight [in, out, kh, kw] and bias [out] named as in torch.nn.ConvTranspose2d', () => {
    const t = new ConvTranspose2d(6, 3, [2, 5], { rng });
    assert.deepEqual(t.weight.value.shape, [6, 3, 2, 5]);
    assert.deepEqual(t.bias?.value.shape, [3]);
    assert.deepEqual([...t.namedParameters('1.').keys()], ['1.weight', '1.bias']);
  });

  test('outputShape and toString', () => {
    assert.deepEqual(new ConvTranspose2d(32, 1, 3, { rng, stride: 2, padding: 1, outputPadding: 1 }).outputShape([8, 32, 14, 14]), [8, 1, 28, 28]);
    assert.deepEqual(new ConvTranspose2d(16, 8, 4, { rng, stride: 2, padding: 1 }).outputShape([8, 16, 7, 7]), [8, 8, 14, 14]);
    assert.deepEqual(new ConvTranspose2d(2, 2, [3, 1], { rng, stride: [1, 2], dilation: [2, 1] }).outputShape([1, 2, 4, 5]), [1, 2, 8, 9]);
    assert.equal(new ConvTranspose2d(32, 1, 3, { rng }).toString(), 'ConvTranspose2d(32→1, 3×3)');
    assert.equal(
      new ConvTranspose2d(32, 1, 3, { rng, stride: 2, padding: 1, outputPadding: 1, bias: false }).toString(),
      'ConvTranspose2d(32→1, 3×3, stride 2, padding 1, output padding 1, no bias)',
    );
  });

  test('errors name the layer, the value and what was expected', () => {
    const t = new ConvTranspose2d(16, 1, 3, { rng });
    assert.throws(() => t.forward(Tensor.zeros([4, 784])), {
      name: 'RangeError',
      message: 'ConvTranspose2d(16→1, 3×3): expected input [N, 16, H, W], got [4, 784]',
    });
    assert.throws(
      () => new ConvTranspose2d(4, 2, 3, { rng, stride: 2, outputPadding: 2 }),
      /^RangeError: ConvTranspose2d\(4→2, 3×3\): expected outputPadding < stride or < dilation \(PyTorch's rule\), got outputPadding \[2, 2\] with stride \[2, 2\], dilation \[1, 1\]$/,
    );
    assert.throws(
      () => new ConvTranspose2d(1, 1, 1, { rng, padding: 1 }).forward(Tensor.zeros([1, 1, 1, 1])),
      /ConvTranspose2d\(1→1, 1×1\): input 1×1: convTransposeOutputSize: padding 1 removes the whole output/,
    );
    assert.throws(() => t.backward(Tensor.zeros([1, 1, 2, 2])), /ConvTranspose2d\(16→1, 3×3\).backward: called before forward/);
    t.forward(Tensor.zeros([2, 16, 3, 3]));
    assert.throws(() => t.backward(Tensor.zeros([2, 1, 3, 3])), /expected an output gradient \[2, 1, 5, 5\] .*, got \[2, 1, 3, 3\]/);
    assert.throws(() => new ConvTranspose2d(1, 0, 3, { rng }), /ConvTranspose2d: expected outChannels to be a positive integer, got 0/);
  });

  test("PyTorch's default init: U(±1/√(out·kh·kw)), PyTorch's fan_in for this layer", () => {
    const t = new ConvTranspose2d(40, 3, [3, 2], { rng: new Rng(1) });
    const bound = 1 / Math.sqrt(3 * 3 * 2);
    const max = (a: Float32Array): number => Math.max(...a.map(Math.abs));
    assert.ok(max(t.weight.value.data) <= bound && max(t.weight.value.data) > 0.9 * bound, `weight: max |value| vs bound ${bound}`);
    assert.ok(max(t.bias?.value.data ?? new Float32Array(1)) <= bound, 'bias within the same bound (3 draws: no claim about the max)');
    assert.ok(t.bias?.value.data.some((v) => v !== 0));
  });
});
