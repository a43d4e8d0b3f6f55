import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { umap2d, umap2dSteps } from './projection.js';

/** 3 Gaussian blobs of 100 points in 10-D, centres 10 apart, unit spread. */
function blobs(seed: number): { x: Tensor; labels: number[] } {
  const rng = new Rng(seed);
  const d = 10;
  const data = new Float32Array(300 * d);
  const labels: number[] = [];
  for (let i = 0; i < 300; i++) {
    const b = i % 3;
    labels.push(b);
    for (let j = 0; j < d; j++) data[i * d + j] = (j === b ? 10 : 0) + rng.normal();
  }
  return { x: new Tensor(data, [300, d]), labels };
}

test('umap2d gives identical embeddings for the same seed and different ones for another seed', () => {
  const { x } = blobs(1);
  const a = umap2d(x, { rng: new Rng(42), nEpochs: 50 });
  const b = umap2d(x, { rng: new Rng(42), nEpochs: 50 });
  const c = umap2d(x, { rng: new Rng(43), nEpochs: 50 });
  assert.equal(a.length, 600);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.ok(a.every(Number.isFinite));
});

test('umap2d keeps well-separated blobs apart in 2-D', () => {
  const { x, labels } = blobs(2);
  const e = umap2d(x, { rng: new Rng(5), nEpochs: 50 });
  let intra = 0;
  let nIntra = 0;
  let inter = 0;
  let nInter = 0;
  for (let i = 0; i < 300; i++) {
    for (let j = i + 1; j < 300; j++) {
      const dist = Math.hypot(e[2 * i] - e[2 * j], e[2 * i + 1] - e[2 * j + 1]);
      if (labels[i] === labels[j]) {
        intra += dist;
        nIntra++;
      } else {
        inter += dist;
        nInter++;
      }
    }
  }
  const ratio = inter / nInter / (intra / nIntra);
  assert.ok(ratio > 3, `mean inter-blob / intra-blob distance = ${ratio}`);
});

test('umap2dSteps yields one event per epoch before returning the embedding', () => {
  const { x } = blobs(3);
  const it = umap2dSteps(x.sliceRows(0, 60), { rng: new Rng(1), nNeighbors: 5, nEpochs: 7 });
  const events: number[] = [];
  let r = it.next();
  while (!r.done) {
    assert.equal(r.value.nEpochs, 7);
    events.push(r.value.epoch);
    r = it.next();
  }
  assert.deepEqual(events, [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(r.value.length, 120);
});

test('umap2d rejects too few rows and a neighbourhood as large as the data', () => {
  const rng = new Rng(0);
  assert.throws(() => umap2d(Tensor.zeros([1, 3]), { rng }), /umap2d: expected at least 2 rows to project, got 1/);
  assert.throws(
    () => umap2d(Tensor.zeros([10, 3]), { rng }),
    /umap2d: expected nNeighbors to be an integer between 2 and 9 \(fewer than the 10 rows\), got 15/,
  );
  assert.throws(() => umap2d(Tensor.zeros([10, 3]), { rng, nNeighbors: 3, nEpochs: 0 }), /umap2d: expected nEpochs to be a positive integer, got 0/);
});
