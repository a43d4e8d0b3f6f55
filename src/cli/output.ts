/**
 * The CLI's only printing: human text to stdout, notices and progress to stderr, `--json` output as
 * one JSON document on stdout, `--quiet` silences everything but errors and JSON.
 */

/** Where progress and notices go: process.stderr, or a stand-in in tests. */
export interface TextStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface OutputOptions {
  json?: boolean;
  quiet?: boolean;
  /** Notices and progress (default process.stderr). */
  stderr?: TextStream;
  /** Milliseconds for progress timing (default performance.now). */
  now?: () => number;
}

export class Output {
  /** The progress display notices are printed around (one at a time). */
  private active: Progress | null = null;

  constructor(private readonly o: OutputOptions) {}

  get json(): boolean {
    return this.o.json === true;
  }

  private get stderr(): TextStream {
    return this.o.stderr ?? process.stderr;
  }

  /** A line for people (suppressed by --quiet and --json). */
  line(s = ''): void {
    if (!this.o.quiet && !this.o.json) process.stdout.write(`${s}\n`);
  }

  /** A notice on stderr (suppressed by --quiet), printed above a live progress bar. */
  notice(s: string): void {
    if (this.o.quiet) return;
    if (this.active !== null) this.active.noticeAbove(s);
    else this.stderr.write(`${s}\n`);
  }

