import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../tensor/tensor.js';
import { imageGrid, mapGrid, pairedGrid, stackRasters } from './image-grid.js';
import { pixelAt } from './raster.js';

/** n images of h×w whose pixel (y, x) of image i is (i·h·w + y·w + x) / (n·h·w − 1). */
function ramp(n: number, h: number, w: number): Tensor {
  const f = h * w;
  return Tensor.from(
    Array.from({ length: n * f }, (_, j) => j / (n * f - 1)),
    [n, f],
  );
}

test('imageGrid sizes the raster as cols·w·scale + (cols−1)·pad by rows·h·scale + (rows−1)·pad', () => {
  const r = imageGrid(ramp(5, 2, 3), { imageShape: [2, 3], cols: 3, scale: 2, pad: 1 });
  assert.equal(r.channels, 1);
  assert.equal(r.width, 3 * 6 + 2 * 1);
  assert.equal(r.height, 2 * 4 + 1 * 1);
  assert.equal(r.data.length, r.width * r.height);
  const withMargin = imageGrid(ramp(5, 2, 3), { imageShape: [2, 3], cols: 3, scale: 2, pad: 1, margin: 3 });
  assert.equal(withMargin.width, 20 + 6);
  assert.equal(withMargin.height, 9 + 6);
});

test('imageGrid defaults to ⌈√n⌉ columns, scale 2, pad 1', () => {
  const r = imageGrid(ramp(10, 2, 2), { imageShape: [2, 2] });
  // 4 columns × 3 rows of 4×4 cells.
  assert.equal(r.width, 4 * 4 + 3);
  assert.equal(r.height, 3 * 4 + 2);
});

test('imageGrid puts each value, scaled to 0..255 and replicated scale×scale, at its cell position', () => {
  const r = imageGrid(ramp(5, 2, 3), { imageShape: [2, 3], cols: 3, scale: 2, pad: 1, background: 77 });
  // Image 2 sits in row 0, column 2 (x0 = 2·(6+1) = 14); its pixel (y 0, x 1) is 13/29.
  const expected = Math.round((255 * 13) / 29);
  for (const [x, y] of [
    [16, 0],
    [17, 0],
    [16, 1],
    [17, 1],
  ])
    assert.deepEqual(pixelAt(r, x, y), [expected]);
  // Image 4 (row 1, column 1, origin (7, 5)), pixel (y 1, x 2) is the last value: 255.
  assert.deepEqual(pixelAt(r, 7 + 4, 5 + 2), [255]);
  // Image 0's first pixel is 0.
  assert.deepEqual(pixelAt(r, 0, 0), [0]);
  // Padding between columns and rows, and the empty last cell, are background.
  assert.deepEqual(pixelAt(r, 6, 0), [77]);
  assert.deepEqual(pixelAt(r, 0, 4), [77]);
  assert.deepEqual(pixelAt(r, 15, 6), [77]);
});

test("imageGrid with range 'auto' maps the grid's minimum to 0 and maximum to 255", () => {
  const x = Tensor.from([-2, 0, 1, 2], [2, 2]);
  const r = imageGrid(x, { imageShape: [1, 2], cols: 2, scale: 1, pad: 0, range: 'auto' });
  assert.deepEqual(Array.from(r.data), [0, Math.round(255 * 0.5), Math.round(255 * 0.75), 255]);
  // With the default range [0, 1], values outside are clamped.
  const clamped = imageGrid(x, { imageShape: [1, 2], cols: 2, scale: 1, pad: 0 });
  assert.deepEqual(Array.from(clamped.data), [0, 0, 255, 255]);
  // A constant grid does not divide by zero.
  const flat = imageGrid(Tensor.full([2, 2], 3), { imageShape: [1, 2], scale: 1, pad: 0, range: 'auto' });
  assert.deepEqual(Array.from(flat.data), [0, 0, 0, 0]);
});

test('imageGrid with invert draws 255 − v, and a custom range maps linearly', () => {
  const x = Tensor.from([0, 0.25, 1], [1, 3]);
  const r = imageGrid(x, { imageShape: [1, 3], scale: 1, pad: 0, invert: true });
  assert.deepEqual(Array.from(r.data), [255, 255 - Math.round(255 * 0.25), 0]);
  const y = Tensor.from([-1, 0, 1], [1, 3]);
  const s = imageGrid(y, { imageShape: [1, 3], scale: 1, pad: 0, range: [-1, 1] });
  assert.deepEqual(Array.from(s.data), [0, 128, 255]);
});

test('imageGrid draws RGB images with interleaved channels and a grey background', () => {
  // One 1×2 RGB image: a red pixel then a blue one.
  const x = Tensor.from([1, 0, 0, 0, 0, 1], [1, 6]);
  const r = imageGrid(x, { imageShape: [1, 2, 3], scale: 1, pad: 0, margin: 1, background: 200 });
  assert.equal(r.channels, 3);
  assert.deepEqual(pixelAt(r, 1, 1), [255, 0, 0]);
  assert.deepEqual(pixelAt(r, 2, 1), [0, 0, 255]);
  assert.deepEqual(pixelAt(r, 0, 0), [200, 200, 200]);
});

