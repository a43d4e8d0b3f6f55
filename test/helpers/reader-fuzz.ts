/**
 * Seeded mutation fuzzing of the file readers (IDX raw and gzipped, .npy, safetensors, USPS text).
 * Each case starts from a valid file, applies a few mutations (bit flips, byte sets, truncation,
 * insertion, deletion, duplication, and format-aware edits of the numbers in the header), reads
 * the result, and accepts exactly two outcomes:
 *   - a correct read: shape, dtype and data consistent with each other and with the bytes;
 *   - an Error, RangeError or TypeError thrown on purpose: its message starts with the reader's
 *     name and names the file.
 * Anything else — a stack overflow, a RangeError from a typed-array constructor, another error
 * class, a read that takes seconds — is a failure, reported with its seed and case number so that
 * `scripts/fuzz-readers.ts --reader R --seed S --case N` replays it.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parseIdx } from '../../src/data/idx.js';
import { encodeNpy, parseNpy, type NpyArray } from '../../src/io/npy.js';
import { parseUspsBytes } from '../../src/data/usps.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { Rng } from '../../src/random.js';
import { idxBytes, uspsText } from './datasets.js';

/** A read whose result contradicts itself or the bytes it came from. */
export class InconsistentRead extends Error {}

type Mutation = (bytes: Uint8Array, rng: Rng) => Uint8Array;

export interface FuzzReader {
  readonly name: string;
  /** What the errors of this reader start with (`parseIdx: …`). */
  readonly prefixes: readonly string[];
  /** Valid files, before `encode`. */
  readonly seeds: (rng: Rng) => Uint8Array[];
  /** Format-aware edits applied before `encode` (header numbers and the like). */
  readonly edits: readonly Mutation[];
  /** Turns a (possibly edited) file into the bytes the reader sees, e.g. gzip; default: as is. */
  readonly encode?: (raw: Uint8Array, rng: Rng) => Uint8Array;
  /** Mutations of the encoded bytes on top of the generic ones. */
  readonly extra?: readonly Mutation[];
  /** Reads `bytes` and throws InconsistentRead when the result does not add up. */
  readonly read: (bytes: Uint8Array, source: string) => void;
}

export interface FuzzFailure {
  readonly reader: string;
  readonly seed: number;
  readonly index: number;
  readonly source: string;
  readonly mutations: readonly string[];
  readonly problem: string;
  readonly bytes: Uint8Array;
}

export interface FuzzReport {
  readonly reader: string;
  readonly cases: number;
  readonly reads: number;
  readonly errors: number;
  /** Error messages by their first words (reader, then the kind of problem), for a coverage summary. */
  readonly kinds: ReadonlyMap<string, number>;
  readonly failures: readonly FuzzFailure[];
  readonly slowestMs: number;
}

// --- generic mutations ------------------------------------------------------------------------

const INTERESTING_BYTES = [
  0x00, 0x01, 0x02, 0x04, 0x08, 0x0a, 0x0d, 0x20, 0x22, 0x27, 0x28, 0x29, 0x2c, 0x2d, 0x2e, 0x30, 0x31, 0x39, 0x3a, 0x5b, 0x5c, 0x5d, 0x7b, 0x7d, 0x7f, 0x80,
  0xfe, 0xff,
];

/** A position, biased towards the start (headers) and the end (gzip trailers). */
function position(rng: Rng, length: number): number {
  if (length === 0) return 0;
  const r = rng.uniform();
  if (r < 0.45) return rng.int(Math.min(length, 96));
  if (r < 0.6) return Math.max(0, length - 1 - rng.int(Math.min(length, 16)));
  return rng.int(length);
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const fill = rng.uniform() < 0.3 ? INTERESTING_BYTES[rng.int(INTERESTING_BYTES.length)] : -1;
  for (let i = 0; i < n; i++) out[i] = fill >= 0 ? fill : rng.int(256);
  return out;
}

function splice(bytes: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - remove + insert.length);
  out.set(bytes.subarray(0, at));
  out.set(insert, at);
  out.set(bytes.subarray(at + remove), at + insert.length);
  return out;
}

