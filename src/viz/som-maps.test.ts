import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellMapSvg } from './som-maps.js';
import { CATEGORY10, viridis } from './palette.js';
import { svgProblem } from './svg-check.js';

function cells(svg: string): { tag: string; attrs: string }[] {
  return Array.from(svg.matchAll(/<(rect|polygon) class="cell" ([^>]*)>/g), (m) => ({ tag: m[1], attrs: m[2] }));
}

function attr(attrs: string, name: string): string | undefined {
  return new RegExp(`(?:^| )${name}="([^"]*)"`).exec(attrs)?.[1];
}

test('cellMapSvg draws rows·cols rects coloured by value, with NaN cells left empty', () => {
  const values = [0, 1, 2, 3, 4, NaN];
  const svg = cellMapSvg({ title: 'U-matrix', rows: 2, cols: 3, values, legendTitle: 'mean distance', cellSize: 20 });
  assert.equal(svgProblem(svg), null);
  const c = cells(svg);
  assert.equal(c.length, 6);
  assert.ok(c.every((x) => x.tag === 'rect'));
  // Values 0..4 span the viridis scale; the NaN cell gets the empty fill.
  assert.equal(attr(c[0].attrs, 'fill'), viridis(0));
  assert.equal(attr(c[2].attrs, 'fill'), viridis(0.5));
  assert.equal(attr(c[4].attrs, 'fill'), viridis(1));
  assert.equal(attr(c[5].attrs, 'fill'), '#f4f4f4');
  // Row-major placement: cell 4 is row 1, column 1.
  assert.equal(Number(attr(c[4].attrs, 'x')) - Number(attr(c[0].attrs, 'x')), 20);
  assert.equal(Number(attr(c[4].attrs, 'y')) - Number(attr(c[0].attrs, 'y')), 20);
  assert.match(svg, />U-matrix</);
  assert.match(svg, />mean distance</);
  assert.match(svg, /<linearGradient /);
});

test('cellMapSvg writes per-cell text in a contrasting colour (hit counts)', () => {
  const svg = cellMapSvg({ title: 'Hits', rows: 1, cols: 3, values: [0, 5, 10], colorScale: 'greys', text: ['0', '5', '10'] });
  // Cell labels are centred (text-anchor="middle"); the colour bar's tick labels are not.
  const labels = Array.from(svg.matchAll(/<text [^>]*text-anchor="middle"[^>]*fill="([^"]*)"[^>]*>([^<]*)<\/text>/g), (m): [string, string] => [m[2], m[1]]);
  assert.equal(labels.length, 3);
  const byText = new Map(labels);
  // White cell → black ink; black cell → white ink.
  assert.equal(byText.get('0'), '#000000');
  assert.equal(byText.get('10'), '#ffffff');
  assert.ok(byText.has('5'));
});

test('cellMapSvg colours categories with CATEGORY10, uses alpha as fill opacity and lists class names', () => {
  const categories = new Int32Array([0, 3, -1, 3]);
  const svg = cellMapSvg({
    title: 'Class map',
    rows: 2,
    cols: 2,
    categories,
    categoryNames: ['T-shirt', 'Trouser', 'Pullover', 'Dress <b>'],
    alpha: [1, 0.5, 1, 0.25],
    legendTitle: 'majority class',
  });
  assert.equal(svgProblem(svg), null);
  const c = cells(svg);
  assert.deepEqual(
    c.map((x) => attr(x.attrs, 'fill')),
    [CATEGORY10[0], CATEGORY10[3], '#f4f4f4', CATEGORY10[3]],
  );
  assert.deepEqual(
    c.map((x) => attr(x.attrs, 'fill-opacity')),
    [undefined, '0.5', undefined, '0.25'],
  );
  // Legend lists the classes present, with names escaped.
  assert.match(svg, />T-shirt</);
  assert.match(svg, />Dress &lt;b&gt;</);
  assert.doesNotMatch(svg, />Trouser</);
});

test('cellMapSvg draws hexagons with odd rows shifted right by half a cell', () => {
  const s = 30;
  const svg = cellMapSvg({ title: 'Hex', rows: 3, cols: 2, topology: 'hexagonal', values: [1, 2, 3, 4, 5, 6], cellSize: s });
  assert.equal(svgProblem(svg), null);
  const c = cells(svg);
  assert.equal(c.length, 6);
  assert.ok(c.every((x) => x.tag === 'polygon'));
  const centre = (i: number) => {
    const pts = attr(c[i].attrs, 'points')!
      .split(' ')
      .map((p) => p.split(',').map(Number));
    assert.equal(pts.length, 6);
    return [pts.reduce((a, p) => a + p[0], 0) / 6, pts.reduce((a, p) => a + p[1], 0) / 6];
  };
  const [x0, y0] = centre(0);
  const [x1] = centre(1);
  const [x2, y2] = centre(2);
  const [x4, y4] = centre(4);
  assert.ok(Math.abs(x1 - x0 - s) < 0.02);
  assert.ok(Math.abs(x2 - x0 - s / 2) < 0.02, 'row 1 is shifted by half a cell');
  assert.ok(Math.abs(x4 - x0) < 0.02, 'row 2 is not shifted');
  // Neighbouring centres are one cell apart: rows are s·√3/2 apart.
  assert.ok(Math.abs(y2 - y0 - (s * Math.sqrt(3)) / 2) < 0.02);
  assert.ok(Math.abs(y4 - y0 - s * Math.sqrt(3)) < 0.02);
});

test('cellMapSvg errors name the option and the expected cell count', () => {
  assert.throws(
    () => cellMapSvg({ title: 't', rows: 2, cols: 3, values: [1, 2] }),
    /cellMapSvg: expected values with 6 entries \(one per cell of the 2×3 map\), got 2/,
  );
  assert.throws(() => cellMapSvg({ title: 't', rows: 0, cols: 3 }), /cellMapSvg: expected rows and cols to be positive integers, got 0×3/);
});
