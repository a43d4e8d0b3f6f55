import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Tensor } from '../tensor/tensor.js';
import { encodeNpy, npyFromTensor, parseNpy, readNpy, tensorFromNpy, writeNpy, type NpyArray } from './npy.js';

// Written by numpy: scripts/fixtures/make_npy.py.
const FIXTURES = fileURLToPath(new URL('../../test/fixtures/npy/', import.meta.url));

interface Case {
  file: string;
  note: string;
  version?: [number, number];
  byte_order?: 'little' | 'big';
  dtype?: string;
  shape?: number[];
  data?: (number | string)[];
  error?: string;
}

const cases = (JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as { cases: Case[] }).cases;
const readable = cases.filter((c) => c.error === undefined);

function expectedValues(c: Case): unknown[] {
  return (c.data ?? []).map((v) => {
    if (c.dtype === 'i8') return BigInt(v);
    if (v === 'nan') return NaN;
    if (v === 'inf') return Infinity;
    if (v === '-inf') return -Infinity;
    return v;
  });
}

/** A hand-made .npy file: magic, version, header length, header text, data bytes. */
function npyBytes(header: string, data: number[] | Uint8Array = [], major = 1): Uint8Array {
  const h = new TextEncoder().encode(header);
  const prefix = major === 1 ? 10 : 12;
  const out = new Uint8Array(prefix + h.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const v = new DataView(out.buffer);
  if (major === 1) v.setUint16(8, h.length, true);
  else v.setUint32(8, h.length, true);
  out.set(h, prefix);
  out.set(data, prefix + h.length);
  return out;
}

const F4_2 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n";

test('the fixtures cover every supported dtype, both byte orders, all three versions, 0-d and empty arrays', () => {
  const dtypes = new Set(readable.map((c) => c.dtype));
  assert.deepEqual([...dtypes].sort(), ['f4', 'f8', 'i4', 'i8', 'u1']);
  assert.ok(readable.some((c) => c.byte_order === 'big'));
  assert.deepEqual([...new Set(readable.map((c) => c.version?.[0]))].sort(), [1, 2, 3]);
  assert.ok(readable.some((c) => c.shape?.length === 0));
  assert.ok(readable.some((c) => c.shape?.includes(0)));
});

for (const c of readable) {
  test(`reads numpy's ${c.file} (${c.note}) with numpy's dtype, shape and values`, () => {
    const a = readNpy(join(FIXTURES, c.file));
    assert.equal(a.dtype, c.dtype);
    assert.deepEqual(a.shape, c.shape);
    const Ctor = { u1: Uint8Array, i4: Int32Array, i8: BigInt64Array, f4: Float32Array, f8: Float64Array }[a.dtype];
    assert.ok(a.data instanceof Ctor, `data is a ${a.data.constructor.name}`);
    assert.deepEqual(Array.from(a.data as ArrayLike<unknown>), expectedValues(c));
  });
}

test('numpy arrays that cannot be read as plain C-order numbers are refused with the reason', () => {
  for (const c of cases.filter((k) => k.error !== undefined)) {
    assert.throws(
      () => readNpy(join(FIXTURES, c.file)),
      (e: Error) => e.message.startsWith('parseNpy: ') && e.message.includes(c.error as string),
      c.file,
    );
  }
  assert.throws(() => readNpy(join(FIXTURES, 'fortran-f4-2x3.npy')), /save with np\.ascontiguousarray/);
});

test('encodeNpy reproduces numpy’s bytes exactly for every little-endian version 1.0 fixture', () => {
  const v1 = readable.filter((c) => c.version?.[0] === 1 && c.byte_order === 'little');
  assert.ok(v1.length >= 7);
  for (const c of v1) {
    const bytes = readFileSync(join(FIXTURES, c.file));
    assert.deepEqual(Buffer.from(encodeNpy(parseNpy(bytes, c.file))), bytes, c.file);
  }
});

test('big-endian and version 2.0/3.0 fixtures re-encode as little-endian 1.0 files with the same values', () => {
  for (const c of readable.filter((k) => k.version?.[0] !== 1 || k.byte_order === 'big')) {
    const a = readNpy(join(FIXTURES, c.file));
    const bytes = encodeNpy(a);
    assert.equal(bytes[6], 1, c.file);
    assert.equal(new TextDecoder().decode(bytes.subarray(10, 20)), `{'descr': `);
    assert.ok(!new TextDecoder().decode(bytes.subarray(0, 128)).includes("'>"), c.file);
    const b = parseNpy(bytes);
    assert.deepEqual(b.shape, a.shape);
    assert.deepEqual(Array.from(b.data as ArrayLike<unknown>), expectedValues(c));
  }
});

test('encoded data always starts on a multiple of 64 bytes and the header ends with a newline', () => {
  for (const shape of [[], [0], [1], [7], [3, 5], [123456789, 0], [2, 1, 3, 1, 2], [0, 99999999999]]) {
    const size = shape.reduce((p, d) => p * d, 1);
    const bytes = encodeNpy({ dtype: 'f8', shape, data: new Float64Array(size) });
    const hlen = bytes[8] | (bytes[9] << 8);
    assert.equal((10 + hlen) % 64, 0, `shape [${shape.join(',')}]`);
    assert.equal(bytes[10 + hlen - 1], 0x0a);
    assert.equal(bytes.length, 10 + hlen + 8 * size);
    assert.deepEqual(parseNpy(bytes).shape, shape);
  }
});

test('a header longer than 65535 bytes switches encodeNpy to format 2.0, which parseNpy reads back', () => {
  const shape = new Array<number>(25000).fill(1);
  const bytes = encodeNpy({ dtype: 'i4', shape, data: new Int32Array([-7]) });
  assert.equal(bytes[6], 2);
  const hlen = new DataView(bytes.buffer).getUint32(8, true);
  assert.ok(hlen > 0xffff);
  assert.equal((12 + hlen) % 64, 0);
  const a = parseNpy(bytes);
  assert.equal(a.shape.length, 25000);
  assert.deepEqual([...a.data], [-7]);
});

test('0-d and empty arrays round-trip through encodeNpy and parseNpy', () => {
  const scalar = parseNpy(encodeNpy({ dtype: 'f8', shape: [], data: new Float64Array([-0.25]) }));
  assert.deepEqual(scalar.shape, []);
  assert.deepEqual([...scalar.data], [-0.25]);
  const empty = parseNpy(encodeNpy({ dtype: 'u1', shape: [3, 0, 2], data: new Uint8Array(0) }));
  assert.deepEqual(empty.shape, [3, 0, 2]);
  assert.equal(empty.data.length, 0);
});

test('parseNpy copies the data, so unaligned input and later changes to the input do not matter', () => {
  const raw = encodeNpy({ dtype: 'f8', shape: [2], data: new Float64Array([1.5, -2]) });
  const shifted = new Uint8Array(raw.length + 3);
  shifted.set(raw, 3);
  const input = shifted.subarray(3);
  const a = parseNpy(input);
  input.fill(0);
  assert.deepEqual([...a.data], [1.5, -2]);
  assert.equal(a.data.byteOffset, 0);
});

test('parseNpy accepts any header padding, double-quoted strings and Python 2 long integers', () => {
  const a = parseNpy(npyBytes(`{"shape": (2L,), "fortran_order": False, "descr": "<i4"}`, [1, 0, 0, 0, 2, 0, 0, 0]));
  assert.deepEqual(a.shape, [2]);
  assert.deepEqual([...a.data], [1, 2]);
});

test('fortran_order True is accepted when C and Fortran order are the same bytes (at most one axis > 1)', () => {
  const a = parseNpy(npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 2), }", new Uint8Array(new Float32Array([3, 4]).buffer)));
  assert.deepEqual([...a.data], [3, 4]);
});

