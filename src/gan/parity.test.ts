/**
 * PyTorch parity of a GAN's training step, on every backend. scripts/fixtures/make_gan.py
 * (Debian's python3-torch 1.13) writes test/fixtures/gan/<case>.json for small versions of both
 * architectures, unconditional and conditional: PyTorch's initial weights, two batches (real
 * images, classes, latent vectors), and for each of 2 iterations of (D step, G step) with the
 * non-saturating BCE-with-logits loss and Adam (lr 2e-4, β 0.5, 0.999): the three losses, D's mean
 * outputs, the parameters and batch-norm buffers after it; for the first, G(z) and every gradient.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { Parameter } from '../nn/module.js';
import { Adam } from '../optim/adam.js';
import { Rng } from '../random.js';
import { withBackend, type BackendName } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { Gan, type GanArch } from './models.js';
import { GanTrainer } from './steps.js';

interface Named {
  name: string;
  shape: number[];
  data: number[];
}

type Measure =
  | 'losses'
  | 'd_outputs'
  | 'fake'
  | 'discriminator_grads'
  | 'generator_grads'
  | 'discriminator_after'
  | 'generator_after'
  | 'discriminator_update'
  | 'generator_update'
  | 'buffers';

interface Iteration {
  d_loss_real: number;
  d_loss_fake: number;
  g_loss: number;
  d_real: number;
  d_fake: number;
  fake?: { shape: number[]; data: number[] };
  discriminator_grads?: Named[];
  generator_grads?: Named[];
  generator_after: Named[];
  discriminator_after: Named[];
  generator_buffers_after: Named[];
  discriminator_buffers_after: Named[];
}

interface GanFixture {
  name: string;
  config: {
    arch: GanArch;
    image: [number, number, number];
    latent: number;
    classes: number;
    g_hidden: number[];
    d_hidden: number[];
    g_channels: [number, number];
    d_channels: [number, number];
    slope: number;
  };
  optimizer: { lr: number; beta1: number; beta2: number; eps: number };
  generator_initial: Named[];
  discriminator_initial: Named[];
  generator_buffers_initial: Named[];
  discriminator_buffers_initial: Named[];
  batches: { x: { shape: number[]; data: number[] }; labels: number[] | null; z: { shape: number[]; data: number[] } }[];
  iterations: Iteration[];
  spread: { order_runs: number; order: Record<Measure, number>; float64: Record<Measure, number> };
}

const CASES = ['mlp', 'mlp-conditional', 'dcgan', 'dcgan-conditional'];
const load = (name: string): GanFixture => JSON.parse(readFileSync(new URL(`../../test/fixtures/gan/${name}.json`, import.meta.url), 'utf8')) as GanFixture;
const fixtures = CASES.map(load);

/**
 * The float32 bound, as test/parity.test.ts and test/conv-parity.test.ts state it: a correct
 * float32 implementation differs from PyTorch's run by rounding alone, and the fixture measures how
 * far rounding moves each result (`spread`: the largest distance of 16 PyTorch runs that differ only
 * in the order of each batch's rows, and of the float64 run). Two runs each within s of the exact
 * result are within 2s of each other; SPREAD_FACTOR = 8 leaves room for BLAS kernels and blockings
 * not tried. FLOOR (one float32 ulp, 2⁻²³, relative) only matters for a spread of 0 (G's output
 * does not depend on the order of the rows of an mlp).
 *
 * The measures: losses relative to max(1, |loss|); D's mean outputs absolute; G(z) relative to its
 * largest entry; gradients relative to the largest gradient of their network; parameters relative
 * to the largest parameter of their network; each iteration's update (after − before) relative to
 * its largest entry (Adam's first steps are ≈ lr·sign(g): a gradient of the wrong sign shows as an
 * error of 2); batch-norm buffers relative to their largest entry.
 */
const SPREAD_FACTOR = 8;
const FLOOR = 2 ** -23;
const tolerance = (f: GanFixture, m: Measure): number => Math.max(FLOOR, SPREAD_FACTOR * Math.max(f.spread.order[m], f.spread.float64[m]));

const maxAbs = (arrays: readonly ArrayLike<number>[]): number => {
  let m = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
};

/** max |ours − ref| over every array, relative to the largest |ref| (of all of them). */
function relErr(ours: readonly ArrayLike<number>[], ref: readonly ArrayLike<number>[]): number {
  let d = 0;
  ours.forEach((a, k) => {
    for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - ref[k][i]));
  });
  return d / Math.max(maxAbs(ref), 1e-30);
}

function within(f: GanFixture, m: Measure, e: number, what: string): void {
  const tol = tolerance(f, m);
  assert.ok(e <= tol, `${f.name}: ${what}: error ${e.toExponential(2)} > ${tol.toExponential(2)} (${m})`);
}