const GENERIC: Record<string, Mutation> = {
  bitflip: (b, rng) => {
    const out = b.slice();
    for (let k = 1 + rng.int(8); k > 0 && out.length > 0; k--) out[position(rng, out.length)] ^= 1 << rng.int(8);
    return out;
  },
  'set-byte': (b, rng) => {
    const out = b.slice();
    for (let k = 1 + rng.int(4); k > 0 && out.length > 0; k--) out[position(rng, out.length)] = INTERESTING_BYTES[rng.int(INTERESTING_BYTES.length)];
    return out;
  },
  truncate: (b, rng) => b.slice(0, rng.uniform() < 0.5 ? position(rng, b.length) : rng.int(b.length + 1)),
  insert: (b, rng) => splice(b, position(rng, b.length + 1), 0, randomBytes(rng, 1 << rng.int(8))),
  delete: (b, rng) => {
    const at = position(rng, b.length);
    return splice(b, at, Math.min(b.length - at, 1 << rng.int(7)), new Uint8Array(0));
  },
  duplicate: (b, rng) => {
    if (b.length === 0) return b;
    const from = rng.int(b.length);
    const chunk = b.slice(from, from + (1 << rng.int(9)));
    return splice(b, position(rng, b.length + 1), 0, chunk);
  },
};
const GENERIC_NAMES = Object.keys(GENERIC);

// --- format-aware edits -----------------------------------------------------------------------

