import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from './png.js';
import { escapeHtml, MAX_CHART_POINTS, renderReport } from './report.js';
import { loadedReportScript, loadReportScript } from './report-script.js';

const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>';
const png = encodePng({ width: 1, height: 1, channels: 1, data: new Uint8Array([128]) });

function sample(): string {
  return renderReport({
    title: 'DESOM on MNIST <run 7>',
    subtitle: 'autoencoder 784-500-500-2000-10 + 8×8 SOM',
    status: 'completed',
    generatedAt: '2025-01-02T03:04:05Z',
    config: { seed: 1, lr: 0.00012345, dataset: 'mnist', note: '<script>alert(1)</script>', ae: { dims: [784, 500, 10], act: 'relu' } },
    metrics: { purity: 0.9123456, nmi: 0.81, test_accuracy: 0.98 },
    headline: ['purity', 'test_accuracy'],
    timings: { train_s: 123.456789, eval_s: 0.5 },
    sections: [
      {
        heading: 'Maps',
        text: 'First paragraph & more.\n\nSecond paragraph.',
        figures: [
          { title: 'U-matrix', caption: 'Mean distance to neighbours', svg, file: 'figures/umatrix.svg' },
          { title: 'Prototypes', png, file: 'figures/prototypes.png' },
        ],
      },
      {
        heading: 'Per-class purity',
        tables: [
          {
            columns: ['class', 'purity', 'n'],
            rows: [
              ['0', 0.987654, 980],
              ['1', null, 1135],
            ],
            caption: 'test split',
          },
        ],
      },
    ],
  });
}

test('renderReport writes a complete HTML document with inline CSS and no external resources', () => {
  const html = sample();
  assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  assert.match(html, /<meta charset="utf-8">/);
  assert.match(html, /<style>[\s\S]+<\/style>/);
  assert.match(html, /<\/body>\n<\/html>\n$/);
  assert.doesNotMatch(html, /<script|<link|@import|@font-face/i);
  // No http(s) reference anywhere: SVGs are base64 inside data: URIs, so even their xmlns is hidden.
  assert.doesNotMatch(html, /https?:\/\//);
  const refs = Array.from(html.matchAll(/(?:src|href)="([^"]*)"/g), (m) => m[1]);
  assert.ok(
    refs.every((r) => r.startsWith('data:') || r.startsWith('#') || r.startsWith('figures/')),
    refs.join(', '),
  );
});

test('renderReport embeds SVG and PNG figures as base64 data URIs and names their files', () => {
  const html = sample();
  const svgUri = /<img alt="U-matrix" src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)">/.exec(html);
  assert.ok(svgUri);
  assert.equal(Buffer.from(svgUri[1], 'base64').toString('utf8'), svg);
  const pngUri = /<img class="pixels" alt="Prototypes" src="data:image\/png;base64,([A-Za-z0-9+/=]+)">/.exec(html);
  assert.ok(pngUri);
  assert.deepEqual(new Uint8Array(Buffer.from(pngUri[1], 'base64')), png);
  assert.match(html, /<a href="figures\/umatrix\.svg"><code>figures\/umatrix\.svg<\/code><\/a>/);
  assert.match(html, /Mean distance to neighbours/);
});

