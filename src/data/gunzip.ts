/**
 * Gunzipping dataset files without letting the file decide how much memory we spend. node's
 * gunzipSync inflates whatever the stream holds (5 MB of gzip can hold 1.2 GB of zeros), so every
 * inflate here has a ceiling — the size the format's own header declares (IDX) or a fixed maximum
 * (text) — and zlib stops as soon as the output would pass it.
 */
import { constants, gunzipSync } from 'node:zlib';

/** True when `bytes` start with the gzip magic (names lie: some `.gz` copies are already gunzipped). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

// What peeking at a header may inflate: far more than any header, far less than a bomb.
const HEAD_LIMIT = 1 << 20;

function isTooLarge(e: unknown): boolean {
  return (e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
}

function invalid(fn: string, source: string, e: unknown): Error {
  return new Error(`${fn}: ${source} is not a valid gzip stream (${(e as Error).message})`, { cause: e });
}

/** Inflates what the first `n` compressed bytes hold, or null when that is more than HEAD_LIMIT. */
function inflatePrefix(fn: string, bytes: Uint8Array, n: number, source: string): Uint8Array | null {
  try {
    // Z_SYNC_FLUSH: a cut-off stream yields what it has so far instead of "unexpected end of file".
    return gunzipSync(bytes.subarray(0, n), { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: HEAD_LIMIT });
  } catch (e) {
    if (isTooLarge(e)) return null;
    throw invalid(fn, source, e);
  }
}

/**
 * The first bytes of a gzip stream's content: at least `want` of them (fewer only when the whole
 * content is shorter), and never more than about 1 MiB, however compressible the stream is.
 */
export function gunzipHead(fn: string, bytes: Uint8Array, source: string, want: number): Uint8Array {
  let lo = 0; // a prefix length known to inflate to fewer than `want` bytes
  let n = Math.min(bytes.length, 4096);
  for (;;) {
    const out = inflatePrefix(fn, bytes, n, source);
    if (out === null) break;
    if (out.length >= want || n === bytes.length) return out;
    lo = n;
    n = Math.min(bytes.length, n * 4);
  }
  // Prefix `lo` gives too little and prefix `n` too much: bisect (one more input byte adds at most
  // a few KiB of output, so some prefix in between gives between `want` and HEAD_LIMIT bytes).
  let hi = n;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const out = inflatePrefix(fn, bytes, mid, source);
    if (out === null) hi = mid;
    else if (out.length >= want) return out;
    else lo = mid;
  }
  throw new RangeError(`${fn}: ${source}: could not inflate its first ${want} bytes without passing ${HEAD_LIMIT} bytes (corrupt gzip stream?)`);
}

/**
 * Gunzips `bytes`, refusing (RangeError) as soon as the output passes `limit` bytes; `what`
 * describes the limit in the message, e.g. "the 7856 bytes its IDX header declares".
 */
export function gunzipBounded(fn: string, bytes: Uint8Array, source: string, limit: number, what: string): Uint8Array {
  try {
    return gunzipSync(bytes, { maxOutputLength: Math.max(1, limit) });
  } catch (e) {
    if (isTooLarge(e)) throw new RangeError(`${fn}: ${source} inflates to more than ${what}; refused (a corrupt file or a decompression bomb)`, { cause: e });
    throw invalid(fn, source, e);
  }
}
