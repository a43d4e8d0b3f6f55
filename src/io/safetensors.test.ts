import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors, type SafeTensor, type SafetensorsDtype } from './safetensors.js';

const fixtureDir = new URL('../../test/fixtures/safetensors/', import.meta.url);

interface ReferenceTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data_offsets: [number, number];
  values: (number | string)[];
  hex: string;
}
interface Reference {
  header_length: number;
  metadata: Record<string, string>;
  tensors: ReferenceTensor[];
}

const reference = JSON.parse(readFileSync(new URL('reference.json', fixtureDir), 'utf8')) as Reference;
const referenceBytes = new Uint8Array(readFileSync(new URL('reference.safetensors', fixtureDir)));

function toNumber(v: number | string): number {
  return typeof v === 'number' ? v : Number(v); // "NaN", "Infinity", "-Infinity"
}

/** Builds the tensor a reference entry describes, from its values (not its bytes). */
function fromValues(t: ReferenceTensor): SafeTensor {
  switch (t.dtype) {
    case 'F32':
      return { dtype: 'F32', shape: t.shape, data: Float32Array.from(t.values, toNumber) };
    case 'F64':
      return { dtype: 'F64', shape: t.shape, data: Float64Array.from(t.values, toNumber) };
    case 'I32':
      return { dtype: 'I32', shape: t.shape, data: Int32Array.from(t.values, toNumber) };
    case 'I64':
      return { dtype: 'I64', shape: t.shape, data: BigInt64Array.from(t.values, (v) => BigInt(v)) };
    case 'U8':
      return { dtype: 'U8', shape: t.shape, data: Uint8Array.from(t.values, toNumber) };
  }
}

function hex(data: SafeTensor['data']): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
}

