import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Linear } from '../nn/linear.js';
import { Adam } from '../optim/adam.js';
import { Rng } from '../random.js';
import { Tensor } from '../tensor/tensor.js';
import {
  hasCheckpoint,
  int32Reader,
  int32Writer,
  latestCheckpointStep,
  loadCheckpoint,
  readCheckpoint,
  saveCheckpoint,
  writeCheckpoint,
} from './checkpoint.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'latentlab-ckpt-'));
}

test('writeCheckpoint: each part writes into step-<n>/, what it returns goes into state.json, latest.json moves, older folders go', () => {
  const dir = tmp();
  try {
    const rng = new Rng(3);
    const parts = (tag: string, values: Int32Array) => ({
      note: (folder: string) => {
        writeFileSync(join(folder, 'note.txt'), tag);
        return { tag };
      },
      assignments: int32Writer('assignments.npy', values),
    });
    writeCheckpoint(dir, { step: 4, rng: { loop: rng.state() } }, parts('first', Int32Array.of(1, 2, 3)));
    writeCheckpoint(dir, { step: 9, rng: { loop: rng.state() }, extra: { k: 1 } }, parts('second', Int32Array.of(7, 8)));
    assert.deepEqual(readdirSync(dir).sort(), ['latest.json', 'step-9']);
    assert.equal(latestCheckpointStep(dir), 9);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(dir, 'step-9', 'state.json'), 'utf8')) as Record<string, unknown>), [
      'step',
      'rng',
      'extra',
      'note',
    ]);
    const ck = readCheckpoint(dir);
    assert.equal(ck.step, 9);
    assert.deepEqual(ck.rng.loop, rng.state());
    assert.deepEqual(ck.extra, { k: 1 });
    assert.deepEqual(
      ck.read('note', (folder, recorded) => [readFileSync(join(folder, 'note.txt'), 'utf8'), recorded]),
      ['second', { tag: 'second' }],
    );
    assert.deepEqual(Array.from(ck.read('assignments', int32Reader('assignments.npy'))), [7, 8]);
    assert.throws(() => writeCheckpoint(dir, { step: 10, rng: {} }, { rng: () => undefined }), /cannot be named "rng"/);
    assert.throws(() => writeCheckpoint(dir, { step: -1, rng: {} }, {}), /non-negative integer step/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('saveCheckpoint / loadCheckpoint: weights.safetensors and optimizer.safetensors, restored in place', () => {
  const dir = tmp();
  try {
    const model = new Linear(3, 2, { rng: new Rng(1) });
    const opt = new Adam(model.parameters(), { lr: 0.01 });
    const x = new Tensor(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]);
    opt.zeroGrad();
    model.backward(model.forward(x));
    opt.step();
    saveCheckpoint(dir, model, opt, { step: 1, rng: {} });
    assert.deepEqual(readdirSync(join(dir, 'step-1')).sort(), ['optimizer.safetensors', 'state.json', 'weights.safetensors']);
    const model2 = new Linear(3, 2, { rng: new Rng(2) });
    const opt2 = new Adam(model2.parameters(), { lr: 0.5 });
    assert.equal(hasCheckpoint(dir), true);
    assert.deepEqual(loadCheckpoint(dir, model2, opt2), { step: 1, rng: {}, extra: undefined });
    assert.deepEqual(
      model2.parameters().map((p) => Array.from(p.value.data)),
      model.parameters().map((p) => Array.from(p.value.data)),
    );
    assert.deepEqual(opt2.stateDict(), opt.stateDict());
    assert.throws(() => loadCheckpoint(join(dir, 'none'), model2, opt2), /loadCheckpoint: no checkpoint in .*latest\.json missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
