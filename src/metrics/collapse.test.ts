import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeCollapse, occupancy } from './collapse.js';

test('occupancy counts the units used and the share of the fullest', () => {
  assert.deepEqual(occupancy([0, 0, 2, 2, 2, 3], 5), { occupied: 3, largest: 3, largestShare: 0.5 });
});

test('every row in one cell of a 64-cell map is a collapse', () => {
  const msg = describeCollapse(new Int32Array(1000).fill(17), 64);
  assert.match(msg ?? '', /100\.0% of the 1000 rows are in one of 64 cells \(1 cell used\)/);
});

test('half the rows in one of ten clusters is a collapse, a balanced split is not', () => {
  const half = Array.from({ length: 100 }, (_, i) => (i < 50 ? 0 : 1 + (i % 9)));
  assert.notEqual(describeCollapse(half, 10, 'clusters'), null);
  const even = Array.from({ length: 100 }, (_, i) => i % 10);
  assert.equal(describeCollapse(even, 10, 'clusters'), null);
});

test('two or three units may hold half the rows each without being flagged', () => {
  assert.equal(describeCollapse([0, 0, 0, 1], 2), null);
  assert.equal(describeCollapse([0, 0, 1, 2], 3), null);
  assert.notEqual(describeCollapse([1, 1, 1, 1], 2), null);
});

test('an assignment outside the units is refused with its row', () => {
  assert.throws(() => occupancy([0, 5], 3), /assignment 5 at row 1 is outside 0\.\.2/);
});
