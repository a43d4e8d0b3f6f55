/**
 * The live snapshot of a training desom run (live.ts): its four arrays and what they hold, a model
 * left exactly as it was, and the snapshot deleted.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DESOM } from '../../../desom/model.js';
import { readNpy } from '../../../io/npy.js';
import { Rng } from '../../../random.js';
import { Tensor } from '../../../tensor/tensor.js';
import { RunDir } from '../../run-dir.js';
import { LIVE_ARRAYS, removeLiveSnapshot, writeLiveSnapshot } from './live.js';

const tmp = mkdtempSync(join(tmpdir(), 'latentlab-desom-live-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('a snapshot holds the prototypes, their decoding and the evaluated rows per cell and class; the model is untouched', () => {
  const rng = new Rng(5);
  const n = 40;
  const x = new Tensor(
    Float32Array.from({ length: n * 12 }, () => rng.uniform()),
    [n, 12],
  );
  const model = DESOM.create(x, { rng, rows: 2, cols: 3, hidden: [8], latent: 3 });
  const before = model.parameters().map((p) => Float32Array.from(p.value.data));
  const bmus = model.bmus(x);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
  const run = RunDir.create(tmp, 'desom', 'r');
  writeLiveSnapshot(run, model, bmus, labels, 4);

  const arr = (name: string) => readNpy(run.file('arrays', `${name}.npy`));
  assert.deepEqual(arr('live_prototypes').shape, [6, 3]);
  assert.deepEqual(arr('live_prototypes').data, model.prototypes.data);
  const decoded = arr('live_decoded_prototypes');
  assert.deepEqual(decoded.shape, [6, 12]);
  assert.deepEqual(decoded.data, model.decodePrototypes().data);
  const hits = arr('live_hits').data as Int32Array;
  assert.deepEqual(
    [...hits],
    Array.from({ length: 6 }, (_, k) => bmus.filter((b) => b === k).length),
  );
  const counts = arr('live_class_counts');
  assert.deepEqual(counts.shape, [6, 4]);
  for (let k = 0; k < 6; k++)
    for (let c = 0; c < 4; c++)
      assert.equal((counts.data as Int32Array)[k * 4 + c], labels.filter((l, i) => l === c && bmus[i] === k).length, `cell ${k}, class ${c}`);
  // Nothing trained, nothing drawn: every parameter as it was.
  assert.deepEqual(
    model.parameters().map((p) => p.value.data),
    before,
  );

  removeLiveSnapshot(run);
  for (const name of LIVE_ARRAYS) assert.equal(existsSync(run.file('arrays', `${name}.npy`)), false, name);
  removeLiveSnapshot(run); // nothing left to delete: no error
});