test('imageGrid errors name the function, the shape and the feature count', () => {
  const bad = Tensor.zeros([2, 783]);
  assert.throws(() => imageGrid(bad, { imageShape: [28, 28] }), {
    message: 'imageGrid: expected images with 784 features for imageShape [28, 28], got 783',
  });
  assert.throws(() => imageGrid(Tensor.zeros([2, 4]), { imageShape: [2, 2], scale: 0 }), /imageGrid: expected scale to be an integer ≥ 1, got 0/);
  assert.throws(() => imageGrid(Tensor.zeros([2, 4]), { imageShape: [2, 2], range: [1, 1] }), /imageGrid: expected range \[lo, hi\] with finite lo < hi/);
  assert.throws(() => imageGrid(Tensor.zeros([2, 8]), { imageShape: [2, 2, 2] }), /imageGrid: expected imageShape channels c = 1, 3 or 4, got \[2, 2, 2\]/);
  assert.throws(() => imageGrid(Tensor.zeros([0, 4]), { imageShape: [2, 2] }), /imageGrid: expected at least one image in images, got 0/);
});

test('pairedGrid alternates a row of originals with the same images reconstructed', () => {
  // top image i is all i/10, bottom image i is all (i + 5)/10; 5 images in blocks of 3.
  const n = 5;
  const top = Tensor.from(
    Array.from({ length: n * 4 }, (_, j) => Math.floor(j / 4) / 10),
    [n, 4],
  );
  const bottom = Tensor.from(
    Array.from({ length: n * 4 }, (_, j) => (Math.floor(j / 4) + 5) / 10),
    [n, 4],
  );
  const r = pairedGrid(top, bottom, { imageShape: [2, 2], cols: 3, scale: 1, pad: 1, background: 9 });
  assert.equal(r.width, 3 * 2 + 2);
  assert.equal(r.height, 4 * 2 + 3);
  const level = (v: number) => Math.round(255 * Math.fround(v)); // values are stored as float32
  const at = (row: number, col: number) => pixelAt(r, col * 3, row * 3)[0];
  assert.deepEqual([at(0, 0), at(0, 1), at(0, 2)], [level(0), level(0.1), level(0.2)]);
  assert.deepEqual([at(1, 0), at(1, 1), at(1, 2)], [level(0.5), level(0.6), level(0.7)]);
  assert.deepEqual([at(2, 0), at(2, 1)], [level(0.3), level(0.4)]);
  assert.deepEqual([at(3, 0), at(3, 1)], [level(0.8), level(0.9)]);
  assert.equal(at(2, 2), 9);
  assert.equal(at(3, 2), 9);
});

test("pairedGrid's 'auto' range spans both tensors and pairGap separates blocks", () => {
  const top = Tensor.from([0, 0], [2, 1]);
  const bottom = Tensor.from([4, 2], [2, 1]);
  const r = pairedGrid(top, bottom, { imageShape: [1, 1], cols: 1, scale: 1, pad: 0, range: 'auto', pairGap: 2, background: 50 });
  // Rows: top0, bottom0, (2 px gap), top1, bottom1.
  assert.equal(r.height, 4 + 2);
  assert.deepEqual(Array.from(r.data), [0, 255, 50, 50, 0, Math.round(255 / 2)]);
  assert.throws(
    () => pairedGrid(top, Tensor.zeros([3, 1]), { imageShape: [1, 1], cols: 1 }),
    /pairedGrid: expected bottom to have as many images as top \(2\), got 3/,
  );
});

test('mapGrid lays prototypes out row-major on the map and shifts odd rows by half a cell when hexagonal', () => {
  // 2×3 map of 1×1 prototypes valued k/5 for cell k.
  const protos = Tensor.from(
    [0, 1, 2, 3, 4, 5].map((k) => k / 5),
    [6, 1],
  );
  const rect = mapGrid(protos, 2, 3, { imageShape: [1, 1], scale: 2, pad: 2, background: 33 });
  assert.equal(rect.width, 3 * 2 + 2 * 2);
  assert.equal(rect.height, 2 * 2 + 2);
  assert.deepEqual(pixelAt(rect, 4, 4), [Math.round((255 * 4) / 5)]); // row 1, col 1
  const hex = mapGrid(protos, 2, 3, { imageShape: [1, 1], scale: 2, pad: 2, background: 33, topology: 'hexagonal' });
  const half = Math.floor((2 + 2) / 2);
  assert.equal(hex.width, rect.width + half);
  assert.equal(hex.height, rect.height);
  // Row 0 starts at x = 0; row 1 starts half a cell later.
  assert.deepEqual(pixelAt(hex, 0, 0), [0]);
  assert.deepEqual(pixelAt(hex, 0, 4), [33]);
  assert.deepEqual(pixelAt(hex, half, 4), [Math.round((255 * 3) / 5)]);
  assert.deepEqual(pixelAt(hex, half + 4, 4), [Math.round((255 * 4) / 5)]);
  assert.throws(() => mapGrid(protos, 2, 2, { imageShape: [1, 1] }), /mapGrid: expected 2×2 = 4 prototypes, got 6/);
});

test('stackRasters stacks left-aligned with a gap and pads narrower parts with the background', () => {
  const a = { width: 2, height: 1, channels: 1 as const, data: new Uint8Array([1, 2]) };
  const b = { width: 3, height: 2, channels: 1 as const, data: new Uint8Array([3, 4, 5, 6, 7, 8]) };
  const s = stackRasters([a, b], 1, 0);
  assert.equal(s.width, 3);
  assert.equal(s.height, 1 + 1 + 2);
  assert.deepEqual(Array.from(s.data), [1, 2, 0, 0, 0, 0, 3, 4, 5, 6, 7, 8]);
  const rgb = { width: 1, height: 1, channels: 3 as const, data: new Uint8Array(3) };
  assert.throws(() => stackRasters([a, rgb]), /stackRasters: expected every raster to have 1 channels like the first, got 3 for raster 1/);
});
