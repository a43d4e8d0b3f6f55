/**
 * The header of a NumPy .npy file, read without the data: what the explorer's server lists for a
 * run's arrays and what the browser reads before viewing the bytes as a typed array (web/npy.ts).
 * No Node or DOM imports, so both sides use this one file. The full, strict reader that the rest
 * of latentlab uses is src/io/npy.ts; this one only takes the headers numpy and latentlab write:
 *   \x93NUMPY, version byte, 0, header length (u16 LE for 1.0, u32 LE for 2.0 / 3.0),
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with spaces and '\n'.
 */

export interface NpyHeader {
  /** numpy's type code without the byte order: f4, f8, i4, i8, u1, … */
  dtype: string;
  littleEndian: boolean;
  shape: number[];
  fortranOrder: boolean;
  /** Byte offset of the first element. */
  dataOffset: number;
  /** Bytes per element. */
  itemsize: number;
  /** Number of elements (the product of the shape). */
  size: number;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

/** How many leading bytes always hold a header numpy or latentlab writes (used to read only those). */
export const NPY_HEADER_PROBE_BYTES = 4096;

/** The header of the .npy file whose first bytes are `bytes` (all of the file, or at least its header). */
export function parseNpyHeader(bytes: Uint8Array, source = 'npy data'): NpyHeader {
  const fn = 'parseNpyHeader';
  if (bytes.length < 10 || MAGIC.some((b, k) => bytes[k] !== b)) throw new Error(`${fn}: ${source} does not start with \\x93NUMPY; expected a .npy file`);
  const major = bytes[6];
  if (major < 1 || major > 3 || bytes[7] !== 0) throw new Error(`${fn}: ${source} has format version ${major}.${bytes[7]}; expected 1.0, 2.0 or 3.0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prefix = major === 1 ? 10 : 12;
  if (bytes.length < prefix) throw new Error(`${fn}: ${source} ends inside its header length field`);
  const length = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataOffset = prefix + length;
  if (bytes.length < dataOffset)
    throw new Error(`${fn}: ${source} has a ${length}-byte header, but only ${bytes.length - prefix} bytes follow its length field`);
  let text = '';
  for (let i = prefix; i < dataOffset; i++) text += String.fromCharCode(bytes[i]);

  const descr = /'descr'\s*:\s*'([<>|=]?)([a-zA-Z]\d*)'/.exec(text);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (descr === null || fortran === null || shapeText === null)
    throw new Error(`${fn}: ${source} has header ${JSON.stringify(text.trim().slice(0, 120))}; expected 'descr', 'fortran_order' and 'shape'`);
  const shape = shapeText[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new Error(`${fn}: ${source} has shape (${shapeText[1]}); expected non-negative integers`);
  const dtype = descr[2];
  const itemsize = Number(/\d+$/.exec(dtype)?.[0] ?? NaN);
  if (!Number.isInteger(itemsize) || itemsize <= 0) throw new Error(`${fn}: ${source} has dtype '${descr[1]}${dtype}'; expected a sized type such as '<f4'`);
  return {
    dtype,
    littleEndian: descr[1] !== '>',
    shape,
    fortranOrder: fortran[1] === 'True',
    dataOffset,
    itemsize,
    size: shape.reduce((a, b) => a * b, 1),
  };
}
