/**
 * The SOM library against scripts/fixtures/make_som.py (independent numpy implementations),
 * on both backends: map distances and adjacency, classic online updates, batch epochs,
 * QE / TE / U-matrix, the gradient-SOM loss and gradient, gradient-SOM Adam steps, PCA init.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Rng } from '../random.js';
import { withBackend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { quantizationError, topographicErrorOf, uMatrix } from './analysis.js';
import { fitBatch } from './batch.js';
import { classicSteps } from './classic.js';
import { findBmus } from './bmu.js';
import type { DecayKind } from './decay.js';
import { gradientSteps } from './gradient.js';
import { initPrototypes, principalComponents } from './init.js';
import type { NeighborhoodKind } from './neighborhood.js';
import { somLossBackward } from './som-loss.js';
import { SOM } from './som.js';
import { Topology, type MapDistance, type TopologyKind } from './topology.js';

const BACKENDS = ['js', 'native', 'wasm'] as const;

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../test/fixtures/som/${name}`, import.meta.url), 'utf8')) as T;
}

function assertClose(actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i]));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  assert.ok(worst <= tol, `${what}: largest relative error ${worst} at ${at} (got ${actual[at]}, expected ${expected[at]})`);
}

interface MapCase {
  rows: number;
  cols: number;
  topology: TopologyKind;
  toroidal: boolean;
  distance?: MapDistance;
}

function topologyOf(c: MapCase): Topology {
  return new Topology({ rows: c.rows, cols: c.cols, topology: c.topology, toroidal: c.toroidal, distance: c.distance ?? 'manhattan' });
}

test('map distances and adjacency lists match breadth-first search on the lattice graph (rect, hex, toroidal)', () => {
  const { cases } = fixture<{ cases: (MapCase & { distances: number[]; edge: number[][]; vertex: number[][] })[] }>('topology.json');
  assert.equal(cases.length, 13);
  for (const c of cases) {
    const t = topologyOf(c);
    const what = `${c.rows}×${c.cols} ${c.topology}${c.toroidal ? ' torus' : ''} ${c.distance}`;
    assertClose(t.distances, c.distances, 1e-12, what);
    for (let k = 0; k < t.size; k++) {
      assert.deepEqual([...t.neighbors(k, 'edge')], c.edge[k], `${what}: edge neighbours of ${k}`);
      assert.deepEqual([...t.neighbors(k, 'vertex')], c.vertex[k], `${what}: vertex neighbours of ${k}`);
    }
  }
});

interface ClassicCase extends MapCase {
  name: string;
  neighborhood: NeighborhoodKind;
  decay: DecayKind;
  Tmax: number;
  Tmin: number;
  lrDecay: DecayKind;
  lr: number;
  lrMin: number;
  reachEnd: boolean;
  n: number;
  d: number;
  x: number[];
  initial: number[];
  order: number[];
  bmus: number[];
  final: number[];
}

// reportEvery 1 makes the trainer fold its scaled prototypes after every sample; 1000 lets the
// scaled representation (mₖ = αₖ·uₖ, rank-1 GEMM updates) run the whole sequence.
for (const [be, reportEvery] of [
  ['js', 1],
  ['js', 1000],
  ['native', 1],
  ['native', 1000],
] as const) {
  test(`classic online updates replay numpy's sequence to 1e-5 (${be}, events every ${reportEvery})`, () => {
    const { cases } = fixture<{ cases: ClassicCase[] }>('classic.json');
    assert.equal(cases.length, 4);
    withBackend(be, () => {
      for (const c of cases) {
        const som = new SOM(topologyOf(c), Tensor.from(c.initial, [c.rows * c.cols, c.d]));
        // Replaying a given sample order = a sequential pass over the rows in that order.
        const rows = c.order.map((i) => c.x.slice(i * c.d, (i + 1) * c.d));
        const xs = Tensor.fromRows(rows);
        const events = [
          ...classicSteps(som, xs, {
            rng: new Rng(0),
            order: 'sequential',
            iterations: c.order.length,
            neighborhood: c.neighborhood,
            decay: c.decay,
            Tmax: c.Tmax,
            Tmin: c.Tmin,
            lrDecay: c.lrDecay,
            lr: c.lr,
            lrMin: c.lrMin,
            reachEnd: c.reachEnd,
            reportEvery,
            qeEvery: 0,
          }),
        ];
        assert.equal(events.filter((e) => e.type === 'step').length, reportEvery === 1 ? c.order.length : 1, c.name);
        assertClose(som.prototypes.data, c.final, 1e-5, c.name);
      }
    });
  });
}

interface BatchCase extends MapCase {
  name: string;
  neighborhood: NeighborhoodKind;
  decay: DecayKind;
  Tmax: number;
  Tmin: number;
  epochs: number;
  n: number;
  d: number;
  x: number[];
  initial: number[];
  after_epoch: number[][];
}

for (const be of BACKENDS) {
  test(`batch SOM epochs match numpy's Σh·x / Σh after every epoch (${be})`, () => {
    const { cases } = fixture<{ cases: BatchCase[] }>('batch.json');
    withBackend(be, () => {
      for (const c of cases) {
        const som = new SOM(topologyOf(c), Tensor.from(c.initial, [c.rows * c.cols, c.d]));
        const x = Tensor.from(c.x, [c.n, c.d]);
        let e = 0;
        fitBatch(som, x, { epochs: c.epochs, neighborhood: c.neighborhood, decay: c.decay, Tmax: c.Tmax, Tmin: c.Tmin, qeEvery: 0 }, (ev) => {
          // the generator is suspended at the yield, so the prototypes are this epoch's
          assertClose(som.prototypes.data, c.after_epoch[e], 1e-5, `${c.name} epoch ${e}`);
          assert.equal(ev.iteration, e + 1);
          e++;
        });
        assert.equal(e, c.epochs);
      }
    });
  });
}

interface AnalysisCase extends MapCase {
  name: string;
  n: number;
  d: number;
  x: number[];
  prototypes: number[];
  bmu: number[];
  second: number[];
  qe: number;
  qe_squared: number;
  te_edge: number;
  te_vertex: number;
  umatrix_mean_edge: number[];
  umatrix_sum_edge: number[];
  umatrix_mean_vertex: number[];
  umatrix_sum_vertex: number[];
}

for (const be of BACKENDS) {
  test(`BMUs, second BMUs, QE, TE and U-matrix match numpy (${be})`, () => {
    const { cases } = fixture<{ cases: AnalysisCase[] }>('analysis.json');
    withBackend(be, () => {
      for (const c of cases) {
        const som = new SOM(topologyOf(c), Tensor.from(c.prototypes, [c.rows * c.cols, c.d]));
        const x = Tensor.from(c.x, [c.n, c.d]);
        // chunkRows 7 exercises the chunked GEMM path with a short last chunk
        const r = findBmus(x, som.prototypes, { second: true, chunkRows: 7 });
        assert.deepEqual([...r.bmu], c.bmu, c.name);
        assert.deepEqual([...(r.second as Int32Array)], c.second, c.name);
        assertClose([quantizationError(som, x)], [c.qe], 1e-6, `${c.name} qe`);
        assertClose([quantizationError(som, x, { squared: true })], [c.qe_squared], 1e-6, `${c.name} qe²`);
        assert.equal(topographicErrorOf(som.topology, r.bmu, r.second as Int32Array, 'edge'), c.te_edge, c.name);
        assert.equal(topographicErrorOf(som.topology, r.bmu, r.second as Int32Array, 'vertex'), c.te_vertex, c.name);
        assertClose(uMatrix(som), c.umatrix_mean_edge, 1e-6, `${c.name} U mean edge`);
        assertClose(uMatrix(som, { reduce: 'sum' }), c.umatrix_sum_edge, 1e-6, `${c.name} U sum edge`);
        assertClose(uMatrix(som, { adjacency: 'vertex' }), c.umatrix_mean_vertex, 1e-6, `${c.name} U mean vertex`);
        assertClose(uMatrix(som, { adjacency: 'vertex', reduce: 'sum' }), c.umatrix_sum_vertex, 1e-6, `${c.name} U sum vertex`);
      }
    });
  });
}

interface GradientFixture {
  loss: { n: number; k: number; d: number; z: number[]; prototypes: number[]; w: number[]; loss: number; dprotos: number[]; dz: number[] };
  train: {
    rows: number;
    cols: number;
    n: number;
    d: number;
    batchSize: number;
    iterations: number;
    lr: number;
    eps: number;
    Tmax: number;
    Tmin: number;
    x: number[];
    initial: number[];
    losses: number[];
    final: number[];
  };
}

for (const be of BACKENDS) {
  test(`the gradient-SOM loss (mean over the batch of Σₖ w‖z − m‖²) and its gradients match numpy (${be})`, () => {
    const { loss: c } = fixture<GradientFixture>('gradient.json');
    withBackend(be, () => {
      const z = Float32Array.from(c.z);
      const m = Float32Array.from(c.prototypes);
      const w = Float32Array.from(c.w);
      const dist = new Float32Array(c.n * c.k);
      for (let i = 0; i < c.n; i++) {
        for (let j = 0; j < c.k; j++) {
          let s = 0;
          for (let q = 0; q < c.d; q++) s += (z[i * c.d + q] - m[j * c.d + q]) ** 2;
          dist[i * c.k + j] = s;
        }
      }
      const dz = new Float32Array(c.n * c.d);
      const dm = new Float32Array(c.k * c.d);
      const loss = somLossBackward(z, m, w, dist, c.n, c.k, c.d, 1, dz, dm);
      assertClose([loss], [c.loss], 1e-6, 'loss');
      assertClose(dm, c.dprotos, 1e-5, 'dM');
      assertClose(dz, c.dz, 1e-5, 'dZ');
    });
  });

  test(`gradient-SOM Adam steps (sequential batches, last one short, wrapping) match numpy (${be})`, () => {
    const { train: c } = fixture<GradientFixture>('gradient.json');
    withBackend(be, () => {
      const som = new SOM(new Topology({ rows: c.rows, cols: c.cols }), Tensor.from(c.initial, [c.rows * c.cols, c.d]));
      const x = Tensor.from(c.x, [c.n, c.d]);
      const losses: number[] = [];
      for (const e of gradientSteps(som, x, { iterations: c.iterations, batchSize: c.batchSize, lr: c.lr, Tmax: c.Tmax, Tmin: c.Tmin })) {
        if (e.type === 'step') losses.push(e.loss as number);
      }
      assertClose(losses, c.losses, 1e-5, 'losses');
      assertClose(som.prototypes.data, c.final, 1e-5, 'final prototypes');
    });
  });
}

interface PcaCase {
  name: string;
  rows: number;
  cols: number;
  topology: TopologyKind;
  n: number;
  d: number;
  x: number[];
  mean: number[];
  components: number[];
  variances: number[];
  prototypes: number[];
}

for (const be of BACKENDS) {
  test(`PCA initialisation spans ±1 std of the first two components around the mean, as numpy's eigh (${be})`, () => {
    const { cases } = fixture<{ cases: PcaCase[] }>('pca.json');
    withBackend(be, () => {
      for (const c of cases) {
        const x = Tensor.from(c.x, [c.n, c.d]);
        const pc = principalComponents(x, 2, { rng: new Rng(3) });
        assertClose(pc.mean, c.mean, 1e-6, `${c.name} mean`);
        assertClose(pc.variances, c.variances, 1e-5, `${c.name} variances`);
        assertClose(pc.components, c.components, 1e-5, `${c.name} components`);
        const topology = new Topology({ rows: c.rows, cols: c.cols, topology: c.topology });
        const protos = initPrototypes(x, topology, { init: 'pca', rng: new Rng(4) });
        assertClose(protos.data, c.prototypes, 1e-5, `${c.name} prototypes`);
      }
    });
  });
}
