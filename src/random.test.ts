import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng, type RngState } from './random.js';

test('the same seed gives the same sequence and different seeds differ', () => {
  const a = new Rng(123);
  const b = new Rng(123);
  const c = new Rng(124);
  const sa = Array.from({ length: 20 }, () => a.nextU32());
  assert.deepEqual(
    sa,
    Array.from({ length: 20 }, () => b.nextU32()),
  );
  assert.notDeepEqual(
    sa,
    Array.from({ length: 20 }, () => c.nextU32()),
  );
});

test('uniform draws lie in [0, 1) with mean near 1/2 and variance near 1/12', () => {
  const r = new Rng(1);
  let s = 0;
  let s2 = 0;
  const n = 200000;
  for (let i = 0; i < n; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
    s += u;
    s2 += u * u;
  }
  const mean = s / n;
  assert.ok(Math.abs(mean - 0.5) < 0.005, `mean ${mean}`);
  assert.ok(Math.abs(s2 / n - mean * mean - 1 / 12) < 0.002);
});

test('normal draws have the requested mean and standard deviation', () => {
  const r = new Rng(2);
  const n = 200000;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const z = r.normal(3, 2);
    s += z;
    s2 += z * z;
  }
  const mean = s / n;
  const sd = Math.sqrt(s2 / n - mean * mean);
  assert.ok(Math.abs(mean - 3) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(sd - 2) < 0.02, `sd ${sd}`);
});

test('int(n) is uniform over 0..n-1 (chi-square on 10 bins)', () => {
  const r = new Rng(3);
  const counts = new Array<number>(10).fill(0);
  const n = 100000;
  for (let i = 0; i < n; i++) counts[r.int(10)]++;
  const chi = counts.reduce((acc, c) => acc + (c - n / 10) ** 2 / (n / 10), 0);
  assert.ok(chi < 27.9, `chi-square ${chi} (p < 0.001 at 9 dof is 27.9)`);
});

test('permutation, shuffle and sample without replacement return distinct valid indices', () => {
  const r = new Rng(4);
  const p = r.permutation(100);
  assert.deepEqual(
    [...p].sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => i),
  );
  const s = r.sample(1000, 50);
  assert.equal(new Set(s).size, 50);
  assert.ok([...s].every((v) => v >= 0 && v < 1000));
  assert.deepEqual([...r.sample(5, 5)].sort(), [0, 1, 2, 3, 4]);
  assert.throws(() => r.sample(3, 4), /Rng.sample: expected k ≤ n, got k = 4 > n = 3/);
});

test('state and setState resume a generator exactly, including the cached normal', () => {
  const r = new Rng(5);
  r.normal();
  const st = r.state();
  const ahead = [r.normal(), r.uniform(), r.int(7)];
  const back = Rng.fromState(JSON.parse(JSON.stringify(st)) as RngState);
  assert.deepEqual([back.normal(), back.uniform(), back.int(7)], ahead);
});

test('bad seeds and arguments throw errors that name the value', () => {
  assert.throws(() => new Rng(-1), /Rng: expected a non-negative safe integer seed, got -1/);
  assert.throws(() => new Rng(1.5), /got 1.5/);
  assert.throws(() => new Rng(0).int(0), /Rng.int: expected n to be an integer ≥ 1, got 0/);
  assert.throws(() => new Rng(0).setState({ s: [0, 0, 0, 0], spare: null }), /all-zero/);
});
