/**
 * The native convGemm / convGemmBackward on small maps (outH·outW < 128), where each block of images
 * is multiplied as one matrix (native/conv.cc): the same bits on 1, 2 and 3 threads; the forward and
 * input gradient of an image the same bits whatever batch it is in; and agreement with the js backend
 * (per image, the reference) within float32 error bounds. Geometries: 4×4 and 2×2 outputs of stride-2
 * 3×3 convolutions with padding 1, odd and non-square sizes, a 1×1 convolution, a stride-1 'same' one,
 * dilation with asymmetric strides, and one map of 144 pixels (the per-image path). Batches of 1 to 130
 * images, not multiples of the blocks; with and without accumulation into the outputs.
 *
 * Tolerances: a float32 sum of n products, in any order, is within γ_n·Σ|products| of the exact value
 * (Higham, §3.1, γ_n = n·u/(1 − n·u), u = 2⁻²⁴), so two such sums are within 2·γ_n·Σ|products| of each
 * other; Σ|products| is the js backend's result on the absolute values of the operands.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../src/random.js';
import type { ConvGeometry } from '../src/tensor/backend.js';
import { backend, withBackend } from '../src/tensor/registry.js';

const U = 2 ** -24;
const gamma = (n: number): number => (n * U) / (1 - n * U);

/** A geometry with symmetric padding: outH, outW as PyTorch computes them. */
function geometry(
  channels: number,
  height: number,
  width: number,
  k: [number, number],
  stride: [number, number],
  pad: [number, number],
  dilation: [number, number] = [1, 1],
): ConvGeometry {
  const out = (size: number, i: 0 | 1): number => Math.floor((size + 2 * pad[i] - dilation[i] * (k[i] - 1) - 1) / stride[i]) + 1;
  return {
    channels,
    height,
    width,
    kernelH: k[0],
    kernelW: k[1],
    strideH: stride[0],
    strideW: stride[1],
    padTop: pad[0],
    padLeft: pad[1],
    dilationH: dilation[0],
    dilationW: dilation[1],
    outH: out(height, 0),
    outW: out(width, 1),
  };
}

interface Case {
  name: string;
  g: ConvGeometry;
  /** Output channels (rows of w). */
  m: number;
}

const CASES: Case[] = [
  { name: '5 channels 7×7 → 4×4 (3×3, stride 2, padding 1)', g: geometry(5, 7, 7, [3, 3], [2, 2], [1, 1]), m: 20 },
  { name: '6 channels 4×4 → 2×2 (3×3, stride 2, padding 1)', g: geometry(6, 4, 4, [3, 3], [2, 2], [1, 1]), m: 20 },
  { name: '3 channels 5×3 → 3×2 (3×3, stride 2, padding 1)', g: geometry(3, 5, 3, [3, 3], [2, 2], [1, 1]), m: 9 },
  { name: '4 channels 3×3, 1×1 kernel', g: geometry(4, 3, 3, [1, 1], [1, 1], [0, 0]), m: 17 },
  { name: "3 channels 6×5, 3×3 'same' (stride 1)", g: geometry(3, 6, 5, [3, 3], [1, 1], [1, 1]), m: 20 },
  { name: '2 channels 9×8, 3×2 kernel, stride 2×3, padding 1×2, dilation 2×1', g: geometry(2, 9, 8, [3, 2], [2, 3], [1, 2], [2, 1]), m: 20 },
  { name: '2 channels 12×12, 3×3 stride 1 (144 pixels: one image per GEMM)', g: geometry(2, 12, 12, [3, 3], [1, 1], [1, 1]), m: 20 },
];

const BATCHES = [1, 3, 7, 65, 130];
const THREADS = [1, 2, 3];

interface Operands {
  a: Float32Array;
  w: Float32Array;
  d: Float32Array;
  /** Initial values of the outputs (used when accumulating). */
  out: Float32Array;
  dw: Float32Array;
  db: Float32Array;
  da: Float32Array;
}

interface Results {
  out: Float32Array;
  dw: Float32Array;
  db: Float32Array;
  da: Float32Array;
}

function sizes(c: Case): { K: number; P: number; image: number } {
  const { g } = c;
  return { K: g.channels * g.kernelH * g.kernelW, P: g.outH * g.outW, image: g.channels * g.height * g.width };
}

