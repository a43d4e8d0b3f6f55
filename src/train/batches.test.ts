import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../random.js';
import { batchRows, batchesPerEpoch, minibatches, type MinibatchOrder } from './batches.js';

/** The batching every trainer wrote before the iterator: a permutation drawn as each pass begins, skipped steps included. */
function reference(n: number, bs: number, steps: number, order: MinibatchOrder, rng: Rng, start: number): number[][] {
  const b0 = Math.min(bs, n);
  const perEpoch = Math.ceil(n / b0);
  const out: number[][] = [];
  let perm: Int32Array | null = null;
  for (let t = 0; t < steps; t++) {
    const b = t % perEpoch;
    if (b === 0 && order === 'shuffle') perm = rng.permutation(n);
    if (t < start) continue;
    const rows: number[] = [];
    for (let i = b * b0; i < Math.min(n, (b + 1) * b0); i++) rows.push(perm === null ? i : perm[i]);
    out.push(rows);
  }
  return out;
}

function rowsOf(n: number, bs: number, steps: number, order: MinibatchOrder, rng: Rng, start: number): number[][] {
  const out: number[][] = [];
  // Read each batch as it comes: a pass's permutation is overwritten by the next pass's.
  for (const mb of minibatches({ rows: n, batchSize: bs, steps, order, rng, startStep: start })) {
    out.push(Array.from({ length: mb.size }, (_, i) => (mb.order === null ? mb.start + i : mb.order[mb.start + i])));
  }
  return out;
}

test('minibatches: the rows, the draws and the rng state of the per-pass loop, from any start step', () => {
  for (const order of ['sequential', 'shuffle'] as const) {
    for (const [n, bs, steps] of [
      [10, 3, 11],
      [10, 5, 7],
      [7, 20, 3],
      [1, 1, 4],
      [9, 4, 0],
    ]) {
      for (let start = 0; start <= steps + 2; start++) {
        const a = new Rng(7);
        const b = new Rng(7);
        assert.deepEqual(
          rowsOf(n, bs, steps, order, a, start),
          reference(n, bs, steps, order, b, start),
          `${order} n=${n} bs=${bs} steps=${steps} start=${start}`,
        );
        assert.deepEqual(a.state(), b.state(), `rng state, ${order} n=${n} bs=${bs} steps=${steps} start=${start}`);
      }
    }
  }
});

test('minibatches: epochs, batch indices, short last batch and end-of-epoch flags', () => {
  const got = [...minibatches({ rows: 5, batchSize: 2, steps: 7, order: 'sequential' })].map((m) => [m.step, m.epoch, m.batch, m.start, m.end, m.endOfEpoch]);
  assert.deepEqual(got, [
    [0, 0, 0, 0, 2, false],
    [1, 0, 1, 2, 4, false],
    [2, 0, 2, 4, 5, true],
    [3, 1, 0, 0, 2, false],
    [4, 1, 1, 2, 4, false],
    [5, 1, 2, 4, 5, true],
    [6, 2, 0, 0, 2, true],
  ]);
  assert.equal(batchesPerEpoch(5, 2), 3);
  assert.equal(batchesPerEpoch(5, 50), 1);
});

test('batchRows: a view for sequential batches, a gather into the buffer for shuffled ones', () => {
  const data = Float32Array.from({ length: 12 }, (_, i) => i);
  const [seq] = minibatches({ rows: 6, batchSize: 4, steps: 2, order: 'sequential', startStep: 1 });
  const view = batchRows(data, 2, seq, new Float32Array(8));
  assert.deepEqual(Array.from(view), [8, 9, 10, 11]);
  assert.equal(view.buffer, data.buffer);
  const [mb] = minibatches({ rows: 6, batchSize: 4, steps: 1, order: 'shuffle', rng: new Rng(1) });
  const buf = new Float32Array(8);
  const got = batchRows(data, 2, mb, buf);
  assert.equal(got.buffer, buf.buffer);
  assert.deepEqual(
    Array.from(got),
    Array.from(mb.order!.subarray(0, 4)).flatMap((r) => [2 * r, 2 * r + 1]),
  );
});

test('minibatches: bad options are refused', () => {
  assert.throws(() => [...minibatches({ rows: 0, batchSize: 1, steps: 1, order: 'sequential' })], /rows/);
  assert.throws(() => [...minibatches({ rows: 3, batchSize: 0, steps: 1, order: 'sequential' })], /batchSize/);
  assert.throws(() => [...minibatches({ rows: 3, batchSize: 1, steps: 1, order: 'shuffle' })], /needs an rng/);
  assert.throws(() => [...minibatches({ rows: 3, batchSize: 1, steps: 1, order: 'random' as MinibatchOrder, rng: new Rng(0) })], /order/);
});
