/**
 * IDX files (LeCun's MNIST format, also Fashion-MNIST): big-endian header
 * [0, 0, dtype, ndim] + ndim uint32 dims, then the data. Gzip is detected by its magic bytes.
 * Every inconsistency is an error naming the file and what was expected. The header's dims give
 * the exact size of the file, so a gzipped file is never inflated past what its header declares.
 */
import { readBytes } from '../io/files.js';
import { gunzipBounded, gunzipHead, isGzip } from './gunzip.js';

export interface IdxArray {
  readonly shape: readonly number[];
  /** Only unsigned bytes occur in the datasets we read; other IDX dtypes are refused. */
  readonly data: Uint8Array;
}

export interface IdxOptions {
  /** Largest data section a file may declare, in bytes (default MAX_IDX_BYTES). */
  readonly maxBytes?: number;
}

/** 1 GiB: 20× MNIST's largest file, and more than any IDX dataset we know of needs. */
export const MAX_IDX_BYTES = 2 ** 30;

const DTYPE_NAMES: Record<number, string> = { 0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

// The longest header: magic + 4 dims.
const MAX_HEADER = 4 + 4 * 4;

interface Header {
  readonly shape: number[];
  /** Bytes before the data. */
  readonly offset: number;
  /** Data bytes the shape needs. */
  readonly size: number;
}

/** Parses the header at the start of `buf` (the whole file, or at least its first MAX_HEADER bytes). */
function readHeader(buf: Uint8Array, source: string, maxBytes: number): Header {
  if (buf.length < 4) throw new RangeError(`parseIdx: ${source} is ${buf.length} bytes, too short for an IDX header`);
  if (buf[0] !== 0 || buf[1] !== 0) {
    throw new Error(`parseIdx: ${source} has magic bytes ${buf[0]}, ${buf[1]}; expected 0, 0 (not an IDX file)`);
  }
  const dtype = buf[2];
  if (dtype !== 0x08) {
    const name = DTYPE_NAMES[dtype];
    throw new Error(`parseIdx: ${source} has dtype 0x${dtype.toString(16)} (${name ?? 'unknown'}); only uint8 (0x08) is supported`);
  }
  const ndim = buf[3];
  if (ndim < 1 || ndim > 4) throw new RangeError(`parseIdx: ${source} declares ${ndim} dimensions; expected 1 to 4`);
  const offset = 4 + 4 * ndim;
  if (buf.length < offset) throw new RangeError(`parseIdx: ${source} is truncated inside its header (${buf.length} bytes, header needs ${offset})`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape: number[] = [];
  let size = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    size *= d;
  }
  if (size > maxBytes) {
    throw new RangeError(
      `parseIdx: ${source} declares shape [${shape.join(', ')}], ${size} data bytes, more than the ${maxBytes}-byte limit (corrupt header?)`,
    );
  }
  return { shape, offset, size };
}

/** Parses IDX bytes (raw or gzip). `source` names the file in error messages. */
export function parseIdx(bytes: Uint8Array, source = 'IDX data', opts: IdxOptions = {}): IdxArray {
  const maxBytes = opts.maxBytes ?? MAX_IDX_BYTES;
  let buf = bytes;
  let header: Header;
  if (isGzip(bytes)) {
    header = readHeader(gunzipHead('parseIdx', bytes, source, MAX_HEADER), source, maxBytes);
    const total = header.offset + header.size;
    buf = gunzipBounded('parseIdx', bytes, source, total, `the ${total} bytes its IDX header declares (shape [${header.shape.join(', ')}])`);
  } else {
    header = readHeader(buf, source, maxBytes);
  }
  const { shape, offset, size } = header;
  const have = buf.length - offset;
  if (have < size) throw new RangeError(`parseIdx: ${source} is truncated: shape [${shape.join(', ')}] needs ${size} data bytes, found ${have}`);
  if (have > size) throw new RangeError(`parseIdx: ${source} has ${have - size} bytes beyond shape [${shape.join(', ')}] (oversized or corrupt)`);
  return { shape, data: buf.subarray(offset, offset + size) };
}

/** Reads an IDX file from disk (raw or .gz). */
export function readIdx(path: string, opts: IdxOptions = {}): IdxArray {
  return parseIdx(readBytes('readIdx', path), path, opts);
}
