import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { writeNpy, type NpyArray } from '../io/npy.js';
import { loadReuters10k } from './reuters.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'latentlab-reuters-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes data and labels as the conversion one-liner would, returns their paths. */
function save(dir: string, data: NpyArray, labels: NpyArray): [string, string] {
  const d = join(dir, 'reuters10k-data.npy');
  const l = join(dir, 'reuters10k-labels.npy');
  writeNpy(d, data);
  writeNpy(l, labels);
  return [d, l];
}

const DATA_3x4: NpyArray = { dtype: 'f4', shape: [3, 4], data: Float32Array.from([0, 0.5, 0, 0.25, 1, 0, 0, 0, 0.125, 0.125, 0.75, 0]) };

test('loads float32 tf-idf rows and int64 labels as written by the conversion one-liner', (t) => {
  const [d, l] = save(tempDir(t), DATA_3x4, { dtype: 'i8', shape: [3], data: new BigInt64Array([3n, 0n, 2n]) });
  const r = loadReuters10k(d, l);
  assert.deepEqual(r.x.shape, [3, 4]);
  assert.deepEqual([...r.x.data], [...DATA_3x4.data]);
  assert.ok(r.labels instanceof Int32Array);
  assert.deepEqual([...r.labels], [3, 0, 2]);
});

test('float64 data becomes float32 and labels may be uint8, int32 or integral floats', (t) => {
  const dir = tempDir(t);
  const data: NpyArray = { dtype: 'f8', shape: [2, 3], data: Float64Array.from([0.1, 0, 0.2, 0, 0.3, 0]) };
  for (const labels of [
    { dtype: 'u1', shape: [2], data: Uint8Array.from([1, 3]) },
    { dtype: 'i4', shape: [2], data: Int32Array.from([1, 3]) },
    { dtype: 'f8', shape: [2], data: Float64Array.from([1, 3]) },
    { dtype: 'f4', shape: [2], data: Float32Array.from([1, 3]) },
  ] as NpyArray[]) {
    const r = loadReuters10k(...save(dir, data, labels));
    assert.ok(r.x.data instanceof Float32Array);
    assert.deepEqual([...r.x.data], [0.1, 0, 0.2, 0, 0.3, 0].map(Math.fround));
    assert.deepEqual([...r.labels], [1, 3], labels.dtype);
  }
});

test('mismatched, malformed or out-of-range inputs are refused naming the file and the problem', (t) => {
  const dir = tempDir(t);
  const labels3: NpyArray = { dtype: 'i8', shape: [3], data: new BigInt64Array([0n, 1n, 2n]) };
  const cases: [NpyArray, NpyArray, RegExp][] = [
    [DATA_3x4, { dtype: 'i8', shape: [2], data: new BigInt64Array([0n, 1n]) }, /loadReuters10k: .*data\.npy has 3 rows but .*labels\.npy has 2 labels/],
    [DATA_3x4, { dtype: 'i8', shape: [3], data: new BigInt64Array([0n, 4n, 1n]) }, /labels\.npy has label 4 at index 1; expected an integer class 0\.\.3/],
    [DATA_3x4, { dtype: 'i4', shape: [3], data: Int32Array.from([0, -1, 1]) }, /has label -1 at index 1/],
    [DATA_3x4, { dtype: 'f4', shape: [3], data: Float32Array.from([0, 1, 2.5]) }, /has label 2\.5 at index 2; expected an integer class/],
    [DATA_3x4, { dtype: 'f8', shape: [3], data: Float64Array.from([NaN, 1, 2]) }, /has label NaN at index 0/],
    [DATA_3x4, { dtype: 'i8', shape: [3, 1], data: new BigInt64Array(3) }, /labels\.npy has shape \[3, 1\]; expected a 1-D array of labels/],
    [{ dtype: 'f4', shape: [3, 2, 2], data: new Float32Array(12) }, labels3, /data\.npy has shape \[3, 2, 2\]; expected a 2-D \(documents × features\) array/],
    [{ dtype: 'f4', shape: [12], data: new Float32Array(12) }, labels3, /data\.npy has shape \[12\]; expected a 2-D/],
    [{ dtype: 'i4', shape: [3, 4], data: new Int32Array(12) }, labels3, /data\.npy has dtype 'i4'; expected float tf-idf values \(f4 or f8\)/],
    [
      { dtype: 'f4', shape: [3, 2], data: Float32Array.from([0, 0, 0, NaN, 0, 0]) },
      labels3,
      /data\.npy has value NaN at row 1, column 1; expected a finite float32/,
    ],
    [{ dtype: 'f8', shape: [3, 2], data: Float64Array.from([0, 0, 0, 0, 1e40, 0]) }, labels3, /has value 1e\+40 at row 2, column 0/],
  ];
  for (const [data, labels, re] of cases) assert.throws(() => loadReuters10k(...save(dir, data, labels)), re);
  assert.throws(() => loadReuters10k(join(dir, 'missing.npy'), join(dir, 'reuters10k-labels.npy')), /readNpy: cannot read .*missing\.npy \(ENOENT\)/);
});