/** A file from a raw header (object or exact text, no padding added) and a data buffer. */
function craft(header: object | string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (name: string, shape: number[], values: number[]): [string, SafeTensor] => [name, { dtype: 'F32', shape, data: Float32Array.from(values) }];

describe('the reference file written by scripts/fixtures/make_safetensors.py', () => {
  test('decodes to the expected metadata, dtypes, shapes and bit-exact values', () => {
    const file = decodeSafetensors(referenceBytes);
    assert.deepEqual(file.metadata, reference.metadata);
    assert.deepEqual(Object.keys(file.tensors).sort(), reference.tensors.map((t) => t.name).sort());
    for (const want of reference.tensors) {
      const got = file.tensors[want.name];
      assert.equal(got.dtype, want.dtype, want.name);
      assert.deepEqual(got.shape, want.shape, want.name);
      assert.equal(hex(got.data), want.hex, want.name);
      const values = Array.from(got.data as ArrayLike<number | bigint>, (v) => (typeof v === 'bigint' ? v.toString() : v));
      const expected = want.dtype === 'I64' ? want.values : want.values.map(toNumber);
      // Object.is tells -0 from 0 and accepts NaN = NaN.
      values.forEach((v, i) => assert.ok(Object.is(v, expected[i]), `${want.name}[${i}]: ${String(v)} ≠ ${String(expected[i])}`));
    }
    assert.ok(Object.is(file.tensors['0.bias'].data[0], -0));
    assert.equal(file.tensors['counts'].data[1], -(2n ** 63n));
  });

  test('our encoder reproduces its bytes exactly, whatever the input order', () => {
    const shuffled = [...reference.tensors].reverse();
    const tensors = Object.fromEntries(shuffled.map((t) => [t.name, fromValues(t)]));
    const metadata = Object.fromEntries(Object.entries(reference.metadata).reverse());
    const bytes = encodeSafetensors(tensors, metadata);
    assert.equal(bytes.length, referenceBytes.length);
    assert.deepEqual(Buffer.from(bytes), Buffer.from(referenceBytes));
  });
});

describe('encodeSafetensors follows the reference library byte for byte', () => {
  // The expected files below are the reference library's own serialization test vectors.
  test('one F32 tensor whose header needs no padding', () => {
    const out = encodeSafetensors(Object.fromEntries([f32('attn.0', [1, 2, 3], [0, 1, 2, 3, 4, 5])]));
    const json = '{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}';
    assert.equal(json.length, 64);
    assert.deepEqual([...out.subarray(0, 8)], [64, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(Buffer.from(out.subarray(8, 72)).toString(), json);
    assert.deepEqual([...out.subarray(72)], [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64]);
  });

  test('a header padded with spaces to a multiple of 8', () => {
    const out = encodeSafetensors(Object.fromEntries([f32('attn0', [1, 1, 2, 3], [0, 1, 2, 3, 4, 5])]));
    assert.deepEqual([...out.subarray(0, 8)], [72, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(Buffer.from(out.subarray(8, 80)).toString(), '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ');
    assert.equal(out.length, 8 + 72 + 24);
  });

  test('no tensors, with and without metadata', () => {
    assert.deepEqual([...encodeSafetensors({})], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const out = encodeSafetensors({}, { framework: 'pt' });
    assert.deepEqual([...out.subarray(0, 8)], [40, 0, 0, 0, 0, 0, 0, 0]);
    assert.equal(Buffer.from(out.subarray(8)).toString(), '{"__metadata__":{"framework":"pt"}}     ');
  });

  test('tensors are ordered by dtype (I64, F64, F32, I32, U8) and then by name', () => {
    const out = encodeSafetensors({
      b: { dtype: 'U8', shape: [1], data: Uint8Array.of(1) },
      a: { dtype: 'I32', shape: [1], data: Int32Array.of(1) },
      d: { dtype: 'F32', shape: [1], data: Float32Array.of(1) },
      c: { dtype: 'F32', shape: [1], data: Float32Array.of(1) },
      e: { dtype: 'F64', shape: [1], data: Float64Array.of(1) },
      f: { dtype: 'I64', shape: [1], data: BigInt64Array.of(1n) },
    });
    const header = JSON.parse(Buffer.from(out.subarray(8, 8 + Number(new DataView(out.buffer).getBigUint64(0, true)))).toString()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(header), ['f', 'e', 'c', 'd', 'a', 'b']);
  });
});

describe('round trips', () => {
  test('every dtype, a scalar, an empty tensor and special floats survive encode → decode', () => {
    const tensors: Record<string, SafeTensor> = {
      w: { dtype: 'F32', shape: [2, 2], data: Float32Array.of(-0, NaN, Infinity, 1.5) },
      d: { dtype: 'F64', shape: [], data: Float64Array.of(Math.E) },
      i: { dtype: 'I32', shape: [3], data: Int32Array.of(-5, 0, 2 ** 31 - 1) },
      l: { dtype: 'I64', shape: [2], data: BigInt64Array.of(2n ** 63n - 1n, -3n) },
      u: { dtype: 'U8', shape: [0, 4], data: new Uint8Array(0) },
    };
    const back = decodeSafetensors(encodeSafetensors(tensors, { note: 'x' }));
    assert.deepEqual(back.metadata, { note: 'x' });
    assert.deepEqual(back.tensors, tensors);
  });

  test('a file without metadata decodes with metadata null', () => {
    assert.equal(decodeSafetensors(encodeSafetensors(Object.fromEntries([f32('a', [1], [1])]))).metadata, null);
  });

  test('a tensor named __proto__ is an ordinary entry, not a prototype change', () => {
    const back = decodeSafetensors(encodeSafetensors(Object.fromEntries([f32('__proto__', [1], [3])])));
    assert.ok(Object.hasOwn(back.tensors, '__proto__'));
    assert.equal(Object.getPrototypeOf(back.tensors), Object.prototype);
    assert.deepEqual([...back.tensors['__proto__'].data], [3]);
  });

  test('a header from another writer with no padding still yields correct, aligned arrays', () => {
    // A 55-byte header: the data starts at file offset 63, which no Float64Array view can use.
    const header = '{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,16]}}';
    assert.equal(header.length, 55);
    const bytes = craft(header, new Uint8Array(Float64Array.of(0.1, -2).buffer));
    const t = decodeSafetensors(bytes).tensors['a'];
    assert.deepEqual([...t.data], [0.1, -2]);
    assert.equal(t.data.byteOffset % 8, 0);
  });

  test('the decoded arrays are copies: changing them does not change the input bytes', () => {
    const bytes = encodeSafetensors(Object.fromEntries([f32('a', [2], [1, 2])]));
    const before = Buffer.from(bytes);
    decodeSafetensors(bytes).tensors['a'].data[0] = 42;
    assert.deepEqual(Buffer.from(bytes), before);
  });

  test('writeSafetensors and readSafetensors go through a file; read errors name the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latentlab-st-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const p = join(dir, 'w.safetensors');
    const tensors = Object.fromEntries([f32('x', [3], [1, 2, 3])]);
    writeSafetensors(p, tensors, { a: 'b' });
    assert.deepEqual(readSafetensors(p), { tensors, metadata: { a: 'b' } });
    writeFileSync(p, readFileSync(p).subarray(0, 30));
    assert.throws(() => readSafetensors(p), new RegExp(`decodeSafetensors: ${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: header length \\d+ exceeds`));
  });
});

describe('encodeSafetensors refuses bad input', () => {
  test('data of the wrong kind or length, bad shapes, unknown dtypes, reserved names, non-string metadata', () => {
    const bad = (t: unknown): Record<string, SafeTensor> => ({ t: t as SafeTensor });
    assert.throws(
      () => encodeSafetensors(bad({ dtype: 'F32', shape: [2], data: Float64Array.of(1, 2) })),
      /encodeSafetensors: tensor "t": dtype F32 needs its data in a Float32Array, got Float64Array/,
    );
    assert.throws(
      () => encodeSafetensors(bad({ dtype: 'F32', shape: [2, 2], data: Float32Array.of(1, 2) })),
      /encodeSafetensors: tensor "t": shape \[2, 2\] needs 4 values, got 2/,
    );
    assert.throws(
      () => encodeSafetensors(bad({ dtype: 'F32', shape: [-1], data: new Float32Array(0) })),
      /encodeSafetensors: tensor "t": expected shape to be an array of non-negative integers, got \[-1\]/,
    );
    assert.throws(
      () => encodeSafetensors(bad({ dtype: 'F16', shape: [1], data: new Uint16Array(1) })),
      /encodeSafetensors: tensor "t": unsupported dtype "F16"; expected one of/,
    );
    assert.throws(() => encodeSafetensors(Object.fromEntries([f32('__metadata__', [1], [1])])), /encodeSafetensors: "__metadata__" is reserved/);
    assert.throws(() => encodeSafetensors({}, { epoch: 3 as unknown as string }), /encodeSafetensors: metadata "epoch": expected a string value, got number 3/);
  });
});

describe('decodeSafetensors refuses damaged or invalid files with a clear reason', () => {
  const good = encodeSafetensors(Object.fromEntries([f32('a', [2], [1, 2]), f32('b', [1], [3])]));
  const data = (n: number): Uint8Array => new Uint8Array(n);
  const entry = (dtype: string, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });

  test('files too short to hold a header length', () => {
    assert.throws(() => decodeSafetensors(good.subarray(0, 5)), /decodeSafetensors: file is 5 bytes, too short for the 8-byte header length/);
  });

  test('a damaged header length: too small, beyond 100 MB, or beyond the file', () => {
    const tiny = craft('{', data(0));
    assert.throws(() => decodeSafetensors(tiny), /header length 1 is too small/);
    const flippedHigh = good.slice();
    flippedHigh[7] ^= 0x80; // the top byte of the u64
    assert.throws(() => decodeSafetensors(flippedHigh), /header length 9223372036854775\d+ exceeds the 100000000-byte limit/);
    const flippedLow = good.slice();
    flippedLow[1] ^= 0x01; // +256 bytes: past the end of this small file
    assert.throws(() => decodeSafetensors(flippedLow), /header length \d+ exceeds the \d+ bytes that follow it \(truncated or damaged file\)/);
    const shorter = good.slice();
    shorter[0] -= 8; // the header now ends inside the JSON
    assert.throws(() => decodeSafetensors(shorter), /header is not valid JSON/);
  });

  test('a file truncated inside its data', () => {
    assert.throws(
      () => decodeSafetensors(good.subarray(0, good.length - 2)),
      /tensor "b": data_offsets \[8, 12\] reach past the end of the 10-byte data buffer \(truncated file\?\)/,
    );
  });

  test('headers that are not UTF-8, not JSON, or not an object', () => {
    const latin1 = craft('{"a":1}', data(0));
    latin1[10] = 0xff;
    assert.throws(() => decodeSafetensors(latin1), /header is not valid UTF-8/);
    assert.throws(() => decodeSafetensors(craft('{"a": ', data(0))), /header is not valid JSON: /);
    assert.throws(() => decodeSafetensors(craft('[1, 2]  ', data(0))), /header does not start with "\{" \(got "\[1, 2\] {2}"\)/);
  });

  test('overlapping offsets, holes and trailing bytes', () => {
    assert.throws(
      () => decodeSafetensors(craft({ a: entry('F32', [2], [0, 8]), b: entry('F32', [2], [4, 12]) }, data(12))),
      /tensor "b": data_offsets \[4, 12\] overlap tensor "a" at \[0, 8\]/,
    );
    assert.throws(
      () => decodeSafetensors(craft({ a: entry('F32', [1], [0, 4]), b: entry('F32', [1], [8, 12]) }, data(12))),
      /data buffer has a hole: bytes \[4, 8\) belong to no tensor \(next is "b"\)/,
    );
    assert.throws(
      () => decodeSafetensors(craft({ a: entry('F32', [1], [0, 4]) }, data(7))),
      /tensors cover 4 bytes but the data buffer has 7 \(3 trailing bytes\)/,
    );
    assert.throws(() => decodeSafetensors(craft({ a: entry('F32', [1], [4, 8]) }, data(8))), /hole: bytes \[0, 4\)/);
  });

  test('a shape that does not match the offsets', () => {
    assert.throws(
      () => decodeSafetensors(craft({ w: entry('F32', [2, 3], [0, 20]) }, data(20))),
      /decodeSafetensors: tensor "w": shape \[2, 3\] of F32 needs 24 bytes but data_offsets \[0, 20\] span 20/,
    );
  });

  test('unknown and unsupported dtypes', () => {
    assert.throws(
      () => decodeSafetensors(craft({ w: entry('Q8', [1], [0, 1]) }, data(1))),
      /tensor "w": unknown dtype "Q8"; expected one of U8, I32, F32, F64, I64/,
    );
    assert.throws(() => decodeSafetensors(craft({ w: entry('F16', [1], [0, 2]) }, data(2))), /tensor "w": unsupported dtype F16; latentlab reads/);
    assert.throws(() => decodeSafetensors(craft({ w: entry('BF16', [1], [0, 2]) }, data(2))), /tensor "w": unsupported dtype BF16/);
  });

  test('malformed entries: shapes, offsets, extra fields, metadata values', () => {
    assert.throws(
      () => decodeSafetensors(craft({ w: entry('F32', [1.5], [0, 4]) }, data(4))),
      /tensor "w": expected shape to be an array of non-negative integers, got \[1.5\]/,
    );
    assert.throws(() => decodeSafetensors(craft({ w: entry('F32', '3', [0, 4]) }, data(4))), /tensor "w": expected shape to be an array/);
    assert.throws(
      () => decodeSafetensors(craft({ w: entry('F32', [1], [0, 4, 8]) }, data(4))),
      /tensor "w": expected data_offsets to be \[begin, end\] with non-negative integers, got \[0,4,8\]/,
    );
    assert.throws(() => decodeSafetensors(craft({ w: entry('F32', [1], [-4, 0]) }, data(4))), /expected data_offsets to be \[begin, end\]/);
    assert.throws(() => decodeSafetensors(craft({ w: entry('F32', [0], [4, 0]) }, data(4))), /tensor "w": data_offsets \[4, 0\] end before they begin/);
    assert.throws(() => decodeSafetensors(craft({ w: { ...entry('F32', [1], [0, 4]), order: 'F' } }, data(4))), /tensor "w": unexpected field "order"/);
    assert.throws(() => decodeSafetensors(craft({ w: [1] }, data(0))), /tensor "w": expected an object \{dtype, shape, data_offsets\}, got \[1\]/);
    assert.throws(() => decodeSafetensors(craft({ __metadata__: { step: 3 } }, data(0))), /"__metadata__"."step": expected a string value, got 3/);
    assert.throws(() => decodeSafetensors(craft({ __metadata__: ['x'] }, data(0))), /"__metadata__" must be an object of strings/);
  });

  test('a header nested far deeper than any valid one is refused, naming the file, without exhausting the stack', () => {
    for (const depth of [9, 3000, 100_000]) {
      const header = `{"w":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      assert.throws(
        () => decodeSafetensors(craft(header, data(0)), 'deep.safetensors'),
        (e: Error) => e instanceof RangeError && /^decodeSafetensors: deep\.safetensors: header nests objects\/arrays more than 8 deep/.test(e.message),
        `depth ${depth}`,
      );
    }
    // Brackets inside strings do not count; eight levels still get the specific complaint.
    assert.throws(() => decodeSafetensors(craft({ w: { ...entry('F32', [1], [0, 4]), '[[[[[[[[[': 1 } }, data(4))), /unexpected field "\[\[\[\[\[\[\[\[\["/);
    assert.throws(
      () => decodeSafetensors(craft({ w: [[[[[[[1]]]]]]] }, data(0))),
      /tensor "w": expected an object \{dtype, shape, data_offsets\}, got \[\[\[\[\[\[\[1\]\]\]\]\]\]\]/,
    );
  });

  test('values quoted in errors are cut short, however large the damaged header', () => {
    const shape = new Array<number>(100_000).fill(1.5);
    assert.throws(
      () => decodeSafetensors(craft({ w: entry('F32', shape, [0, 4]) }, data(4)), 'big.safetensors'),
      (e: Error) => e.message.startsWith('decodeSafetensors: big.safetensors: tensor "w": expected shape') && e.message.length < 400,
    );
  });

  test('what the reference accepts is accepted: "__metadata__": null and an empty file', () => {
    assert.deepEqual(decodeSafetensors(craft({ __metadata__: null }, data(0))), { tensors: {}, metadata: null });
    assert.deepEqual(decodeSafetensors(craft('{}', data(0))), { tensors: {}, metadata: null });
  });
});