const INTERESTING_U32 = [0, 1, 2, 3, 7, 28, 255, 256, 784, 65535, 65536, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

function u32(rng: Rng, old: number): number {
  const r = rng.uniform();
  if (r < 0.6) return INTERESTING_U32[rng.int(INTERESTING_U32.length)];
  if (r < 0.8) return Math.max(0, Math.min(0xffffffff, old + rng.int(5) - 2));
  return rng.nextU32();
}

/** IDX: the dtype or ndim byte, or one of the dims. */
const idxHeaderEdit: Mutation = (b, rng) => {
  const out = b.slice();
  if (out.length < 4) return out;
  const view = new DataView(out.buffer);
  const ndim = Math.min(out[3], Math.floor((out.length - 4) / 4));
  const r = rng.uniform();
  if (r < 0.15) out[2] = [0x08, 0x09, 0x0b, 0x0d, 0x00, 0xff][rng.int(6)];
  else if (r < 0.3) out[3] = rng.int(7);
  else if (ndim > 0) {
    const at = 4 + 4 * rng.int(ndim);
    view.setUint32(at, u32(rng, view.getUint32(at, false)), false);
  }
  return out;
};

const INTERESTING_DECIMALS = [
  '0',
  '1',
  '2',
  '-1',
  '-0',
  '00',
  '65535',
  '65536',
  '4294967295',
  '4294967296',
  '9007199254740993',
  '1' + '0'.repeat(30),
  '9'.repeat(400),
  '1L',
  '3.5',
  '1e5',
  '0x10',
  'True',
  'None',
  "''",
];

/** Replaces one run of digits inside [start, end) of `text` with an interesting number. */
function editNumber(text: string, start: number, end: number, rng: Rng): string {
  const runs: [number, number][] = [];
  const re = /\d+/g;
  re.lastIndex = start;
  for (let m = re.exec(text); m !== null && m.index < end; m = re.exec(text)) runs.push([m.index, m.index + m[0].length]);
  if (runs.length === 0) return text;
  const [a, b] = runs[rng.int(runs.length)];
  const old = Number(text.slice(a, b));
  const pick = rng.uniform() < 0.7 ? INTERESTING_DECIMALS[rng.int(INTERESTING_DECIMALS.length)] : String(Math.max(0, old + rng.int(5) - 2));
  return text.slice(0, a) + pick + text.slice(b);
}

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const fromLatin1 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** npy: the version, the header length field, or the header text (numbers, dtype, nesting), keeping the length field right. */
const npyHeaderEdit: Mutation = (b, rng) => {
  if (b.length < 10) return b;
  const major = b[6];
  const prefix = major === 1 ? 10 : 12;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const hlen = major === 1 ? view.getUint16(8, true) : b.length >= 12 ? view.getUint32(8, true) : 0;
  const r = rng.uniform();
  if (r < 0.15) {
    const out = b.slice();
    const v = [0, 1, hlen - 1, hlen + 1, 0xffff, 0xffffffff, 2 ** 20 + 1, rng.nextU32()][rng.int(8)] >>> 0;
    if (major === 1) new DataView(out.buffer).setUint16(8, v & 0xffff, true);
    else if (out.length >= 12) new DataView(out.buffer).setUint32(8, v, true);
    return out;
  }
  if (r < 0.25) {
    const out = b.slice();
    out[rng.uniform() < 0.7 ? 6 : 7] = rng.int(5);
    return out;
  }
  if (b.length < prefix + hlen) return b;
  let header = latin1(b.subarray(prefix, prefix + hlen));
  const s = rng.uniform();
  if (s < 0.5) header = editNumber(header, 0, header.length, rng);
  else if (s < 0.7)
    header = header.replace(/'[<>|=]?[a-zA-Z]\d*'/, `'${['<f8', '>i4', '|u1', '<c8', '|O', '<U3', 'f4', '=i8', '<i2', '|f4', '>u8', '<f16'][rng.int(12)]}'`);
  else if (s < 0.8) header = header.replace('False', rng.uniform() < 0.5 ? 'True' : '0');
  else {
    const depth = 1 << rng.int(16);
    header = header.replace(/\(/, '('.repeat(depth)).replace(/\)/, ')'.repeat(rng.uniform() < 0.8 ? depth : 1));
  }
  const h = fromLatin1(header);
  const out = new Uint8Array(prefix + h.length + (b.length - prefix - hlen));
  out.set(b.subarray(0, prefix));
  out.set(h, prefix);
  out.set(b.subarray(prefix + hlen), prefix + h.length);
  // Format 1.0 cannot say more than 65535; the header is then simply wrong for it.
  if (prefix === 10) new DataView(out.buffer).setUint16(8, h.length & 0xffff, true);
  else new DataView(out.buffer).setUint32(8, h.length, true);
  return out;
};

/** safetensors: the u64 header length, or the JSON header (numbers, dtypes, nesting), keeping the length right. */
const safetensorsHeaderEdit: Mutation = (b, rng) => {
  if (b.length < 8) return b;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const r = rng.uniform();
  if (r < 0.2 || n > b.length - 8) {
    const out = b.slice();
    const v = [0n, 1n, 2n, BigInt(n) - 1n, BigInt(n) + 1n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 64n - 1n, 100_000_001n, BigInt(rng.nextU32())][rng.int(10)];
    new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    return out;
  }
  let header = Buffer.from(b.subarray(8, 8 + n)).toString('utf8');
  const s = rng.uniform();
  if (s < 0.55) header = editNumber(header, 0, header.length, rng);
  else if (s < 0.7) header = header.replace(/"(F32|F64|I32|I64|U8)"/, `"${['F16', 'BF16', 'U8', 'I64', 'X', 'F64', 'BOOL'][rng.int(7)]}"`);
  else if (s < 0.8) header = header.replace(/"shape"/, `"${['dtype', 'shape ', '__proto__', 'data_offsets'][rng.int(4)]}"`);
  else {
    const depth = 1 << rng.int(17);
    header = header.replace(/\[/, '['.repeat(depth)).replace(/\]/, ']'.repeat(rng.uniform() < 0.8 ? depth : 1));
  }
  const h = Buffer.from(header, 'utf8');
  const out = new Uint8Array(8 + h.length + (b.length - 8 - n));
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(b.subarray(8 + n), 8 + h.length);
  return out;
};

const INTERESTING_TOKENS = [
  '10',
  '-1',
  '9',
  '1e999',
  '-1e999',
  'NaN',
  'Infinity',
  '.',
  '+.5e-3',
  '1.0000001',
  '-1.0000001',
  '9'.repeat(400),
  '0x1',
  '1,5',
  '6.0000',
  '-0',
  '1.',
  '.5',
  'e5',
  '\u00a0',
];

/** USPS text: one number replaced, dropped or doubled, or a line break moved. */
const uspsTokenEdit: Mutation = (b, rng) => {
  const text = latin1(b);
  const tokens: [number, number][] = [];
  const re = /\S+/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) tokens.push([m.index, m.index + m[0].length]);
  if (tokens.length === 0) return b;
  // Labels (the first token of a line) are the most interesting numbers.
  const [a, c] = tokens[rng.uniform() < 0.3 ? 0 : rng.int(tokens.length)];
  const r = rng.uniform();
  let out: string;
  if (r < 0.5) out = text.slice(0, a) + INTERESTING_TOKENS[rng.int(INTERESTING_TOKENS.length)] + text.slice(c);
  else if (r < 0.65) out = text.slice(0, a) + text.slice(c);
  else if (r < 0.8) out = text.slice(0, c) + ' ' + text.slice(a, c) + text.slice(c);
  else out = text.slice(0, a) + ['\n', '\r\n', '\t', '  ', '\n\n'][rng.int(5)] + text.slice(a);
  return fromLatin1(out);
};

