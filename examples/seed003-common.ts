/**
 * Shared plumbing for the seed 003 examples: the output folder, writing figures and the JSON of
 * numbers atomically, markdown tables for the console, and confusion matrices.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic, writeJsonAtomic } from '../src/index.js';

/** docs/experiments/figures/ of this repository. */
export const DEFAULT_OUT = fileURLToPath(new URL('../docs/experiments/figures/', import.meta.url));

/** Parses a flag as a number, exiting with a usage error (code 2) when it is not one. */
export function numberFlag(script: string, name: string, v: string | undefined, check: (n: number) => boolean, expected: string): number {
  const n = Number(v);
  if (v === undefined || v.trim() === '' || !Number.isFinite(n) || !check(n)) {
    console.error(`${script}: --${name} expects ${expected}, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

/** Writes files into one output folder and lists what was written. */
export class Outputs {
  readonly written: string[] = [];

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** An SVG (or any text) figure. */
  text(name: string, content: string): void {
    const path = join(this.dir, name);
    writeFileAtomic(path, content);
    this.written.push(path);
  }

  /** A binary file (a PNG). */
  bytes(name: string, content: Uint8Array): void {
    const path = join(this.dir, name);
    writeFileAtomic(path, content);
    this.written.push(path);
  }

  /** The numbers of the run, as pretty JSON. */
  json(name: string, value: unknown): void {
    const path = join(this.dir, name);
    writeJsonAtomic(path, value);
    this.written.push(path);
  }

  /** Prints the written paths relative to the working directory. */
  report(): void {
    console.log(`\nwrote ${this.written.length} files:`);
    for (const p of this.written) console.log(`  ${relative(process.cwd(), p)}`);
  }
}

/** A markdown table (pipes), columns padded for the console. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, j) => c.padEnd(widths[j])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** counts[t][p] = number of rows with true class t predicted as p. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, k: number): number[][] {
  if (truth.length !== predicted.length) throw new RangeError(`confusionMatrix: expected as many predictions as labels, got ${predicted.length} and ${truth.length}`);
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < truth.length; i++) m[truth[i]][predicted[i]]++;
  return m;
}

/** Share of the diagonal. */
export function accuracyOf(m: readonly (readonly number[])[]): number {
  let ok = 0;
  let all = 0;
  m.forEach((row, i) =>
    row.forEach((v, j) => {
      all += v;
      if (i === j) ok += v;
    }),
  );
  return all === 0 ? NaN : ok / all;
}

/** A number with `digits` significant digits for tables (NaN / ±∞ spelled out). */
export function fmt(v: number, digits = 4): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(digits - 1);
  return String(Number(v.toPrecision(digits)));
}

/** A percentage with two decimals. */
export function pct(v: number): string {
  return `${(100 * v).toFixed(2)} %`;
}
