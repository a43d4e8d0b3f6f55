import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePng } from './png.js';
import { escapeHtml, renderReport } from './report.js';

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
