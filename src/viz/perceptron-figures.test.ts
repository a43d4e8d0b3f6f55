import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decisionBoundarySvg, lineInBox, paddedBox } from './perceptron-figures.js';
import { svgProblem } from './svg-check.js';

const BOX = { xMin: 0, xMax: 2, yMin: 0, yMax: 2 };

test('lineInBox: the segment of w₁x + w₂y + b = 0 between the box edges', () => {
  // x + y − 2 = 0 runs corner to corner: (0, 2) – (2, 0), found on four edges, kept once.
  const diag = lineInBox(1, 1, -2, BOX);
  assert.ok(diag !== null);
  assert.deepEqual(
    [diag.x, diag.y].map((a) => [...a].sort()),
    [
      [0, 2],
      [0, 2],
    ],
  );
  assert.deepEqual(lineInBox(1, 0, -0.5, BOX), { x: [0.5, 0.5], y: [0, 2] }, 'vertical: x = 0.5');
  assert.deepEqual(lineInBox(0, 2, -3, BOX), { x: [0, 2], y: [1.5, 1.5] }, 'horizontal: y = 1.5');
  assert.equal(lineInBox(1, 1, 10, BOX), null, 'misses the box');
  assert.equal(lineInBox(0, 0, 1, BOX), null, 'no weights, no line');
  assert.throws(() => lineInBox(NaN, 1, 0, BOX), /lineInBox: expected finite w1, got NaN/);
  assert.throws(() => lineInBox(1, 1, 0, { xMin: 1, xMax: 1, yMin: 0, yMax: 1 }), /lineInBox: expected a box with xMax > xMin/);
});

test('paddedBox widens the points’ range, and a flat side by 1', () => {
  assert.deepEqual(paddedBox([0, 1], [0, 2], 0.5), { xMin: -0.5, xMax: 1.5, yMin: -1, yMax: 3 });
  assert.deepEqual(paddedBox([3], [4]), { xMin: 2, xMax: 4, yMin: 3, yMax: 5 });
  assert.throws(() => paddedBox([], []), /paddedBox: expected at least one finite point, got 0/);
});

test('decisionBoundarySvg draws the points and the line', async () => {
  const svg = await decisionBoundarySvg({
    title: 'AND',
    x: [0, 0, 1, 1],
    y: [0, 1, 0, 1],
    labels: Int32Array.from([0, 0, 0, 1]),
    classNames: ['0', '1'],
    weights: [2, 1],
    bias: -2,
  });
  assert.equal(svgProblem(svg), null);
  assert.match(svg, /w·x \+ b = 0/);
});
