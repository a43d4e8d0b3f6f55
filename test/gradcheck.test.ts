/**
 * Finite-difference gradient check for every module and loss: the analytic gradients from
 * backward must match central differences of a random linear functional of the output.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Identity, LeakyReLU, ReLU, Sigmoid, Tanh } from '../src/nn/activation.js';
import { BatchNorm1d } from '../src/nn/batchnorm1d.js';
import { BCELoss } from '../src/nn/bce.js';
import { CrossEntropyLoss } from '../src/nn/cross-entropy.js';
import { Dropout } from '../src/nn/dropout.js';
import { Linear } from '../src/nn/linear.js';
import type { Loss, Target } from '../src/nn/loss.js';
import type { Module } from '../src/nn/module.js';
import { MSELoss } from '../src/nn/mse.js';
import { L1Loss } from '../src/nn/mae.js';
import { Sequential } from '../src/nn/sequential.js';
import { Softmax } from '../src/nn/softmax.js';
import { Rng } from '../src/random.js';
import { withBackend, type BackendName } from '../src/tensor/registry.js';
import { Tensor } from '../src/tensor/tensor.js';

const EPS = 4e-3;
const TOL = 2e-3;

/** Max |analytic − numeric| relative to the largest gradient magnitude. */
function compare(analytic: Float32Array, numeric: Float64Array): number {
  let num = 0;
  let den = 1e-6;
  for (let i = 0; i < analytic.length; i++) {
    num = Math.max(num, Math.abs(analytic[i] - numeric[i]));
    den = Math.max(den, Math.abs(numeric[i]));
  }
  return num / den;
}

/** Central differences of f over every entry of `v` (f must re-run the forward pass). */
function numericGrad(v: Float32Array, f: () => number): Float64Array {
  const g = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const old = v[i];
    v[i] = old + EPS;
    const fp = f();
    v[i] = old - EPS;
    const fm = f();
    v[i] = old;
    g[i] = (fp - fm) / (2 * EPS);
  }
  return g;
}

interface ModuleCase {
  name: string;
  make: (rng: Rng) => Module;
  inputs: number;
  /** Keeps inputs away from kinks (ReLU at 0). */
  input?: (rng: Rng) => number;
  training?: boolean;
  /** Restores RNG-dependent state before each forward (Dropout). */
  beforeForward?: () => void;
}

const dropRng = new Rng(9);
let dropState = dropRng.state();

const moduleCases: ModuleCase[] = [
  { name: 'Linear', make: (rng) => new Linear(5, 4, { rng }), inputs: 5 },
  { name: 'Linear without bias (He init)', make: (rng) => new Linear(3, 6, { rng, bias: false, init: 'he_normal' }), inputs: 3 },
  { name: 'ReLU', make: () => new ReLU(), inputs: 6, input: (r) => (r.uniform() < 0.5 ? -1 : 1) * r.uniform(0.1, 1) },
  { name: 'LeakyReLU', make: () => new LeakyReLU(0.2), inputs: 6, input: (r) => (r.uniform() < 0.5 ? -1 : 1) * r.uniform(0.1, 1) },
  { name: 'Tanh', make: () => new Tanh(), inputs: 6 },
  { name: 'Sigmoid', make: () => new Sigmoid(), inputs: 6 },
  { name: 'Softmax', make: () => new Softmax(), inputs: 5 },
  { name: 'Identity', make: () => new Identity(), inputs: 4 },
  {
    name: 'Dropout (fixed mask)',
    make: () => new Dropout(0.4, dropRng),
    inputs: 6,
    beforeForward: () => dropRng.setState(dropState),
  },
  { name: 'BatchNorm1d (training)', make: () => new BatchNorm1d(4), inputs: 4 },
  { name: 'BatchNorm1d (eval)', make: () => new BatchNorm1d(4), inputs: 4, training: false },
  {
    name: 'Sequential Linear-Tanh-Linear-Sigmoid (fused)',
    make: (rng) => new Sequential([new Linear(4, 6, { rng }), new Tanh(), new Linear(6, 3, { rng }), new Sigmoid()]),
    inputs: 4,
  },
  {
    name: 'Sequential Linear-LeakyReLU-BatchNorm1d-Linear',
    make: (rng) => new Sequential([new Linear(4, 6, { rng }), new LeakyReLU(0.1), new BatchNorm1d(6), new Linear(6, 2, { rng })]),
    inputs: 4,
  },
];

