import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../random.js';
import { barChartSvg, heatmapSvg, lineChartSvg, renderVegaLiteSvg, scatterSvg } from './charts.js';
import { CATEGORY10 } from './palette.js';
import { svgProblem } from './svg-check.js';

/** Text nodes of an SVG string, unescaped enough for comparisons. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1].replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
}

function onlyNamespaceUrls(svg: string): boolean {
  return [...svg.matchAll(/https?:\/\/[^"'\s)]*/g)].every((m) => m[0].startsWith('http://www.w3.org/'));
}

const loss = {
  title: 'Reconstruction loss',
  xLabel: 'epoch',
  yLabel: 'MSE',
  series: [
    { name: 'train', x: [1, 2, 3, 4], y: [0.9, 0.5, 0.3, 0.25] },
    { name: 'test', x: [1, 2, 3, 4], y: [1.0, 0.6, 0.45, 0.4] },
  ],
};

test('lineChartSvg writes a well-formed SVG with the title, both axis titles and a legend of series', async () => {
  const svg = await lineChartSvg({ ...loss, yScale: 'log', points: true });
  assert.equal(svgProblem(svg), null);
  const t = texts(svg);
  for (const s of ['Reconstruction loss', 'epoch', 'MSE', 'train', 'test', 'series']) assert.ok(t.includes(s), `missing text ${s}`);
  assert.match(svg, /role-legend/);
  assert.ok(onlyNamespaceUrls(svg));
  // Series colours follow CATEGORY10 in the given order.
  assert.ok(svg.includes(`stroke="${CATEGORY10[0]}"`) && svg.includes(`stroke="${CATEGORY10[1]}"`));
});

test('lineChartSvg is deterministic and omits the legend for a single series', async () => {
  const one = { ...loss, series: [loss.series[0]] };
  const a = await lineChartSvg(one);
  const b = await lineChartSvg(one);
  assert.equal(a, b);
  assert.doesNotMatch(a, /role-legend/);
  assert.ok(texts(a).includes('Reconstruction loss'));
});

test('lineChartSvg rejects non-positive values on a log scale and mismatched series', async () => {
  await assert.rejects(
    lineChartSvg({ ...loss, yScale: 'log', series: [{ name: 'a', x: [1, 2], y: [1, 0] }] }),
    /lineChartSvg: expected positive y values for yScale 'log', got 0 in series "a" at index 1/,
  );
  await assert.rejects(
    lineChartSvg({ ...loss, series: [{ name: 'a', x: [1, 2], y: [1] }] }),
    /lineChartSvg: expected series "a" x and y of equal length, got 2 and 1/,
  );
  await assert.rejects(lineChartSvg({ ...loss, series: [] }), /lineChartSvg: expected at least one series/);
});

test('scatterSvg colours 10,000 latent points by class with CATEGORY10 and a legend of class names', async () => {
  const rng = new Rng(3);
  const n = 10000;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 10;
    x[i] = 3 * Math.cos(labels[i]) + rng.normal();
    y[i] = 3 * Math.sin(labels[i]) + rng.normal();
  }
  const classNames = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
  const svg = await scatterSvg({ title: 'Latent space (p = 2)', xLabel: 'z₁', yLabel: 'z₂', x, y, labels, classNames });
  assert.equal(svgProblem(svg), null);
  const t = texts(svg);
  for (const s of ['Latent space (p = 2)', 'z₁', 'z₂', 'class', ...classNames]) assert.ok(t.includes(s), `missing text ${s}`);
  // One circle per point plus one legend symbol per class.
  assert.equal(svg.match(/<circle /g)?.length, n + 10);
  assert.equal(svg.split(`fill="${CATEGORY10[3]}"`).length - 1, n / 10 + 1);
  assert.ok(svg.length < 1_000_000, `scatter SVG is ${svg.length} bytes`);
  assert.ok(onlyNamespaceUrls(svg));
});