function operands(c: Case, images: number, rng: Rng): Operands {
  const { K, P, image } = sizes(c);
  const r = (n: number): Float32Array => rng.fillUniform(new Float32Array(n), -1, 1);
  return { a: r(images * image), w: r(c.m * K), d: r(images * c.m * P), out: r(images * c.m * P), dw: r(c.m * K), db: r(c.m), da: r(images * image) };
}

const abs = (o: Operands): Operands => ({
  a: o.a.map(Math.abs),
  w: o.w.map(Math.abs),
  d: o.d.map(Math.abs),
  out: o.out.map(Math.abs),
  dw: o.dw.map(Math.abs),
  db: o.db.map(Math.abs),
  da: o.da.map(Math.abs),
});

/** convGemm and convGemmBackward (every gradient) on the backend in use. */
function run(c: Case, images: number, o: Operands, accumulate: boolean): Results {
  const be = backend();
  const r: Results = { out: o.out.slice(), dw: o.dw.slice(), db: o.db.slice(), da: o.da.slice() };
  be.convGemm(o.a, images, c.g, o.w, c.m, r.out, accumulate);
  be.convGemmBackward(o.a, o.d, images, c.g, o.w, c.m, r.dw, accumulate, r.db, accumulate, r.da, accumulate);
  return r;
}

function onThreads<T>(threads: number, fn: () => T): T {
  return withBackend('native', () => {
    const be = backend();
    const before = be.info().threads;
    be.setThreads(threads);
    try {
      return fn();
    } finally {
      be.setThreads(before);
    }
  });
}

function assertWithin(what: string, js: Float32Array, native: Float32Array, magnitudes: Float32Array, terms: number): void {
  assert.equal(native.length, js.length);
  for (let i = 0; i < js.length; i++) {
    const bound = 2 * gamma(terms) * magnitudes[i];
    assert.ok(Math.abs(js[i] - native[i]) <= bound, `${what}[${i}]: js ${js[i]} vs native ${native[i]} (bound ${bound.toExponential(2)})`);
  }
}

for (const c of CASES) {
  describe(`native convGemm / convGemmBackward, ${c.name}`, () => {
    for (const images of BATCHES) {
      test(`${images} image${images === 1 ? '' : 's'}: the same bits on ${THREADS.join(', ')} threads, within float32 bounds of the js backend`, () => {
        const { K, P } = sizes(c);
        const taps = c.g.kernelH * c.g.kernelW;
        const o = operands(c, images, new Rng(images));
        for (const accumulate of [false, true]) {
          const [first, ...others] = THREADS.map((t) => onThreads(t, () => run(c, images, o, accumulate)));
          others.forEach((r, i) => {
            for (const key of ['out', 'dw', 'db', 'da'] as const) {
              assert.deepEqual(r[key], first[key], `${key} on ${THREADS[i + 1]} threads (accumulate ${accumulate})`);
            }
          });
          const js = withBackend('js', () => run(c, images, o, accumulate));
          const s = withBackend('js', () => run(c, images, abs(o), accumulate));
          const extra = accumulate ? 1 : 0;
          assertWithin(`out (accumulate ${accumulate})`, js.out, first.out, s.out, K + extra);
          assertWithin(`dw (accumulate ${accumulate})`, js.dw, first.dw, s.dw, images * P + extra);
          assertWithin(`db (accumulate ${accumulate})`, js.db, first.db, s.db, images * P + extra);
          // a pixel's gradient: up to `taps` column entries, each a sum of m products
          assertWithin(`da (accumulate ${accumulate})`, js.da, first.da, s.da, c.m * taps + extra);
        }
      });
    }

    test("an image's output and input gradient do not depend on the rest of its batch", () => {
      const { P, image } = sizes(c);
      const o = operands(c, 7, new Rng(99));
      onThreads(2, () => {
        const whole = run(c, 7, o, true);
        // the same 7 images in calls of 3, 3 and 1
        for (const [from, to] of [
          [0, 3],
          [3, 6],
          [6, 7],
        ]) {
          const n = to - from;
          const part: Operands = {
            ...o,
            a: o.a.subarray(from * image, to * image),
            d: o.d.subarray(from * c.m * P, to * c.m * P),
            out: o.out.subarray(from * c.m * P, to * c.m * P),
            da: o.da.subarray(from * image, to * image),
          };
          const r = run(c, n, part, true);
          assert.deepEqual(r.out, whole.out.subarray(from * c.m * P, to * c.m * P), `out of images ${from}…${to - 1}`);
          assert.deepEqual(r.da, whole.da.subarray(from * image, to * image), `da of images ${from}…${to - 1}`);
        }
      });
    });
  });
}
