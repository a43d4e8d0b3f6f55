/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0), read and written without numpy.
 * Layout: magic `\x93NUMPY`, major and minor version bytes, the header length (u16 LE for 1.0,
 * u32 LE for 2.0 and 3.0), then a Python dict literal
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and a final
 * '\n' so the data starts on a 64-byte boundary, then the raw C-order data.
 * Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */
import { writeFileAtomic } from './atomic.js';
import { readBytes } from './files.js';
import { Tensor } from '../tensor/tensor.js';

/** The element types we read and write: uint8, int32, int64, float32, float64. */
export type NpyDtype = 'u1' | 'i4' | 'i8' | 'f4' | 'f8';

/** The typed array holding an NpyArray's elements (one per NpyDtype). */
export type NpyData = Uint8Array | Int32Array | BigInt64Array | Float32Array | Float64Array;

/** A C-order n-d array: flat native-endian data plus its shape (`[]` for a 0-d array). */
export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: readonly number[];
  readonly data: NpyData;
}

const SUPPORTED: readonly NpyDtype[] = ['u1', 'i4', 'i8', 'f4', 'f8'];

const ITEMSIZE: Record<NpyDtype, number> = { u1: 1, i4: 4, i8: 8, f4: 4, f8: 8 };

const ARRAY_TYPES = {
  u1: Uint8Array,
  i4: Int32Array,
  i8: BigInt64Array,
  f4: Float32Array,
  f8: Float64Array,
} as const;

// Only used to make refusals readable ('<c8' (complex64)).
const DTYPE_NAMES: Record<string, string> = {
  b1: 'bool',
  i1: 'int8',
  u1: 'uint8',
  i2: 'int16',
  u2: 'uint16',
  i4: 'int32',
  u4: 'uint32',
  i8: 'int64',
  u8: 'uint64',
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  f16: 'longdouble',
  c8: 'complex64',
  c16: 'complex128',
  c32: 'clongdouble',
  O: 'object',
  U: 'unicode string',
  S: 'bytes',
  V: 'void/raw',
  M: 'datetime64',
  m: 'timedelta64',
};

/** Largest header parseNpy reads: numpy's are ~128 bytes; 1 MiB still fits tens of thousands of axes. */
export const MAX_NPY_HEADER_BYTES = 2 ** 20;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;
// numpy leaves room for the first axis to grow in place to 21 digits (GROWTH_AXIS_MAX_DIGITS).
const GROWTH_AXIS_MAX_DIGITS = 21;