const gzip = (raw: Uint8Array, rng: Rng): Uint8Array => gzipSync(raw, { level: [1, 6, 9][rng.int(3)] });

/** Appends gzip members: trailing garbage for the reader, or a small bomb of zeros. */
const appendMember: Mutation = (b, rng) => {
  const tail = gzipSync(rng.uniform() < 0.5 ? new Uint8Array(1 << (10 + rng.int(11))) : randomBytes(rng, 1 + rng.int(64)));
  return splice(b, b.length, 0, tail);
};

// --- consistency checks -----------------------------------------------------------------------

function check(ok: boolean, what: string): void {
  if (!ok) throw new InconsistentRead(what);
}

const product = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

function checkIdx(bytes: Uint8Array, source: string, raw: boolean): void {
  const a = parseIdx(bytes, source);
  check(a.shape.length >= 1 && a.shape.length <= 4, `IDX shape [${a.shape.join(', ')}] has ${a.shape.length} dims`);
  check(a.data.length === product(a.shape), `IDX shape [${a.shape.join(', ')}] but ${a.data.length} bytes of data`);
  if (raw) check(a.data.length === bytes.length - 4 - 4 * a.shape.length, `IDX data of ${a.data.length} bytes from a ${bytes.length}-byte file`);
}

const NPY_ARRAYS = { u1: Uint8Array, i4: Int32Array, i8: BigInt64Array, f4: Float32Array, f8: Float64Array } as const;
const NPY_SIZES = { u1: 1, i4: 4, i8: 8, f4: 4, f8: 8 } as const;

function checkNpy(bytes: Uint8Array, source: string): void {
  const a = parseNpy(bytes, source);
  check(a.data instanceof NPY_ARRAYS[a.dtype], `npy dtype ${a.dtype} with a ${a.data.constructor.name}`);
  check(a.data.length === product(a.shape), `npy shape [${a.shape.join(', ')}] with ${a.data.length} elements`);
  check(a.data.length * NPY_SIZES[a.dtype] <= bytes.length, `npy data of ${a.data.byteLength} bytes from a ${bytes.length}-byte file`);
}

const ST_ARRAYS = { F32: Float32Array, F64: Float64Array, I32: Int32Array, I64: BigInt64Array, U8: Uint8Array } as const;

function checkSafetensors(bytes: Uint8Array, source: string): void {
  const f = decodeSafetensors(bytes, source);
  let total = 0;
  for (const [name, t] of Object.entries(f.tensors)) {
    check(t.data instanceof ST_ARRAYS[t.dtype], `tensor ${name}: dtype ${t.dtype} with a ${t.data.constructor.name}`);
    check(t.data.length === product(t.shape), `tensor ${name}: shape [${t.shape.join(', ')}] with ${t.data.length} values`);
    total += t.data.byteLength;
  }
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  check(total === bytes.length - 8 - n, `tensors hold ${total} bytes, the file's buffer ${bytes.length - 8 - n}`);
}

function checkUsps(bytes: Uint8Array, source: string): void {
  const u = parseUspsBytes(bytes, source);
  const n = u.labels.length;
  check(n >= 1 && u.x.shape[0] === n && u.x.shape[1] === 256 && u.x.data.length === n * 256, `USPS x ${u.x.shape.join('×')} with ${n} labels`);
  check(
    u.labels.every((l) => l >= 0 && l <= 9),
    'USPS label outside 0..9',
  );
  check(
    u.x.data.every((v) => v >= 0 && v <= 1),
    'USPS value outside [0, 1]',
  );
}

// --- the readers ------------------------------------------------------------------------------

function idxSeeds(rng: Rng): Uint8Array[] {
  const random = (dims: number[]): Uint8Array =>
    idxBytes(
      dims,
      Uint8Array.from({ length: product(dims) }, () => rng.int(256)),
    );
  const smooth = (dims: number[]): Uint8Array =>
    idxBytes(
      dims,
      Uint8Array.from({ length: product(dims) }, (_, i) => (i % 97 < 60 ? 0 : 255)),
    );
  return [
    random([7]),
    random([3, 4, 5]),
    random([2, 2, 2, 2]),
    idxBytes([0], []),
    random([1, 28, 28]),
    random([6, 28, 28]),
    smooth([40, 28, 28]),
    idxBytes([0, 28, 28], []),
  ];
}

