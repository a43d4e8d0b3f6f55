import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blues, CATEGORY10, categoryColors, greys, textColorOn, viridis } from './palette.js';
import { formatNumber } from './format.js';

test('viridis, greys and blues run between their published end colours and clamp outside [0, 1]', () => {
  assert.equal(viridis(0), '#440154');
  assert.equal(viridis(1), '#fde725');
  assert.equal(viridis(-3), '#440154');
  assert.equal(viridis(7), '#fde725');
  assert.equal(greys(0), '#ffffff');
  assert.equal(greys(1), '#000000');
  assert.equal(blues(1), '#08306b');
  assert.match(viridis(0.37), /^#[0-9a-f]{6}$/);
  // Halfway between the 5th and 6th viridis stops (#26828e, #1f9e89) at t = 4.5/9.
  assert.equal(viridis(0.5), '#23908c');
});

test('class colours start with CATEGORY10 and stay distinct well beyond ten classes', () => {
  assert.equal(CATEGORY10.length, 10);
  const c = categoryColors(40);
  assert.deepEqual(c.slice(0, 10), [...CATEGORY10]);
  assert.equal(new Set(c).size, 40);
});

test('textColorOn picks black on light fills and white on dark ones', () => {
  assert.equal(textColorOn('#ffffff'), '#000000');
  assert.equal(textColorOn('#08306b'), '#ffffff');
  // A dark fill at low opacity is light on the page.
  assert.equal(textColorOn('#08306b', 0.1), '#000000');
});

test('formatNumber keeps integers whole and everything else to 4 significant digits', () => {
  assert.equal(formatNumber(70000), '70000');
  assert.equal(formatNumber(0.98123), '0.9812');
  assert.equal(formatNumber(2.5), '2.5');
  assert.equal(formatNumber(123.456789), '123.5');
  assert.equal(formatNumber(0.000012346), '1.235e-5');
  assert.equal(formatNumber(1234567.8), '1.235e6');
  assert.equal(formatNumber(-0.5), '-0.5');
  assert.equal(formatNumber(Number.NaN), 'NaN');
  assert.equal(formatNumber(Infinity), '∞');
});
