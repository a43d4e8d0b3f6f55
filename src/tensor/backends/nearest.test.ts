// backend.nearest: the nearest and second-nearest prototype of each row without ‖x‖², checked
// against a float64 brute force and between the two backends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../random.js';
import type { Backend } from '../backend.js';
import { JsBackend } from './js.js';
import { loadNativeBackend } from './native.js';

const loaded = loadNativeBackend();

function backends(): [string, Backend][] {
  if ('error' in loaded) throw new Error(loaded.error);
  return [
    ['js', new JsBackend()],
    ['native', loaded.backend],
  ];
}

/** Float64 brute force: best and second-best index by exact squared distance, ties to the lower index. */
function bruteForce(x: Float32Array, m: Float32Array, n: number, k: number, d: number): { best: number[]; second: number[]; margin: number } {
  const best: number[] = [];
  const second: number[] = [];
  let margin = Infinity;
  for (let i = 0; i < n; i++) {
    const dist = Array.from({ length: k }, (_, j) => {
      let s = 0;
      for (let q = 0; q < d; q++) s += (x[i * d + q] - m[j * d + q]) ** 2;
      return s;
    });
    const order = dist.map((v, j) => [v, j]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    best.push(order[0][1]);
    second.push(k > 1 ? order[1][1] : -1);
    if (k > 2) margin = Math.min(margin, order[1][0] - order[0][0], order[2][0] - order[1][0]);
  }
  return { best, second, margin };
}

test('nearest finds the nearest and second-nearest prototype of each row, on both backends', () => {
  const rng = new Rng(7);
  const n = 300;
  const k = 17;
  const d = 40;
  const x = rng.fillUniform(new Float32Array(n * d), 0, 1);
  const m = rng.fillUniform(new Float32Array(k * d), 0, 1);
  const ref = bruteForce(x, m, n, k, d);
  assert.ok(ref.margin > 1e-3, `test data has near-ties (margin ${ref.margin})`);
  for (const [name, be] of backends()) {
    const best = new Int32Array(n);
    const second = new Int32Array(n);
    be.nearest(x, m, n, k, d, new Float32Array(n * k), best, second);
    assert.deepEqual([...best], ref.best, `${name}: best`);
    assert.deepEqual([...second], ref.second, `${name}: second`);
    const bestOnly = new Int32Array(n);
    be.nearest(x, m, n, k, d, new Float32Array(n * k), bestOnly, null);
    assert.deepEqual([...bestOnly], ref.best, `${name}: best without second`);
  }
});

test('nearest breaks ties toward the lower index and reports -1 as second with one prototype', () => {
  const x = new Float32Array([0, 0, 1, 1]);
  const twins = new Float32Array([1, 0, 0, 1, 1, 0]); // prototypes 0 and 2 are equal; both equidistant from each row
  for (const [name, be] of backends()) {
    const best = new Int32Array(2);
    const second = new Int32Array(2);
    be.nearest(x, twins, 2, 3, 2, new Float32Array(6), best, second);
    assert.deepEqual([...best], [0, 0], `${name}: ties go to the lower index`);
    assert.deepEqual([...second], [1, 1], `${name}: then the next`);
    const one = new Int32Array(2);
    const sec = new Int32Array(2);
    be.nearest(x, new Float32Array([5, 5]), 2, 1, 2, new Float32Array(2), one, sec);
    assert.deepEqual([...one], [0, 0]);
    assert.deepEqual([...sec], [-1, -1], `${name}: no second with k = 1`);
  }
});

test('nearest names the bad argument', () => {
  for (const [, be] of backends()) {
    assert.throws(() => be.nearest(new Float32Array(4), new Float32Array(2), 2, 0, 2, new Float32Array(4), new Int32Array(2), null), /nearest: .*k ≥ 1/);
  }
  if (!('error' in loaded)) {
    assert.throws(
      () => loaded.backend.nearest(new Float32Array(4), new Float32Array(2), 2, 1, 2, new Float32Array(2), new Float32Array(2) as unknown as Int32Array, null),
      /nearest: expected best to be an Int32Array/,
    );
  }
});