const NATIVE_LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapBytes(bytes: Uint8Array, itemsize: number): void {
  if (itemsize === 1) return;
  for (let i = 0; i < bytes.length; i += itemsize) {
    for (let a = i, b = i + itemsize - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

// --- a tiny parser for the Python literals numpy writes in headers ---------------------------

class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
type PyValue = string | number | boolean | null | PyValue[] | PyTuple | Map<string, PyValue>;

class HeaderSyntaxError extends Error {}

// numpy's own headers nest two deep ({'shape': (…)}), structured dtypes a few more; anything
// deeper is damage, and refusing it keeps the recursion far from the stack limit.
const MAX_DEPTH = 16;

/** Recursive descent over dict / tuple / list / str / int / True / False / None. */
function parsePyLiteral(text: string): PyValue {
  let i = 0;
  let depth = 0;
  const NUMBER_OR_NAME = /(-?\d+)L?|(True|False|None)\b/y;
  const fail = (what: string): never => {
    throw new HeaderSyntaxError(`${what} at character ${i}`);
  };
  const skip = (): void => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const eat = (ch: string): boolean => {
    skip();
    if (text[i] === ch) {
      i++;
      return true;
    }
    return false;
  };
  // Items until `close`, separated by commas, trailing comma allowed; reports whether a comma was seen.
  const sequence = (close: string, item: () => void): boolean => {
    let comma = false;
    if (eat(close)) return comma;
    for (;;) {
      item();
      if (eat(close)) return comma;
      if (!eat(',')) fail(`expected ',' or '${close}'`);
      comma = true;
      if (eat(close)) return comma;
    }
  };
  const value = (): PyValue => {
    skip();
    const c = text[i];
    if (c === '{' || c === '(' || c === '[') {
      if (depth >= MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
      depth++;
      try {
        return container(c);
      } finally {
        depth--;
      }
    }
    return scalar(c);
  };
  const container = (c: string): PyValue => {
    if (c === '{') {
      i++;
      const d = new Map<string, PyValue>();
      sequence('}', () => {
        const k = value();
        if (typeof k !== 'string') fail('expected a string key');
        if (!eat(':')) fail("expected ':'");
        if (d.has(k as string)) fail(`duplicate key '${k as string}'`);
        d.set(k as string, value());
      });
      return d;
    }
    if (c === '(') {
      i++;
      const items: PyValue[] = [];
      const comma = sequence(')', () => items.push(value()));
      // `(x)` is just a parenthesised value; only a comma (or `()`) makes a tuple.
      return items.length === 1 && !comma ? items[0] : new PyTuple(items);
    }
    if (c === '[') {
      i++;
      const items: PyValue[] = [];
      sequence(']', () => items.push(value()));
      return items;
    }
    return fail(`unexpected '${c}'`);
  };
  const scalar = (c: string | undefined): PyValue => {
    if (c === "'" || c === '"') {
      i++;
      let s = '';
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\') i++;
        s += text[i++] ?? '';
      }
      if (i >= text.length) fail('unterminated string');
      i++;
      return s;
    }
    NUMBER_OR_NAME.lastIndex = i;
    const m = NUMBER_OR_NAME.exec(text);
    if (m === null) return fail(c === undefined ? 'unexpected end' : `unexpected '${c}'`);
    i += m[0].length;
    if (m[2] === 'True') return true;
    if (m[2] === 'False') return false;
    if (m[2] === 'None') return null;
    return Number(m[1]);
  };
  const v = value();
  skip();
  if (i < text.length) fail(`unexpected '${text[i]}' after the literal`);
  return v;
}

function describe(v: PyValue): string {
  if (v instanceof Map) return 'a dict';
  if (v instanceof PyTuple) return `a tuple of ${v.items.length}`;
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'None';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function decodeHeader(bytes: Uint8Array, utf8: boolean): string {
  if (utf8) return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  // Versions 1.0 and 2.0 are latin1; TextDecoder('latin1') would be windows-1252.
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

interface Descr {
  dtype: NpyDtype;
  bigEndian: boolean;
}

function parseDescr(fn: string, source: string, descr: PyValue): Descr {
  if (Array.isArray(descr))
    throw new Error(`${fn}: ${source} holds a structured array (descr is a list of fields); only plain ${SUPPORTED.join(', ')} arrays are supported`);
  if (typeof descr !== 'string') throw new Error(`${fn}: ${source} has descr ${describe(descr)}; expected a dtype string such as '<f4'`);
  const m = /^([<>|=]?)([A-Za-z])(\d*)$/.exec(descr);
  if (m === null) throw new Error(`${fn}: ${source} has dtype '${descr}', which is not a simple dtype; supported: ${SUPPORTED.join(', ')}`);
  const [, order, kind, size] = m;
  if (kind === 'O')
    throw new Error(`${fn}: ${source} has dtype '${descr}': object arrays are not supported (they hold pickled Python objects); save a numeric array`);
  const code = kind + size;
  if (!(SUPPORTED as readonly string[]).includes(code)) {
    const name = DTYPE_NAMES[code] ?? DTYPE_NAMES[kind];
    throw new Error(`${fn}: ${source} has dtype '${descr}'${name === undefined ? '' : ` (${name})`}; supported: ${SUPPORTED.join(', ')}`);
  }
  const dtype = code as NpyDtype;
  if (order === '|' && ITEMSIZE[dtype] > 1)
    throw new Error(`${fn}: ${source} has dtype '${descr}': byte order '|' is only valid for 1-byte types; expected '<' or '>'`);
  // '=' and no prefix both mean the writer's native order; numpy itself never writes them.
  const bigEndian = order === '>' || ((order === '=' || order === '') && !NATIVE_LITTLE);
  return { dtype, bigEndian };
}

function checkedSize(fn: string, what: string, shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new RangeError(`${fn}: ${what} has shape [${shape.join(', ')}]; expected non-negative integers`);
    size *= d;
  }
  if (!Number.isSafeInteger(size)) throw new RangeError(`${fn}: ${what} has shape [${shape.join(', ')}] with ${size} elements, too many to address`);
  return size;
}

/** Parses the bytes of a .npy file; `source` names the file in error messages. */
export function parseNpy(bytes: Uint8Array, source = 'npy data'): NpyArray {
  const fn = 'parseNpy';
  if (bytes.length < 8 || MAGIC.some((b, k) => bytes[k] !== b)) {
    const head = Array.from(bytes.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(`${fn}: ${source} starts with bytes [${head}]; expected the magic string \\x93NUMPY (not a .npy file)`);
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (minor !== 0 || major < 1 || major > 3) throw new Error(`${fn}: ${source} has format version ${major}.${minor}; supported: 1.0, 2.0, 3.0`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  const prefix = 8 + lenBytes;
  if (bytes.length < prefix)
    throw new RangeError(`${fn}: ${source} is truncated: ${bytes.length} bytes, the version ${major}.0 header length field ends at byte ${prefix}`);
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (hlen > MAX_NPY_HEADER_BYTES)
    throw new RangeError(`${fn}: ${source} declares a ${hlen}-byte header, more than the ${MAX_NPY_HEADER_BYTES}-byte limit (damaged file?)`);
  const dataStart = prefix + hlen;
  if (bytes.length < dataStart)
    throw new RangeError(`${fn}: ${source} is truncated inside its header: the header needs ${dataStart} bytes, the file has ${bytes.length}`);

  let text: string;
  try {
    text = decodeHeader(bytes.subarray(prefix, dataStart), major === 3);
  } catch (e) {
    throw new Error(`${fn}: ${source} has a header that is not valid UTF-8 (${(e as Error).message})`, { cause: e });
  }
  const shown = JSON.stringify(text.trim().slice(0, 200));
  let header: PyValue;
  try {
    header = parsePyLiteral(text);
  } catch (e) {
    if (!(e instanceof HeaderSyntaxError)) throw e;
    throw new Error(`${fn}: ${source} has a header that is not a Python literal (${e.message}): ${shown}`, { cause: e });
  }
  if (!(header instanceof Map)) throw new Error(`${fn}: ${source} has a header that is ${describe(header)}, not a dict: ${shown}`);
  const keys = [...header.keys()].sort();
  if (keys.join(',') !== 'descr,fortran_order,shape') {
    throw new Error(`${fn}: ${source} has header keys [${keys.map((k) => `'${k}'`).join(', ')}]; expected exactly 'descr', 'fortran_order', 'shape'`);
  }

  const { dtype, bigEndian } = parseDescr(fn, source, header.get('descr') as PyValue);

  const rawShape = header.get('shape') as PyValue;
  if (!(rawShape instanceof PyTuple) || rawShape.items.some((d) => typeof d !== 'number')) {
    throw new Error(`${fn}: ${source} has shape ${describe(rawShape)}; expected a tuple of integers`);
  }
  const shape = rawShape.items as number[];
  const size = checkedSize(fn, source, shape);

  const fortran = header.get('fortran_order');
  if (typeof fortran !== 'boolean') throw new Error(`${fn}: ${source} has fortran_order ${describe(fortran as PyValue)}; expected True or False`);
  // With at most one axis longer than 1, Fortran and C order are the same bytes.
  if (fortran && shape.filter((d) => d > 1).length > 1) {
    throw new Error(`${fn}: ${source} has fortran_order True: Fortran-order arrays are not supported; save with np.ascontiguousarray`);
  }

  const itemsize = ITEMSIZE[dtype];
  const need = size * itemsize;
  const found = bytes.length - dataStart;
  if (found !== need) {
    const what = found < need ? 'truncated' : 'oversized';
    throw new RangeError(
      `${fn}: ${source} is ${what}: shape [${shape.join(', ')}] of '${header.get('descr') as string}' needs ${need} data bytes, found ${found}`,
    );
  }
  // Copy into a fresh buffer: the data offset need not be aligned for the typed array (and
  // Buffer#slice would return a view into node's shared pool, not a copy).
  const out = new Uint8Array(need);
  out.set(bytes.subarray(dataStart, dataStart + need));
  if (bigEndian === NATIVE_LITTLE) swapBytes(out, itemsize);
  const data = new ARRAY_TYPES[dtype](out.buffer, 0, size);
  return { dtype, shape, data };
}

/** Reads a .npy file from disk. */
export function readNpy(path: string): NpyArray {
  return parseNpy(readBytes('readNpy', path), path);
}

/**
 * Encodes an array as .npy bytes, exactly as `np.save` does: little-endian, format 1.0 (2.0 when
 * the header exceeds 65535 bytes), the header padded with spaces and '\n' so the data starts on a
 * multiple of 64 bytes.
 */
export function encodeNpy(arr: NpyArray): Uint8Array {
  const fn = 'encodeNpy';
  const { dtype, shape, data } = arr;
  if (!(SUPPORTED as readonly string[]).includes(dtype))
    throw new Error(`${fn}: dtype ${JSON.stringify(dtype)} is not supported; supported: ${SUPPORTED.join(', ')}`);
  const Ctor = ARRAY_TYPES[dtype];
  if (!(data instanceof Ctor)) throw new TypeError(`${fn}: dtype '${dtype}' needs data as a ${Ctor.name}, got ${data?.constructor?.name ?? typeof data}`);
  const size = checkedSize(fn, 'the array', shape);
  if (data.length !== size) throw new RangeError(`${fn}: shape [${shape.join(', ')}] needs ${size} elements, data has ${data.length}`);

  const descr = (dtype === 'u1' ? '|' : '<') + dtype;
  const shapeRepr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  if (shape.length > 0) header += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  const hlen = header.length + 1; // + '\n'
  let major = 1;
  let prefix = 10;
  let pad = ALIGN - ((prefix + hlen) % ALIGN);
  if (hlen + pad > 0xffff) {
    major = 2;
    prefix = 12;
    pad = ALIGN - ((prefix + hlen) % ALIGN);
  }
  const dataStart = prefix + hlen + pad;
  const out = new Uint8Array(dataStart + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, hlen + pad, true);
  else view.setUint32(8, hlen + pad, true);
  // The header is ASCII: descr and digits only.
  for (let k = 0; k < header.length; k++) out[prefix + k] = header.charCodeAt(k);
  out.fill(0x20, prefix + header.length, dataStart - 1);
  out[dataStart - 1] = 0x0a;
  const body = out.subarray(dataStart);
  body.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (!NATIVE_LITTLE) swapBytes(body, ITEMSIZE[dtype]);
  return out;
}

/**
 * Writes a .npy file atomically: the bytes go to `path.tmp-<pid>-<random>`, are flushed, then
 * renamed over `path`, so a crash never leaves a half-written array behind.
 */
export function writeNpy(path: string, arr: NpyArray): void {
  const bytes = encodeNpy(arr);
  try {
    writeFileAtomic(path, bytes);
  } catch (e) {
    const cause = (e as Error).cause as NodeJS.ErrnoException | undefined;
    throw new Error(`writeNpy: cannot write ${path} (${cause?.code ?? (e as Error).message})`, { cause: e });
  }
}

/** A float32 NpyArray view of a tensor (shares its data; no copy). */
export function npyFromTensor(t: Tensor): NpyArray {
  return { dtype: 'f4', shape: [...t.shape], data: t.data };
}

/**
 * A float32 Tensor of the same shape from any numeric NpyArray: f4 data is shared (no copy),
 * other dtypes are converted (int64 values beyond 2^24 lose precision, as float32 must).
 */
export function tensorFromNpy(a: NpyArray): Tensor {
  const { data } = a;
  let out: Float32Array;
  if (data instanceof Float32Array) out = data;
  else if (data instanceof BigInt64Array) {
    out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  } else out = Float32Array.from(data);
  return new Tensor(out, a.shape);
}
