import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Rng } from '../random.js';
import { uspsText } from '../../test/helpers/datasets.js';
import { MAX_USPS_TEXT_BYTES, loadUsps, parseUspsBytes, parseUspsText } from './usps.js';

/** 256 grey values: pixel k is -1 + 2k/255, so every value in [-1, 1] is hit in order. */
const GREYS = Array.from({ length: 256 }, (_, k) => -1 + (2 * k) / 255);

/** One line in the train file's style: `%.4f` values and a trailing space. */
function trainLine(label: number, values = GREYS): string {
  return [label, ...values].map((v) => v.toFixed(4)).join(' ') + ' ';
}

/** One line in the test file's style: compact values, no trailing space. */
function testLine(label: number, values = GREYS): string {
  return [label, ...values].map((v) => String(Number(v.toFixed(3)))).join(' ');
}

/** (float32(v) + 1) / 2 in float32 arithmetic, the way numpy computed usps.h5. */
function scaled(tok: string): number {
  const f = new Float32Array([Number(tok)]);
  f[0] = f[0] + 1;
  f[0] = f[0] / 2;
  return f[0];
}

test('both USPS formatting styles parse to 16×16 images scaled to [0, 1] as (v + 1) / 2', () => {
  for (const [style, line] of [
    ['train', trainLine],
    ['test', testLine],
  ] as const) {
    const text = `${line(6)}\n${line(0)}\n`;
    const u = parseUspsText(text, style);
    assert.deepEqual(u.x.shape, [2, 256]);
    assert.deepEqual([...u.labels], [6, 0]);
    assert.deepEqual(u.imageShape, [16, 16]);
    const toks = line(6).trim().split(' ').slice(1);
    assert.equal(u.x.data[0], 0);
    assert.equal(u.x.data[255], 1);
    for (const k of [1, 77, 128, 200]) assert.equal(u.x.data[256 + k], scaled(toks[k]), `${style} pixel ${k}`);
  }
});

test('the scaling is float32 arithmetic, matching usps.h5 bit for bit', () => {
  const toks = ['-0.631', '0.1', '-0.9999', '0.333', '0.7770'];
  const u = parseUspsText(['3', ...toks, ...new Array<string>(256 - toks.length).fill('-1')].join(' '));
  toks.forEach((tok, k) => assert.equal(u.x.data[k], scaled(tok), tok));
});

test('blank lines, CRLF endings and runs of spaces or tabs are tolerated', () => {
  const text = `\n${trainLine(1)}\r\n\n  ${testLine(2).replaceAll(' ', ' \t ')}  \r\n\n`;
  const u = parseUspsText(text);
  assert.deepEqual([...u.labels], [1, 2]);
});

test('values just outside [-1, 1] by float rounding are accepted and clamped to [0, 1]', () => {
  const values = new Array<number>(256).fill(0);
  const toks = values.map(String);
  toks[0] = '1.0000005';
  toks[1] = '-1.0000005';
  const u = parseUspsText(['4', ...toks].join(' '));
  assert.equal(u.x.data[0], 1);
  assert.equal(u.x.data[1], 0);
});

test('bad USPS lines are refused with the line number and what was wrong', () => {
  const good = trainLine(5);
  const toks = good.trim().split(' ');
  const withTok = (k: number, tok: string): string => toks.map((t, i) => (i === k ? tok : t)).join(' ');
  const cases: [string, RegExp][] = [
    [`${good}\n\n${toks.slice(0, 256).join(' ')}\n`, /parseUspsText: f line 3 has 256 numbers; expected 257/],
    [`${good} 0.5`, /f line 1 has 258 numbers; expected 257/],
    [withTok(0, '10.0000'), /f line 1 has label 10\.0000; expected an integer digit 0–9/],
    [withTok(0, '3.5'), /f line 1 has label 3\.5; expected an integer digit 0–9/],
    [withTok(0, '-1'), /has label -1; expected an integer digit/],
    [withTok(17, '1.5'), /f line 1, field 18: grey value 1\.5 is outside \[-1, 1\]/],
    [withTok(2, '-1.01'), /field 3: grey value -1\.01 is outside/],
    [withTok(9, 'NaN'), /f line 1, field 10: "NaN" is not a decimal number/],
    [withTok(9, 'abc'), /field 10: "abc" is not a decimal number/],
    [withTok(9, '0x1'), /field 10: "0x1" is not a decimal number/],
    [' \n\n', /parseUspsText: f contains no images/],
  ];
  for (const [text, re] of cases) assert.throws(() => parseUspsText(text, 'f'), re);
});

