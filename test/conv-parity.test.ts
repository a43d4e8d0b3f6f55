/**
 * PyTorch parity of Conv2d and ConvTranspose2d, on every backend. Fixtures:
 * scripts/fixtures/make_conv.py (Debian's python3-torch) writes test/fixtures/conv/:
 * - layer-*.json: one layer's input, PyTorch-initialised weight and bias, output, a random upstream
 *   gradient and the input / weight / bias gradients it gives;
 * - cnn-*.json: Conv2d-ReLU-Conv2d(stride 2)-ReLU-flatten-Linear trained 5 full-batch steps with
 *   cross-entropy (SGD with momentum, Adam): every loss, the first step's gradients, the final
 *   weights and logits.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ReLU } from '../src/nn/activation.js';
import { Conv2d, type Conv2dPadding } from '../src/nn/conv2d.js';
import { ConvTranspose2d } from '../src/nn/conv-transpose2d.js';
import { CrossEntropyLoss } from '../src/nn/cross-entropy.js';
import { Linear } from '../src/nn/linear.js';
import type { Module, Parameter } from '../src/nn/module.js';
import { Rng } from '../src/random.js';
import { withBackend, type BackendName } from '../src/tensor/registry.js';
import { Tensor } from '../src/tensor/tensor.js';
import { buildOptimizer, relErr, type NamedArray, type OptimizerSpec } from './helpers/spec.js';

type Pair = number | [number, number];

interface LayerFixture {
  name: string;
  config: {
    layer: 'conv2d' | 'conv_transpose2d';
    n: number;
    c_in: number;
    c_out: number;
    kernel: Pair;
    stride: Pair;
    padding: Pair | 'same' | 'valid';
    output_padding?: Pair;
    dilation: Pair;
    bias: boolean;
  };
  x: NamedArray;
  weight: NamedArray;
  bias: NamedArray | null;
  output: NamedArray;
  grad_output: NamedArray;
  grad_input: NamedArray;
  grad_weight: NamedArray;
  grad_bias: NamedArray | null;
  spread: { order_runs: number; order: Record<LayerMeasure, number>; float64: Record<LayerMeasure, number> };
}

type LayerMeasure = 'output' | 'grad_input' | 'grad_weight' | 'grad_bias';

interface CnnFixture {
  name: string;
  optimizer: OptimizerSpec;
  x: { shape: number[]; data: number[] };
  y: number[];
  initial: NamedArray[];
  first_step: { loss: number; input_grad: number[]; grads: NamedArray[] };
  losses: number[];
  final: NamedArray[];
  output: { shape: number[]; data: number[] };
  spread: { order_runs: number; order: Record<CnnMeasure, number>; float64: Record<CnnMeasure, number> };
}

type CnnMeasure = 'weights' | 'losses' | 'output' | 'grads' | 'input_grad';

const dir = new URL('./fixtures/conv/', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort();
const load = <T>(f: string): T => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as T;
const layerFixtures = files.filter((f) => f.startsWith('layer-')).map((f) => load<LayerFixture>(f));
const cnnFixtures = files.filter((f) => f.startsWith('cnn-')).map((f) => load<CnnFixture>(f));

/**
 * As test/parity.test.ts: a correct float32 implementation differs from PyTorch's run by rounding
 * alone, and how far rounding moves each result is measured by the fixture script (`spread`: the
 * largest distance of PyTorch's own runs in other summation orders — permuted batch and channels,
 * or the unfold + matmul formulation — and of its float64 run). Two runs each within s of the exact
 * result are within 2s of each other; SPREAD_FACTOR = 8 leaves room for BLAS kernels and thread
 * splits not tried. FLOOR only guards a spread that happened to be 0 (a result that every run
 * rounded alike): 1.2e-7 is one float32 ulp (2⁻²³) relative to the largest entry.
 */
const SPREAD_FACTOR = 8;
const FLOOR = 2 ** -23;

function tolerance<M extends string>(spread: { order: Record<M, number>; float64: Record<M, number> }, m: M): number {
  return Math.max(FLOOR, SPREAD_FACTOR * Math.max(spread.order[m], spread.float64[m]));
}

const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

