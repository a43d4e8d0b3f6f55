/**
 * IDX files (LeCun's MNIST format, also Fashion-MNIST): big-endian header
 * [0, 0, dtype, ndim] + ndim uint32 dims, then the data. Gzip is detected by its magic bytes.
 * Every inconsistency is an error naming the file and what was expected.
 */
import { maybeGunzip, readBytes } from '../io/files.js';

export interface IdxArray {
  readonly shape: readonly number[];
  /** Only unsigned bytes occur in the datasets we read; other IDX dtypes are refused. */
  readonly data: Uint8Array;
}

const DTYPE_NAMES: Record<number, string> = { 0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

/** Parses IDX bytes (raw or gzip). `source` names the file in error messages. */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  const buf = maybeGunzip('parseIdx', bytes, source);
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
  const header = 4 + 4 * ndim;
  if (buf.length < header) throw new RangeError(`parseIdx: ${source} is truncated inside its header (${buf.length} bytes, header needs ${header})`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const shape: number[] = [];
  let size = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    size *= d;
  }
  const have = buf.length - header;
  if (have < size) throw new RangeError(`parseIdx: ${source} is truncated: shape [${shape.join(', ')}] needs ${size} data bytes, found ${have}`);
  if (have > size) throw new RangeError(`parseIdx: ${source} has ${have - size} bytes beyond shape [${shape.join(', ')}] (oversized or corrupt)`);
  return { shape, data: buf.subarray(header, header + size) };
}

/** Reads an IDX file from disk (raw or .gz). */
export function readIdx(path: string): IdxArray {
  return parseIdx(readBytes('readIdx', path), path);
}
