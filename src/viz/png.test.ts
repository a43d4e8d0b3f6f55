import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../random.js';
import { decodePng, encodePng, isPng } from './png.js';
import type { Raster } from './raster.js';

function randomRaster(rng: Rng, width: number, height: number, channels: 1 | 3 | 4): Raster {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(256);
  return { width, height, channels, data };
}

test('encodePng then decodePng gives back the same pixels for grey, RGB and RGBA', () => {
  const rng = new Rng(7);
  for (const channels of [1, 3, 4] as const) {
    const r = randomRaster(rng, 13, 9, channels);
    const back = decodePng(encodePng(r));
    assert.equal(back.width, 13);
    assert.equal(back.height, 9);
    assert.equal(back.channels, channels);
    assert.deepEqual(Array.from(back.data), Array.from(r.data));
  }
});

test('encoded PNGs start with the 8-byte PNG signature and an IHDR chunk', () => {
  const bytes = encodePng({ width: 2, height: 3, channels: 1, data: new Uint8Array(6) });
  assert.deepEqual(Array.from(bytes.subarray(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(new TextDecoder().decode(bytes.subarray(12, 16)), 'IHDR');
  // IHDR holds big-endian width and height.
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  assert.equal(view.getUint32(16), 2);
  assert.equal(view.getUint32(20), 3);
  assert.equal(isPng(bytes), true);
  assert.equal(isPng(new Uint8Array([1, 2, 3])), false);
});

test('encodePng rejects data whose length does not match the raster size', () => {
  assert.throws(
    () => encodePng({ width: 4, height: 4, channels: 3, data: new Uint8Array(47) }),
    /encodePng: expected raster data of 48 bytes \(4×4×3\), got 47/,
  );
  assert.throws(() => encodePng({ width: 0, height: 4, channels: 1, data: new Uint8Array(0) }), /encodePng: expected a non-empty raster/);
});

test('decodePng names itself when the bytes are not a PNG', () => {
  assert.throws(() => decodePng(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])), /^Error: decodePng: expected PNG bytes/);
});
