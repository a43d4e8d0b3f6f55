/**
 * USPS handwritten digits in the ESL "zip" text form (`zip.train`, `zip.test`, usually gzipped):
 * one 16×16 image per line, 257 whitespace-separated decimals — the label written as a float,
 * then 256 grey values in [-1, 1], row-major. Values are rescaled to [0, 1] as (v + 1) / 2 in
 * float32, which is exactly what the common `usps.h5` holds (checked element by element).
 * The text has no header that declares its size, so a file (gzipped or not) is refused once it
 * passes MAX_USPS_TEXT_BYTES.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readBytes } from '../io/files.js';
import { Tensor } from '../tensor/tensor.js';
import { gunzipBounded, isGzip } from './gunzip.js';
import type { LabelledImages } from './mnist.js';

/** Which USPS file(s) to load: 7291 training images, 2007 test images, or both (train first). */
export type UspsSplit = 'train' | 'test' | 'all';

const SIDE = 16;
const PIXELS = SIDE * SIDE;
const FIELDS = PIXELS + 1;
// The files are written with 3–4 decimals; allow for float rounding at the ends of [-1, 1].
const TOLERANCE = 1e-6;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** 64 MiB: over 4× the real zip.train (14.5 MB), whatever the number formatting. */
export const MAX_USPS_TEXT_BYTES = 64 * 2 ** 20;

/** A token as quoted in errors, cut short: a damaged file can hold a megabyte-long "number". */
function shown(tok: string): string {
  return JSON.stringify(tok.length > 40 ? `${tok.slice(0, 40)}…` : tok);
}

/** How many whitespace-separated tokens `line` holds (only for error messages). */
function countTokens(line: string): number {
  let n = 0;
  const re = /\S+/g;
  while (re.exec(line) !== null) n++;
  return n;
}

/** Parses the text of a USPS zip file (either formatting style); `source` names it in errors. */
export function parseUspsText(text: string, source = 'USPS text'): LabelledImages {
  const fn = 'parseUspsText';
  // Line by line, rows growing as lines prove valid: a damaged text of millions of short lines
  // costs an error on its first bad line, not an allocation sized by its line count.
  const rows: Float32Array[] = [];
  const labels: number[] = [];
  let lineNo = 0;
  for (let start = 0; start <= text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    lineNo++;
    if (line === '') continue;
    // At most FIELDS + 1 pieces: enough to tell "too many" without splitting a huge line.
    const fields = line.split(/\s+/, FIELDS + 1);
    if (fields.length !== FIELDS) {
      const count = fields.length > FIELDS ? countTokens(line) : fields.length;
      throw new Error(`${fn}: ${source} line ${lineNo} has ${count} numbers; expected ${FIELDS} (a label, then ${SIDE}×${SIDE} grey values)`);
    }
    const row = new Float32Array(PIXELS);
    for (let k = 0; k < FIELDS; k++) {
      const tok = fields[k];
      if (!DECIMAL.test(tok)) throw new Error(`${fn}: ${source} line ${lineNo}, field ${k + 1}: ${shown(tok)} is not a decimal number`);
      const v = Number(tok);
      if (k === 0) {
        if (!Number.isInteger(v) || v < 0 || v > 9)
          throw new RangeError(`${fn}: ${source} line ${lineNo} has label ${tok.length > 40 ? shown(tok) : tok}; expected an integer digit 0–9`);
        labels.push(v);
        continue;
      }
      if (!(v >= -1 - TOLERANCE && v <= 1 + TOLERANCE)) {
        throw new RangeError(`${fn}: ${source} line ${lineNo}, field ${k + 1}: grey value ${tok.length > 40 ? shown(tok) : tok} is outside [-1, 1]`);
      }
      // (float32(v) + 1) / 2 rounded as float32 arithmetic does, so we match usps.h5 bit for bit.
      const u = Math.fround(Math.fround(v) + 1) / 2;
      row[k - 1] = u < 0 ? 0 : u > 1 ? 1 : u;
    }
    rows.push(row);
  }
  if (rows.length === 0) throw new Error(`${fn}: ${source} contains no images (${text.length} characters, all blank)`);
  const n = rows.length;
  const x = new Float32Array(n * PIXELS);
  rows.forEach((row, r) => x.set(row, r * PIXELS));
  return { x: new Tensor(x, [n, PIXELS]), labels: Int32Array.from(labels), imageShape: [SIDE, SIDE] };
}

/** Parses the bytes of a USPS zip file, gzipped or not; `source` names it in errors. */
export function parseUspsBytes(bytes: Uint8Array, source = 'USPS data'): LabelledImages {
  const fn = 'parseUspsBytes';
  const limit = `the ${MAX_USPS_TEXT_BYTES}-byte limit for a USPS text file`;
  let text = bytes;
  if (isGzip(bytes)) text = gunzipBounded(fn, bytes, source, MAX_USPS_TEXT_BYTES, limit);
  else if (bytes.length > MAX_USPS_TEXT_BYTES) throw new RangeError(`${fn}: ${source} is ${bytes.length} bytes, more than ${limit}`);
  return parseUspsText(Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('latin1'), source);
}

function readUspsFile(dir: string, base: string): LabelledImages {
  const path = [`${base}.gz`, base].map((name) => join(dir, name)).find((p) => existsSync(p));
  if (path === undefined) throw new Error(`loadUsps: neither ${base}.gz nor ${base} found in ${dir}`);
  // Checked before reading: a gzip stream is never larger than what it inflates to (plus a header).
  const size = statSync(path).size;
  if (size > MAX_USPS_TEXT_BYTES + 4096)
    throw new RangeError(`loadUsps: ${path} is ${size} bytes, more than the ${MAX_USPS_TEXT_BYTES}-byte limit for a USPS text file`);
  return parseUspsBytes(readBytes('loadUsps', path), path);
}

/**
 * Loads USPS from a directory holding `zip.train(.gz)` and `zip.test(.gz)`: n × 256 float32 in
 * [0, 1], labels 0–9, imageShape [16, 16]; `'all'` is train followed by test (9298 images).
 */
export function loadUsps(dir: string, split: UspsSplit): LabelledImages {
  if (split !== 'train' && split !== 'test' && split !== 'all') {
    throw new RangeError(`loadUsps: expected split 'train', 'test' or 'all', got ${JSON.stringify(split)}`);
  }
  if (split !== 'all') return readUspsFile(dir, `zip.${split}`);
  const train = readUspsFile(dir, 'zip.train');
  const test = readUspsFile(dir, 'zip.test');
  const x = new Float32Array(train.x.size + test.x.size);
  x.set(train.x.data);
  x.set(test.x.data, train.x.size);
  const labels = new Int32Array(train.labels.length + test.labels.length);
  labels.set(train.labels);
  labels.set(test.labels, train.labels.length);
  return { x: new Tensor(x, [labels.length, PIXELS]), labels, imageShape: [SIDE, SIDE] };
}
