/**
 * DESOM (seed 000): agreement with the float64 PyTorch run of scripts/fixtures/make_desom.py on
 * both backends, a finite-difference check of the whole objective, exact resume from a
 * checkpoint, save/load, the options, and a sanity run on 2,000 MNIST images.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Autoencoder } from '../ae/autoencoder.js';
import { loadDataset } from '../data/fetch.js';
import { Adam } from '../optim/adam.js';
import { Rng } from '../random.js';
import { findBmus } from '../som/bmu.js';
import { SOM } from '../som/som.js';
import { Topology } from '../som/topology.js';
import { withBackend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { loadDesom, loadDesomCheckpoint, saveDesom, saveDesomCheckpoint } from './file.js';
import { DESOM, DESOM_DEFAULTS, desomOptimizer, initDesomPrototypes } from './model.js';
import { DesomObjective } from './objective.js';
import { desomSteps, fitDesom, type DesomEvent, type DesomStepEvent, type DesomTrainOptions } from './steps.js';

const BACKENDS = ['js', 'native'] as const;

/** Smooth random bumps in [0, 1] (structure an autoencoder can learn). */
function bumps(rows: number, cols: number, seed: number): Tensor {
  const rng = new Rng(seed);
  const x = Tensor.zeros([rows, cols]);
  for (let i = 0; i < rows; i++) {
    const c = rng.uniform(0, cols);
    const w = rng.uniform(1, cols / 4);
    for (let j = 0; j < cols; j++) x.data[i * cols + j] = Math.exp(-(((j - c) / w) ** 2));
  }
  return x;
}

function tiny(x: Tensor, seed: number, extra: { rows?: number; cols?: number; latent?: number; hidden?: number[] } = {}): DESOM {
  return DESOM.create(x, { hidden: extra.hidden ?? [8], latent: extra.latent ?? 3, rows: extra.rows ?? 3, cols: extra.cols ?? 3, rng: new Rng(seed) });
}

function allWeights(m: DESOM): Float32Array {
  return Float32Array.from(m.parameters().flatMap((p) => [...p.value.data]));
}

function steps(gen: Generator<DesomEvent, void, undefined>): DesomStepEvent[] {
  const out: DesomStepEvent[] = [];
  for (const e of gen) if (e.type === 'step') out.push({ ...e, bmus: e.bmus.slice() });
  return out;
}

/** Largest |a − e| relative to max(1e-12, max |e|) (the tensor's scale). */
function relErr(actual: ArrayLike<number>, expected: readonly number[]): number {
  assert.equal(actual.length, expected.length);
  let scale = 1e-12;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst / scale;
}

function rel(a: number, e: number): number {
  return Math.abs(a - e) / Math.max(1e-12, Math.abs(e));
}

// ---------------------------------------------------------------------------------------------
// Against the PyTorch reference
// ---------------------------------------------------------------------------------------------

interface Fixture {
  config: {
    input: number;
    hidden: number[];
    latent: number;
    rows: number;
    cols: number;
    Tmax: number;
    Tmin: number;
    gamma: number;
    lr: number;
    eps: number;
    iterations: number;
    batch_size: number;
    n: number;
  };
  x: number[];
  names: string[];
  initial: Record<string, number[]>;
  steps: { rows: [number, number]; T: number; bmus: number[]; lr: number; lsom: number; loss: number }[];
  first_step_grads: Record<string, number[]>;
  final: Record<string, number[]>;
}

const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/desom/desom-steps.json', import.meta.url), 'utf8')) as Fixture;

function fixtureModel(): DESOM {
  const c = fixture.config;
  const ae = new Autoencoder({
    input: c.input,
    hidden: c.hidden,
    latent: c.latent,
    activation: 'relu',
    latentActivation: 'identity',
    outputActivation: 'identity',
    init: 'glorot_uniform',
    rng: new Rng(0),
  });
  const model = new DESOM(ae, new SOM(new Topology({ rows: c.rows, cols: c.cols }), Tensor.zeros([c.rows * c.cols, c.latent])));
  const named = model.namedParameters();
  // PyTorch lists a module's own parameters before its children's; the names are the same
  assert.deepEqual([...named.keys()].sort(), [...fixture.names].sort(), 'state_dict names as the PyTorch module');
  for (const [name, p] of named) p.value.data.set(fixture.initial[name]);
  return model;
}

