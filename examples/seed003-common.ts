/**
 * Shared plumbing for the examples that reproduce the courses' experiments (seed 001 and seed 003,
 * see docs/references.md): writing figures and the JSON of numbers atomically into the output
 * folder (example-cli.ts's outputDir), markdown tables for the console, and confusion matrices.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../src/index.js';
import { shownPath } from './example-cli.js';

/** Writes files into one output folder (created at the first write) and lists what was written. */
export class Outputs {
  readonly written: string[] = [];
  private made = false;

  constructor(readonly dir: string) {}

  private path(name: string): string {
    if (!this.made) {
      mkdirSync(this.dir, { recursive: true });
      this.made = true;
    }
    return join(this.dir, name);
  }

  /** An SVG (or any text) figure. */
  text(name: string, content: string): void {
    const path = this.path(name);
    writeFileAtomic(path, content);
    this.written.push(path);
  }

  /** A binary file (a PNG). */
  bytes(name: string, content: Uint8Array): void {
    const path = this.path(name);
    writeFileAtomic(path, content);
    this.written.push(path);
  }

  /** The numbers of the run, as pretty JSON. */
  json(name: string, value: unknown): void {
    const path = this.path(name);
    writeJsonAtomic(path, value);
    this.written.push(path);
  }

  /** Prints the written paths (relative to the working directory when shorter). */
  report(): void {
    console.log(`\nwrote ${this.written.length} files:`);
    for (const p of this.written) console.log(`  ${shownPath(p)}`);
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
  if (truth.length !== predicted.length)
    throw new RangeError(`confusionMatrix: expected as many predictions as labels, got ${predicted.length} and ${truth.length}`);
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
