/**
 * Crash-safe file writes for the run directory (docs/architecture.md: "a crash never leaves a
 * half-written file behind"): whole files go to a temp file in the same directory, are fsynced and renamed over
 * the target (rename is atomic within one file system); `events.jsonl` grows by appended lines,
 * and its readers tolerate the one torn line a crash can leave at the end.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

// Synchronous on purpose: the training loop is synchronous, and exit handlers (writing
// summary.json with status "interrupted") cannot await.

function tempPathFor(path: string): string {
  // Same directory as the target so the rename never crosses a file system; pid + random suffix
  // so concurrent writers never share a temp file.
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

function wrapError(fn: string, path: string, err: unknown): Error {
  const reason = err instanceof Error ? err.message : String(err);
  return new Error(`${fn}: could not write ${path}: ${reason}`, { cause: err });
}

function checkPath(fn: string, path: unknown): asserts path is string {
  if (typeof path !== 'string' || path === '') throw new TypeError(`${fn}: expected a non-empty path string, got ${JSON.stringify(path)}`);
}

function closeQuietly(fd: number | null): void {
  if (fd === null) return;
  try {
    closeSync(fd);
  } catch {
    // the error that got us here matters more
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

function fsyncDirectory(dir: string): void {
  // Makes the rename itself durable. Not every platform lets a directory be opened or fsynced
  // (Windows, some network file systems); the data is already safe there, so failures are ignored.
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    closeQuietly(fd);
  }
}

/** Writes `data` to `path` atomically: temp file in the same directory, fsync, rename, fsync the directory. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  checkPath('writeFileAtomic', path);
  const tmp = tempPathFor(path);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx');
    writeAll(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (err) {
    closeQuietly(fd);
    rmSync(tmp, { force: true });
    throw wrapError('writeFileAtomic', path, err);
  }
  fsyncDirectory(dirname(path));
}

/** Writes `value` as pretty JSON (2-space indent, trailing newline), atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const text = JSON.stringify(value, null, 2);
  // JSON.stringify returns undefined (not a string) for undefined, functions and symbols.
  if (typeof text !== 'string') throw new TypeError(`writeJsonAtomic: cannot write ${path}: value ${String(value)} has no JSON representation`);
  writeFileAtomic(path, text + '\n');
}

const NEWLINE = 0x0a;

/** Offset just after the last '\n' among the first `size` bytes of the file (0 when there is none). */
function endOfLastLine(fd: number, size: number): number {
  const chunk = Buffer.alloc(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const bytesRead = readSync(fd, chunk, 0, end - start, start);
    const i = chunk.subarray(0, bytesRead).lastIndexOf(NEWLINE);
    if (i >= 0) return start + i + 1;
    end = start;
  }
  return 0;
}

/**
 * Appends one line (a '\n' is added) to `path`, creating it, and fsyncs. A torn last line left by
 * a crash (no final '\n') is cut off first, so the file stays a sequence of complete lines;
 * returns how many torn bytes were dropped.
 */
export function appendLine(path: string, line: string): number {
  checkPath('appendLine', path);
  if (typeof line !== 'string') throw new TypeError(`appendLine: expected a string line, got ${typeof line}`);
  if (line.includes('\n') || line.includes('\r')) {
    throw new RangeError(`appendLine: expected a single line, got text containing a line break: ${JSON.stringify(line.slice(0, 80))}`);
  }
  let fd: number | null = null;
  try {
    // 'a+' creates the file, allows the tail check, and makes every write land at the end.
    fd = openSync(path, 'a+');
    const { size } = fstatSync(fd);
    let dropped = 0;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== NEWLINE) {
        const keep = endOfLastLine(fd, size);
        ftruncateSync(fd, keep);
        dropped = size - keep;
      }
    }
    writeAll(fd, Buffer.from(line + '\n', 'utf8'));
    fsyncSync(fd);
    return dropped;
  } catch (err) {
    throw wrapError('appendLine', path, err);
  } finally {
    closeQuietly(fd);
  }
}

/** What `readJsonLines` found: the parsed lines and how many torn lines were skipped (0 or 1). */
export interface JsonLines<T> {
  values: T[];
  skipped: number;
}

/**
 * Reads a JSON-lines file. A final line without its '\n' is an unfinished write and is skipped
 * (counted in `skipped`); blank lines are ignored; any other invalid line is corruption and throws.
 */
export function readJsonLines<T = unknown>(path: string): JsonLines<T> {
  checkPath('readJsonLines', path);
  const lines = readFileSync(path, 'utf8').split('\n');
  // After split, the last element is '' when the file ends with '\n', else the torn line.
  const torn = lines.pop() ?? '';
  const values: T[] = [];
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    try {
      values.push(JSON.parse(line) as T);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new SyntaxError(`readJsonLines: ${path} line ${i + 1} is not valid JSON (${reason}): ${JSON.stringify(line.slice(0, 80))}`, { cause: err });
    }
  });
  return { values, skipped: torn.trim() === '' ? 0 : 1 };
}