function npySeeds(): Uint8Array[] {
  const arrays: NpyArray[] = [
    { dtype: 'f4', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, NaN, Infinity]) },
    { dtype: 'i8', shape: [3], data: BigInt64Array.from([1n, -(2n ** 62n), 7n]) },
    { dtype: 'u1', shape: [2, 2, 2], data: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 255]) },
    { dtype: 'f8', shape: [], data: Float64Array.from([0.25]) },
    { dtype: 'i4', shape: [0, 4], data: new Int32Array(0) },
  ];
  const fixtures = ['be-f4-2x2.npy', 'v2-f4-3.npy', 'v3-i4-2x2.npy', 'f4-2x3x4.npy'].map(
    (f) => new Uint8Array(readFileSync(new URL(`../fixtures/npy/${f}`, import.meta.url))),
  );
  return [...arrays.map(encodeNpy), ...fixtures];
}

function safetensorsSeeds(): Uint8Array[] {
  return [
    encodeSafetensors(
      {
        'w.0': { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
        bias: { dtype: 'F64', shape: [3], data: Float64Array.from([0.5, -0.5, 0]) },
        steps: { dtype: 'I64', shape: [], data: BigInt64Array.from([42n]) },
        mask: { dtype: 'U8', shape: [4], data: Uint8Array.from([0, 1, 1, 0]) },
        idx: { dtype: 'I32', shape: [2, 0], data: new Int32Array(0) },
      },
      { format: 'pt', note: 'fuzz seed' },
    ),
    encodeSafetensors({ only: { dtype: 'F32', shape: [1], data: Float32Array.from([1]) } }),
    new Uint8Array(readFileSync(new URL('../fixtures/safetensors/reference.safetensors', import.meta.url))),
  ];
}

function uspsSeeds(rng: Rng): Uint8Array[] {
  return [fromLatin1(uspsText(rng, 3, 'train')), fromLatin1(uspsText(rng, 2, 'test')), fromLatin1(uspsText(rng, 1, 'test').trimEnd())];
}

export const READERS: readonly FuzzReader[] = [
  { name: 'idx', prefixes: ['parseIdx'], seeds: idxSeeds, edits: [idxHeaderEdit], read: (b, s) => checkIdx(b, s, true) },
  {
    name: 'idx-gz',
    prefixes: ['parseIdx'],
    seeds: idxSeeds,
    edits: [idxHeaderEdit, GENERIC.truncate, GENERIC.insert],
    encode: gzip,
    extra: [appendMember],
    read: (b, s) => checkIdx(b, s, false),
  },
  { name: 'npy', prefixes: ['parseNpy'], seeds: npySeeds, edits: [npyHeaderEdit], read: checkNpy },
  { name: 'safetensors', prefixes: ['decodeSafetensors'], seeds: safetensorsSeeds, edits: [safetensorsHeaderEdit], read: checkSafetensors },
  {
    name: 'usps',
    prefixes: ['parseUspsBytes', 'parseUspsText'],
    seeds: uspsSeeds,
    edits: [uspsTokenEdit],
    // Half the cases read the text gzipped, as zip.train.gz is distributed.
    encode: (raw, rng) => (rng.uniform() < 0.5 ? gzip(raw, rng) : raw),
    extra: [appendMember],
    read: checkUsps,
  },
];

export function getReader(name: string): FuzzReader {
  const r = READERS.find((x) => x.name === name);
  if (r === undefined) throw new Error(`fuzz: unknown reader ${JSON.stringify(name)}; expected one of ${READERS.map((x) => x.name).join(', ')}`);
  return r;
}

// --- the driver -------------------------------------------------------------------------------

const ALLOWED = new Set<unknown>([Error, RangeError, TypeError]);
// What a reader must never let through, whatever the class.
const ACCIDENTS =
  /Maximum call stack|Invalid typed array length|Array buffer allocation failed|Invalid array length|out of memory|should be a multiple of|out of bounds|Cannot read properties|is not a function|is not iterable/i;

/** What is wrong with an outcome, or null when it is one of the two acceptable ones. */
export function judge(reader: FuzzReader, source: string, outcome: { error?: unknown }): string | null {
  if (!('error' in outcome)) return null;
  const e = outcome.error;
  if (e instanceof InconsistentRead) return `inconsistent read: ${e.message}`;
  if (!(e instanceof Error)) return `threw a non-Error: ${String(e)}`;
  const head = `${e.constructor.name}: ${e.message.slice(0, 300)}`;
  if (!ALLOWED.has(e.constructor)) return `unexpected error class ${head}`;
  if (ACCIDENTS.test(e.message)) return `accidental error ${head}`;
  if (!reader.prefixes.some((p) => e.message.startsWith(`${p}: `))) return `error not from ${reader.prefixes.join('/')}: ${head}`;
  if (!e.message.includes(source)) return `error does not name the file: ${head}`;
  return null;
}

/** An error message without the file, numbers, quoted values and details: 'parseIdx: is truncated'. */
function errorKind(message: string, source: string): string {
  const [fn, ...rest] = message.replace(`${source}: `, '').replace(source, '').split(': ');
  const what = rest
    .join(': ')
    .replace(/(["'`]).*?\1|\[[^\]]*\]?/g, '…')
    .replace(/0x[0-9a-f]+|[-+]?\d[\d.e+]*|Infinity|NaN/gi, 'N')
    .split(/[;(:,]/)[0]
    .trim();
  return `${fn}: ${what.replace(/[^\x20-\x7e…]/g, '?').slice(0, 80)}`;
}

/** One case: the mutated bytes and the names of the mutations applied. */
export function makeCase(reader: FuzzReader, seeds: readonly Uint8Array[], rng: Rng): { bytes: Uint8Array; mutations: string[] } {
  const mutations: string[] = [];
  const seedIndex = rng.int(seeds.length);
  let raw = seeds[seedIndex];
  mutations.push(`seed ${seedIndex}`);
  const editFirst = rng.uniform() < 0.5;
  if (editFirst) {
    for (let k = 1 + rng.int(2); k > 0; k--) {
      const e = rng.int(reader.edits.length);
      raw = reader.edits[e](raw, rng);
      mutations.push(`edit ${e}`);
    }
  }
  let bytes = reader.encode ? reader.encode(raw, rng) : raw;
  const pool = [...GENERIC_NAMES.map((n) => [n, GENERIC[n]] as const), ...(reader.extra ?? []).map((m, i) => [`extra ${i}`, m] as const)];
  if (!editFirst || rng.uniform() < 0.3) {
    for (let k = 1 + rng.int(3); k > 0; k--) {
      const [name, m] = pool[rng.int(pool.length)];
      bytes = m(bytes, rng);
      mutations.push(name);
    }
  }
  return { bytes, mutations };
}

/** Runs `cases` cases of one reader from `seed`; `only` replays a single case index. */
export function runFuzz(reader: FuzzReader, opts: { cases: number; seed: number; only?: number; slowMs?: number }): FuzzReport {
  const rng = new Rng(opts.seed);
  const seeds = reader.seeds(new Rng(opts.seed + 1));
  const slowMs = opts.slowMs ?? 2000;
  const kinds = new Map<string, number>();
  const failures: FuzzFailure[] = [];
  let reads = 0;
  let errors = 0;
  let slowest = 0;
  const last = opts.only ?? opts.cases - 1;
  for (let index = 0; index <= last; index++) {
    const { bytes, mutations } = makeCase(reader, seeds, rng);
    if (opts.only !== undefined && index !== opts.only) continue;
    const source = `fuzz/${reader.name}-${opts.seed}-${index}.bin`;
    const started = performance.now();
    let outcome: { error?: unknown } = {};
    try {
      reader.read(bytes, source);
      reads++;
    } catch (error) {
      outcome = { error };
      errors++;
    }
    const ms = performance.now() - started;
    slowest = Math.max(slowest, ms);
    let problem = judge(reader, source, outcome);
    if (problem === null && ms > slowMs) problem = `took ${ms.toFixed(0)} ms`;
    if (problem !== null) failures.push({ reader: reader.name, seed: opts.seed, index, source, mutations, problem, bytes });
    else if ('error' in outcome) {
      const kind = errorKind((outcome.error as Error).message, source);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
  }
  return { reader: reader.name, cases: last + 1, reads, errors, kinds, failures, slowestMs: slowest };
}
