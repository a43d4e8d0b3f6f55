import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { Rng } from '../random.js';
import { fileNames, generatedDataset, mnistLikeFiles, sha256, uspsLikeFiles, writeFiles } from '../../test/helpers/datasets.js';
import { importDataset, loadDataset, resolveDataDir, verifyDataset } from './fetch.js';
import { writeNpy } from '../io/npy.js';
import { DATASETS } from './registry.js';

// Registry entries whose sizes and sha256 are those of small generated files.
const rng = new Rng(99);
const MNIST = generatedDataset('mnist', mnistLikeFiles(rng, 20, 10), { train: 20, test: 10, all: 30 });
const USPS = generatedDataset('usps', uspsLikeFiles(rng, 5, 3), { train: 5, test: 3, all: 8 });

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'latentlab-import-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const listing = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

test('importDataset copies checked files into the cache, where the dataset is then found and loads', async (t) => {
  const src = writeFiles(join(tempDir(t), 'downloads'), MNIST.files, fileNames(MNIST.info, 'gz'));
  const cacheDir = tempDir(t);
  const r = await importDataset(MNIST.info, src, { cacheDir, env: {} });
  const dir = join(cacheDir, 'mnist');
  assert.equal(r.dir, dir);
  assert.deepEqual(listing(dir), fileNames(MNIST.info, 'gz').sort(), 'only the files: no temporary leftovers');
  assert.deepEqual(
    r.files.map((f) => [f.file, f.from, f.to, f.sha256, f.checked]),
    MNIST.info.files.map((f) => [f.name, join(src, f.name), join(dir, f.name), f.sha256, true]),
  );
  for (const f of fileNames(MNIST.info, 'gz')) assert.deepEqual(readFileSync(join(dir, f)), Buffer.from(MNIST.files[f]));
  assert.equal((await verifyDataset(MNIST.info, dir)).ok, true);
  assert.deepEqual(await resolveDataDir(MNIST.info, { cacheDir, env: {}, allowDownload: false, usePackage: false }), { dir, source: 'cache' });
  assert.equal((await loadDataset(MNIST.info, { cacheDir, env: {}, allowDownload: false, split: 'test' })).labels.length, 10);
});

test('importDataset takes raw files too, replacing the other form of a file in the cache, and finds <dir>/<name>/', async (t) => {
  const root = tempDir(t);
  writeFiles(join(root, 'usps'), USPS.files, ['zip.train', 'zip.test.gz']);
  const cacheDir = tempDir(t);
  // A stale, damaged zip.train.gz in the cache would be found before the raw zip.train.
  writeFiles(join(cacheDir, 'usps'), { 'zip.train.gz': new Uint8Array([0x1f, 0x8b, 1]) }, ['zip.train.gz']);
  // LATENTLAB_CACHE_DIR stands in for the cacheDir option.
  const r = await importDataset(USPS.info, root, { env: { LATENTLAB_CACHE_DIR: cacheDir } });
  assert.deepEqual(
    r.files.map((f) => f.from),
    [join(root, 'usps', 'zip.train'), join(root, 'usps', 'zip.test.gz')],
  );
  assert.deepEqual(listing(join(cacheDir, 'usps')), ['zip.test.gz', 'zip.train']);
  const d = await loadDataset(USPS.info, { cacheDir, env: {}, allowDownload: false, split: 'all' });
  assert.deepEqual(d.x.shape, [8, 256]);
});

test('a file whose sha256 differs is refused with both checksums, and nothing reaches the cache', async (t) => {
  const src = writeFiles(tempDir(t), MNIST.files, fileNames(MNIST.info, 'gz'));
  const forged = Buffer.from(MNIST.files['train-labels-idx1-ubyte.gz']);
  forged[forged.length >> 1] ^= 4;
  writeFileSync(join(src, 'train-labels-idx1-ubyte.gz'), forged);
  const cacheDir = tempDir(t);
  await assert.rejects(importDataset(MNIST.info, src, { cacheDir, env: {} }), (e: Error) => {
    assert.match(
      e.message,
      /^importDataset: a file does not match the registry's sha256 for mnist \(a corrupt download or a different file\)\. Nothing was imported\./,
    );
    assert.ok(e.message.includes(`${join(src, 'train-labels-idx1-ubyte.gz')}: sha256 ${sha256(forged)}, expected ${MNIST.info.files[1].sha256}`), e.message);
    assert.equal(e.message.split('\n').length, 2, 'only the bad file is listed');
    return true;
  });
  assert.deepEqual(listing(cacheDir), []);
  // The real registry refuses the generated files, every one of them.
  await assert.rejects(importDataset('mnist', src, { cacheDir, env: {} }), /4 files do not match the registry's sha256 for mnist/);
  assert.deepEqual(listing(cacheDir), []);
});

test('missing files are named and nothing is copied; the cache itself and a missing folder are refused', async (t) => {
  const src = writeFiles(tempDir(t), USPS.files, ['zip.train.gz']);
  const cacheDir = tempDir(t);
  await assert.rejects(
    importDataset(USPS.info, src, { cacheDir, env: {} }),
    new RegExp(
      `^Error: importDataset: ${src} has no zip\\.test\\.gz \\(or zip\\.test\\); usps needs zip\\.train\\.gz, zip\\.test\\.gz \\(gzipped or not\\)\\. Nothing was imported\\.`,
    ),
  );
  assert.deepEqual(listing(cacheDir), []);
  await assert.rejects(importDataset(USPS.info, join(src, 'nope'), { cacheDir, env: {} }), /importDataset: .*nope does not exist/);
  writeFiles(join(cacheDir, 'usps'), USPS.files, ['zip.train.gz', 'zip.test.gz']);
  await assert.rejects(
    importDataset(USPS.info, join(cacheDir, 'usps'), { cacheDir, env: {} }),
    /is the cache itself; check its files with verifyDataset \(latentlab data verify usps\) instead/,
  );
});

test('files the registry has no checksum for are copied and reported as unchecked', async (t) => {
  const src = tempDir(t);
  writeNpy(join(src, 'reuters10k-data.npy'), { dtype: 'f4', shape: [2, 3], data: new Float32Array(6) });
  writeNpy(join(src, 'reuters10k-labels.npy'), { dtype: 'i8', shape: [2], data: new BigInt64Array([1n, 2n]) });
  const cacheDir = tempDir(t);
  const r = await importDataset('reuters10k', src, { cacheDir, env: {} });
  assert.deepEqual(
    r.files.map((f) => f.checked),
    [false, false],
  );
  assert.equal(DATASETS.reuters10k.files[0].sha256, null);
  const d = await loadDataset('reuters10k', { cacheDir, env: {}, split: 'all' });
  assert.deepEqual([...d.labels], [1, 2]);
});