test('renderReport escapes every text, including script tags in config values', () => {
  const html = sample();
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('<title>DESOM on MNIST &lt;run 7&gt;</title>'));
  assert.ok(html.includes('First paragraph &amp; more.'));
  // Nested config values are shown as JSON.
  assert.ok(html.includes('{&quot;dims&quot;:[784,500,10],&quot;act&quot;:&quot;relu&quot;}'));
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('renderReport shows metrics and table numbers with 4 significant digits and config values exactly', () => {
  const html = sample();
  assert.match(html, /<div class="k">purity<\/div><div class="v">0\.9123<\/div><div class="raw">purity<\/div>/);
  assert.match(html, /<div class="k">test accuracy<\/div><div class="v">0\.98<\/div><div class="raw">test_accuracy<\/div>/);
  assert.match(html, /<td title="train_s">training \(s\)<\/td><td class="num">123\.5<\/td><td class="raw">train_s<\/td>/);
  assert.match(html, /<td>lr<\/td><td class="num">0\.00012345<\/td>/);
  assert.match(html, /<td class="num">0\.9877<\/td><td class="num">980<\/td>/);
  assert.match(html, /<td class="missing">—<\/td>/);
  assert.match(html, /<span class="status status-completed">completed<\/span> · generated 2025-01-02T03:04:05Z/);
  assert.match(html, /<p>First paragraph &amp; more\.<\/p>\n<p>Second paragraph\.<\/p>/);
});

test('renderReport is deterministic and rejects ragged tables', () => {
  assert.equal(sample(), sample());
  assert.throws(
    () => renderReport({ title: 't', sections: [{ heading: 'h', tables: [{ columns: ['a', 'b'], rows: [[1]] }] }] }),
    /renderReport: expected table rows of 2 cells \(one per column\), got 1 in row 0/,
  );
});

test('renderReport labels metrics and timings for people, keeps the raw keys beside them and pairs x with test_x', () => {
  const html = renderReport({
    title: 't',
    metrics: { mse: 0.05, test_mse: 0.06, test_mse_mean_image: 0.07, nmi_geometric: 0.5 },
    metricColumns: ['training set', 'test set'],
    timings: { load_s: 1.5 },
    config: { optimizer: 'adam' },
    configNote: 'Not shown because it does not apply to these settings: momentum (config.json has every key).',
    sections: [],
  });
  assert.match(html, /<thead><tr><th>measure<\/th><th>training set<\/th><th>test set<\/th><th>summary\.json key<\/th><\/tr><\/thead>/);
  assert.match(html, /<tr><td title="mse, test_mse">MSE<\/td><td class="num">0\.05<\/td><td class="num">0\.06<\/td><td class="raw">mse · test_mse<\/td><\/tr>/);
  assert.match(
    html,
    /<tr><td title="test_mse_mean_image">MSE of the mean image<\/td><td class="missing">—<\/td><td class="num">0\.07<\/td><td class="raw">test_mse_mean_image<\/td><\/tr>/,
  );
  assert.match(html, /<td title="nmi_geometric">NMI \(geometric\)<\/td><td class="num">0\.5<\/td><td class="missing">—<\/td>/);
  assert.match(html, /<td title="load_s">loading \(s\)<\/td><td class="num">1\.5<\/td><td class="raw">load_s<\/td>/);
  assert.match(html, /<p class="note">Not shown because it does not apply to these settings: momentum \(config\.json has every key\)\.<\/p>/);
  // No headline given: no cards.
  assert.doesNotMatch(html, /class="card"/);
  // Only fitted-row metrics: no test column.
  const fitOnly = renderReport({ title: 't', metrics: { purity: 0.5 }, sections: [] });
  assert.match(fitOnly, /<th>measure<\/th><th>fitted rows<\/th><th>summary\.json key<\/th>/);
});

interface ChartBlock {
  title: string;
  xLabel: string;
  yLabel?: string;
  logY?: boolean;
  series: { name: string; points: [number, number | null][] }[];
  note?: string;
}
/** The JSON of every chart data block of a report, parsed. */
function chartBlocks(html: string): ChartBlock[] {
  return Array.from(html.matchAll(/<script type="application\/json" class="latentlab-chart">([\s\S]*?)<\/script>/g), (m) => JSON.parse(m[1]) as ChartBlock);
}

const lossChart = {
  xLabel: 'epoch',
  yLabel: 'loss',
  series: [
    { name: 'train', x: [1, 2, 3], y: [0.9, 0.5, 0.30000001] },
    { name: 'test', x: [1, 2, 3], y: [1, NaN, 0.4] },
  ],
};

test('renderReport embeds chart data beside the image and the chart script once, only when a figure has data', () => {
  const html = renderReport({
    title: 't',
    chartScript: 'window.chartsRan = true;',
    sections: [
      {
        heading: 'Training',
        figures: [
          { title: 'Loss', svg, file: 'figures/loss.svg', chart: lossChart },
          { title: 'Accuracy', svg, chart: { title: 'Accuracy per epoch', xLabel: 'epoch', logY: true, series: [{ name: 'acc', x: [1], y: [50] }] } },
          { title: 'Map', png },
        ],
      },
    ],
  });
  // The block sits in its figure, right after the image it replaces.
  assert.match(html, /<img alt="Loss" src="data:image\/svg\+xml;base64,[^"]+">\n<script type="application\/json" class="latentlab-chart">/);
  const blocks = chartBlocks(html);
  assert.equal(blocks.length, 2);
  assert.deepEqual(blocks[0], {
    title: 'Loss',
    xLabel: 'epoch',
    yLabel: 'loss',
    series: [
      {
        name: 'train',
        points: [
          [1, 0.9],
          [2, 0.5],
          [3, 0.3],
        ],
      },
      {
        name: 'test',
        points: [
          [1, 1],
          [2, null],
          [3, 0.4],
        ],
      },
    ],
  });
  assert.deepEqual(blocks[1], { title: 'Accuracy per epoch', xLabel: 'epoch', logY: true, series: [{ name: 'acc', points: [[1, 50]] }] });
  assert.equal(html.match(/<script>window\.chartsRan = true;<\/script>/g)?.length, 1, 'one script for all charts');
  assert.match(html, /<script>window\.chartsRan = true;<\/script>\n<\/body>/, 'at the end of the body, after the figures');
  assert.match(html, /\.chart-svg \.zoom-band/, "the charts' look is inlined");
  // Still no network reference and the images stay, for readers with scripts blocked.
  assert.doesNotMatch(html, /https?:\/\/|<script src|<link/);
  assert.equal(html.match(/<img /g)?.length, 3);

  // Without chart data: no script, no chart styles, whatever script is at hand.
  const plain = renderReport({ title: 't', chartScript: 'window.chartsRan = true;', sections: [{ heading: 'h', figures: [{ title: 'Loss', svg }] }] });
  assert.doesNotMatch(plain, /<script|zoom-band/);
  // With data but no script (none built, or null asked for): the data blocks alone, inert.
  const noScript = renderReport({ title: 't', chartScript: null, sections: [{ heading: 'h', figures: [{ title: 'Loss', svg, chart: lossChart }] }] });
  assert.equal(chartBlocks(noScript).length, 1);
  assert.equal(noScript.match(/<script/g)?.length, 1);
});

test('renderReport escapes chart data so no text can end its <script> element, and inlines the script safely', () => {
  const evil = '</script><script>alert(1)</script><!--';
  const html = renderReport({
    title: 't',
    chartScript: 'var s = "</script><!--";',
    sections: [{ heading: 'h', figures: [{ title: 'x', svg, chart: { title: evil, xLabel: 'a & b', series: [{ name: evil, x: [0, 1], y: [1, 2] }] } }] }],
  });
  assert.ok(!html.includes('<script>alert(1)'), 'the name does not open a script');
  assert.ok(!html.includes('</script><!--'));
  const [block] = chartBlocks(html);
  assert.equal(block.series[0].name, evil);
  assert.equal(block.title, evil);
  assert.equal(block.xLabel, 'a & b');
  assert.ok(html.includes('<script>var s = "\\x3C/script>\\x3C!--";</script>'));
  // Every element the page holds: the data block and the script, nothing the name smuggled in.
  assert.equal(html.match(/<script/g)?.length, 2);
  assert.equal(html.match(/<\/script>/g)?.length, 2);
});

test('renderReport thins a long chart series to MAX_CHART_POINTS, keeping its ends and spikes, and says so', () => {
  const n = 50_000;
  const x = Array.from({ length: n }, (_, i) => i);
  const y = x.map((i) => (i === 31_337 ? 100 : i === 20_000 ? NaN : Math.sin(i / 500)));
  const html = renderReport({
    title: 't',
    chartScript: null,
    sections: [
      {
        heading: 'h',
        figures: [
          {
            title: 'steps',
            svg,
            chart: {
              xLabel: 'step',
              series: [
                { name: 'loss', x, y },
                { name: 'short', x: [0, 1], y: [1, 2] },
              ],
            },
          },
        ],
      },
    ],
  });
  const [block] = chartBlocks(html);
  const pts = block.series[0].points;
  assert.ok(pts.length <= MAX_CHART_POINTS && pts.length > MAX_CHART_POINTS / 2, `${pts.length} points`);
  assert.deepEqual(pts[0], [0, 0]);
  assert.equal(pts[pts.length - 1][0], n - 1);
  assert.ok(
    pts.some((p) => p[0] === 31_337 && p[1] === 100),
    'the spike survives',
  );
  assert.ok(
    pts.some((p) => p[0] === 20_000 && p[1] === null),
    'the gap survives',
  );
  assert.ok(
    pts.every((p, i) => i === 0 || p[0] > pts[i - 1][0]),
    'in x order',
  );
  assert.equal(block.series[1].points.length, 2);
  assert.match(block.note ?? '', new RegExp(`^Thinned for this page \\(loss: ${pts.length} of ${n} points\\)`));
  assert.ok(html.length < 120_000, `${html.length} characters`);
});

test('renderReport rejects chart data with one y per x missing, naming the figure and the series', () => {
  assert.throws(
    () =>
      renderReport({
        title: 't',
        sections: [{ heading: 'h', figures: [{ title: 'Loss', svg, chart: { xLabel: 'epoch', series: [{ name: 'train', x: [1, 2], y: [1] }] } }] }],
      }),
    /renderReport: expected series "train" of the chart of figure "Loss" to have one y per x, got 2 x and 1 y/,
  );
});

test('loadReportScript builds the chart script from the source checkout, reads dist/web without sources, and says why when there is neither', async () => {
  const built = await loadReportScript();
  assert.equal(built.source, 'memory');
  assert.ok(built.code !== null && built.code.length < 40 * 1024, `${built.code?.length} bytes`);
  assert.doesNotMatch(built.code, /<\/script|<!--|^import |\bexport\b/m);
  assert.match(built.code, /latentlab-chart/);
  assert.equal(loadedReportScript(), built.code, 'renderReport gets it from then on');

  const tmp = mkdtempSync(join(tmpdir(), 'latentlab-report-script-'));
  try {
    mkdirSync(join(tmp, 'pkg', 'dist', 'web'), { recursive: true });
    writeFileSync(join(tmp, 'pkg', 'dist', 'web', 'report-charts.js'), 'window.x = 1;');
    assert.deepEqual(await loadReportScript(join(tmp, 'pkg')), { code: 'window.x = 1;', source: 'dist' });
    const none = await loadReportScript(join(tmp, 'empty'));
    assert.equal(none.code, null);
    assert.match(none.reason ?? '', /loadReportScript: no .*report-charts\.js and no web\/ sources .* reports stay static/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
