/**
 * The draw panel's preprocessing (web/draw/preprocess.ts, no DOM): a drawing made into an MNIST-like
 * input — bounding box scaled to fit 20 × 20 by area averaging, centre of mass at the centre —
 * checked on hand-computed cases.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitInk, inkBox, inkOfRgba } from '../../web/draw/preprocess.js';

/** The w × h image's (row, col) → value, as a list of the non-zero pixels. */
function nonZero(img: Float32Array, w: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  img.forEach((v, i) => {
    if (v !== 0) out.push([Math.floor(i / w), i % w, v]);
  });
  return out;
}

function block(rows: [number, number], cols: [number, number], value: number): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let r = rows[0]; r <= rows[1]; r++) for (let c = cols[0]; c <= cols[1]; c++) out.push([r, c, value]);
  return out;
}

test('inkBox: MNIST’s 20 of 28, a smaller image filled', () => {
  assert.equal(inkBox(28), 20);
  assert.equal(inkBox(56), 40);
  assert.equal(inkBox(16), 16);
});

test('fitInk: no ink gives a blank image', () => {
  assert.deepEqual(Array.from(fitInk(new Float32Array(100 * 100), 100, 100, 28, 28)), new Array(784).fill(0));
});

test('fitInk: a square of ink fills the 20 × 20 box at the centre, wherever it was drawn', () => {
  const ink = new Float32Array(100 * 100);
  for (let y = 80; y < 90; y++) for (let x = 3; x < 13; x++) ink[y * 100 + x] = 1;
  // Scaled 10 → 20 (each target pixel a quarter of a source pixel: 1), centre of mass at (14, 14): rows and columns 4..23.
  assert.deepEqual(nonZero(fitInk(ink, 100, 100, 28, 28), 28), block([4, 23], [4, 23], 1));
});

test('fitInk: the aspect ratio is kept and the bar centred by its mass', () => {
  const ink = new Float32Array(100 * 100);
  for (let y = 10; y < 50; y++) for (let x = 60; x < 70; x++) ink[y * 100 + x] = 1;
  // 10 wide × 40 high → 5 × 20; mass centre (2.5, 10) → offset (round(11.5), round(4)) = (12, 4).
  assert.deepEqual(nonZero(fitInk(ink, 100, 100, 28, 28), 28), block([4, 23], [12, 16], 1));
});

test('fitInk: area averaging — a one-pixel checkerboard halves to grey 0.5', () => {
  const ink = new Float32Array(40 * 40);
  for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++) ink[y * 40 + x] = (x + y) % 2 === 0 ? 1 : 0;
  // 40 → 20: each target pixel is the mean of a 2 × 2 block, two of whose pixels are ink.
  assert.deepEqual(nonZero(fitInk(ink, 40, 40, 28, 28), 28), block([4, 23], [4, 23], 0.5));
});

test('fitInk: an uneven shape has its centre of mass within half a pixel of the centre', () => {
  const ink = new Float32Array(60 * 60);
  // An L: a thick vertical stroke and a thin foot.
  for (let y = 5; y < 55; y++) for (let x = 5; x < 15; x++) ink[y * 60 + x] = 1;
  for (let y = 50; y < 55; y++) for (let x = 15; x < 45; x++) ink[y * 60 + x] = 1;
  const out = fitInk(ink, 60, 60, 28, 28);
  let m = 0;
  let mx = 0;
  let my = 0;
  out.forEach((v, i) => {
    m += v;
    mx += v * ((i % 28) + 0.5);
    my += v * (Math.floor(i / 28) + 0.5);
  });
  assert.ok(Math.abs(mx / m - 14) <= 0.5 && Math.abs(my / m - 14) <= 0.5, `centre of mass (${mx / m}, ${my / m})`);
  assert.ok(out.every((v) => v >= 0 && v <= 1));
});

test('fitInk: USPS-sized output fills its 16 × 16', () => {
  const ink = new Float32Array(32 * 32).fill(1);
  assert.deepEqual(nonZero(fitInk(ink, 32, 32, 16, 16), 16), block([0, 15], [0, 15], 1));
});

test('fitInk: refuses a wrong number of values', () => {
  assert.throws(() => fitInk(new Float32Array(10), 4, 4, 28, 28), /fitInk: expected 16 values \(4 × 4\), got 10/);
});

test('inkOfRgba: dark ink on white is inverted, light ink on black kept, transparent is background', () => {
  const px = (r: number, g: number, b: number, a: number): number[] => [r, g, b, a];
  // Mostly white: black → 1, white → 0, transparent → 0.
  const light = [px(255, 255, 255, 255), px(255, 255, 255, 255), px(0, 0, 0, 255), px(0, 0, 0, 0)].flat();
  assert.deepEqual(Array.from(inkOfRgba(light)), [0, 0, 1, 0]);
  // Mostly black: white → 1, black → 0, transparent → 0.
  const dark = [px(0, 0, 0, 255), px(0, 0, 0, 255), px(255, 255, 255, 255), px(255, 255, 255, 0)].flat();
  assert.deepEqual(Array.from(inkOfRgba(dark)), [0, 0, 1, 0]);
});
