/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian u64 header length N,
 * N bytes of UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?:
 * {string: string}}`, then the byte buffer; offsets are relative to the buffer, tensors are C-order
 * little-endian and together cover the buffer exactly. The encoder follows the reference writer's
 * conventions (tensors by dtype descending in its enum order, then name; metadata first; compact
 * JSON padded with spaces to a multiple of 8), so equal inputs give byte-identical files.
 * The codec only (no file system), so the explorer's browser app loads models with it too;
 * safetensors.ts adds reading and writing files.
 */

/** The dtypes latentlab reads and writes. */
export type SafetensorsDtype = 'F32' | 'F64' | 'I32' | 'I64' | 'U8';

/** The typed array that holds each dtype's values. */
export interface DtypeArrays {
  F32: Float32Array;
  F64: Float64Array;
  I32: Int32Array;
  I64: BigInt64Array;
  U8: Uint8Array;
}

/** One tensor: C-order values of a given dtype and shape. */
export type SafeTensor = {
  [D in SafetensorsDtype]: { dtype: D; shape: number[]; data: DtypeArrays[D] };
}[SafetensorsDtype];

/** A decoded file: tensors by name and the string metadata (null when the file has none). */
export interface SafetensorsFile {
  tensors: Record<string, SafeTensor>;
  metadata: Record<string, string> | null;
}

/** Largest header the reference implementation accepts (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

const DTYPES: Record<SafetensorsDtype, { bytes: number; rank: number; array: { new (buffer: ArrayBuffer): DtypeArrays[SafetensorsDtype] } }> = {
  // rank: position in the reference library's Dtype enum (BOOL, U8, I8, F8_*, I16, U16, F16,
  // BF16, I32, U32, F32, F64, I64, U64); it sorts tensors by this, descending, then by name.
  U8: { bytes: 1, rank: 1, array: Uint8Array },
  I32: { bytes: 4, rank: 9, array: Int32Array },
  F32: { bytes: 4, rank: 11, array: Float32Array },
  F64: { bytes: 8, rank: 12, array: Float64Array },
  I64: { bytes: 8, rank: 13, array: BigInt64Array },
};

/** Valid safetensors dtypes that latentlab does not convert (refused with "unsupported dtype"). */
const OTHER_KNOWN_DTYPES = ['BOOL', 'I8', 'I16', 'U16', 'F16', 'BF16', 'U32', 'U64', 'C64', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2'];

// A valid header nests three deep ({name: {shape: [..]}}); refusing anything much deeper before
// JSON.parse keeps every later walk over the value (and JSON.stringify in messages) off the stack limit.
const MAX_HEADER_DEPTH = 8;

const METADATA_KEY = '__metadata__';
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8 = new TextEncoder();

function isDtype(d: unknown): d is SafetensorsDtype {
  return typeof d === 'string' && Object.hasOwn(DTYPES, d);
}

/** A JSON value as quoted in errors, cut short: a damaged header can hold megabytes of it. */
function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

/** Whether `text` opens more than `limit` nested objects/arrays (outside strings) at any point. */
function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function compareUtf8(a: string, b: string): number {
  // The reference sorts names as byte strings; JS `<` compares UTF-16 units, which differs
  // for characters above U+FFFF. UTF-8 byte order is code point order, so compare those.
  const x = Array.from(a, (c) => c.codePointAt(0) as number);
  const y = Array.from(b, (c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

/** Element count of a shape, or a description of what is wrong with it. */
function shapeCount(shape: unknown): number | string {
  const bad = `expected shape to be an array of non-negative integers, got ${show(shape)}`;
  if (!Array.isArray(shape)) return bad;
  let count = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return bad;
    count *= d;
  }
  if (!Number.isSafeInteger(count)) return `shape ${fmtShape(shape)} has more elements than can be addressed`;
  return count;
}

/** Copies `data`'s bytes into `out` at `offset`, as little-endian. */
function putLittleEndian(out: Uint8Array, offset: number, t: SafeTensor): void {
  const { data } = t;
  if (LITTLE_ENDIAN || t.dtype === 'U8') {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + offset, data.byteLength);
  for (let i = 0; i < data.length; i++) {
    if (t.dtype === 'F32') view.setFloat32(4 * i, t.data[i], true);
    else if (t.dtype === 'F64') view.setFloat64(8 * i, t.data[i], true);
    else if (t.dtype === 'I32') view.setInt32(4 * i, t.data[i], true);
    else view.setBigInt64(8 * i, t.data[i], true);
  }
}

/** Reads `count` little-endian values of `dtype` from `bytes` into a fresh, aligned array. */
function takeLittleEndian(dtype: SafetensorsDtype, bytes: Uint8Array, count: number): DtypeArrays[SafetensorsDtype] {
  // slice() copies into a new ArrayBuffer, which also fixes alignment (the header length need
  // not be a multiple of 8 in files from other writers).
  const copy = bytes.slice();
  const out = new DTYPES[dtype].array(copy.buffer);
  if (LITTLE_ENDIAN || dtype === 'U8') return out;
  const view = new DataView(copy.buffer);
  for (let i = 0; i < count; i++) {
    if (dtype === 'F32') (out as Float32Array)[i] = view.getFloat32(4 * i, true);
    else if (dtype === 'F64') (out as Float64Array)[i] = view.getFloat64(8 * i, true);
    else if (dtype === 'I32') (out as Int32Array)[i] = view.getInt32(4 * i, true);
    else (out as BigInt64Array)[i] = view.getBigInt64(8 * i, true);
  }
  return out;
}

/**
 * Encodes tensors (and optional string metadata) as a safetensors file, byte-identical to what
 * the reference library writes for the same input.
 */
export function encodeSafetensors(tensors: Record<string, SafeTensor>, metadata?: Record<string, string>): Uint8Array {
  const fn = 'encodeSafetensors';
  if (tensors === null || typeof tensors !== 'object') throw new TypeError(`${fn}: expected an object of tensors, got ${String(tensors)}`);
  const entries = Object.entries(tensors).map(([name, t]) => {
    if (name === METADATA_KEY) throw new RangeError(`${fn}: "${METADATA_KEY}" is reserved for metadata and cannot name a tensor`);
    if (t === null || typeof t !== 'object') throw new TypeError(`${fn}: tensor "${name}": expected {dtype, shape, data}, got ${String(t)}`);
    if (!isDtype(t.dtype))
      throw new RangeError(`${fn}: tensor "${name}": unsupported dtype ${JSON.stringify(t.dtype)}; expected one of ${Object.keys(DTYPES).join(', ')}`);
    const count = shapeCount(t.shape);
    if (typeof count === 'string') throw new RangeError(`${fn}: tensor "${name}": ${count}`);
    const Expected = DTYPES[t.dtype].array;
    if (!(t.data instanceof Expected)) {
      throw new TypeError(
        `${fn}: tensor "${name}": dtype ${t.dtype} needs its data in a ${Expected.name}, got ${(t.data as object | null)?.constructor?.name ?? String(t.data)}`,
      );
    }
    if (t.data.length !== count) throw new RangeError(`${fn}: tensor "${name}": shape ${fmtShape(t.shape)} needs ${count} values, got ${t.data.length}`);
    return { name, t };
  });
  entries.sort((a, b) => DTYPES[b.t.dtype].rank - DTYPES[a.t.dtype].rank || compareUtf8(a.name, b.name));

  const parts: string[] = [];
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object') throw new TypeError(`${fn}: expected metadata to be an object of strings, got ${String(metadata)}`);
    const kv = Object.entries(metadata);
    for (const [k, v] of kv) {
      if (typeof v !== 'string') throw new TypeError(`${fn}: metadata "${k}": expected a string value, got ${typeof v} ${JSON.stringify(v)}`);
    }
    // The reference keeps metadata in a hash map (arbitrary order); sorting makes files reproducible.
    kv.sort((a, b) => compareUtf8(a[0], b[0]));
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${kv.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  let offset = 0;
  for (const { name, t } of entries) {
    const end = offset + t.data.length * DTYPES[t.dtype].bytes;
    parts.push(`${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = utf8.encode(`{${parts.join(',')}}`);
  // Spaces up to a multiple of 8, so every tensor starts 8-byte aligned in the file.
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const { t } of entries) {
    putLittleEndian(out, at, t);
    at += t.data.byteLength;
  }
  return out;
}

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  count: number;
  begin: number;
  end: number;
}