function buildLayer(c: LayerFixture['config']): Conv2d | ConvTranspose2d {
  const common = { rng: new Rng(0), stride: pair(c.stride), dilation: pair(c.dilation), bias: c.bias };
  if (c.layer === 'conv2d') {
    const padding: Conv2dPadding = typeof c.padding === 'string' ? c.padding : pair(c.padding);
    return new Conv2d(c.c_in, c.c_out, pair(c.kernel), { ...common, padding });
  }
  assert.ok(typeof c.padding !== 'string', 'ConvTranspose2d takes numeric padding');
  return new ConvTranspose2d(c.c_in, c.c_out, pair(c.kernel), { ...common, padding: pair(c.padding), outputPadding: pair(c.output_padding ?? 0) });
}

const tensorOf = (a: { shape: number[]; data: number[] }): Tensor => Tensor.from(a.data, a.shape);

function checkLayer(f: LayerFixture): void {
  const layer = buildLayer(f.config);
  assert.deepEqual(
    [...layer.namedParameters().keys()],
    f.config.bias ? ['weight', 'bias'] : ['weight'],
    'state_dict names as torch.nn.Conv2d / ConvTranspose2d',
  );
  assert.deepEqual(layer.weight.value.shape, f.weight.shape, 'weight shape as PyTorch');
  layer.weight.value.data.set(f.weight.data);
  if (f.bias !== null) layer.bias?.value.data.set(f.bias.data);
  const x = tensorOf(f.x);
  assert.deepEqual(layer.outputShape(x.shape), f.output.shape, 'outputShape');
  layer.zeroGrad();
  const y = layer.forward(x);
  assert.deepEqual(y.shape, f.output.shape, 'output shape');
  const check = (m: LayerMeasure, ours: ArrayLike<number>, ref: NamedArray | null): void => {
    assert.ok(ref !== null);
    const e = relErr(ours, ref.data);
    const tol = tolerance(f.spread, m);
    assert.ok(e <= tol, `${f.name}: ${m} relative error ${e.toExponential(2)} > ${tol.toExponential(2)}`);
  };
  check('output', y.data, f.output);
  const dx = layer.backward(tensorOf(f.grad_output));
  assert.deepEqual(dx.shape, f.grad_input.shape, 'input gradient shape');
  check('grad_input', dx.data, f.grad_input);
  check('grad_weight', layer.weight.grad.data, f.grad_weight);
  if (f.config.bias) check('grad_bias', layer.bias?.grad.data ?? [], f.grad_bias);
  else assert.equal(layer.bias, null);
}

/** The fixture CNN; `flatten` is a local reshape (a view) rather than a Flatten module. */
class SmallCnn {
  readonly conv1 = new Conv2d(3, 4, 3, { rng: new Rng(0), padding: 1 });
  readonly relu1 = new ReLU();
  readonly conv2 = new Conv2d(4, 6, 3, { rng: new Rng(0), stride: 2 });
  readonly relu2 = new ReLU();
  readonly linear = new Linear(96, 3, { rng: new Rng(0) });
  private hidden: readonly number[] = [];

  constructor(private readonly fuse: boolean) {}

  /** Parameters under the torch.nn.Sequential's state_dict names. */
  named(): Map<string, Parameter> {
    const out = new Map<string, Parameter>();
    const add = (prefix: string, m: Module): void => m.namedParameters(prefix).forEach((p, k) => out.set(k, p));
    add('0.', this.conv1);
    add('2.', this.conv2);
    add('5.', this.linear);
    return out;
  }

  forward(x: Tensor): Tensor {
    const relu = { kind: 'relu' as const, slope: 0 };
    const h1 = this.fuse ? this.relu1.adoptOutput(this.conv1.forward(x, relu)) : this.relu1.forward(this.conv1.forward(x));
    const h2 = this.fuse ? this.relu2.adoptOutput(this.conv2.forward(h1, relu)) : this.relu2.forward(this.conv2.forward(h1));
    this.hidden = h2.shape;
    return this.linear.forward(h2.reshape([h2.shape[0], h2.size / h2.shape[0]]));
  }

  backward(dy: Tensor): Tensor {
    const d = this.linear.backward(dy).reshape(this.hidden);
    return this.conv1.backward(this.relu1.backward(this.conv2.backward(this.relu2.backward(d))));
  }
}

