/**
 * USPS handwritten digits in the ESL "zip" text form (`zip.train`, `zip.test`, usually gzipped):
 * one 16×16 image per line, 257 whitespace-separated decimals — the label written as a float,
 * then 256 grey values in [-1, 1], row-major. Values are rescaled to [0, 1] as (v + 1) / 2 in
 * float32, which is exactly what the common `usps.h5` holds (see shared/data/README.md).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { maybeGunzip, readBytes } from '../io/files.js';
import { Tensor } from '../tensor/tensor.js';
import type { LabelledImages } from './mnist.js';

/** Which USPS file(s) to load: 7291 training images, 2007 test images, or both (train first). */
export type UspsSplit = 'train' | 'test' | 'all';

const SIDE = 16;
const PIXELS = SIDE * SIDE;
const FIELDS = PIXELS + 1;
// The files are written with 3–4 decimals; allow for float rounding at the ends of [-1, 1].
const TOLERANCE = 1e-6;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses the text of a USPS zip file (either formatting style); `source` names it in errors. */
export function parseUspsText(text: string, source = 'USPS text'): LabelledImages {
  const fn = 'parseUspsText';
  const lines = text.split('\n');
  const rows: number[] = []; // indices of non-blank lines
  for (let i = 0; i < lines.length; i++) if (lines[i].trim() !== '') rows.push(i);
  if (rows.length === 0) throw new Error(`${fn}: ${source} contains no images (${text.length} characters, all blank)`);

  const n = rows.length;
  const x = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const lineNo = rows[r] + 1;
    const fields = lines[rows[r]].trim().split(/\s+/);
    if (fields.length !== FIELDS) {
      throw new Error(`${fn}: ${source} line ${lineNo} has ${fields.length} numbers; expected ${FIELDS} (a label, then ${SIDE}×${SIDE} grey values)`);
    }
    for (let k = 0; k < FIELDS; k++) {
      const tok = fields[k];
      if (!DECIMAL.test(tok)) throw new Error(`${fn}: ${source} line ${lineNo}, field ${k + 1}: ${JSON.stringify(tok)} is not a decimal number`);
      const v = Number(tok);
      if (k === 0) {
        if (!Number.isInteger(v) || v < 0 || v > 9) throw new RangeError(`${fn}: ${source} line ${lineNo} has label ${tok}; expected an integer digit 0–9`);
        labels[r] = v;
        continue;
      }
      if (!(v >= -1 - TOLERANCE && v <= 1 + TOLERANCE)) {
        throw new RangeError(`${fn}: ${source} line ${lineNo}, field ${k + 1}: grey value ${tok} is outside [-1, 1]`);
      }
      // (float32(v) + 1) / 2 rounded as float32 arithmetic does, so we match usps.h5 bit for bit.
      const u = Math.fround(Math.fround(v) + 1) / 2;
      x[r * PIXELS + k - 1] = u < 0 ? 0 : u > 1 ? 1 : u;
    }
  }
  return { x: new Tensor(x, [n, PIXELS]), labels, imageShape: [SIDE, SIDE] };
}

function readUspsFile(dir: string, base: string): LabelledImages {
  const path = [`${base}.gz`, base].map((name) => join(dir, name)).find((p) => existsSync(p));
  if (path === undefined) throw new Error(`loadUsps: neither ${base}.gz nor ${base} found in ${dir}`);
  const bytes = maybeGunzip('loadUsps', readBytes('loadUsps', path), path);
  return parseUspsText(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'), path);
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
