import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError } from './errors.js';
import {
  MAX_THREADS,
  MAX_TYPED_ARRAY_LENGTH,
  aeNeeds,
  checkClusters,
  checkNeeds,
  checkThreads,
  desomNeeds,
  formatBytes,
  mlpNeeds,
  somNeeds,
} from './limits.js';

const GiB = 1024 ** 3;

/** The UsageError message checkNeeds throws for `needs` on a machine with `memory` bytes (null when it accepts them). */
function refusal(f: () => void): string | null {
  try {
    f();
    return null;
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected a UsageError, got ${String(e)}`);
    return e.message;
  }
}

describe('formatBytes', () => {
  test('uses binary units with one decimal below 10', () => {
    assert.equal(formatBytes(512), '512 bytes');
    assert.equal(formatBytes(1.5 * 1024 ** 2), '1.5 MiB');
    assert.equal(formatBytes(47 * GiB), '47 GiB');
    assert.equal(formatBytes(3.6 * 1024 ** 4), '3.6 TiB');
  });
});

describe('MAX_TYPED_ARRAY_LENGTH', () => {
  test('is the longest typed array this V8 allocates: one more is refused before any allocation', () => {
    assert.throws(() => new Float32Array(MAX_TYPED_ARRAY_LENGTH + 1), RangeError);
  });
});

describe('checkNeeds', () => {
  test('accepts the default MNIST classifier on a small machine', () => {
    assert.equal(
      refusal(() => checkNeeds(mlpNeeds({ features: 784, hidden: [100], classes: 10, batch: 64, rows: 60000 }), { memory: 1 * GiB, base: 200e6 })),
      null,
    );
  });

  test('blames --hidden for a model whose parameters do not fit, naming the architecture and both sizes', () => {
    const msg = refusal(() => checkNeeds(mlpNeeds({ features: 784, hidden: [5_000_000_000], classes: 10, batch: 64, rows: 60000 }), { memory: 24 * GiB }));
    assert.match(msg ?? '', /^--hidden 5000000000: a 784-5000000000-10 model \(parameters, gradients and optimizer state\) needs 58 TiB/);
    assert.match(msg ?? '', /more than this machine's 24 GiB of memory$/);
  });

  test('blames --batch-size for a minibatch buffer that does not fit, even with fewer rows than the batch', () => {
    const msg = refusal(() => checkNeeds(mlpNeeds({ features: 784, hidden: [100], classes: 10, batch: 100_000_000_000, rows: 256 }), { memory: 24 * GiB }));
    assert.match(msg ?? '', /^--batch-size 100000000000: a minibatch of 100000000000 rows through a 784-100-10 model needs \d+ TiB/);
  });

  test('accepts a batch larger than the data when its buffers fit', () => {
    assert.equal(
      refusal(() => checkNeeds(mlpNeeds({ features: 784, hidden: [100], classes: 10, batch: 100_000, rows: 256 }), { memory: 4 * GiB })),
      null,
    );
  });

  test('blames --latent when the latent layer is the widest of an autoencoder', () => {
    const msg = refusal(() => checkNeeds(aeNeeds({ features: 784, hidden: [128], latent: 1e11, batch: 64, rows: 60000 }), { memory: 24 * GiB }));
    assert.match(msg ?? '', /^--latent 100000000000: a 784-128-100000000000-128-784 autoencoder/);
  });

  test('blames --hidden, shown as given, when a hidden layer is the widest of an autoencoder', () => {
    const msg = refusal(() => checkNeeds(aeNeeds({ features: 784, hidden: [3_000_000_000, 128], latent: 2, batch: 64, rows: 60000 }), { memory: 24 * GiB }));
    assert.match(msg ?? '', /^--hidden 3000000000,128: /);
  });

  test('counts what is already held (the data) towards the whole run', () => {
    const needs = mlpNeeds({ features: 784, hidden: [100], classes: 10, batch: 64, rows: 60000 });
    assert.equal(
      refusal(() => checkNeeds(needs, { memory: 1 * GiB })),
      null,
    );
    assert.match(refusal(() => checkNeeds(needs, { memory: 1 * GiB, base: 1 * GiB })) ?? '', /for the whole run\), more than this machine's 1\.0 GiB/);
  });

  test('refuses an array longer than a typed array can hold even when the machine has the memory', () => {
    const msg = refusal(() => checkNeeds(mlpNeeds({ features: 784, hidden: [10_000_000], classes: 10, batch: 64, rows: 60000 }), { memory: 1024 ** 5 }));
    assert.match(
      msg ?? '',
      /^--hidden 10000000: a 784-10000000-10 model .* needs an array of 7840000000 values, more than the 4294967296 a JavaScript typed array can hold$/,
    );
  });

  test('blames --map for a map whose cell-to-cell distances do not fit', () => {
    const msg = refusal(() => checkNeeds(somNeeds({ map: '1000x1000', cells: 1e6, dim: 784, rows: 60000, algorithm: 'classic' }), { memory: 24 * GiB }));
    assert.match(msg ?? '', /^--map 1000x1000: a 1000x1000 map \(1000000 cells\) of 784-dimensional prototypes needs 7\.3 TiB/);
    assert.equal(
      refusal(() => checkNeeds(somNeeds({ map: '8x8', cells: 64, dim: 784, rows: 60000, algorithm: 'batch' }), { memory: 1 * GiB })),
      null,
    );
  });

  test('blames --batch-size for a gradient SOM minibatch against every cell, clamped to the rows', () => {
    const big = somNeeds({ map: '256x256', cells: 65536, dim: 784, rows: 70000, algorithm: 'gradient', batch: 70000 });
    assert.match(
      refusal(() => checkNeeds(big, { memory: 1024 ** 5 })) ?? '',
      /^--batch-size 70000: a minibatch of 70000 rows against 65536 cells needs an array of 4587520000 values/,
    );
    const clamped = somNeeds({ map: '8x8', cells: 64, dim: 784, rows: 256, algorithm: 'gradient', batch: 100_000_000_000 });
    assert.equal(
      refusal(() => checkNeeds(clamped, { memory: 1 * GiB })),
      null,
    );
  });

  test('accepts the DESOM paper configuration and refuses a map too large for it', () => {
    const paper = { features: 784, hidden: [500, 500, 2000], latent: 10, batch: 256, rows: 70000 };
    assert.equal(
      refusal(() => checkNeeds(desomNeeds({ ...paper, map: '8x8', cells: 64 }), { memory: 4 * GiB, base: 220e6 })),
      null,
    );
    assert.match(refusal(() => checkNeeds(desomNeeds({ ...paper, map: '300x300', cells: 90000 }), { memory: 24 * GiB })) ?? '', /^--map 300x300: /);
  });
});

describe('checkThreads', () => {
  test('accepts the default and counts up to the limit, refuses more naming the flag and value', () => {
    assert.equal(
      refusal(() => checkThreads(undefined)),
      null,
    );
    assert.equal(
      refusal(() => checkThreads(MAX_THREADS)),
      null,
    );
    assert.match(refusal(() => checkThreads(100000)) ?? '', /^--threads 100000: expected at most 1024 threads/);
  });
});

describe('checkClusters', () => {
  test('refuses more clusters than rows, naming --k and both numbers', () => {
    assert.equal(
      refusal(() => checkClusters(10, 10, 'train')),
      null,
    );
    assert.equal(
      refusal(() => checkClusters(100000, 60000, 'train')),
      '--k 100000: expected at most the 60000 train rows to cluster (one row per cluster at least)',
    );
  });
});
