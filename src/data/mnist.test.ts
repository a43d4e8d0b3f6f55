import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { gzipSync } from 'node:zlib';
import { idxBytes } from '../../test/helpers/datasets.js';
import { loadImageIdx } from './mnist.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'latentlab-mnist-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A test split of `labels.length` blank 2×3 images, labels gzipped. */
function writeSplit(dir: string, labels: number[]): void {
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxBytes([labels.length, 2, 3], new Uint8Array(labels.length * 6)));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxBytes([labels.length], labels)));
}

test('with a class count, a label outside 0..K-1 is refused naming the file, the label and its row', (t) => {
  const dir = tempDir(t);
  writeSplit(dir, [0, 9, 3, 200, 1]);
  const file = join(dir, 't10k-labels-idx1-ubyte.gz');
  assert.throws(
    () => loadImageIdx(dir, 'test', undefined, 10),
    (e: Error) => e.message === `loadImageIdx: ${file} has label 200 at row 3 (counting from 0); expected a class 0..9`,
  );
  // The whole file is checked, not only the rows a limit keeps.
  assert.throws(() => loadImageIdx(dir, 'test', 2, 10), /has label 200 at row 3/);
  assert.throws(() => loadImageIdx(dir, 'test', undefined, 4), /has label 9 at row 1 \(counting from 0\); expected a class 0\.\.3/);
  // Without a class count the labels are taken as they are (other IDX label sets exist).
  assert.deepEqual([...loadImageIdx(dir, 'test').labels], [0, 9, 3, 200, 1]);
  assert.throws(() => loadImageIdx(dir, 'test', undefined, 0), /loadImageIdx: expected a positive integer class count, got 0/);
});

test('images and labels that disagree are refused naming both files', (t) => {
  const dir = tempDir(t);
  writeSplit(dir, [1, 2, 3]);
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxBytes([2], [1, 2])));
  assert.throws(
    () => loadImageIdx(dir, 'test', undefined, 10),
    new RegExp(`${join(dir, 't10k-images-idx3-ubyte')} has 3 images but ${join(dir, 't10k-labels-idx1-ubyte\\.gz')} has 2 labels`),
  );
});