  /** The machine-readable result of a command (only with --json). */
  result(value: unknown): void {
    if (this.o.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /**
   * Progress on stderr, shown from the first update on. `format` is a template in cli-progress's
   * notation: {bar}, {percentage}, {value}, {total}, {eta_formatted} and the payload's own tokens
   * (a token no update has given yet shows as '—'). On a terminal it is a bar redrawn in place;
   * otherwise (a pipe, a file, CI) a plain line every PLAIN_EVERY_MS and one at the end. Nothing
   * with --quiet or --json.
   */
  progress(total: number, format: string): Progress {
    if (this.o.quiet || this.o.json) return new Progress(total, format, null, () => 0);
    const p = new Progress(total, format, this.stderr, this.o.now ?? (() => performance.now()), (done) => {
      if (this.active === done) this.active = null;
    });
    this.active = p;
    return p;
  }
}

/** Milliseconds between the plain progress lines printed when stderr is not a terminal. */
export const PLAIN_EVERY_MS = 5000;
/** Milliseconds between redraws of the bar on a terminal. */
const TTY_EVERY_MS = 100;
/** ETA from the progress of (about) the last ETA_WINDOW_MS. */
const ETA_WINDOW_MS = 30_000;
const BAR_WIDTH = 40;
const UNKNOWN = '—';

/** Seconds as "42s", "3m12s", "2h05m"; '—' when not known (no progress yet) or absurd. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0 || seconds > 1e7) return UNKNOWN;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Every {token} of a template replaced by its value, or by '—' when it has none: no template ever shows through. */
export function fillTemplate(format: string, values: Readonly<Record<string, string | number | undefined>>): string {
  return format.replace(/\{(\w+)\}/g, (_, k: string) => {
    const v = values[k];
    return v === undefined ? UNKNOWN : String(v);
  });
}

/** The template without its bar: "train mlp |{bar}| {percentage}% …" → "train mlp: {percentage}% …". */
export function plainTemplate(format: string): string {
  return format.replace(/\s*\|?\{bar\}\|?\s*/, ': ');
}

/** A progress display: a bar on a terminal, periodic plain lines elsewhere, nothing when `stream` is null. */
export class Progress {
  private value = 0;
  private payload: Record<string, string | number> = {};
  private started = false;
  private stopped = false;
  /** (time, value) samples for the ETA, at most one a second. */
  private samples: [number, number][] = [];
  private lastDraw = -Infinity;
  private lastLine = '';
  private readonly tty: boolean;

  constructor(
    private readonly total: number,
    private readonly format: string,
    private readonly stream: TextStream | null,
    private readonly now: () => number,
    private readonly onStop: (p: Progress) => void = () => {},
  ) {
    this.tty = stream?.isTTY === true;
  }

  update(value: number, payload: Record<string, string | number> = {}): void {
    if (this.stream === null || this.stopped) return;
    const t = this.now();
    this.value = value;
    Object.assign(this.payload, payload);
    // The first update starts the clock (a resumed run starts part-way, and its ETA counts only what it does).
    if (!this.started) {
      this.started = true;
      this.samples.push([t, value]);
      this.lastDraw = this.tty ? -Infinity : t;
    } else if (t - this.samples[this.samples.length - 1][0] >= 1000) {
      this.samples.push([t, value]);
      while (this.samples.length > 2 && t - this.samples[1][0] >= ETA_WINDOW_MS) this.samples.shift();
    }
    if (this.tty ? t - this.lastDraw >= TTY_EVERY_MS || value >= this.total : t - this.lastDraw >= PLAIN_EVERY_MS) this.draw(t);
  }

  /** Ends the display: the bar's final state on its line (terminal), or a last plain line. */
  stop(): void {
    if (this.stream === null || this.stopped) return;
    this.stopped = true;
    this.onStop(this);
    if (!this.started) return;
    const t = this.now();
    if (this.tty) {
      this.draw(t);
      this.stream.write('\n');
    } else if (this.render(t) !== this.lastLine) this.draw(t);
  }

  /** Prints a notice line: above the bar on a terminal (cleared, then redrawn), as it is elsewhere. */
  noticeAbove(s: string): void {
    if (this.stream === null) return;
    if (this.tty && this.started) this.stream.write(`\r\x1b[2K${s}\n${this.lastLine}`);
    else this.stream.write(`${s}\n`);
  }

  /** Estimated seconds left, from the recent rate; null before any progress. */
  private eta(t: number): number | null {
    if (this.value >= this.total) return 0;
    const [t0, v0] = this.samples[0];
    const rate = (this.value - v0) / (t - t0);
    return rate > 0 ? (this.total - this.value) / rate / 1000 : null;
  }

  /** The line for time t (the bar on a terminal, cut to its width; plain elsewhere). */
  private render(t: number): string {
    const fraction = this.total > 0 ? Math.min(1, Math.max(0, this.value / this.total)) : 1;
    const values = { ...this.payload, value: this.value, total: this.total, percentage: Math.floor(fraction * 100), eta_formatted: formatEta(this.eta(t)) };
    if (!this.tty) return fillTemplate(plainTemplate(this.format), values);
    const filled = Math.round(fraction * BAR_WIDTH);
    const line = fillTemplate(this.format, { ...values, bar: `${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}` });
    // A line wider than the terminal wraps, and "\r" then redraws only its last part.
    const width = this.stream?.columns;
    return width !== undefined && width > 1 && line.length >= width ? line.slice(0, width - 1) : line;
  }

  private draw(t: number): void {
    const line = this.render(t);
    this.stream?.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
    this.lastLine = line;
    this.lastDraw = t;
  }
}

/**
 * Makes a closed stdout (`latentlab runs show ID | head`) end the command quietly, as any Unix tool:
 * without it Node reports "Unhandled 'error' event … EPIPE" with a stack trace.
 *
 * Exit 0, not the 141 of a process killed by SIGPIPE: everything latentlab prints on stdout is a
 * command's result, printed once its work is done, so the reader stopping early has lost nothing
 * it asked for, and `set -o pipefail` scripts piping into `head` do not fail at random (whether
 * the pipe is closed before the last write is a matter of timing). A closed stderr only stops the
 * notices and progress: a training run carries on (its results are in the run directory) rather
 * than dying half-way because `2>&1 | head` has seen enough.
 */
export function handleClosedPipes(
  streams: { stdout: NodeJS.EventEmitter; stderr: NodeJS.EventEmitter },
  exit: (code: number) => void = (c) => process.exit(c),
): void {
  const closed = (e: NodeJS.ErrnoException): boolean => e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED';
  streams.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (closed(e)) exit(0);
    else throw e;
  });
  streams.stderr.on('error', (e: NodeJS.ErrnoException) => {
    if (!closed(e)) throw e;
  });
}