test('loadUsps reads gzipped or plain zip files and concatenates train then test for "all"', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlab-usps-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'zip.train.gz'), gzipSync(`${trainLine(7)}\n${trainLine(1)}\n${trainLine(7)}\n`));
  writeFileSync(join(dir, 'zip.test'), `${testLine(3)}\n${testLine(9)}`);
  const train = loadUsps(dir, 'train');
  const testSplit = loadUsps(dir, 'test');
  const all = loadUsps(dir, 'all');
  assert.deepEqual([...train.labels], [7, 1, 7]);
  assert.deepEqual([...testSplit.labels], [3, 9]);
  assert.deepEqual([...all.labels], [7, 1, 7, 3, 9]);
  assert.deepEqual(all.x.shape, [5, 256]);
  assert.deepEqual(all.imageShape, [16, 16]);
  assert.deepEqual([...all.x.data.subarray(3 * 256)], [...testSplit.x.data]);
});

test('loadUsps names the missing file and refuses unknown splits', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlab-usps-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.throws(() => loadUsps(dir, 'test'), /loadUsps: neither zip\.test\.gz nor zip\.test found in /);
  assert.throws(() => loadUsps(dir, 'valid' as 'test'), /loadUsps: expected split 'train', 'test' or 'all', got "valid"/);
  writeFileSync(join(dir, 'zip.train.gz'), new Uint8Array([0x1f, 0x8b, 1, 2, 3]));
  assert.throws(() => loadUsps(dir, 'train'), /zip\.train\.gz is not a valid gzip stream/);
});

test('parseUspsBytes reads gzipped and plain bytes alike, in both formatting styles', () => {
  const rng = new Rng(3);
  for (const style of ['train', 'test'] as const) {
    const text = uspsText(rng, 12, style);
    const plain = parseUspsBytes(Buffer.from(text, 'latin1'), 'p');
    const gz = parseUspsBytes(gzipSync(text), 'g');
    assert.deepEqual(plain.x.shape, [12, 256]);
    assert.deepEqual([...plain.labels], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    assert.deepEqual(gz.x.data, plain.x.data);
    assert.deepEqual(gz.labels, plain.labels);
  }
});

test('a gzipped USPS file that inflates past the text limit is refused as soon as it passes it', (t) => {
  // 65 gzip members of 1 MiB of zeros each: 65 KiB that inflate to 65 MiB.
  const member = gzipSync(new Uint8Array(2 ** 20));
  const bomb = Buffer.concat(new Array<Buffer>(65).fill(member));
  assert.ok(65 * 2 ** 20 > MAX_USPS_TEXT_BYTES);
  const started = performance.now();
  assert.throws(
    () => parseUspsBytes(bomb, 'bomb.gz'),
    new RegExp(`parseUspsBytes: bomb\\.gz inflates to more than the ${MAX_USPS_TEXT_BYTES}-byte limit for a USPS text file; refused`),
  );
  t.diagnostic(`refused in ${(performance.now() - started).toFixed(0)} ms`);

  const dir = mkdtempSync(join(tmpdir(), 'latentlab-usps-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'zip.train.gz'), bomb);
  assert.throws(() => loadUsps(dir, 'train'), /zip\.train\.gz inflates to more than/);
  // An uncompressed file is refused by its size, before it is read.
  writeFileSync(join(dir, 'zip.test'), new Uint8Array(MAX_USPS_TEXT_BYTES + 5000));
  assert.throws(
    () => loadUsps(dir, 'test'),
    new RegExp(`loadUsps: .*zip\\.test is ${MAX_USPS_TEXT_BYTES + 5000} bytes, more than the ${MAX_USPS_TEXT_BYTES}-byte limit`),
  );
});

test('a text of millions of short lines fails on its first line, not on an allocation sized by its line count', () => {
  assert.throws(() => parseUspsText('1\n'.repeat(20_000_000), 'f'), /^Error: parseUspsText: f line 1 has 1 numbers; expected 257/);
  // A line with far too many numbers is counted exactly without splitting it whole.
  assert.throws(() => parseUspsText('0 '.repeat(100_000), 'f'), /parseUspsText: f line 1 has 100000 numbers; expected 257/);
  assert.throws(() => parseUspsText(`1 ${'9'.repeat(5000)}`, 'f'), /f line 1 has 2 numbers/);
  const long = ['1', '9'.repeat(5000), ...new Array<string>(255).fill('0')].join(' ');
  assert.throws(
    () => parseUspsText(long, 'f'),
    (e: Error) => e.message.length < 300 && /field 2: grey value "9{40}…" is outside \[-1, 1\]/.test(e.message),
  );
});
