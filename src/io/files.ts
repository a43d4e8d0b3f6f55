/** Reading files for the readers: errors that name the reader and the path; gzip by magic bytes. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

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

/** Gunzips bytes that start with the gzip magic (names lie: some copies are gunzipped but keep `.gz`). */
export function maybeGunzip(fn: string, bytes: Uint8Array, source: string): Uint8Array {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    throw new Error(`${fn}: ${source} is not a valid gzip stream (${(e as Error).message})`, { cause: e });
  }
}