test('damaged or unsupported .npy bytes are refused with an error naming the file and the problem', () => {
  const data8 = new Uint8Array(8);
  const bad: [Uint8Array, RegExp][] = [
    [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 0, 0]), /parseNpy: f\.npy starts with bytes \[89 50 4e 47 00 00\]; expected the magic string/],
    [new Uint8Array([0x93, 0x4e]), /expected the magic string/],
    [npyBytes(F4_2, data8, 1).map((b, i) => (i === 6 ? 4 : b)), /format version 4\.0; supported: 1\.0, 2\.0, 3\.0/],
    [npyBytes(F4_2, data8).subarray(0, 9), /truncated: 9 bytes, the version 1\.0 header length field ends at byte 10/],
    [npyBytes(F4_2, data8).subarray(0, 40), /truncated inside its header: the header needs 68 bytes, the file has 40/],
    [npyBytes('[1, 2]\n'), /header that is a list, not a dict/],
    [npyBytes("{'descr': '<f4', 'shape': (2,)}"), /header keys \['descr', 'shape'\]; expected exactly 'descr', 'fortran_order', 'shape'/],
    [npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}"), /header keys \['descr', 'fortran_order', 'shape', 'x'\]/],
    [npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)"), /not a Python literal \(expected ',' or '}'/],
    [npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(16)), /dtype '<c8' \(complex64\); supported: u1, i4, i8, f4, f8/],
    [npyBytes("{'descr': '<u2', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(4)), /dtype '<u2' \(uint16\); supported/],
    [npyBytes("{'descr': '|O', 'fortran_order': False, 'shape': (2,), }"), /dtype '\|O': object arrays are not supported/],
    [npyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }"), /structured array/],
    [npyBytes("{'descr': '|f4', 'fortran_order': False, 'shape': (2,), }", data8), /byte order '\|' is only valid for 1-byte types/],
    [
      npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new Uint8Array(16)),
      /Fortran-order arrays are not supported; save with np\.ascontiguousarray/,
    ],
    [npyBytes("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", data8), /fortran_order number 0; expected True or False/],
    [npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", data8), /shape a list; expected a tuple of integers/],
    [npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }", data8), /shape \[2, -1\]; expected non-negative integers/],
    [npyBytes(F4_2, new Uint8Array(7)), /f\.npy is truncated: shape \[2\] of '<f4' needs 8 data bytes, found 7/],
    [npyBytes(F4_2, new Uint8Array(12)), /f\.npy is oversized: shape \[2\] of '<f4' needs 8 data bytes, found 12/],
    [npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (), }", new Uint8Array(0)), /truncated: shape \[\] of '<i8' needs 8 data bytes, found 0/],
    [npyBytes(F4_2, data8, 3).map((b, i) => (i === 14 ? 0xff : b)), /header that is not valid UTF-8/],
  ];
  for (const [bytes, re] of bad) assert.throws(() => parseNpy(bytes, 'f.npy'), re);
});

