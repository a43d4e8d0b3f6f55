/**
 * PyTorch parity (seed 003 §3.1): from the same initial weights, data and minibatch order, our
 * networks must reach PyTorch's weights after N optimiser steps, on every backend.
 * Fixtures: scripts/fixtures/make_parity.py (Debian's python3-torch).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { withBackend, type BackendName } from '../src/tensor/registry.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { Target } from '../src/nn/loss.js';
import {
  buildLoss,
  buildModel,
  buildOptimizer,
  loadNamed,
  relErr,
  type LayerSpec,
  type LossSpec,
  type NamedArray,
  type OptimizerSpec,
} from './helpers/spec.js';

interface Fixture {
  name: string;
  layers: LayerSpec[];
  loss: LossSpec;
  optimizer: OptimizerSpec;
  x: number[][];
  y: number[][] | number[];
  batches: number[][];
  initial: NamedArray[];
  initial_buffers: NamedArray[];
  first_step: { loss: number; input_grad: number[]; grads: NamedArray[] };
  losses: number[];
  final: NamedArray[];
  final_buffers: NamedArray[];
  eval_output: { shape: number[]; data: number[] };
  /** How far float32 rounding alone moves this case (scripts/fixtures/make_parity.py measure_spread). */
  spread: { order_runs: number; order: Spread; float64: Spread };
}

type Measure = 'weights' | 'losses' | 'eval_output' | 'buffers';
type Spread = Record<Measure, number>;

const dir = new URL('./fixtures/parity/', import.meta.url);
const fixtures: Fixture[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Fixture);

/**
 * A float32 implementation that is correct differs from PyTorch's float32 run by rounding alone,
 * and how much rounding moves a case is a property of the case: the fixture script measures it
 * (`spread`: the largest distance of PyTorch's own runs in other summation orders, and of its
 * float64 run). Two runs each within s of the exact trajectory are within 2s of each other; the
 * OpenBLAS kernels tried (Prescott, Sandybridge, Haswell, Zen, SkylakeX, 1 and 2 threads) and the
 * js backend came within 2.7s. SPREAD_FACTOR = 8 leaves room for kernels not tried.
 * FLOOR is the one-step bound: float32 dot products of length k ≤ 128 are exact to k·2⁻²⁴ < 1e-5
 * relative to the sum of |terms|, which bounds well-conditioned cases (most spreads are ~1e-7).
 */
const SPREAD_FACTOR = 8;
const FLOOR = 1e-5;

function tolerance(f: Fixture, m: Measure): number {
  return Math.max(FLOOR, SPREAD_FACTOR * Math.max(f.spread.order[m], f.spread.float64[m]));
}

function batchOf(f: Fixture, idx: number[]): { x: Tensor; y: Target } {
  const d = f.x[0].length;
  const x = Tensor.fromRows(idx.map((i) => f.x[i]));
  assert.equal(x.cols, d);
  if (typeof f.y[0] === 'number') return { x, y: Int32Array.from(idx.map((i) => f.y[i] as number)) };
  return { x, y: Tensor.fromRows(idx.map((i) => (f.y as number[][])[i])) };
}

function run(f: Fixture, fuse: boolean): void {
  const model = buildModel(f.layers, fuse);
  loadNamed(model, f.initial, f.initial_buffers);
  const loss = buildLoss(f.loss);
  const opt = buildOptimizer(f.optimizer, model.parameters());
  const named = model.namedParameters();
  model.train();
  f.batches.forEach((idx, step) => {
    const { x, y } = batchOf(f, idx);
    opt.zeroGrad();
    const out = model.forward(x);
    const l = loss.forward(out, y);
    const dx = model.backward(loss.backward());
    assert.ok(
      Math.abs(l - f.losses[step]) <= tolerance(f, 'losses') * Math.max(1, Math.abs(f.losses[step])),
      `step ${step}: loss ${l} vs torch ${f.losses[step]}`,
    );
    if (step === 0) {
      assert.ok(Math.abs(l - f.first_step.loss) <= FLOOR * Math.max(1, Math.abs(f.first_step.loss)), `first loss ${l} vs ${f.first_step.loss}`);
      const scale = Math.max(...f.first_step.grads.map((g) => Math.max(...g.data.map(Math.abs))));
      for (const g of f.first_step.grads) {
        const ours = named.get(g.name)?.grad.data;
        assert.ok(ours !== undefined, `missing parameter ${g.name}`);
        const e = relErr(ours, g.data, scale);
        assert.ok(e <= FLOOR, `gradient of ${g.name}: relative error ${e.toExponential(2)}`);
      }
      const e = relErr(dx.data, f.first_step.input_grad);
      assert.ok(e <= FLOOR, `input gradient: relative error ${e.toExponential(2)}`);
    }
    opt.step();
  });
  // Errors are relative to the model's largest final weight, so a near-zero scalar (a bias)
  // is not judged on its own float32 rounding.
  const scale = Math.max(...f.final.map((w) => Math.max(...w.data.map(Math.abs))));
  for (const w of f.final) {
    const ours = named.get(w.name)?.value.data;
    assert.ok(ours !== undefined, `missing parameter ${w.name}`);
    const e = relErr(ours, w.data, scale);
    const tol = tolerance(f, 'weights');
    assert.ok(e <= tol, `${w.name} after ${f.batches.length} steps: relative error ${e.toExponential(2)} > ${tol}`);
  }
  const buffers = model.namedBuffers();
  for (const b of f.final_buffers) {
    const e = relErr(buffers.get(b.name)?.data ?? [], b.data);
    assert.ok(e <= tolerance(f, 'buffers'), `buffer ${b.name}: relative error ${e.toExponential(2)}`);
  }
  const out = model.predict(Tensor.fromRows(f.x));
  const e = relErr(out.data, f.eval_output.data);
  assert.ok(e <= tolerance(f, 'eval_output'), `eval output: relative error ${e.toExponential(2)}`);
}

for (const backendName of ['js', 'native', 'wasm'] as BackendName[]) {
  describe(`PyTorch parity on the ${backendName} backend`, () => {
    for (const f of fixtures) {
      test(`${f.name} ends with PyTorch's weights after ${f.batches.length} steps`, () => {
        withBackend(backendName, () => run(f, true));
      });
    }
    test('unfused Sequential gives the same weights as the fused one', () => {
      withBackend(backendName, () => {
        for (const f of fixtures) run(f, false);
      });
    });
  });
}

test('there is a fixture for each optimizer and loss', () => {
  const opts = new Set(fixtures.map((f) => f.optimizer.type));
  const losses = new Set(fixtures.map((f) => f.loss.type));
  assert.deepEqual([...opts].sort(), ['adam', 'adamw', 'rmsprop', 'sgd']);
  assert.deepEqual([...losses].sort(), ['bce', 'cross_entropy', 'l1', 'mse']);
});
