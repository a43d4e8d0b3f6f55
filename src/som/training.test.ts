import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDataset } from '../data/fetch.js';
import { SGD } from '../optim/sgd.js';
import { Parameter } from '../nn/module.js';
import { Rng } from '../random.js';
import { withBackend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { quantizationError, topographicError } from './analysis.js';
import { batchSteps, fitBatch } from './batch.js';
import { classicSteps, fitClassic, type ClassicSomOptions } from './classic.js';
import { fitSom } from './fit.js';
import { fitGradient, gradientSteps } from './gradient.js';
import type { SomEvent } from './progress.js';
import { SOM } from './som.js';
import { Topology } from './topology.js';

/** Three well-separated 2-D Gaussian blobs (std 0.5) at (0,0), (6,0), (3,5), 60 points each, interleaved. */
function blobs(seed: number): Tensor {
  const rng = new Rng(seed);
  const centres = [
    [0, 0],
    [6, 0],
    [3, 5],
  ];
  const rows: number[][] = [];
  for (let i = 0; i < 180; i++) {
    const c = centres[i % 3];
    rows.push([c[0] + 0.5 * rng.normal(), c[1] + 0.5 * rng.normal()]);
  }
  return Tensor.fromRows(rows);
}

function blobSom(x: Tensor): SOM {
  // uniform init in the bounding box: the initial QE is far from the blobs' structure
  return SOM.create(x, { rows: 4, cols: 4, init: 'uniform', rng: new Rng(2) });
}

// With 2-D data on a 2-D grid the second BMU is often a diagonal neighbour, so "small TE" is
// checked with vertex (8-neighbour) adjacency; edge adjacency counts those diagonals as errors.
test('classic SOM on three blobs: QE falls by more than half, TE (vertex adjacency) stays small', () => {
  const x = blobs(1);
  const som = blobSom(x);
  const q0 = quantizationError(som, x);
  const r = fitClassic(som, x, { rng: new Rng(3), epochs: 20, Tmax: 3, Tmin: 0.3 });
  assert.ok(r.qe < 0.5 * q0, `QE ${q0} → ${r.qe}`);
  assert.equal(r.qe, quantizationError(som, x));
  const te = topographicError(som, x, { adjacency: 'vertex' });
  assert.ok(te < 0.1, `TE ${te}`);
  assert.ok(topographicError(som, x) >= te);
  assert.equal(r.iterations, 20 * 180);
  assert.equal(r.epochs.length, 20);
});

test('classic SOM: the same seed gives bit-identical prototypes, another seed different ones', () => {
  const x = blobs(1);
  const run = (seed: number): Float32Array => {
    const som = blobSom(x);
    fitClassic(som, x, { rng: new Rng(seed), epochs: 3 });
    return som.prototypes.data;
  };
  const a = run(5);
  assert.deepEqual(run(5), a);
  assert.notDeepEqual(run(6), a);
});

test('batch SOM on three blobs: QE falls by more than half, TE (vertex) small, deterministic', () => {
  const x = blobs(1);
  const som = blobSom(x);
  const q0 = quantizationError(som, x);
  const r = fitBatch(som, x, { epochs: 15, Tmax: 3, Tmin: 0.5 });
  assert.ok(r.qe < 0.5 * q0, `QE ${q0} → ${r.qe}`);
  assert.ok(topographicError(som, x, { adjacency: 'vertex' }) < 0.1);
  const again = blobSom(x);
  fitBatch(again, x, { epochs: 15, Tmax: 3, Tmin: 0.5 });
  assert.deepEqual(again.prototypes.data, som.prototypes.data);
  // one QE per epoch by default, falling overall
  assert.equal(r.epochs.filter((e) => e.qe !== undefined).length, 15);
  assert.ok((r.epochs[14].qe as number) < (r.epochs[0].qe as number));
});

test('batch SOM places a cell without hits by its neighbours’ samples, even with weights of e^−100', () => {
  // 1×3 map, 1-D data: cell 0 wins {0, 0.2}, cell 2 wins {10, 10.4}, cell 1 (at 100) wins nothing.
  // T = 0.1: cell 1 sees cells 0 and 2 at δ = 1 with weight e^−100 each → m1 = (0.2 + 20.4)/4 = 5.15;
  // cells 0 and 2 see each other at δ = 2 (e^−400, negligible next to their own weight 1).
  const som = new SOM(new Topology({ rows: 1, cols: 3 }), Tensor.fromRows([[0], [100], [10]]));
  const x = Tensor.fromRows([[0], [0.2], [10], [10.4]]);
  fitBatch(som, x, { epochs: 1, Tmax: 0.1, decay: 'constant', qeEvery: 0 });
  assert.deepEqual(
    Array.from(som.prototypes.data, (v) => Math.round(v * 1e5) / 1e5),
    [0.1, 5.15, 10.2],
  );
});

test('gradient SOM on three blobs: QE falls by more than half, TE (vertex) small, shuffled batches are seeded', () => {
  const x = blobs(1);
  const run = (seed: number): { som: SOM; qe: number } => {
    const som = blobSom(x);
    const r = fitGradient(som, x, { iterations: 600, batchSize: 32, order: 'shuffle', rng: new Rng(seed), lr: 0.05, Tmax: 3, Tmin: 0.3 });
    return { som, qe: r.qe };
  };
  const q0 = quantizationError(blobSom(x), x);
  const a = run(4);
  assert.ok(a.qe < 0.5 * q0, `QE ${q0} → ${a.qe}`);
  assert.ok(topographicError(a.som, x, { adjacency: 'vertex' }) < 0.1);
  assert.deepEqual(run(4).som.prototypes.data, a.som.prototypes.data);
  assert.notDeepEqual(run(9).som.prototypes.data, a.som.prototypes.data);
});

test('the scaled online update equals the plain one, including c = 1 (bubble, lr 1), strong shrinking and the Mexican hat’s negative lobe', () => {
  const x = blobs(2);
  const configs: Omit<ClassicSomOptions, 'rng'>[] = [
    { neighborhood: 'bubble', lr: 1, lrDecay: 'constant', Tmax: 1, decay: 'constant', epochs: 5 },
    { neighborhood: 'gaussian', lr: 0.9, lrMin: 0.5, Tmax: 4, Tmin: 1, epochs: 5 },
    // the negative lobe pushes prototypes away (|1 − c| > 1): one pass, enough for α to pass 64
    { neighborhood: 'mexican_hat', lr: 0.5, lrMin: 0.3, Tmax: 3, Tmin: 2, decay: 'linear', epochs: 1 },
    { neighborhood: 'triangle', lr: 0.5, lrDecay: 'asymptotic', Tmax: 2, Tmin: 0.5, epochs: 5 },
  ];
  for (const cfg of configs) {
    const folded = blobSom(x);
    fitClassic(folded, x, { ...cfg, rng: new Rng(1), reportEvery: 1, qeEvery: 0 });
    const scaled = blobSom(x);
    fitClassic(scaled, x, { ...cfg, rng: new Rng(1), reportEvery: 100000, qeEvery: 0 });
    let worst = 0;
    let scale = 1;
    for (let i = 0; i < folded.prototypes.size; i++) {
      worst = Math.max(worst, Math.abs(folded.prototypes.data[i] - scaled.prototypes.data[i]));
      scale = Math.max(scale, Math.abs(folded.prototypes.data[i]));
    }
    assert.ok(worst < 1e-5 * scale, `${cfg.neighborhood}: largest difference ${worst} (values up to ${scale})`);
    assert.ok(scaled.prototypes.data.every(Number.isFinite));
  }
});

test('classic events: step events every reportEvery samples, an epoch event with QE per pass, T from Tmax down, lr decaying', () => {
  const x = blobs(1);
  const events: SomEvent[] = [...classicSteps(blobSom(x), x, { rng: new Rng(1), epochs: 2, reportEvery: 50, qeEvery: 1 })];
  const steps = events.filter((e) => e.type === 'step');
  const epochs = events.filter((e) => e.type === 'epoch');
  // 360 samples: steps at 50, 100, …, 350 and the last at 360
  assert.deepEqual(
    steps.map((e) => e.iteration),
    [50, 100, 150, 200, 250, 300, 350, 360],
  );
  assert.deepEqual(
    epochs.map((e) => [e.epoch, e.iteration]),
    [
      [0, 180],
      [1, 360],
    ],
  );
  assert.ok(epochs.every((e) => typeof e.qe === 'number' && e.qe > 0));
  assert.ok(steps.every((e) => e.totalIterations === 360 && e.algorithm === 'classic'));
  assert.ok(steps[0].T < 8 && steps[0].T > steps.at(-1)!.T && steps.at(-1)!.T > 0.1);
  assert.ok((steps[0].lr as number) > (steps.at(-1)!.lr as number));
});

test('batch and gradient events carry T, lr (null for batch) and the minibatch loss', () => {
  const x = blobs(1);
  const b = [...batchSteps(blobSom(x), x, { epochs: 3, qeEvery: 0 })];
  assert.deepEqual(
    b.map((e) => [e.type, e.iteration, e.lr, e.type === 'epoch' ? e.qe : 'step']),
    [
      ['epoch', 1, null, undefined],
      ['epoch', 2, null, undefined],
      ['epoch', 3, null, undefined],
    ],
  );
  assert.equal(b[0].T, 8);
  const g = [...gradientSteps(blobSom(x), x, { iterations: 12, batchSize: 50, qeEvery: 1 })];
  // 180 rows in batches of 50: 4 steps per pass (the last has 30 rows)
  assert.deepEqual(
    g.filter((e) => e.type === 'epoch').map((e) => e.iteration),
    [4, 8, 12],
  );
  assert.ok(g.every((e) => typeof e.loss === 'number' && e.loss > 0 && e.lr === 1e-3));
  assert.ok(g.filter((e) => e.type === 'epoch').every((e) => typeof e.qe === 'number'));
});

test('fitSom dispatches on the algorithm name and the trainers validate their options', () => {
  const x = blobs(1);
  const a = blobSom(x);
  const b = blobSom(x);
  fitSom(a, x, { algorithm: 'batch', epochs: 2 });
  fitBatch(b, x, { epochs: 2 });
  assert.deepEqual(a.prototypes.data, b.prototypes.data);
  assert.throws(
    () => fitSom(a, x, { algorithm: 'neural-gas' } as unknown as Parameters<typeof fitSom>[2]),
    /somSteps: expected algorithm to be one of classic, batch, gradient, got "neural-gas"/,
  );
  assert.throws(() => fitClassic(a, x, { rng: new Rng(1), epochs: 1, iterations: 5 }), /classicSteps: expected epochs or iterations, not both/);
  assert.throws(() => fitClassic(a, x, { rng: new Rng(1), Tmin: 0 }), /classicSteps: exponential decay needs Tmax\/Tmin > 0, got 8\/0/);
  assert.throws(() => fitClassic(a, x, { rng: new Rng(1), neighborhood: 'cone' as 'gaussian' }), /classicSteps: expected neighborhood to be one of/);
  assert.throws(() => fitClassic(a, Tensor.zeros([3, 5]), { rng: new Rng(1) }), /classicSteps: expected 2 input features, got 5/);
  assert.throws(() => fitGradient(a, x, { order: 'shuffle' }), /gradientSteps: order 'shuffle' needs an rng/);
  const other = new SGD([new Parameter('w', Tensor.zeros([2]))], { lr: 0.1 });
  assert.throws(() => fitGradient(a, x, { optimizer: other }), /gradientSteps: the optimizer must hold som.parameter/);
  // any optimizer over som.parameter works
  const r = fitGradient(a, x, { iterations: 20, batchSize: 30, optimizer: new SGD([a.parameter], { lr: 0.05 }) });
  assert.equal(r.iterations, 20);
});

test('a classic 8×8 SOM on 2,000 MNIST images ends with a QE well below the initial one', async () => {
  const { x } = await loadDataset('mnist', { split: 'train', limit: 2000 });
  const som = SOM.create(x, { rng: new Rng(1) });
  const q0 = quantizationError(som, x);
  const r = withBackend('auto', () => fitClassic(som, x, { rng: new Rng(2), epochs: 3, qeEvery: 0 }));
  assert.ok(r.qe < 0.85 * q0, `QE ${q0} → ${r.qe}`);
  assert.equal(r.iterations, 6000);
});