function build(f: GanFixture): Gan {
  const c = f.config;
  const gan = new Gan({
    arch: c.arch,
    image: c.image,
    latent: c.latent,
    classes: c.classes,
    gHidden: c.g_hidden,
    dHidden: c.d_hidden,
    gChannels: c.g_channels,
    dChannels: c.d_channels,
    slope: c.slope,
    rng: new Rng(0),
  });
  const put = (net: 'generator' | 'discriminator', params: Named[], buffers: Named[]): void => {
    const ps = gan[net].namedParameters();
    assert.deepEqual(
      [...ps.keys()],
      params.map((p) => p.name),
      `${f.name}: the ${net}'s state_dict names as PyTorch's`,
    );
    for (const p of params) {
      const ours = ps.get(p.name) as Parameter;
      assert.deepEqual(ours.value.shape, p.shape, `${f.name}: ${net} ${p.name} shape`);
      ours.value.data.set(p.data);
    }
    const bs = gan[net].namedBuffers();
    assert.deepEqual(
      [...bs.keys()],
      buffers.map((b) => b.name),
      `${f.name}: the ${net}'s buffer names`,
    );
    for (const b of buffers) bs.get(b.name)?.data.set(b.data);
  };
  put('generator', f.generator_initial, f.generator_buffers_initial);
  put('discriminator', f.discriminator_initial, f.discriminator_buffers_initial);
  return gan;
}

function check(f: GanFixture): void {
  const gan = build(f);
  const o = { lr: f.optimizer.lr, beta1: f.optimizer.beta1, beta2: f.optimizer.beta2, eps: f.optimizer.eps };
  const trainer = new GanTrainer(gan, new Adam(gan.generator.parameters(), o), new Adam(gan.discriminator.parameters(), o));
  const values = (net: 'generator' | 'discriminator'): Float32Array[] => [...gan[net].namedParameters().values()].map((p) => p.value.data.slice());
  let before = { generator: values('generator'), discriminator: values('discriminator') };
  f.iterations.forEach((ref, it) => {
    const b = f.batches[it];
    const grads: Partial<Record<'generator' | 'discriminator', Float32Array[]>> = {};
    const r = trainer.step(
      { x: Tensor.from(b.x.data, b.x.shape), labels: b.labels === null ? undefined : Int32Array.from(b.labels), z: Tensor.from(b.z.data, b.z.shape) },
      (net) => (grads[net] = [...gan[net].namedParameters().values()].map((p) => p.grad.data.slice())),
    );
    const at = `iteration ${it + 1}`;
    for (const [ours, theirs, what] of [
      [r.dLossReal, ref.d_loss_real, 'BCE(D(x), 1)'],
      [r.dLossFake, ref.d_loss_fake, 'BCE(D(G(z)), 0)'],
      [r.gLoss, ref.g_loss, 'BCE(D(G(z)), 1)'],
    ] as const)
      within(f, 'losses', Math.abs(ours - theirs) / Math.max(1, Math.abs(theirs)), `${at}: ${what} ${ours} vs torch ${theirs}`);
    within(f, 'd_outputs', Math.abs(r.dReal - ref.d_real), `${at}: mean D(x)`);
    within(f, 'd_outputs', Math.abs(r.dFake - ref.d_fake), `${at}: mean D(G(z))`);
    if (ref.fake !== undefined) within(f, 'fake', relErr([r.fake.data], [ref.fake.data]), `${at}: G(z)`);
    for (const net of ['discriminator', 'generator'] as const) {
      const refGrads = ref[`${net}_grads`];
      if (refGrads !== undefined) {
        within(
          f,
          `${net}_grads`,
          relErr(
            grads[net] ?? [],
            refGrads.map((g) => g.data),
          ),
          `${at}: ${net} gradients`,
        );
      }
      const after = values(net);
      const refAfter = ref[`${net}_after`].map((p) => p.data);
      within(f, `${net}_after`, relErr(after, refAfter), `${at}: ${net} parameters after Adam`);
      const step = (a: ArrayLike<number>[], base: Float32Array[]): Float64Array[] => a.map((v, k) => Float64Array.from(base[k], (w, i) => v[i] - w));
      within(f, `${net}_update`, relErr(step(after, before[net]), step(refAfter, before[net])), `${at}: ${net} Adam update`);
      const bufs = [...gan[net].namedBuffers().values()].map((t) => t.data);
      const refBufs = ref[`${net}_buffers_after`].map((t) => t.data);
      bufs.forEach((v, k) => within(f, 'buffers', relErr([v], [refBufs[k]]), `${at}: ${net} buffer ${ref[`${net}_buffers_after`][k].name}`));
    }
    before = { generator: values('generator'), discriminator: values('discriminator') };
  });
}

for (const backendName of ['js', 'native', 'wasm'] as BackendName[]) {
  describe(`GAN training step parity with PyTorch on the ${backendName} backend`, () => {
    for (const f of fixtures) {
      test(`${f.name}: 2 × (D step, G step) give PyTorch's losses, gradients, parameters and buffers`, () => withBackend(backendName, () => check(f)));
    }
  });
}

test('the GAN fixtures cover both architectures, with and without classes, and batch norm', () => {
  assert.deepEqual(fixtures.map((f) => [f.config.arch, f.config.classes > 0]).sort(), [
    ['dcgan', false],
    ['dcgan', true],
    ['mlp', false],
    ['mlp', true],
  ]);
  assert.ok(fixtures.some((f) => f.generator_buffers_initial.length > 0 && f.discriminator_buffers_initial.length > 0));
});
