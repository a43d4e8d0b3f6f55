import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseIdx } from './idx.js';

function idx(dims: number[], data: ArrayLike<number> & Iterable<number>, dtype = 0x08): Uint8Array {
  const h = new Uint8Array(4 + 4 * dims.length);
  h[2] = dtype;
  h[3] = dims.length;
  const v = new DataView(h.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  return new Uint8Array([...h, ...data]);
}

test('parses raw and gzipped IDX files into shape and bytes', () => {
  const raw = idx([2, 3], [1, 2, 3, 4, 5, 6]);
  for (const bytes of [raw, gzipSync(raw)]) {
    const a = parseIdx(bytes);
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual([...a.data], [1, 2, 3, 4, 5, 6]);
  }
});

test('damaged IDX files are refused with a clear error', () => {
  assert.throws(() => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 1, 5]), 'f'), /parseIdx: f has magic bytes 1, 0; expected 0, 0/);
  assert.throws(() => parseIdx(idx([2], [1, 2], 0x0d), 'f'), /dtype 0xd \(float32\); only uint8/);
  assert.throws(() => parseIdx(idx([2, 3], [1, 2, 3]), 'f'), /truncated: shape \[2, 3\] needs 6 data bytes, found 3/);
  assert.throws(() => parseIdx(idx([2], [1, 2, 3]), 'f'), /1 bytes beyond shape \[2\]/);
  assert.throws(() => parseIdx(new Uint8Array([0, 0, 8, 2, 0, 0]), 'f'), /truncated inside its header/);
  assert.throws(() => parseIdx(new Uint8Array([0x1f, 0x8b, 1, 2, 3]), 'f'), /f is not a valid gzip stream/);
});

/** A gzip member with an FNAME field of `nameLength` bytes (gzip's own header can be long). */
function gzipWithName(data: Uint8Array, nameLength: number): Uint8Array {
  const plain = gzipSync(data);
  const header = new Uint8Array([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3]);
  return new Uint8Array([...header, ...new Uint8Array(nameLength).fill(0x61), 0, ...plain.subarray(10)]);
}

test('a gzipped IDX file that inflates past the size its header declares is refused as soon as it does', (t) => {
  // The header says 10 images of 28×28 (7856 bytes in all); 64 gzip members of 1 MiB of zeros follow.
  const member = gzipSync(new Uint8Array(2 ** 20));
  const bomb = Buffer.concat([gzipSync(idx([10, 28, 28], new Array<number>(7840).fill(1))), ...new Array<Buffer>(64).fill(member)]);
  const started = performance.now();
  assert.throws(
    () => parseIdx(bomb, 'bomb.gz'),
    /parseIdx: bomb\.gz inflates to more than the 7856 bytes its IDX header declares \(shape \[10, 28, 28\]\); refused/,
  );
  t.diagnostic(`refused in ${(performance.now() - started).toFixed(1)} ms`);
});

test('an IDX header declaring more data than the limit is refused before anything is inflated', () => {
  const small = idx([10, 28, 28], new Array<number>(7840).fill(0));
  for (const bytes of [small, gzipSync(small)]) {
    assert.throws(() => parseIdx(bytes, 'f', { maxBytes: 1000 }), /parseIdx: f declares shape \[10, 28, 28\], 7840 data bytes, more than the 1000-byte limit/);
    assert.deepEqual(parseIdx(bytes, 'f', { maxBytes: 7840 }).shape, [10, 28, 28]);
  }
  // Four dims of 2^32 - 1: far beyond the default 1 GiB, with only the header present.
  const huge = new Uint8Array(20);
  huge.set([0, 0, 8, 4]);
  huge.fill(0xff, 4);
  assert.throws(
    () => parseIdx(gzipSync(huge), 'g'),
    /parseIdx: g declares shape \[4294967295, 4294967295, 4294967295, 4294967295\], .* more than the 1073741824-byte limit/,
  );
});

test('gzipped IDX files with a long gzip header or a very compressible start still parse', () => {
  const labels = idx([5], [1, 2, 3, 4, 5]);
  assert.deepEqual([...parseIdx(gzipWithName(labels, 10_000), 'named.gz').data], [1, 2, 3, 4, 5]);
  // 3000 blank images: the first few KiB of the stream inflate to megabytes.
  const blank = idx([3000, 28, 28], new Uint8Array(3000 * 784));
  const gz = gzipSync(blank);
  assert.ok(gz.length < 4096 && blank.length > 2 ** 21);
  const a = parseIdx(gz, 'blank.gz');
  assert.deepEqual(a.shape, [3000, 28, 28]);
  assert.equal(a.data.length, 3000 * 784);
  assert.ok(a.data.every((v) => v === 0));
});