test('a header nested thousands deep is refused as damage, naming the file, without exhausting the stack', () => {
  for (const depth of [17, 3000, 100_000]) {
    const header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${'('.repeat(depth)}2,${')'.repeat(depth)}, }\n`;
    assert.throws(
      () => parseNpy(npyBytes(header, new Uint8Array(8), 2), 'deep.npy'),
      /^Error: parseNpy: deep\.npy has a header that is not a Python literal \(nesting deeper than 16 levels at character \d+\)/,
      `depth ${depth}`,
    );
  }
  // Sixteen levels parse (and then fail on the shape, which is not a tuple of integers).
  const sixteen = `{'descr': '<f4', 'fortran_order': False, 'shape': (${'['.repeat(14)}2${']'.repeat(14)},), }`;
  assert.throws(() => parseNpy(npyBytes(sixteen, new Uint8Array(8)), 'f.npy'), /f\.npy has shape a tuple of 1; expected a tuple of integers/);
});

test('a header length beyond the limit is refused before the header is read', () => {
  const bytes = npyBytes(F4_2 + ' '.repeat(2 ** 21), new Uint8Array(8), 2);
  assert.throws(() => parseNpy(bytes, 'big.npy'), /parseNpy: big\.npy declares a \d+-byte header, more than the 1048576-byte limit/);
});

test('encodeNpy refuses data whose type or length does not match dtype and shape', () => {
  assert.throws(
    () => encodeNpy({ dtype: 'f4', shape: [2], data: new Float64Array(2) }),
    /encodeNpy: dtype 'f4' needs data as a Float32Array, got Float64Array/,
  );
  assert.throws(() => encodeNpy({ dtype: 'i4', shape: [2, 3], data: new Int32Array(5) }), /encodeNpy: shape \[2, 3\] needs 6 elements, data has 5/);
  assert.throws(() => encodeNpy({ dtype: 'c8' as 'f4', shape: [1], data: new Float32Array(1) }), /encodeNpy: dtype "c8" is not supported/);
  assert.throws(
    () => encodeNpy({ dtype: 'u1', shape: [1.5], data: new Uint8Array(1) }),
    /encodeNpy: the array has shape \[1\.5\]; expected non-negative integers/,
  );
});

test('writeNpy replaces the file atomically and leaves no temporary file behind', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'latentlab-npy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'a.npy');
  writeFileSync(path, 'old contents');
  const arr: NpyArray = { dtype: 'i8', shape: [2, 2], data: new BigInt64Array([1n, -2n, 2n ** 62n, -(2n ** 63n)]) };
  writeNpy(path, arr);
  assert.deepEqual(readdirSync(dir), ['a.npy']);
  const back = readNpy(path);
  assert.deepEqual(back, { dtype: 'i8', shape: [2, 2], data: arr.data });
  assert.throws(() => writeNpy(join(dir, 'missing', 'b.npy'), arr), /writeNpy: cannot write .*missing.*b\.npy \(ENOENT\)/);
  assert.deepEqual(readdirSync(dir), ['a.npy']);
  assert.throws(() => readNpy(join(dir, 'nope.npy')), /readNpy: cannot read .*nope\.npy \(ENOENT\)/);
});

test('tensors round-trip through npyFromTensor and tensorFromNpy as float32', () => {
  const t = Tensor.from([1, 2.5, -3, 4, 5, 6], [2, 3]);
  const a = npyFromTensor(t);
  assert.equal(a.dtype, 'f4');
  const back = tensorFromNpy(parseNpy(encodeNpy(a)));
  assert.deepEqual(back.shape, [2, 3]);
  assert.deepEqual([...back.data], [1, 2.5, -3, 4, 5, 6]);
});

test('tensorFromNpy converts every integer and float64 dtype to float32 values', () => {
  const u1 = tensorFromNpy({ dtype: 'u1', shape: [3], data: new Uint8Array([0, 128, 255]) });
  assert.deepEqual([...u1.data], [0, 128, 255]);
  const i8 = tensorFromNpy({ dtype: 'i8', shape: [1, 3], data: new BigInt64Array([-5n, 2n ** 40n, 0n]) });
  assert.deepEqual(i8.shape, [1, 3]);
  assert.deepEqual([...i8.data], [-5, 2 ** 40, 0]);
  const f8 = tensorFromNpy({ dtype: 'f8', shape: [2], data: new Float64Array([0.1, 1e40]) });
  assert.ok(f8.data instanceof Float32Array);
  assert.deepEqual([...f8.data], [Math.fround(0.1), Infinity]);
});
