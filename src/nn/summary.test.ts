import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../random.js';
import { ReLU } from './activation.js';
import { Conv2d } from './conv2d.js';
import { Flatten, Unflatten } from './flatten.js';
import { Linear } from './linear.js';
import { MaxPool2d } from './pool2d.js';
import { Sequential } from './sequential.js';
import { summary } from './summary.js';

test('summary: output shapes by the course’s formulas and parameters (k_h·k_w·C_in + 1)·C_out, nested indices, totals', () => {
  const rng = new Rng(0);
  // The course's RGB 9×9 input: 3×3 kernels, no padding → 7×7; 2×2 pooling → 3×3.
  const m = new Sequential([
    new Unflatten(1, [3, 9, 9]),
    new Sequential([new Conv2d(3, 8, 3, { rng }), new ReLU()]),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(72, 1, { rng }),
  ]);
  const s = summary(m, [5, 243]);
  assert.deepEqual(
    s.rows.map((r) => [r.index, r.output, r.parameters]),
    [
      ['0', [5, 3, 9, 9], 0],
      ['1.0', [5, 8, 7, 7], (3 * 3 * 3 + 1) * 8],
      ['1.1', [5, 8, 7, 7], 0],
      ['2', [5, 8, 3, 3], 0],
      ['3', [5, 72], 0],
      ['4', [5, 1], 73],
    ],
  );
  assert.equal(s.parameters, 224 + 73);
  assert.match(s.text, /^#\s+layer\s+output shape\s+parameters\n/);
  assert.match(s.text, /1\.0\s+Conv2d\(3→8, 3×3\)\s+\(N, 8, 7, 7\)\s+224\n/);
  assert.match(s.text, /parameters: 297$/);
  assert.throws(() => summary(m, []), /summary: expected an input shape of positive integers with the batch first/);
});
