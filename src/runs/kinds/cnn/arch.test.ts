import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../random.js';
import { Tensor } from '../../../tensor/tensor.js';
import { archParameters, archShapes, buildCnn, DEFAULT_ARCH, describeLayer, parseArch } from './arch.js';

test('parseArch reads every token and describeLayer writes it back', () => {
  const text = 'c32k5psame,mp2,c64k3s2p1,ap3s2,minp2,bn,dc0.25,fc128,bn,d0.5';
  const layers = parseArch(text);
  assert.deepEqual(layers[2], { kind: 'conv', out: 64, kernel: 3, stride: 2, padding: 1 });
  assert.deepEqual(layers[3], { kind: 'pool', op: 'avg', kernel: 3, stride: 2 });
  assert.equal(layers.map(describeLayer).join(','), text);
});

test('parseArch names the token and what it expected', () => {
  assert.throws(() => parseArch('c32k5,xx3'), /parseArch: layer 2 "xx3": not a layer; expected one of c<kernels>k<size>/);
  assert.throws(() => parseArch('fc10,c8k3'), /layer 2 "c8k3": a convolution after a fully connected layer/);
  assert.throws(() => parseArch('c8k3s2psame'), /'same' padding needs stride 1, got stride 2/);
  assert.throws(() => parseArch('c0k3'), /expected the number of kernels to be a positive integer, got 0/);
  assert.throws(() => parseArch('d1.5'), /not a layer/);
  assert.throws(() => parseArch(''), /parseArch: expected comma-separated layers/);
});

test('archShapes follows the course’s formulas, and a layer that leaves nothing is an error', () => {
  assert.deepEqual(archShapes(parseArch(DEFAULT_ARCH), [1, 28, 28]), [[32, 28, 28], [32, 14, 14], [64, 14, 14], [64, 7, 7], [512], [512]]);
  // 28 → (28 − 5)/1 + 1 = 24 → 12 → (12 + 2 − 3)/2 + 1 = 6 (floor).
  assert.deepEqual(archShapes(parseArch('c6k5,mp2,c16k3s2p1'), [1, 28, 28]), [
    [6, 24, 24],
    [6, 12, 12],
    [16, 6, 6],
  ]);
  assert.throws(() => archShapes(parseArch('c8k9,c8k9,c8k9,c8k9'), [1, 28, 28]), /layer 4 \(c8k9\): a 4×4 input is smaller than the 9×9 kernel/);
  assert.throws(() => archShapes(parseArch('mp2,mp2,mp2,mp2,mp2'), [1, 28, 28]), /layer 5 \(mp2\): a 2×2 window does not fit the 1×1 input/);
});

test('buildCnn: rows in, logits out, one output per class; the parameter count of the course', () => {
  const m = buildCnn(parseArch('c4k3,mp2,fc8'), { input: [1, 6, 6], classes: 3, activation: 'relu', rng: new Rng(0) });
  // conv (3·3·1 + 1)·4 = 40; 4×4 → 2×2 after pooling: 16 → fc 8: 136; 8 → 3: 27.
  assert.equal(m.parameterCount(), 40 + 136 + 27);
  assert.equal(archParameters(parseArch('c4k3,mp2,fc8'), [1, 6, 6], 3), m.parameterCount());
  const big = parseArch('c32k5psame,bn,mp2,c64k5psame,mp2,fc512,bn,d0.5');
  assert.equal(archParameters(big, [1, 28, 28], 10), buildCnn(big, { input: [1, 28, 28], classes: 10, activation: 'relu', rng: new Rng(0) }).parameterCount());
  const y = m.forward(new Tensor(new Float32Array(2 * 36).fill(0.5), [2, 36]));
  assert.deepEqual([...y.shape], [2, 3]);
});