function parseEntry(fail: (msg: string) => never, name: string, raw: unknown, bufferLength: number): HeaderEntry {
  const where = `tensor ${show(name)}`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail(`${where}: expected an object {dtype, shape, data_offsets}, got ${show(raw)}`);
  const info = raw as Record<string, unknown>;
  for (const key of Object.keys(info)) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') fail(`${where}: unexpected field ${show(key)}; expected dtype, shape, data_offsets`);
  }
  const { dtype, shape, data_offsets: offsets } = info;
  if (!isDtype(dtype)) {
    if (typeof dtype === 'string' && OTHER_KNOWN_DTYPES.includes(dtype)) {
      fail(`${where}: unsupported dtype ${dtype}; latentlab reads ${Object.keys(DTYPES).join(', ')} (convert the tensor, e.g. to F32, before saving)`);
    }
    fail(`${where}: unknown dtype ${show(dtype)}; expected one of ${Object.keys(DTYPES).join(', ')}`);
  }
  const count = shapeCount(shape);
  if (typeof count === 'string') return fail(`${where}: ${count}`);
  const validOffset = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !validOffset(offsets[0]) || !validOffset(offsets[1])) {
    fail(`${where}: expected data_offsets to be [begin, end] with non-negative integers, got ${show(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`${where}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > bufferLength) fail(`${where}: data_offsets [${begin}, ${end}] reach past the end of the ${bufferLength}-byte data buffer (truncated file?)`);
  const need = count * DTYPES[dtype].bytes;
  if (end - begin !== need) {
    fail(`${where}: shape ${fmtShape(shape as number[])} of ${dtype} needs ${need} bytes but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { name, dtype, shape: [...(shape as number[])], count, begin, end };
}

/**
 * Decodes and validates a safetensors file: header length within bounds, UTF-8 JSON, known
 * dtypes, integer shapes, offsets matching shape × dtype size and tiling the buffer exactly
 * (no overlap, no hole, no trailing bytes). `source` (a path) is named in errors.
 */
export function decodeSafetensors(bytes: Uint8Array, source?: string): SafetensorsFile {
  function fail(msg: string): never {
    throw new RangeError(`decodeSafetensors: ${source === undefined ? '' : `${source}: `}${msg}`);
  }
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`decodeSafetensors: expected a Uint8Array, got ${String(bytes)}`);
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 < 2n) fail(`header length ${n64} is too small (an empty header "{}" is 2 bytes)`);
  if (n64 > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n64} exceeds the ${MAX_HEADER_BYTES}-byte limit (damaged file?)`);
  const n = Number(n64);
  if (n > bytes.length - 8) fail(`header length ${n} exceeds the ${bytes.length - 8} bytes that follow it (truncated or damaged file)`);

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(`header does not start with "{" (got ${show(text.slice(0, 20))})`);
  if (nestsDeeperThan(text, MAX_HEADER_DEPTH))
    fail(`header nests objects/arrays more than ${MAX_HEADER_DEPTH} deep (a safetensors header needs 3; damaged file?)`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    fail(`header is not valid JSON: ${(err as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');

  const bufferStart = 8 + n;
  const bufferLength = bytes.length - bufferStart;
  let metadata: Record<string, string> | null = null;
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      // The reference reads "__metadata__": null as "no metadata".
      if (raw === null) continue;
      if (typeof raw !== 'object' || Array.isArray(raw)) fail(`"${METADATA_KEY}" must be an object of strings, got ${show(raw)}`);
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') fail(`"${METADATA_KEY}".${show(k)}: expected a string value, got ${show(v)}`);
      }
      metadata = Object.fromEntries(Object.entries(raw as Record<string, string>));
      continue;
    }
    entries.push(parseEntry(fail, name, raw, bufferLength));
  }

  // Tensors must tile the buffer: sorted by offsets, each starts where the previous ended.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous: HeaderEntry | null = null;
  for (const e of byOffset) {
    if (e.begin < expected) {
      fail(`tensor ${show(e.name)}: data_offsets [${e.begin}, ${e.end}] overlap tensor ${show(previous!.name)} at [${previous!.begin}, ${previous!.end}]`);
    }
    if (e.begin > expected) fail(`data buffer has a hole: bytes [${expected}, ${e.begin}) belong to no tensor (next is ${show(e.name)})`);
    expected = e.end;
    previous = e;
  }
  if (expected !== bufferLength) fail(`tensors cover ${expected} bytes but the data buffer has ${bufferLength} (${bufferLength - expected} trailing bytes)`);

  const tensors: Array<[string, SafeTensor]> = byOffset.map((e) => {
    const data = takeLittleEndian(e.dtype, bytes.subarray(bufferStart + e.begin, bufferStart + e.end), e.count);
    return [e.name, { dtype: e.dtype, shape: e.shape, data } as SafeTensor];
  });
  // fromEntries defines own properties, so a tensor named "__proto__" cannot touch the prototype.
  return { tensors: Object.fromEntries(tensors), metadata };
}
