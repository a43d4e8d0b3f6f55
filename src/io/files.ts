/** Reading files for the readers: errors that name the reader and the path (gzip: src/data/gunzip.ts, bounded). */
import { readFileSync } from 'node:fs';

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
