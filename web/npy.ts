/**
 * NumPy .npy bytes (what /api/runs/:id/arrays/:name sends) as a typed array over the same memory
 * when it can: little-endian data whose offset suits the element size (numpy and latentlab pad
 * the header to 64 bytes, so always), otherwise a copy (byte-swapped when big-endian).
 */
import { parseNpyHeader } from '../src/serve/npy-header.js';

export type NpyTypedArray =
  Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

export interface NpyArray {
  dtype: string;
  shape: number[];
  data: NpyTypedArray;
}

type Ctor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => NpyTypedArray;

const TYPES: Record<string, Ctor> = {
  f4: Float32Array,
  f8: Float64Array,
  i1: Int8Array,
  u1: Uint8Array,
  b1: Uint8Array,
  i2: Int16Array,
  u2: Uint16Array,
  i4: Int32Array,
  u4: Uint32Array,
  i8: BigInt64Array,
  u8: BigUint64Array,
};

/** Parses a whole .npy file; `source` names it in errors. */
export function parseNpy(buffer: ArrayBuffer, source = 'npy data'): NpyArray {
  const bytes = new Uint8Array(buffer);
  const h = parseNpyHeader(bytes, source);
  const Type = TYPES[h.dtype];
  if (Type === undefined) throw new Error(`parseNpy: ${source} has dtype ${h.dtype}; expected one of ${Object.keys(TYPES).join(', ')}`);
  if (h.fortranOrder && h.shape.filter((d) => d > 1).length > 1) throw new Error(`parseNpy: ${source} is in Fortran order; expected C order`);
  const need = h.size * h.itemsize;
  if (bytes.length - h.dataOffset !== need)
    throw new Error(`parseNpy: ${source} has ${bytes.length - h.dataOffset} data bytes; shape [${h.shape.join(', ')}] of ${h.dtype} needs ${need}`);
  if (h.littleEndian && h.dataOffset % h.itemsize === 0) return { dtype: h.dtype, shape: h.shape, data: new Type(buffer, h.dataOffset, h.size) };
  const copy = bytes.slice(h.dataOffset, h.dataOffset + need);
  if (!h.littleEndian && h.itemsize > 1) {
    for (let i = 0; i < copy.length; i += h.itemsize) copy.subarray(i, i + h.itemsize).reverse();
  }
  return { dtype: h.dtype, shape: h.shape, data: new Type(copy.buffer, 0, h.size) };
}

/** An integer array (BMUs, labels) as Int32Array: the array itself when it is one. */
export function int32Of(a: NpyArray, what: string): Int32Array {
  if (a.data instanceof Int32Array) return a.data;
  if (a.data instanceof Float32Array || a.data instanceof Float64Array) throw new Error(`int32Of: expected ${what} as integers, got dtype ${a.dtype}`);
  return Int32Array.from(a.data as ArrayLike<number | bigint>, Number);
}
