/**
 * Small dataset files in the real formats (IDX, USPS text, gzipped or not), made from a seeded Rng,
 * and registry entries whose sizes and sha256 are those of the generated files: the download,
 * cache, import and verify code runs on them exactly as on the canonical files.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DATASETS, type DatasetFile, type DatasetInfo } from '../../src/data/registry.js';
import { Rng } from '../../src/random.js';

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** An IDX file: [0, 0, 0x08, ndim], big-endian uint32 dims, then the bytes. */
export function idxBytes(dims: readonly number[], data: Uint8Array | readonly number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = 0x08;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** Labels 0..9 in turn, so every class has its share (n/10 when n is a multiple of 10). */
export function balancedLabels(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i % 10);
}

/** Raw MNIST-format files (`train-images-idx3-ubyte`, …) with random 28×28 pixels. */
export function mnistLikeFiles(rng: Rng, train: number, test: number): Record<string, Uint8Array> {
  const images = (n: number): Uint8Array =>
    idxBytes(
      [n, 28, 28],
      Uint8Array.from({ length: n * 784 }, () => rng.int(256)),
    );
  return {
    'train-images-idx3-ubyte': images(train),
    'train-labels-idx1-ubyte': idxBytes([train], balancedLabels(train)),
    't10k-images-idx3-ubyte': images(test),
    't10k-labels-idx1-ubyte': idxBytes([test], balancedLabels(test)),
  };
}

/** Grey values in [-1, 1] for one 16×16 image. */
export function uspsGreys(rng: Rng): number[] {
  return Array.from({ length: 256 }, () => (rng.uniform() < 0.4 ? -1 : rng.uniform(-1, 1)));
}

/** One USPS line: 'train' style (`%.4f`, trailing space) or 'test' style (compact, none). */
export function uspsLine(label: number, greys: readonly number[], style: 'train' | 'test'): string {
  if (style === 'train') return [label, ...greys].map((v) => v.toFixed(4)).join(' ') + ' ';
  return [label, ...greys].map((v) => String(Number(v.toFixed(3)))).join(' ');
}

/** A USPS text file of `n` images with labels 0..9 in turn. */
export function uspsText(rng: Rng, n: number, style: 'train' | 'test'): string {
  return Array.from({ length: n }, (_, i) => `${uspsLine(i % 10, uspsGreys(rng), style)}\n`).join('');
}

/** Raw USPS files (`zip.train`, `zip.test`). */
export function uspsLikeFiles(rng: Rng, train: number, test: number): Record<string, Uint8Array> {
  return {
    'zip.train': Buffer.from(uspsText(rng, train, 'train'), 'latin1'),
    'zip.test': Buffer.from(uspsText(rng, test, 'test'), 'latin1'),
  };
}

/** A registry entry for generated files and the files themselves, by name (gzipped and raw). */
export interface GeneratedDataset {
  readonly info: DatasetInfo;
  /** Every stored form: `<name>.gz` and `<name>`. */
  readonly files: Record<string, Uint8Array>;
}

/**
 * A copy of registered dataset `base` whose files are `raw` (by raw name): sizes and sha256 of
 * the gzipped and raw forms are the generated ones, row counts are `splits`, no mirrors.
 */
export function generatedDataset(base: keyof typeof DATASETS, raw: Record<string, Uint8Array>, splits: DatasetInfo['splits']): GeneratedDataset {
  const files: Record<string, Uint8Array> = {};
  const entries: DatasetFile[] = DATASETS[base].files.map((f) => {
    if (!f.raw) throw new Error(`generatedDataset: ${base}'s ${f.name} has no raw form`);
    const rawBytes = raw[f.raw.name];
    if (rawBytes === undefined) throw new Error(`generatedDataset: no bytes for ${f.raw.name}`);
    const gz = gzipSync(rawBytes);
    files[f.name] = gz;
    files[f.raw.name] = rawBytes;
    return { name: f.name, bytes: gz.length, sha256: sha256(gz), raw: { name: f.raw.name, bytes: rawBytes.length, sha256: sha256(rawBytes) } };
  });
  return { info: { ...DATASETS[base], files: entries, mirrors: [], splits }, files };
}

/** Writes some of a generated dataset's files (by stored name) into `dir`, creating it. */
export function writeFiles(dir: string, files: Record<string, Uint8Array>, names: readonly string[]): string {
  mkdirSync(dir, { recursive: true });
  for (const n of names) {
    const bytes = files[n];
    if (bytes === undefined) throw new Error(`writeFiles: no file ${n}`);
    writeFileSync(join(dir, n), bytes);
  }
  return dir;
}

/** The stored names of the gzipped (`gz`) or raw forms of an entry's files. */
export function fileNames(info: DatasetInfo, form: 'gz' | 'raw'): string[] {
  return info.files.map((f) => (form === 'gz' || !f.raw ? f.name : f.raw.name));
}
