/**
 * `latentlab import`: a PyTorch state_dict (the committed fixture of scripts/fixtures/make_torch_import.py
 * is a 6-5-3 network; here state_dicts written by our own safetensors writer stand in for
 * PyTorch's) becomes a completed run that `eval` scores; a state_dict that does not fit the
 * architecture is a usage error (exit 2) naming the tensors, and leaves no run behind.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stateDict } from '../src/io/model-json.js';
import { loadModel } from '../src/io/model-file.js';
import { writeSafetensors } from '../src/io/safetensors.js';
import { Linear } from '../src/nn/linear.js';
import { Sigmoid } from '../src/nn/activation.js';
import { Sequential } from '../src/nn/sequential.js';
import { Rng } from '../src/random.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-cli-import-'));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A 784-8-10 sigmoid classifier's state_dict, as PyTorch names it. */
function mlpStateDict(path: string, rename: (k: string) => string = (k) => k): Sequential {
  const m = new Sequential([new Linear(784, 8, { rng: new Rng(3) }), new Sigmoid(), new Linear(8, 10, { rng: new Rng(4) })]);
  writeSafetensors(path, Object.fromEntries(Object.entries(stateDict(m)).map(([k, t]) => [rename(k), t])), { format: 'pt' });
  return m;
}

test('import --arch writes a completed mlp run with the state_dict’s weights, which eval scores', () => {
  const sd = join(work, 'mlp.safetensors');
  const m = mlpStateDict(sd);
  const r = cli(['import', sd, '--kind', 'mlp', '--arch', '784-8-10', '--run-id', 'imp', '--json', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { run_id: string; tensors: number };
  assert.equal(res.tensors, 4);
  const dir = join(work, 'runs', 'imp');
  assert.equal((JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { status: string }).status, 'completed');
  const loaded = stateDict(loadModel(join(dir, 'model')));
  for (const [k, t] of Object.entries(stateDict(m))) assert.deepEqual(loaded[k].data, t.data, k);
  const e = cli(['eval', 'imp', '--json', '--quiet']);
  assert.equal(e.code, 0, e.stderr);
  assert.equal(typeof (JSON.parse(e.stdout) as { metrics: Record<string, number> }).metrics.test_accuracy, 'number');
});

test('import --like takes the architecture and the config of a run, and --strip-prefix removes a wrapper’s prefix', () => {
  const sd = join(work, 'wrapped.safetensors');
  mlpStateDict(sd, (k) => `module.${k}`);
  const refused = cli(['import', sd, '--kind', 'mlp', '--like', 'imp', '--run-id', 'imp2']);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /unexpected .*"module\.0\.weight" \[8, 784\].*--strip-prefix module\./);
  assert.ok(!existsSync(join(work, 'runs', 'imp2')));
  const r = cli(['import', sd, '--kind', 'mlp', '--like', 'imp', '--strip-prefix', 'module.', '--run-id', 'imp2', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const cfg = JSON.parse(readFileSync(join(work, 'runs', 'imp2', 'config.json'), 'utf8')) as { kind: string; config: { hidden: number[] } };
  assert.equal(cfg.kind, 'mlp');
  assert.deepEqual(cfg.config.hidden, [8]);
});

test('a state_dict of another architecture is refused, naming the tensor and both shapes', () => {
  const sd = join(work, 'mlp.safetensors');
  const before = readdirSync(join(work, 'runs')).length;
  const r = cli(['import', sd, '--kind', 'mlp', '--arch', '784-16-10']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /"0\.weight" has shape \[8, 784\] but the model expects \[16, 784\]/);
  assert.equal(readdirSync(join(work, 'runs')).length, before);
  const both = cli(['import', sd, '--kind', 'mlp']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /either --like RUN or --arch/);
});
