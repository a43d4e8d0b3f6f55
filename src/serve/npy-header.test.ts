import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeNpy } from '../io/npy.js';
import { parseNpyHeader } from './npy-header.js';
import { parseNpy } from '../../web/npy.js';

test('the header of every dtype latentlab writes reads back with its shape and data offset', () => {
  const cases = [
    { dtype: 'f4', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6.5]) },
    { dtype: 'f8', shape: [3], data: Float64Array.from([0.1, -2, 1e300]) },
    { dtype: 'i4', shape: [2, 1, 2], data: Int32Array.from([-1, 2, 3, 2 ** 31 - 1]) },
    { dtype: 'u1', shape: [4], data: Uint8Array.from([0, 1, 254, 255]) },
    { dtype: 'i8', shape: [2], data: BigInt64Array.from([-5n, 2n ** 40n]) },
    { dtype: 'f4', shape: [], data: Float32Array.from([7]) },
    { dtype: 'f4', shape: [0, 3], data: new Float32Array(0) },
  ] as const;
  for (const c of cases) {
    const bytes = encodeNpy(c);
    const h = parseNpyHeader(bytes);
    assert.equal(h.dtype, c.dtype);
    assert.deepEqual(h.shape, c.shape);
    assert.equal(h.dataOffset % 64, 0, 'numpy aligns the data to 64 bytes');
    assert.equal(bytes.length - h.dataOffset, h.size * h.itemsize);
    // The browser's parser sees the same numbers, viewing the bytes in place.
    const a = parseNpy(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    assert.deepEqual(Array.from(a.data as ArrayLike<number | bigint>), Array.from(c.data as ArrayLike<number | bigint>));
  }
});

test('big-endian data is swapped into native order by the browser parser', () => {
  const header = "{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }";
  const pad = 64 - ((10 + header.length + 1) % 64);
  const text = header + ' '.repeat(pad) + '\n';
  const bytes = new Uint8Array(10 + text.length + 8);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 255, text.length >> 8]);
  for (let i = 0; i < text.length; i++) bytes[10 + i] = text.charCodeAt(i);
  new DataView(bytes.buffer).setInt32(10 + text.length, 258, false);
  new DataView(bytes.buffer).setInt32(14 + text.length, -3, false);
  assert.deepEqual(Array.from(parseNpy(bytes.buffer).data as Int32Array), [258, -3]);
});

test('what is not a .npy header is refused with a reason', () => {
  assert.throws(() => parseNpyHeader(new TextEncoder().encode('{"not": "npy"}')), /parseNpyHeader: npy data does not start with \\x93NUMPY/);
  const ok = encodeNpy({ dtype: 'f4', shape: [2], data: new Float32Array(2) });
  assert.throws(() => parseNpyHeader(ok.subarray(0, 20), 'arrays/x.npy'), /arrays\/x\.npy has a \d+-byte header, but only 10 bytes follow/);
  const bad = ok.slice();
  bad[6] = 9;
  assert.throws(() => parseNpyHeader(bad), /format version 9\.0/);
  assert.throws(
    () => parseNpy(ok.buffer.slice(ok.byteOffset, ok.byteOffset + ok.length - 4) as ArrayBuffer, 'x.npy'),
    /parseNpy: x\.npy has 4 data bytes; shape \[2\] of f4 needs 8/,
  );
});
