import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Rng } from '../random.js';
import { withBackend } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { findBmus } from './bmu.js';
import { initPrototypes } from './init.js';
import { loadSom, saveSom } from './som-file.js';
import { SOM } from './som.js';
import { Topology } from './topology.js';

function randomData(seed: number, n: number, d: number): Tensor {
  const rng = new Rng(seed);
  return new Tensor(rng.fillNormal(new Float32Array(n * d)), [n, d]);
}

test("init 'samples' takes K distinct rows, deterministically from the seed", () => {
  const x = randomData(1, 50, 3);
  const t = new Topology({ rows: 3, cols: 4 });
  const a = initPrototypes(x, t, { rng: new Rng(7) });
  assert.deepEqual(initPrototypes(x, t, { rng: new Rng(7) }).data, a.data);
  assert.notDeepEqual(initPrototypes(x, t, { rng: new Rng(8) }).data, a.data);
  const rows = x.toRows().map((r) => r.join(','));
  const picked = a.toRows().map((r) => r.join(','));
  assert.equal(new Set(picked).size, 12);
  for (const p of picked) assert.ok(rows.includes(p));
  assert.throws(
    () => initPrototypes(randomData(1, 5, 3), t, { rng: new Rng(1) }),
    /initPrototypes: 'samples' needs at least as many rows as cells \(12\), got 5/,
  );
});

test("init 'uniform' stays inside the data's bounding box and 'pca' centres the grid on the mean", () => {
  const x = randomData(2, 200, 4);
  const t = new Topology({ rows: 4, cols: 5 });
  const u = initPrototypes(x, t, { init: 'uniform', rng: new Rng(1) });
  for (let q = 0; q < 4; q++) {
    const col = x.toRows().map((r) => r[q]);
    for (const r of u.toRows()) assert.ok(r[q] >= Math.min(...col) && r[q] <= Math.max(...col));
  }
  const p = initPrototypes(x, t, { init: 'pca', rng: new Rng(1) });
  // the grid is symmetric around the mean: opposite corners average to it
  const mean = [0, 1, 2, 3].map((q) => x.toRows().reduce((s, r) => s + r[q], 0) / 200);
  const rows = p.toRows();
  for (let q = 0; q < 4; q++) assert.ok(Math.abs((rows[0][q] + rows[19][q]) / 2 - mean[q]) < 1e-5);
  assert.throws(
    () => initPrototypes(x, t, { init: 'kmeans' as 'pca', rng: new Rng(1) }),
    /initPrototypes: expected init to be one of 'samples', 'pca', 'uniform', got "kmeans"/,
  );
});

for (const be of ['js', 'native', 'wasm'] as const) {
  test(`the chunked GEMM BMU search agrees with a direct search, whatever the chunk size (${be})`, () => {
    withBackend(be, () => {
      const x = randomData(3, 301, 20);
      const m = randomData(4, 17, 20);
      const ref = new Int32Array(301);
      for (let i = 0; i < 301; i++) {
        let best = Infinity;
        for (let k = 0; k < 17; k++) {
          let s = 0;
          for (let q = 0; q < 20; q++) s += (x.data[i * 20 + q] - m.data[k * 20 + q]) ** 2;
          if (s < best) {
            best = s;
            ref[i] = k;
          }
        }
      }
      for (const chunkRows of [1, 64, 100000]) assert.deepEqual([...findBmus(x, m, { chunkRows }).bmu], [...ref]);
      assert.throws(() => findBmus(x, m, { chunkRows: 0 }), /findBmus: expected chunkRows to be a positive integer, got 0/);
    });
  });
}

test('a SOM round-trips through JSON and through som.json + prototypes.npy exactly', () => {
  const x = randomData(5, 40, 6);
  const som = SOM.create(x, { rows: 4, cols: 3, topology: 'hexagonal', toroidal: true, distance: 'euclidean', rng: new Rng(2) });
  const back = SOM.fromJSON(JSON.parse(JSON.stringify(som.toJSON())));
  assert.deepEqual(back.topology.spec(), som.topology.spec());
  assert.deepEqual(back.prototypes.data, som.prototypes.data);
  assert.deepEqual(back.topology.distances, som.topology.distances);
  const dir = mkdtempSync(join(tmpdir(), 'som-'));
  try {
    const paths = saveSom(som, join(dir, 'model'));
    const json = JSON.parse(readFileSync(paths.json, 'utf8')) as { prototypesFile: unknown; topology: unknown };
    assert.equal(json.prototypesFile, 'prototypes.npy');
    assert.deepEqual(json.topology, { rows: 4, cols: 3, topology: 'hexagonal', toroidal: true, distance: 'euclidean' });
    const loaded = loadSom(join(dir, 'model'));
    assert.deepEqual(loaded.prototypes.data, som.prototypes.data);
    assert.deepEqual(loaded.topology.spec(), som.topology.spec());
    writeFileSync(paths.json, JSON.stringify({ ...json, dim: 7 }));
    assert.throws(() => loadSom(join(dir, 'model')), /loadSom: expected prototypes.npy to be float32 of shape \[12, 7\], got f4 \[12, 6\]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SOM.fromJSON and the constructor name the bad field', () => {
  const json = new SOM(new Topology({ rows: 2, cols: 2 }), Tensor.zeros([4, 3])).toJSON();
  assert.throws(() => SOM.fromJSON({ ...json, format: 'other' }), /SOM.fromJSON: expected format 'latentlab-som', got "other"/);
  assert.throws(() => SOM.fromJSON({ ...json, size: 5 }), /SOM.fromJSON: expected size 4 \(rows·cols\), got 5/);
  assert.throws(
    () => SOM.fromJSON({ ...json, prototypes: [1, 2] }),
    /SOM.fromJSON: expected prototypes to be an array of 12 numbers \(4×3\), got an array of 2/,
  );
  assert.throws(
    () => SOM.fromJSON({ ...json, topology: { rows: 2, cols: 2, topology: 'rectangular', toroidal: false } }),
    /SOM.fromJSON: topology.distance is missing/,
  );
  assert.throws(() => new SOM(new Topology({ rows: 2, cols: 2 }), Tensor.zeros([5, 3])), /SOM: expected 4 prototypes \(2×2 cells\), got 5/);
});