for (const be of BACKENDS) {
  test(`five DESOM steps match the float64 PyTorch run: losses, T, BMUs, first gradients, final weights and prototypes (${be})`, () => {
    withBackend(be, () => {
      const c = fixture.config;
      const x = Tensor.from(fixture.x, [c.n, c.input]);
      const model = fixtureModel();

      // The first step's gradient, before any update (Adam's first step alone hides magnitudes).
      const obj = new DesomObjective(model, { maxRows: c.batch_size, gamma: c.gamma });
      model.zeroGrad();
      const l0 = obj.lossAndGradient(x.sliceRows(0, c.batch_size), fixture.steps[0].T);
      assert.ok(rel(l0.lr, fixture.steps[0].lr) < 1e-5 && rel(l0.lsom, fixture.steps[0].lsom) < 1e-5, `step 0 losses ${l0.lr}, ${l0.lsom}`);
      for (const [name, p] of model.namedParameters()) {
        const err = relErr(p.grad.data, fixture.first_step_grads[name]);
        assert.ok(err < 1e-5, `first-step gradient of ${name}: relative error ${err}`);
      }

      const opt = new Adam(model.parameters(), { lr: c.lr, eps: c.eps });
      const events = steps(
        desomSteps(model, x, {
          rng: new Rng(1),
          iterations: c.iterations,
          batchSize: c.batch_size,
          gamma: c.gamma,
          Tmax: c.Tmax,
          Tmin: c.Tmin,
          optimizer: opt,
        }),
      );
      assert.equal(events.length, c.iterations);
      events.forEach((e, t) => {
        const f = fixture.steps[t];
        assert.equal(e.iteration, t + 1);
        assert.ok(rel(e.T, f.T) < 1e-12, `T at step ${t}: ${e.T} vs ${f.T}`);
        assert.deepEqual([...e.bmus], f.bmus, `BMUs at step ${t} (batch rows ${f.rows.join('–')})`);
        for (const k of ['lr', 'lsom', 'loss'] as const) assert.ok(rel(e[k], f[k]) < 1e-5, `${k} at step ${t}: ${e[k]} vs ${f[k]}`);
      });
      // the third batch is the short one (rows 16–20), then the order wraps
      assert.deepEqual(
        events.map((e) => [e.bmus.length, e.epoch]),
        [
          [8, 0],
          [8, 0],
          [4, 0],
          [8, 1],
          [8, 1],
        ],
      );
      for (const [name, p] of model.namedParameters()) {
        const err = relErr(p.value.data, fixture.final[name]);
        assert.ok(err < 1e-5, `final ${name}: relative error ${err}`);
        assert.ok(relErr(p.value.data, fixture.initial[name]) > 1e-3, `${name} moved`);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Finite differences
// ---------------------------------------------------------------------------------------------

/** The DESOM objective in float64 from the named parameter values, with the BMUs given (w fixed). */
function lossF64(
  P: Map<string, Float64Array>,
  x: Tensor,
  sizes: number[],
  K: number,
  topo: Topology,
  T: number,
  gamma: number,
  bmus: Int32Array | null,
): { loss: number; bmus: Int32Array } {
  const n = x.rows;
  const layer = (h: Float64Array[], w: Float64Array, b: Float64Array, fin: number, fout: number, relu: boolean): Float64Array[] =>
    h.map((v) => {
      const o = new Float64Array(fout);
      for (let j = 0; j < fout; j++) {
        let s = b[j];
        for (let q = 0; q < fin; q++) s += w[j * fin + q] * v[q];
        o[j] = relu ? Math.max(0, s) : s;
      }
      return o;
    });
  let h: Float64Array[] = Array.from({ length: n }, (_, i) => Float64Array.from(x.data.subarray(i * x.cols, (i + 1) * x.cols)));
  const L = sizes.length - 1;
  for (let l = 0; l < L; l++) h = layer(h, P.get(`encoder.${2 * l}.weight`)!, P.get(`encoder.${2 * l}.bias`)!, sizes[l], sizes[l + 1], l < L - 1);
  const z = h;
  const rev = [...sizes].reverse();
  for (let l = 0; l < L; l++) h = layer(h, P.get(`decoder.${2 * l}.weight`)!, P.get(`decoder.${2 * l}.bias`)!, rev[l], rev[l + 1], l < L - 1);
  let lr = 0;
  for (let i = 0; i < n; i++) for (let q = 0; q < x.cols; q++) lr += (h[i][q] - x.data[i * x.cols + q]) ** 2;
  lr /= n * x.cols;
  const m = P.get('prototypes')!;
  const d = sizes[L];
  const out = bmus ?? new Int32Array(n);
  let lsom = 0;
  for (let i = 0; i < n; i++) {
    const D = new Float64Array(K);
    for (let k = 0; k < K; k++) for (let q = 0; q < d; q++) D[k] += (z[i][q] - m[k * d + q]) ** 2;
    if (bmus === null) out[i] = D.indexOf(Math.min(...D));
    for (let k = 0; k < K; k++) lsom += Math.exp(-(topo.distanceBetween(out[i], k) ** 2) / (T * T)) * D[k];
  }
  return { loss: lr + (gamma * lsom) / n, bmus: out };
}

for (const be of BACKENDS) {
  test(`the DESOM loss gradient (w held fixed) wrt encoder, decoder weights and prototypes matches central differences (${be})`, () => {
    withBackend(be, () => {
      const x = bumps(9, 7, 4);
      const model = DESOM.create(x, { hidden: [6], latent: 3, rows: 2, cols: 3, rng: new Rng(5) });
      // move the prototypes off the codes, so no sample sits exactly on one
      const jitter = new Rng(6);
      for (let i = 0; i < model.prototypes.data.length; i++) model.prototypes.data[i] += jitter.uniform(-0.3, 0.3);
      const T = 1.3;
      const gamma = 0.7;
      const obj = new DesomObjective(model, { maxRows: 9, gamma });
      model.zeroGrad();
      const got = obj.lossAndGradient(x, T);
      const P = new Map([...model.namedParameters()].map(([k, p]) => [k, Float64Array.from(p.value.data)]));
      const sizes = [7, 6, 3];
      const ref = lossF64(P, x, sizes, model.size, model.topology, T, gamma, null);
      assert.deepEqual([...obj.bmus.subarray(0, 9)], [...ref.bmus], 'BMUs from the forward pass');
      assert.ok(rel(got.loss, ref.loss) < 1e-5, `loss ${got.loss} vs float64 ${ref.loss}`);
      const eps = 1e-5;
      let checked = 0;
      for (const [name, p] of model.namedParameters()) {
        if (name.endsWith('bias') && name !== 'decoder.2.bias') continue;
        const v = P.get(name)!;
        const g = p.grad.data;
        let scale = 1e-12;
        for (const a of g) scale = Math.max(scale, Math.abs(a));
        // every prototype coordinate, every 3rd weight elsewhere
        for (let i = 0; i < v.length; i += name === 'prototypes' ? 1 : 3) {
          const old = v[i];
          v[i] = old + eps;
          const up = lossF64(P, x, sizes, model.size, model.topology, T, gamma, ref.bmus).loss;
          v[i] = old - eps;
          const down = lossF64(P, x, sizes, model.size, model.topology, T, gamma, ref.bmus).loss;
          v[i] = old;
          const num = (up - down) / (2 * eps);
          assert.ok(Math.abs(num - g[i]) < 1e-4 * scale + 1e-7, `${name}[${i}]: analytic ${g[i]}, numeric ${num}`);
          checked++;
        }
      }
      assert.ok(checked > 60, `${checked} coordinates checked`);
      // γ really enters: without Lsom the prototypes get no gradient and the encoder a different one
      const plain = new DesomObjective(model, { maxRows: 9, gamma: 0 });
      model.zeroGrad();
      plain.lossAndGradient(x, T);
      assert.ok(model.som.parameter.grad.data.every((v) => v === 0));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Resume, determinism, batching
// ---------------------------------------------------------------------------------------------

test('a run interrupted at iteration N and resumed from its checkpoint ends bit-identical (shuffle, updateInterval 4, pretraining) (js)', () => {
  withBackend('js', () => {
    const x = bumps(40, 16, 1);
    const cases: { name: string; o: Partial<DesomTrainOptions>; stop: number }[] = [
      { name: 'shuffled batches, mid-pass', o: { order: 'shuffle' }, stop: 9 },
      { name: 'updateInterval 4, between two assignments', o: { order: 'shuffle', updateInterval: 4 }, stop: 10 },
      { name: 'sequential batches after 2 pretraining epochs', o: { pretrainEpochs: 2 }, stop: 7 },
    ];
    for (const c of cases) {
      const base = { iterations: 20, batchSize: 6, gamma: 0.05, Tmax: 2, Tmin: 0.3, lr: 0.01, ...c.o };
      const full = tiny(x, 3);
      fitDesom(full, x, { ...base, rng: new Rng(7) });
      const dir = mkdtempSync(join(tmpdir(), 'latentlab-desom-resume-'));
      try {
        let model = tiny(x, 3);
        let opt = desomOptimizer(model, base);
        const rng = new Rng(7);
        const start = rng.state();
        const assignments = c.o.updateInterval === undefined ? undefined : new Int32Array(x.rows);
        for (const e of desomSteps(model, x, { ...base, rng, optimizer: opt, assignments })) {
          if (e.type === 'step' && e.iteration === c.stop) {
            saveDesomCheckpoint(dir, model, opt, { iteration: e.iteration, rngStart: start, assignments });
            break;
          }
        }
        model = tiny(x, 99);
        opt = desomOptimizer(model, base);
        const st = loadDesomCheckpoint(dir, model, opt);
        assert.equal(st.iteration, c.stop);
        assert.equal(st.assignments !== undefined, assignments !== undefined);
        const events = steps(
          desomSteps(model, x, { ...base, rng: Rng.fromState(st.rngStart), optimizer: opt, startIteration: st.iteration, assignments: st.assignments }),
        );
        assert.equal(events[0].iteration, c.stop + 1, c.name);
        assert.equal(events.at(-1)?.iteration, 20);
        assert.deepEqual(allWeights(model), allWeights(full), `${c.name}: resumed weights and prototypes`);
        if (c.o.updateInterval !== undefined) {
          // without the saved assignments a resume between two assignments is refused
          assert.throws(() => desomSteps(tiny(x, 3), x, { ...base, rng: new Rng(7), startIteration: c.stop }).next(), /needs the saved assignments/);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    // the rng really drives the shuffled order: another seed, other weights
    const a = tiny(x, 3);
    fitDesom(a, x, { iterations: 20, batchSize: 6, order: 'shuffle', rng: new Rng(7) });
    const b = tiny(x, 3);
    fitDesom(b, x, { iterations: 20, batchSize: 6, order: 'shuffle', rng: new Rng(8) });
    assert.notDeepEqual(allWeights(a), allWeights(b));
  });
});

test('sequential batches are views into the data (no copy per step), shuffled ones a reused buffer', () => {
  const x = bumps(20, 8, 2);
  for (const order of ['sequential', 'shuffle'] as const) {
    const model = tiny(x, 1);
    const seen: Float32Array[] = [];
    const enc = model.ae.encoder;
    const forward = enc.forward.bind(enc);
    enc.forward = (t: Tensor) => {
      seen.push(t.data);
      return forward(t);
    };
    fitDesom(model, x, { iterations: 6, batchSize: 8, order, rng: new Rng(1) });
    assert.equal(seen.length, 6, 'one encoder pass per step');
    if (order === 'sequential') {
      assert.ok(seen.every((d) => d.buffer === x.data.buffer));
      assert.deepEqual(
        seen.map((d) => d.byteOffset / 4 / 8),
        [0, 8, 16, 0, 8, 16],
      );
    } else {
      assert.ok(seen.every((d) => d.buffer !== x.data.buffer && d.buffer === seen[0].buffer));
    }
  }
});

test('T follows the paper (t/iterations) by default and reaches Tmin at the last step with reachEnd', () => {
  const x = bumps(12, 8, 3);
  const T = (reachEnd: boolean) =>
    steps(desomSteps(tiny(x, 1), x, { iterations: 4, batchSize: 12, Tmax: 8, Tmin: 0.1, reachEnd, rng: new Rng(0) })).map((e) => e.T);
  const paper = T(false);
  assert.equal(paper[0], 8);
  assert.ok(rel(paper[3], 8 * (0.1 / 8) ** (3 / 4)) < 1e-12);
  const code = T(true);
  assert.ok(rel(code[3], 0.1) < 1e-12, `last T ${code[3]}`);
  // events: loss = Lr + γ·Lsom, learningRate is the optimizer's
  const e = steps(desomSteps(tiny(x, 1), x, { iterations: 2, batchSize: 5, gamma: 0.3, lr: 0.002, rng: new Rng(0) }));
  assert.ok(rel(e[1].loss, e[1].lr + 0.3 * e[1].lsom) < 1e-12);
  assert.equal(e[1].learningRate, 0.002);
  assert.equal(e[1].totalIterations, 2);
});

test('updateInterval > 1 uses the BMUs of all samples computed every u steps with the parameters of that step', () => {
  const x = bumps(24, 8, 5);
  const model = tiny(x, 2);
  const store = new Int32Array(x.rows);
  const gen = desomSteps(model, x, { iterations: 6, batchSize: 8, updateInterval: 3, assignments: store, gamma: 0.5, lr: 0.05, rng: new Rng(0) });
  let expected: Int32Array = new Int32Array(0);
  for (let t = 0; t < 6; t++) {
    if (t % 3 === 0) expected = model.bmus(x); // what the step about to run assigns
    const e = gen.next().value as DesomStepEvent;
    assert.deepEqual([...store], [...expected], `store at step ${t}`);
    const s = (t % 3) * 8;
    assert.deepEqual([...e.bmus], [...expected.subarray(s, s + 8)], `batch BMUs at step ${t}`);
  }
});

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

test('the default DESOM is seed 000’s: 784-500-500-2000-10 ReLU with linear latent and output, Glorot weights, zero biases, 8×8 Manhattan map', () => {
  const x = bumps(64, 784, 1);
  const model = DESOM.create(x, { rng: new Rng(0) });
  const c = model.ae.options;
  assert.deepEqual([c.input, ...c.hidden, c.latent], [784, 500, 500, 2000, 10]);
  assert.deepEqual([...c.decoderHidden], [2000, 500, 500]);
  assert.deepEqual([c.activation, c.latentActivation, c.outputActivation, c.init], ['relu', 'identity', 'identity', 'glorot_uniform']);
  assert.deepEqual(model.topology.spec(), { rows: 8, cols: 8, topology: 'rectangular', toroidal: false, distance: 'manhattan' });
  assert.equal(model.config.prototypeInit, 'encoded_samples');
  for (const [name, p] of model.ae.namedParameters()) {
    if (name.endsWith('bias'))
      assert.ok(
        p.value.data.every((v) => v === 0),
        name,
      );
    else {
      const [fout, fin] = p.value.shape;
      const a = Math.sqrt(6 / (fin + fout));
      assert.ok(
        p.value.data.every((v) => Math.abs(v) <= a),
        name,
      );
    }
  }
  assert.equal(model.parameters().length, 17);
  assert.equal([...model.namedParameters().keys()].at(-1), 'prototypes');
  assert.equal(model.toString(), 'DESOM(784-500-500-2000-10, 8×8 rectangular map)');
  // the prototypes are codes of 64 distinct samples through the untrained encoder
  const codes = model.encode(x);
  const hit = findBmus(model.prototypes, codes, { second: false, distances: true });
  assert.equal(new Set(hit.bmu).size, 64);
  assert.ok(Math.max(...(hit.sqDist ?? [Infinity])) < 1e-6);
  const decoded = model.decodePrototypes();
  assert.deepEqual(decoded.shape, [64, 784]);
  assert.ok(
    decoded.data.some((v) => v < 0),
    'linear output: no sigmoid',
  );
  assert.deepEqual(
    {
      Tmax: DESOM_DEFAULTS.Tmax,
      Tmin: DESOM_DEFAULTS.Tmin,
      gamma: DESOM_DEFAULTS.gamma,
      iterations: DESOM_DEFAULTS.iterations,
      batchSize: DESOM_DEFAULTS.batchSize,
      eps: DESOM_DEFAULTS.eps,
    },
    { Tmax: 8, Tmin: 0.1, gamma: 0.001, iterations: 10000, batchSize: 256, eps: 1e-7 },
  );
});

test('prototype initialisations: glorot_uniform within its bound; som gives a map whose neighbouring cells hold closer prototypes than random codes do', () => {
  const x = bumps(120, 12, 6);
  const model = tiny(x, 4, { rows: 3, cols: 4, latent: 2 });
  initDesomPrototypes(model, x, { init: 'glorot_uniform', rng: new Rng(1) });
  const a = Math.sqrt(6 / (12 + 2));
  assert.ok(model.prototypes.data.every((v) => Math.abs(v) <= a) && new Set(model.prototypes.data).size === 24);
  /** Mean prototype distance between adjacent cells over the mean between cells ≥ 3 apart (small = organised). */
  const organisation = (): number => {
    const m = model.prototypes.data;
    const t = model.topology;
    const dist = (p: number, q: number) => Math.hypot(m[2 * p] - m[2 * q], m[2 * p + 1] - m[2 * q + 1]);
    const near: number[] = [];
    const far: number[] = [];
    for (let p = 0; p < t.size; p++)
      for (let q = 0; q < t.size; q++) {
        if (t.distanceBetween(p, q) === 1) near.push(dist(p, q));
        if (t.distanceBetween(p, q) >= 3) far.push(dist(p, q));
      }
    const mean = (v: number[]) => v.reduce((s, u) => s + u, 0) / v.length;
    return mean(near) / mean(far);
  };
  const codes = model.encode(x);
  initDesomPrototypes(model, x, { init: 'encoded_samples', rng: new Rng(1) });
  const hit = findBmus(model.prototypes, codes, { distances: true });
  assert.ok(Math.max(...(hit.sqDist ?? [Infinity])) < 1e-6 && new Set(hit.bmu).size === 12, 'each prototype is the code of a distinct sample');
  const oSamples = organisation();
  initDesomPrototypes(model, x, { init: 'som', rng: new Rng(1) });
  const oSom = organisation();
  assert.ok(oSom < 0.6 * oSamples, `neighbour/far distance ratio: som ${oSom}, encoded samples ${oSamples}`);
  assert.throws(
    () => initDesomPrototypes(model, x.sliceRows(0, 5), { init: 'encoded_samples', rng: new Rng(1) }),
    /initDesomPrototypes: 'encoded_samples' needs at least as many rows as cells \(12\), got 5/,
  );
});

test('saveDesom / loadDesom round-trip the model exactly (map distance included), and a bad desom.json names its field', () => {
  const x = bumps(30, 10, 7);
  // the reference code's map distance: cells 1 (row 0, col 1) and 4 (row 1, col 0) are 1 apart, not 2
  const model = DESOM.create(x, { hidden: [8], latent: 3, rows: 2, cols: 4, distance: 'desom_reference', rng: new Rng(5) });
  assert.equal(model.topology.distanceBetween(1, 4), 1);
  fitDesom(model, x, { iterations: 5, batchSize: 10, rng: new Rng(0), lr: 0.01 });
  const dir = mkdtempSync(join(tmpdir(), 'latentlab-desom-save-'));
  try {
    saveDesom(dir, model, { gamma: 0.001 });
    const back = loadDesom(dir);
    assert.deepEqual(allWeights(back), allWeights(model));
    assert.deepEqual([...back.namedParameters().keys()], [...model.namedParameters().keys()]);
    assert.deepEqual(back.config, model.config);
    assert.equal(back.topology.distance, 'desom_reference');
    assert.deepEqual([...back.bmus(x)], [...model.bmus(x)]);
    assert.deepEqual(back.decodePrototypes().data, model.decodePrototypes().data);
    const json = JSON.parse(readFileSync(join(dir, 'desom.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(json.format, 'latentlab-desom');
    assert.deepEqual(json.info, { gamma: 0.001 });
    writeFileSync(join(dir, 'desom.json'), JSON.stringify({ ...json, latent: 0 }));
    assert.throws(() => loadDesom(dir), /loadDesom: .*desom\.json: latent: /);
    writeFileSync(join(dir, 'desom.json'), JSON.stringify({ ...json, latent: 5 }));
    assert.throws(() => loadDesom(dir), /describes 10-8-5 relu, but ae\/ holds 10-8-3 relu/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad options are refused with the function, the value and what was expected', () => {
  const x = bumps(20, 8, 1);
  const model = tiny(x, 1);
  const run = (o: Partial<DesomTrainOptions>) => () => desomSteps(model, x, { rng: new Rng(0), ...o }).next();
  assert.throws(run({ batchSize: 0 }), /desomSteps: expected batchSize to be an integer ≥ 1, got 0/);
  assert.throws(run({ order: 'random' as never }), /desomSteps: expected order to be one of 'sequential', 'shuffle', got "random"/);
  assert.throws(run({ gamma: -1 }), /desomSteps: expected gamma to be a finite number ≥ 0, got -1/);
  assert.throws(run({ neighborhood: 'cone' as never }), /desomSteps: expected neighborhood to be one of/);
  assert.throws(run({ startIteration: 11, iterations: 10 }), /desomSteps: expected startIteration ≤ iterations \(10\), got 11/);
  assert.throws(
    run({ optimizer: new Adam(model.ae.parameters()) }),
    /desomSteps: the optimizer must hold every model parameter; it lacks 1 \(e\.g\. "prototypes"\)/,
  );
  assert.throws(() => desomSteps(model, bumps(5, 9, 1), { rng: new Rng(0) }).next(), /desomSteps: expected 9 columns|desomSteps: .*8/);
  assert.throws(() => DESOM.create(x, { hidden: [0], rng: new Rng(0) }), /DESOM\.create: expected hidden\[0\] to be a positive integer, got 0/);
  assert.throws(() => DESOM.create(x, { input: 784, rng: new Rng(0) }), /DESOM\.create: expected data with 784 columns \(the input option\), got 8/);
  assert.throws(
    () => DESOM.create(x, { prototypeInit: 'kmeans' as never, rng: new Rng(0) }),
    /expected prototypeInit to be one of 'encoded_samples', 'som', 'glorot_uniform', got "kmeans"/,
  );
  assert.throws(
    () => new DESOM(model.ae, new SOM(new Topology({ rows: 2, cols: 2 }), Tensor.zeros([4, 5]))),
    /DESOM: expected prototypes of the latent size 3, got dimension 5/,
  );
});

// ---------------------------------------------------------------------------------------------
// Sanity on MNIST
// ---------------------------------------------------------------------------------------------

test('300 DESOM iterations on 2,000 MNIST images (784-128-10, 4×4 map): Lr falls and BMU purity is far above chance', async () => {
  const { x, labels } = await loadDataset('mnist', { split: 'train', limit: 2000 });
  withBackend('auto', () => {
    const model = DESOM.create(x, { hidden: [128], latent: 10, rows: 4, cols: 4, rng: new Rng(1) });
    const events: DesomStepEvent[] = [];
    // γ = 0.001 as the paper; a smaller T range for the 4×4 map
    fitDesom(model, x, { iterations: 300, batchSize: 128, Tmax: 3, Tmin: 0.3, rng: new Rng(2) }, (e) => {
      if (e.type === 'step') events.push(e);
    });
    const mean = (es: DesomStepEvent[]) => es.reduce((s, e) => s + e.lr, 0) / es.length;
    const first = mean(events.slice(0, 10));
    const last = mean(events.slice(-16));
    assert.ok(last < 0.6 * first, `Lr ${first} → ${last}`);
    // purity: each cell votes for its majority label
    const bmu = model.bmus(x);
    const counts = new Map<number, number[]>();
    for (let i = 0; i < bmu.length; i++) {
      const c = counts.get(bmu[i]) ?? new Array<number>(10).fill(0);
      c[labels[i]]++;
      counts.set(bmu[i], c);
    }
    let majority = 0;
    for (const c of counts.values()) majority += Math.max(...c);
    const purity = majority / bmu.length;
    assert.ok(purity > 0.35, `purity ${purity} over ${counts.size} used cells`);
    assert.ok(counts.size >= 12, `${counts.size} cells used`);
  });
});
