import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Identity, LeakyReLU, ReLU, Sigmoid, Tanh } from '../nn/activation.js';
import { BatchNorm1d } from '../nn/batchnorm1d.js';
import { Dropout } from '../nn/dropout.js';
import { Linear } from '../nn/linear.js';
import type { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { Softmax } from '../nn/softmax.js';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import { loadModel, loadStateDict, readModelJson, saveModel, stateDict } from './model-file.js';
import { encodeSafetensors, readSafetensors, type SafeTensor } from './safetensors.js';

const root = mkdtempSync(join(tmpdir(), 'latentlab-model-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function freshDir(): string {
  return join(root, `case-${n++}`, 'model');
}

function everyLayer(rng: Rng): Sequential {
  return new Sequential([
    new Linear(6, 8, { rng, inputGrad: false }),
    new BatchNorm1d(8, { momentum: 0.3 }),
    new LeakyReLU(0.1),
    new Dropout(0.3, rng),
    new Linear(8, 8, { rng, bias: false }),
    new Tanh(),
    new Sequential([new Linear(8, 5, { rng, init: 'he_normal' }), new Sigmoid(), new Identity()], { fuse: false }),
    new Linear(5, 4, { rng }),
    new ReLU(),
    new BatchNorm1d(4, { affine: false }),
    new Linear(4, 3, { rng }),
    new Softmax(),
  ]);
}

function input(rows: number, cols: number, seed: number): Tensor {
  const rng = new Rng(seed);
  return Tensor.from(
    Array.from({ length: rows * cols }, () => rng.normal(0, 2)),
    [rows, cols],
  );
}

function evalOutput(m: Module, x: Tensor): Float32Array {
  return m.eval().forward(x).data.slice();
}

function mlp(hidden: number, seed: number): Sequential {
  const rng = new Rng(seed);
  return new Sequential([new Linear(784, hidden, { rng }), new ReLU(), new Linear(hidden, 10, { rng })]);
}

describe('saveModel → loadModel', () => {
  test('a network with every layer type gives identical eval outputs after reload', () => {
    const model = everyLayer(new Rng(1));
    // Train-mode passes move the BatchNorm running statistics away from their 0/1 start, and
    // non-trivial γ/β make sure those are saved too.
    for (let i = 0; i < 3; i++) model.forward(input(16, 6, 10 + i));
    const bn = model.modules[1] as BatchNorm1d;
    bn.weight!.value.data.forEach((_, j, a) => (a[j] = 1 + 0.1 * j));
    bn.bias!.value.data.forEach((_, j, a) => (a[j] = -0.05 * j));
    const x = input(5, 6, 99);
    const before = evalOutput(model, x);

    const dir = freshDir();
    saveModel(dir, model, { metadata: { kind: 'mlp', dataset: 'synthetic' } });
    const loaded = loadModel(dir, new Rng(12345));
    assert.ok(loaded.training, 'a loaded model starts in training mode, like a constructed one');
    assert.deepEqual(evalOutput(loaded, x), before);
    // The reload really came from the file: the same architecture freshly built differs.
    assert.notDeepEqual(evalOutput(everyLayer(new Rng(12345)), x), before);
    assert.deepEqual(loaded.namedBuffers().get('9.running_var')?.data, (model.modules[9] as BatchNorm1d).runningVar.data);
  });

  test('model.json lists the format, architecture and every tensor; the weights carry the metadata', () => {
    const dir = freshDir();
    saveModel(dir, mlp(100, 0), { metadata: { kind: 'mlp' } });
    const json = readModelJson(dir);
    assert.equal(json.format, 'latentlab-model');
    assert.equal(json.version, 1);
    assert.deepEqual(json.architecture, {
      type: 'sequential',
      layers: [
        { type: 'linear', in: 784, out: 100, bias: true, init: 'glorot_uniform' },
        { type: 'relu' },
        { type: 'linear', in: 100, out: 10, bias: true, init: 'glorot_uniform' },
      ],
    });
    assert.deepEqual(json.parameters, [
      { name: '0.weight', shape: [100, 784] },
      { name: '0.bias', shape: [100] },
      { name: '2.weight', shape: [10, 100] },
      { name: '2.bias', shape: [10] },
    ]);
    assert.deepEqual(json.buffers, []);
    assert.ok(readFileSync(join(dir, 'model.json'), 'utf8').endsWith('}\n'));
    const file = readSafetensors(join(dir, 'weights.safetensors'));
    assert.deepEqual(file.metadata, { format: 'pt', kind: 'mlp' });
    assert.deepEqual(Object.keys(file.tensors).sort(), ['0.bias', '0.weight', '2.bias', '2.weight']);
    assert.ok(Object.values(file.tensors).every((t) => t.dtype === 'F32'));
  });

  test('saving twice into the same folder replaces the model', () => {
    const dir = freshDir();
    saveModel(dir, mlp(100, 0));
    saveModel(dir, mlp(50, 1));
    const x = input(2, 784, 3);
    assert.deepEqual(evalOutput(loadModel(dir), x), evalOutput(mlp(50, 1), x));
  });
});

describe('loadModel refuses weights that do not fit', () => {
  test('weights of a 784-100-10 net under a 784-50-10 model.json: names 0.weight and both shapes', () => {
    const big = freshDir();
    const small = freshDir();
    saveModel(big, mlp(100, 0));
    saveModel(small, mlp(50, 0));
    copyFileSync(join(big, 'weights.safetensors'), join(small, 'weights.safetensors'));
    assert.throws(() => loadModel(small), /loadModel: .*weights\.safetensors: tensor "0\.weight" has shape \[100, 784\] but the model expects \[50, 784\]/);
  });

  test('a missing tensor, an extra tensor, a float64 tensor', () => {
    const dir = freshDir();
    saveModel(dir, mlp(4, 0));
    const weightsPath = join(dir, 'weights.safetensors');
    const good = readSafetensors(weightsPath).tensors;
    const write = (tensors: Record<string, SafeTensor>) => writeFileSync(weightsPath, encodeSafetensors(tensors));
    const { ['2.bias']: _dropped, ...withoutBias } = good;
    write(withoutBias);
    assert.throws(
      () => loadModel(dir),
      /loadModel: .*weights\.safetensors: missing tensor "2\.bias" \(the model has "0\.weight", "0\.bias", "2\.weight", "2\.bias"\)/,
    );
    write({ ...good, '4.weight': { dtype: 'F32', shape: [1], data: new Float32Array(1) } });
    assert.throws(() => loadModel(dir), /loadModel: .*: unexpected tensor "4\.weight"/);
    const w = good['0.weight'];
    write({ ...good, '0.weight': { dtype: 'F64', shape: w.shape, data: Float64Array.from(w.data as Float32Array) } });
    assert.throws(() => loadModel(dir), /loadModel: .*: tensor "0\.weight": expected dtype F32, got F64/);
  });

  test('a truncated weights file', () => {
    const dir = freshDir();
    saveModel(dir, mlp(20, 0));
    const p = join(dir, 'weights.safetensors');
    const bytes = readFileSync(p);
    writeFileSync(p, bytes.subarray(0, bytes.length - 100));
    assert.throws(
      () => loadModel(dir),
      /loadModel: decodeSafetensors: .*weights\.safetensors: tensor "[^"]+": data_offsets \[\d+, \d+\] reach past the end of the \d+-byte data buffer \(truncated file\?\)/,
    );
  });

  test('a flipped byte in the header length', () => {
    const dir = freshDir();
    saveModel(dir, mlp(20, 0));
    const p = join(dir, 'weights.safetensors');
    const bytes = readFileSync(p);
    bytes[2] ^= 0x10; // +1 MB: beyond this small file
    writeFileSync(p, bytes);
    assert.throws(() => loadModel(dir), /loadModel: decodeSafetensors: .*weights\.safetensors: header length \d+ exceeds the \d+ bytes that follow it/);
    bytes[2] ^= 0x10;
    bytes[6] ^= 0x01; // +2^48: beyond the 100 MB limit
    writeFileSync(p, bytes);
    assert.throws(() => loadModel(dir), /header length \d+ exceeds the 100000000-byte limit/);
  });

  test('missing files are named', () => {
    const dir = freshDir();
    assert.throws(() => loadModel(dir), /loadModel: .*model\/model\.json not found/);
    saveModel(dir, mlp(4, 0));
    rmSync(join(dir, 'weights.safetensors'));
    assert.throws(() => loadModel(dir), /loadModel: .*model\/weights\.safetensors not found/);
  });
});

describe('loadModel refuses a bad model.json', () => {
  function withJson(edit: (j: Record<string, unknown>) => unknown): string {
    const dir = freshDir();
    saveModel(dir, mlp(4, 0));
    const p = join(dir, 'model.json');
    writeFileSync(p, JSON.stringify(edit(JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>)));
    return dir;
  }

  test('another format, another version, not JSON', () => {
    assert.throws(() => loadModel(withJson((j) => ({ ...j, format: 'keras' }))), /loadModel: .*model\.json: expected format "latentlab-model", got "keras"/);
    assert.throws(() => loadModel(withJson((j) => ({ ...j, version: 2 }))), /loadModel: .*model\.json: unsupported version 2; this latentlab reads version 1/);
    const dir = freshDir();
    saveModel(dir, mlp(4, 0));
    writeFileSync(join(dir, 'model.json'), '{"format": "latentlab-model",');
    assert.throws(() => loadModel(dir), /loadModel: .*model\.json: not valid JSON/);
  });

  test('an invalid architecture is reported with its path', () => {
    const dir = withJson((j) => {
      (j.architecture as { layers: { out?: number }[] }).layers[2].out = 0;
      return j;
    });
    assert.throws(() => loadModel(dir), /loadModel: .*model\.json: architecture\.layers\[2\]\.out: expected a positive integer, got 0/);
  });

  test('tensor lists that disagree with the architecture', () => {
    const renamed = withJson((j) => ({ ...j, parameters: [{ name: 'fc1.weight', shape: [4, 784] }] }));
    assert.throws(
      () => loadModel(renamed),
      /loadModel: .*model\.json: parameters lists "fc1\.weight" but the architecture has "0\.weight", "0\.bias", "2\.weight", "2\.bias"/,
    );
    const reshaped = withJson((j) => {
      (j.parameters as { shape: number[] }[])[0].shape = [784, 4];
      return j;
    });
    assert.throws(() => loadModel(reshaped), /parameters: "0\.weight" is listed with shape \[784, 4\] but the architecture gives \[4, 784\]/);
    assert.throws(
      () => loadModel(withJson((j) => ({ ...j, buffers: 'none' }))),
      /loadModel: .*model\.json: buffers: expected an array of \{name, shape\}, got "none"/,
    );
  });
});

describe('stateDict and loadStateDict', () => {
  test('stateDict lists parameters then buffers under PyTorch names, sharing the model memory', () => {
    const rng = new Rng(0);
    const m = new Sequential([new Linear(3, 2, { rng }), new BatchNorm1d(2)]);
    const sd = stateDict(m);
    assert.deepEqual(Object.keys(sd), ['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var']);
    assert.deepEqual(sd['0.weight'].shape, [2, 3]);
    assert.equal(sd['0.weight'].data, (m.modules[0] as Linear).weight.value.data);
  });

  test('loadStateDict copies values in and leaves the model untouched when it refuses', () => {
    const a = mlp(4, 1);
    const b = mlp(4, 2);
    const x = input(3, 784, 5);
    const tensors = Object.fromEntries(Object.entries(stateDict(a)).map(([k, t]) => [k, { ...t, data: t.data.slice() }]));
    loadStateDict(b, tensors);
    assert.deepEqual(evalOutput(b, x), evalOutput(a, x));
    tensors['0.weight'].data[0] += 1; // a copy was taken: b does not follow later changes
    assert.deepEqual(evalOutput(b, x), evalOutput(a, x));

    const c = mlp(4, 3);
    const beforeC = evalOutput(c, x);
    // 0.weight fits but 2.weight does not: nothing may be copied.
    const bad = { ...tensors, '2.weight': { dtype: 'F32' as const, shape: [10, 5], data: new Float32Array(50) } };
    assert.throws(
      () => loadStateDict(c, bad, 'ckpt.safetensors'),
      /loadStateDict: ckpt\.safetensors: tensor "2\.weight" has shape \[10, 5\] but the model expects \[10, 4\]/,
    );
    assert.deepEqual(evalOutput(c, x), beforeC);
  });

  test('saveModel creates missing parent folders', () => {
    const dir = join(root, 'deep', 'er', 'model');
    mkdirSync(join(root, 'deep'), { recursive: true });
    saveModel(dir, mlp(2, 0));
    assert.equal(readModelJson(dir).parameters.length, 4);
  });
});
