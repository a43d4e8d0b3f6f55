/** Reading files for the readers: errors that name the reader and the path (gzip: src/data/gunzip.ts, bounded). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileReader } from './file-reader.js';

/** The file's bytes, or an error `fn: cannot read path (ENOENT)`. */
export function readBytes(fn: string, path: string): Uint8Array {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const err: NodeJS.ErrnoException = new Error(`${fn}: cannot read ${path} (${code ?? (e as Error).message})`, { cause: e });
    err.code = code; // callers tell "missing" (ENOENT) from other failures
    throw err;
  }
}

/** The folder `dir` on disk as a FileReader (errors name the full path; a missing file has code ENOENT). */
export function dirReader(dir: string): FileReader {
  return {
    path: (name) => join(dir, name),
    bytes: (name) => readBytes('readFile', join(dir, name)),
  };
}