function checkCnn(f: CnnFixture, fuse: boolean): void {
  const model = new SmallCnn(fuse);
  const named = model.named();
  assert.deepEqual(
    [...named.keys()],
    f.initial.map((p) => p.name),
    'state_dict names',
  );
  for (const p of f.initial) {
    const ours = named.get(p.name);
    assert.ok(ours !== undefined);
    assert.deepEqual(ours.value.shape, p.shape, `${p.name} shape`);
    ours.value.data.set(p.data);
  }
  const params = [...named.values()];
  const opt = buildOptimizer(f.optimizer, params);
  const loss = new CrossEntropyLoss();
  const x = tensorOf(f.x);
  const y = Int32Array.from(f.y);
  f.losses.forEach((expected, step) => {
    opt.zeroGrad();
    const l = loss.forward(model.forward(x), y);
    const dx = model.backward(loss.backward());
    const tl = tolerance(f.spread, 'losses');
    assert.ok(Math.abs(l - expected) <= tl * Math.max(1, Math.abs(expected)), `step ${step}: loss ${l} vs torch ${expected} (tolerance ${tl})`);
    if (step === 0) {
      const scale = Math.max(...f.first_step.grads.map((g) => Math.max(...g.data.map(Math.abs))));
      for (const g of f.first_step.grads) {
        const e = relErr(named.get(g.name)?.grad.data ?? [], g.data, scale);
        assert.ok(e <= tolerance(f.spread, 'grads'), `first step: gradient of ${g.name} relative error ${e.toExponential(2)}`);
      }
      const e = relErr(dx.data, f.first_step.input_grad);
      assert.ok(e <= tolerance(f.spread, 'input_grad'), `first step: input gradient relative error ${e.toExponential(2)}`);
    }
    opt.step();
  });
  const scale = Math.max(...f.final.map((w) => Math.max(...w.data.map(Math.abs))));
  for (const w of f.final) {
    const e = relErr(named.get(w.name)?.value.data ?? [], w.data, scale);
    const tol = tolerance(f.spread, 'weights');
    assert.ok(e <= tol, `${w.name} after ${f.losses.length} steps: relative error ${e.toExponential(2)} > ${tol.toExponential(2)}`);
  }
  const e = relErr(model.forward(x).data, f.output.data);
  assert.ok(e <= tolerance(f.spread, 'output'), `final logits: relative error ${e.toExponential(2)}`);
}

for (const backendName of ['js', 'native', 'wasm'] as BackendName[]) {
  describe(`Conv2d / ConvTranspose2d parity with PyTorch on the ${backendName} backend`, () => {
    for (const f of layerFixtures) {
      test(`${f.name}: output and gradients as torch`, () => withBackend(backendName, () => checkLayer(f)));
    }
    for (const f of cnnFixtures) {
      for (const fuse of [true, false]) {
        test(`${f.name}: ${f.losses.length} steps end with PyTorch's weights (${fuse ? 'conv + ReLU fused' : 'unfused'})`, () =>
          withBackend(backendName, () => checkCnn(f, fuse)));
      }
    }
  });
}

test('the conv fixtures cover the configuration table', () => {
  const convs = layerFixtures.filter((f) => f.config.layer === 'conv2d').map((f) => f.config);
  const transposed = layerFixtures.filter((f) => f.config.layer === 'conv_transpose2d').map((f) => f.config);
  const kernels = new Set(convs.map((c) => JSON.stringify(c.kernel)));
  for (const k of ['1', '3', '5']) assert.ok(kernels.has(k), `a ${k}×${k} kernel`);
  assert.ok(
    convs.some((c) => Array.isArray(c.kernel) && c.kernel[0] !== c.kernel[1]),
    'a rectangular kernel',
  );
  for (const p of ['same', 'valid'])
    assert.ok(
      convs.some((c) => c.padding === p),
      `padding '${p}'`,
    );
  assert.ok(
    convs.some((c) => c.padding === 'same' && Array.isArray(c.kernel) && c.kernel.some((k) => k % 2 === 0)),
    "asymmetric 'same'",
  );
  for (const cases of [convs, transposed]) {
    assert.ok(cases.some((c) => pair(c.stride).some((s) => s > 1)) && cases.some((c) => pair(c.dilation).some((d) => d > 1)));
    assert.ok(cases.some((c) => !c.bias) && cases.some((c) => c.c_in === 1));
  }
  assert.ok(transposed.some((c) => pair(c.output_padding ?? 0).some((p) => p > 0)));
  assert.deepEqual(cnnFixtures.map((f) => f.optimizer.type).sort(), ['adam', 'sgd']);
});