function checkModule(c: ModuleCase): void {
  const rng = new Rng(42);
  const m = c.make(rng);
  m.train(c.training ?? true);
  const batch = 5;
  const x = Tensor.zeros([batch, c.inputs]);
  for (let i = 0; i < x.size; i++) x.data[i] = c.input ? c.input(rng) : rng.uniform(-1, 1);
  dropState = dropRng.state();
  c.beforeForward?.();
  const y0 = m.forward(x);
  const w = new Float32Array(y0.size);
  rng.fillUniform(w, -1, 1);
  // L = Σ w ⊙ y, so ∂L/∂y = w
  const objective = (): number => {
    c.beforeForward?.();
    const y = m.forward(x);
    let s = 0;
    for (let i = 0; i < y.size; i++) s += w[i] * y.data[i];
    return s;
  };
  m.zeroGrad();
  c.beforeForward?.();
  m.forward(x);
  const dx = m.backward(new Tensor(w.slice(), y0.shape)).data.slice();
  const paramGrads = m.parameters().map((p) => p.grad.data.slice());
  const eIn = compare(dx, numericGrad(x.data, objective));
  assert.ok(eIn <= TOL, `${c.name}: input gradient relative error ${eIn.toExponential(2)}`);
  m.parameters().forEach((p, i) => {
    const e = compare(paramGrads[i], numericGrad(p.value.data, objective));
    assert.ok(e <= TOL, `${c.name}: gradient of ${p.name} relative error ${e.toExponential(2)}`);
  });
}

interface LossCase {
  name: string;
  make: () => Loss;
  /** Returns predictions in the loss's domain and a target. */
  data: (rng: Rng) => { p: Tensor; t: Target };
}

const lossCases: LossCase[] = [
  {
    name: 'MSELoss',
    make: () => new MSELoss(),
    data: (r) => ({
      p: Tensor.from(
        Array.from({ length: 12 }, () => r.normal()),
        [4, 3],
      ),
      t: Tensor.from(
        Array.from({ length: 12 }, () => r.normal()),
        [4, 3],
      ),
    }),
  },
  {
    // |ŷ − y| is not differentiable at 0: every residual is kept at least 0.1 away from it.
    name: 'L1Loss',
    make: () => new L1Loss(),
    data: (r) => {
      const t = Array.from({ length: 12 }, () => r.normal());
      return {
        p: Tensor.from(
          t.map((v) => v + (r.uniform() < 0.5 ? -1 : 1) * r.uniform(0.1, 1)),
          [4, 3],
        ),
        t: Tensor.from(t, [4, 3]),
      };
    },
  },
  {
    name: 'BCELoss',
    make: () => new BCELoss(),
    data: (r) => ({
      p: Tensor.from(
        Array.from({ length: 8 }, () => r.uniform(0.2, 0.8)),
        [4, 2],
      ),
      t: Tensor.from(
        Array.from({ length: 8 }, () => (r.uniform() < 0.5 ? 0 : 1)),
        [4, 2],
      ),
    }),
  },
  {
    name: 'CrossEntropyLoss with class indices',
    make: () => new CrossEntropyLoss(),
    data: (r) => ({
      p: Tensor.from(
        Array.from({ length: 15 }, () => r.normal(0, 2)),
        [5, 3],
      ),
      t: Int32Array.from({ length: 5 }, () => r.int(3)),
    }),
  },
  {
    name: 'CrossEntropyLoss with soft targets',
    make: () => new CrossEntropyLoss(),
    data: (r) => {
      const t = Tensor.zeros([5, 3]);
      for (let i = 0; i < 5; i++) {
        const a = r.uniform();
        t.data[i * 3] = a;
        t.data[i * 3 + 1] = 1 - a;
      }
      return {
        p: Tensor.from(
          Array.from({ length: 15 }, () => r.normal(0, 2)),
          [5, 3],
        ),
        t,
      };
    },
  },
];

function checkLoss(c: LossCase): void {
  const rng = new Rng(7);
  const { p, t } = c.data(rng);
  const loss = c.make();
  loss.forward(p, t);
  const g = loss.backward().data.slice();
  const e = compare(
    g,
    numericGrad(p.data, () => loss.forward(p, t)),
  );
  assert.ok(e <= TOL, `${c.name}: gradient relative error ${e.toExponential(2)}`);
}

for (const b of ['js', 'native', 'wasm'] as BackendName[]) {
  describe(`finite differences agree with backward on the ${b} backend`, () => {
    for (const c of moduleCases) test(`${c.name} gradients match central differences`, () => withBackend(b, () => checkModule(c)));
    for (const c of lossCases) test(`${c.name} gradient matches central differences`, () => withBackend(b, () => checkLoss(c)));
  });
}