test('scatterSvg is deterministic and overlays named lines with their own legend', async () => {
  const o = {
    title: 'Linear regression',
    xLabel: 'x',
    yLabel: 'y',
    x: [0, 1, 2, 3],
    y: [1.1, 2.9, 5.2, 7.1],
    lines: [{ name: 'fit: y = 2x + 1', x: [0, 3], y: [1, 7] }],
  };
  const a = await scatterSvg(o);
  assert.equal(a, await scatterSvg(o));
  assert.ok(texts(a).includes('fit: y = 2x + 1'));
  assert.match(a, /stroke="#222222"/);
  await assert.rejects(scatterSvg({ ...o, labels: new Int32Array(3) }), /scatterSvg: expected 4 labels \(one per point\), got 3/);
});

test('heatmapSvg annotates every cell of a confusion matrix with its value', async () => {
  const o = {
    title: 'Confusion matrix',
    xLabel: 'predicted',
    yLabel: 'true',
    matrix: [
      [123, 0.123456],
      [31, 4567],
    ],
    rowNames: ['cat', 'dog'],
    colNames: ['cat', 'dog'],
  };
  const svg = await heatmapSvg(o);
  assert.equal(svgProblem(svg), null);
  const t = texts(svg);
  for (const s of ['Confusion matrix', 'predicted', 'true', 'cat', 'dog', '123', '0.123', '31', '4567']) assert.ok(t.includes(s), `missing text ${s}`);
  assert.equal(svg, await heatmapSvg(o));
  const plain = texts(await heatmapSvg({ ...o, annotate: false }));
  assert.ok(!plain.includes('123') && !plain.includes('4567'));
  await assert.rejects(heatmapSvg({ ...o, rowNames: ['cat'] }), /heatmapSvg: expected 2 rowNames \(one per matrix row\), got 1/);
});

test('barChartSvg draws one bar per category with title and axis titles', async () => {
  const svg = await barChartSvg({
    title: 'Silhouette by k',
    xLabel: 'k',
    yLabel: 'silhouette',
    categories: ['2', '3', '4', '5'],
    values: [0.21, 0.48, 0.33, 0.3],
  });
  assert.equal(svgProblem(svg), null);
  const t = texts(svg);
  for (const s of ['Silhouette by k', 'k', 'silhouette', '2', '3', '4', '5']) assert.ok(t.includes(s), `missing text ${s}`);
  const bars = /<g class="mark-rect role-mark[^>]*>((?:<path [^>]*\/>)*)<\/g>/.exec(svg);
  assert.ok(bars, 'no bar mark group');
  assert.equal(bars[1].match(/<path /g)?.length, 4);
  await assert.rejects(
    barChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', categories: ['a'], values: [1, 2] }),
    /barChartSvg: expected 1 values \(one per category\), got 2/,
  );
});

test('charts never load data from URLs: a spec pointing at one is rejected', async () => {
  await assert.rejects(
    renderVegaLiteSvg({ data: { url: 'http://127.0.0.1:9/data.json' }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } }),
    /refusing to load http:\/\/127\.0\.0\.1:9\/data\.json/,
  );
});

test('lineChartSvg starts the x axis at xMin and keeps integer ticks with xIntegers', async () => {
  const late = { title: 'T', xLabel: 'iteration', yLabel: 'T', series: [{ name: 'T', x: [50, 100], y: [1, 0.1] }] };
  assert.ok(!texts(await lineChartSvg(late)).includes('0'), 'by default the axis starts at the first point');
  assert.ok(texts(await lineChartSvg({ ...late, xMin: 0 })).includes('0'), 'xMin: 0 draws the axis from 0');
  const epochs = { ...loss, series: [{ name: 'train', x: [1, 2], y: [0.9, 0.5] }] };
  assert.ok(texts(await lineChartSvg(epochs)).includes('1.5'));
  const ints = texts(await lineChartSvg({ ...epochs, xIntegers: true }));
  assert.ok(ints.includes('1') && ints.includes('2') && !ints.includes('1.5'), ints.join(' '));
  await assert.rejects(() => lineChartSvg({ ...late, xMin: NaN }), /lineChartSvg: expected xMin to be a finite number, got NaN/);
});
