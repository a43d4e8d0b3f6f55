/**
 * Running an exported ONNX model in onnxruntime-node and comparing its outputs with latentlab's.
 *
 * The bound: |onnx − ours| ≤ 1e-5·(1 + |ours|) per value. Both sides compute in float32 (unit
 * roundoff u = 2⁻²⁴ ≈ 6e-8) the same sums of products in a different order (blocked GEMM and
 * convolution kernels, fused or separate bias and activation), so each dot product of length K may
 * differ by a few √K·u relative to Σ|aᵢbᵢ| (Higham's probabilistic bound for sums of independent
 * roundings; K ≤ 784 here gives ≈ 2e-6), and the few layers of the test models add such errors
 * up. The absolute part covers outputs near 0 whose terms cancel; 1e-5 leaves a margin over that
 * estimate without hiding a wrong weight, layout or padding (those differ by far more).
 */
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';

export const ONNX_RTOL = 1e-5;

/** A float32 input: its values and its dims (batch first). */
export interface Feed {
  data: Float32Array;
  dims: readonly number[];
}

export interface OrtOutput {
  data: Float32Array | BigInt64Array;
  dims: readonly number[];
  type: string;
}

/** Runs the model `bytes` on `feeds` in onnxruntime-node (one thread); returns every output by name. */
export async function runOnnx(bytes: Uint8Array, feeds: Record<string, Feed>): Promise<Record<string, OrtOutput>> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  try {
    const inputs = Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ort.Tensor('float32', f.data, [...f.dims])]));
    const out = await session.run(inputs);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { data: t.data as Float32Array | BigInt64Array, dims: [...t.dims], type: t.type }]));
  } finally {
    await session.release();
  }
}

/** Largest |a − b| / (1 + |b|) over the values. */
export function maxScaledError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / (1 + Math.abs(expected[i])));
  return worst;
}

/** Asserts the ONNX output equals latentlab's (shape, then every value within the bound above). */
export function assertOnnxClose(out: OrtOutput | undefined, expected: Float32Array, dims: readonly number[], label: string): void {
  assert.ok(out !== undefined, `${label}: the model has no such output`);
  assert.equal(out.type, 'float32', `${label}: output type`);
  assert.deepEqual([...out.dims], [...dims], `${label}: output dims`);
  const actual = out.data as Float32Array;
  for (let i = 0; i < expected.length; i++) assert.ok(Number.isFinite(expected[i]), `${label}: latentlab's value ${i} is ${expected[i]}`);
  const err = maxScaledError(actual, expected);
  assert.ok(err <= ONNX_RTOL, `${label}: max |onnx − latentlab| / (1 + |latentlab|) = ${err.toExponential(3)} > ${ONNX_RTOL}`);
}

/** The int64 output as numbers. */
export function int64s(out: OrtOutput | undefined, label: string): number[] {
  assert.ok(out !== undefined, `${label}: the model has no such output`);
  assert.equal(out.type, 'int64', `${label}: output type`);
  return Array.from(out.data as BigInt64Array, Number);
}
