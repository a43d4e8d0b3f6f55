/**
 * Importing a PyTorch state_dict: a tiny classifier saved by PyTorch (scripts/fixtures/make_torch_import.py,
 * BatchNorm's num_batches_tracked included) loads into the same latentlab architecture and gives
 * PyTorch's float64 outputs within the float32 error bound the fixture records for each value
 * (running error analysis of every layer's sums: scripts/torch/float32_bound.py), on both
 * backends; names, shapes and dtypes that do not fit are refused with the tensors named.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { buildModule, type ModuleSpec } from '../nn/serialize.js';
import { Rng } from '../random.js';
import { nativeUnavailableReason, withBackend, type BackendName } from '../tensor/registry.js';
import { Tensor } from '../tensor/tensor.js';
import { stateDict } from './model-json.js';
import type { SafeTensor } from './safetensors-codec.js';
import { importStateDict, readTorchStateDict } from './torch-import.js';

const dir = new URL('../../test/fixtures/torch-import/', import.meta.url);
const fixture = JSON.parse(readFileSync(new URL('mlp.json', dir), 'utf8')) as {
  spec: ModuleSpec;
  inputs: { shape: [number, number]; data: number[] };
  output: { shape: [number, number]; data: number[] };
  bound: number[];
};
const path = new URL('mlp.safetensors', dir).pathname;
const file = () => readTorchStateDict(path).tensors;
const build = () => buildModule(fixture.spec, new Rng(1));

const BACKENDS: BackendName[] = nativeUnavailableReason() === null ? ['js', 'native'] : ['js'];

describe('importStateDict', () => {
  for (const b of BACKENDS) {
    test(`a PyTorch state_dict gives PyTorch's outputs within the float32 bound (${b})`, () => {
      const model = build();
      const report = importStateDict(model, file(), { source: path });
      assert.equal(report.loaded, 8);
      assert.deepEqual(report.ignored, ['1.num_batches_tracked']);
      model.eval();
      const x = new Tensor(Float32Array.from(fixture.inputs.data), fixture.inputs.shape);
      const y = withBackend(b, () => Array.from(model.forward(x).data));
      assert.equal(y.length, fixture.output.data.length);
      y.forEach((v, i) => {
        const err = Math.abs(v - fixture.output.data[i]);
        assert.ok(err <= fixture.bound[i], `output ${i}: |${v} − ${fixture.output.data[i]}| = ${err} > bound ${fixture.bound[i]}`);
      });
    });
  }

  test('copies every tensor bit for bit', () => {
    const model = build();
    const given = file();
    importStateDict(model, given);
    for (const [name, t] of Object.entries(stateDict(model))) assert.deepEqual(t.data, given[name].data, name);
  });

  test('names a missing tensor with its expected shape and an unexpected one with its shape, and copies nothing', () => {
    const model = build();
    const before = Float32Array.from(stateDict(model)['0.weight'].data);
    const t = file();
    t['fc.weight'] = t['3.weight'];
    delete t['3.weight'];
    assert.throws(() => importStateDict(model, t, { source: 'sd.safetensors' }), {
      message: /^importStateDict: sd\.safetensors: missing "3\.weight" \(expected \[3, 5\]\); unexpected "fc\.weight" \[3, 5\]/,
    });
    assert.deepEqual(stateDict(model)['0.weight'].data, before);
  });

  test('names a wrong shape, the file’s and the model’s', () => {
    const t = file();
    t['0.bias'] = { dtype: 'F32', shape: [4], data: new Float32Array(4) };
    assert.throws(() => importStateDict(build(), t), { message: /"0\.bias" has shape \[4\] but the model expects \[5\]/ });
  });

  test('suggests stripping a prefix every name carries ("module." of DataParallel), and strips it when asked', () => {
    const t = Object.fromEntries(Object.entries(file()).map(([k, v]) => [`module.${k}`, v])) as Record<string, SafeTensor>;
    assert.throws(() => importStateDict(build(), t), { message: /every unexpected name starts with "module\.".*--strip-prefix module\./ });
    assert.equal(importStateDict(build(), t, { stripPrefix: 'module.' }).loaded, 8);
  });

  test('rounds F64 tensors to float32 and refuses integer ones', () => {
    const t = file();
    t['3.bias'] = { dtype: 'F64', shape: [3], data: Float64Array.from([0.1, 0.2, 0.3]) };
    const model = build();
    assert.deepEqual(importStateDict(model, t).converted, ['3.bias']);
    assert.deepEqual(stateDict(model)['3.bias'].data, Float32Array.from([0.1, 0.2, 0.3]));
    t['3.bias'] = { dtype: 'I32', shape: [3], data: Int32Array.from([1, 2, 3]) };
    assert.throws(() => importStateDict(build(), t), { message: /tensor "3\.bias" has dtype I32; expected F32/ });
  });
});
