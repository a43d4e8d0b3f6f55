/**
 * The CLI's only printing: human text to stdout, notices and progress to stderr, `--json` output as
 * one JSON document on stdout, `--quiet` silences everything but errors and JSON.
 */
import { SingleBar } from 'cli-progress';

export interface OutputOptions {
  json?: boolean;
  quiet?: boolean;
}

export class Output {
  constructor(private readonly o: OutputOptions) {}

  get json(): boolean {
    return this.o.json === true;
  }

  /** A line for people (suppressed by --quiet and --json). */
  line(s = ''): void {
    if (!this.o.quiet && !this.o.json) process.stdout.write(`${s}\n`);
  }

  /** A notice on stderr (suppressed by --quiet). */
  notice(s: string): void {
    if (!this.o.quiet) process.stderr.write(`${s}\n`);
  }

  /** The machine-readable result of a command (only with --json). */
  result(value: unknown): void {
    if (this.o.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A progress bar with ETA and live values on stderr; a no-op with --quiet or --json (and silent when stderr is not a TTY). */
  progress(total: number, format: string): Progress {
    if (this.o.quiet || this.o.json) return new Progress(null);
    const bar = new SingleBar(
      { format, etaBuffer: 50, fps: 5, stream: process.stderr, hideCursor: false, clearOnComplete: false, noTTYOutput: false, notTTYSchedule: 10000 },
    );
    bar.start(total, 0, {});
    return new Progress(bar);
  }
}

export class Progress {
  constructor(private readonly bar: SingleBar | null) {}

  update(value: number, payload: Record<string, string | number>): void {
    this.bar?.update(value, payload);
  }

  stop(): void {
    this.bar?.stop();
  }
}

/** Pads cells into aligned columns. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}
