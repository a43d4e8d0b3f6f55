import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseIdx } from './idx.js';

function idx(dims: number[], data: number[], dtype = 0x08): Uint8Array {
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
