import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Rng } from '../random.js';
import { hungarian } from './hungarian.js';

interface HungarianFixture {
  name: string;
  rows: number;
  cols: number;
  cost: number[];
  min: number;
  max: number;
}
const fixtures = (JSON.parse(readFileSync(new URL('../../test/fixtures/sklearn/hungarian.json', import.meta.url), 'utf8')) as { cases: HungarianFixture[] })
  .cases;

/** Total cost of an assignment, checking that it is one-to-one and covers min(rows, cols) rows. */
function total(cost: ArrayLike<number>, rows: number, cols: number, match: Int32Array): number {
  assert.equal(match.length, rows);
  const seen = new Set<number>();
  let s = 0;
  for (let r = 0; r < rows; r++) {
    if (match[r] < 0) continue;
    assert.ok(match[r] < cols, `row ${r} → column ${match[r]} is out of range`);
    assert.ok(!seen.has(match[r]), `column ${match[r]} used twice`);
    seen.add(match[r]);
    s += cost[r * cols + match[r]];
  }
  assert.equal(seen.size, Math.min(rows, cols));
  return s;
}

/** Brute force over all injective maps of the smaller side (tiny sizes only). */
function bruteForce(cost: number[], rows: number, cols: number): number {
  let best = Infinity;
  const usedCols = new Uint8Array(cols);
  const usedRows = new Uint8Array(rows);
  const byRows = rows <= cols;
  const go = (i: number, acc: number): void => {
    if (i === (byRows ? rows : cols)) {
      best = Math.min(best, acc);
      return;
    }
    const other = byRows ? cols : rows;
    const used = byRows ? usedCols : usedRows;
    for (let j = 0; j < other; j++) {
      if (used[j] === 1) continue;
      used[j] = 1;
      go(i + 1, acc + (byRows ? cost[i * cols + j] : cost[j * cols + i]));
      used[j] = 0;
    }
  };
  go(0, 0);
  return best;
}

test('hungarian reaches the same total cost as scipy linear_sum_assignment, minimising and maximising', () => {
  for (const f of fixtures) {
    const min = total(f.cost, f.rows, f.cols, hungarian(f.cost, f.rows, f.cols));
    const max = total(f.cost, f.rows, f.cols, hungarian(f.cost, f.rows, f.cols, { maximize: true }));
    assert.ok(Math.abs(min - f.min) <= 1e-9 * Math.max(1, Math.abs(f.min)), `${f.name}: min ${min} vs scipy ${f.min}`);
    assert.ok(Math.abs(max - f.max) <= 1e-9 * Math.max(1, Math.abs(f.max)), `${f.name}: max ${max} vs scipy ${f.max}`);
  }
});

test('hungarian matches a brute-force search on small random rectangular matrices', () => {
  const rng = new Rng(44);
  for (let trial = 0; trial < 60; trial++) {
    const rows = 1 + rng.int(5);
    const cols = 1 + rng.int(5);
    const cost = Array.from({ length: rows * cols }, () => (trial % 2 === 0 ? rng.int(4) : rng.normal() * 10));
    const got = total(cost, rows, cols, hungarian(cost, rows, cols));
    assert.ok(Math.abs(got - bruteForce(cost, rows, cols)) <= 1e-9, `trial ${trial} (${rows}×${cols})`);
  }
});

test('a hand-checked 3×3: the greedy choice is not the optimum', () => {
  // Row by row, greedy takes 1, then 3, then 9 (13); the optimum is 2 + 3 + 2 = 7.
  const cost = [1, 2, 9, 8, 9, 3, 2, 9, 9];
  const m = hungarian(cost, 3, 3);
  assert.deepEqual(Array.from(m), [1, 2, 0]);
  assert.equal(total(cost, 3, 3, m), 7);
});

test('with more rows than columns the unmatched rows get -1', () => {
  const m = hungarian([5, 1, 0, 7, 3, 3], 3, 2); // rows (5,1), (0,7), (3,3)
  assert.deepEqual(Array.from(m), [1, 0, -1]);
  assert.deepEqual(Array.from(hungarian([], 0, 4)), []);
  assert.deepEqual(Array.from(hungarian([], 2, 0)), [-1, -1]);
});

test('hungarian rejects a cost array of the wrong length and non-finite costs', () => {
  assert.throws(() => hungarian([1, 2, 3], 2, 2), /hungarian: expected 2×2 = 4 costs, got 3/);
  assert.throws(() => hungarian([1, NaN, 3, 4], 2, 2), /hungarian: expected finite costs, got NaN at row 0, column 1/);
  assert.throws(() => hungarian([1], -1, 1), /hungarian: expected rows to be a non-negative integer, got -1/);
});
