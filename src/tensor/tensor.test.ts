import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tensor } from './tensor.js';
import { resolveBackend, useBackend, withBackend, backend } from './registry.js';

test('a tensor checks that its data fits its shape', () => {
  assert.throws(() => new Tensor(new Float32Array(5), [2, 3]), /Tensor: data has 5 elements but shape \[2, 3\] needs 6/);
  assert.throws(() => Tensor.zeros([2, -1]), /non-negative integers, got \[2, -1\]/);
  assert.throws(() => Tensor.fromRows([[1, 2], [3]]), /row 1 has 1 values, expected 2/);
});

test('sliceRows is a view and argmaxRows picks the first maximum', () => {
  const t = Tensor.fromRows([
    [1, 5, 5],
    [7, 0, 2],
    [0, 0, 9],
  ]);
  const v = t.sliceRows(1, 3);
  v.data[0] = 8;
  assert.equal(t.data[3], 8);
  assert.deepEqual([...t.argmaxRows()], [1, 0, 2]);
  assert.throws(() => t.sliceRows(2, 4), /expected 0 ≤ start ≤ end ≤ 3, got \[2, 4\)/);
});

test('backend selection honours names and rejects unknown ones', () => {
  assert.equal(resolveBackend('js').name, 'js');
  assert.throws(() => useBackend('cuda' as 'js'), /useBackend: expected 'js', 'native', 'wasm' or 'auto', got "cuda"/);
  const before = backend();
  withBackend('js', () => assert.equal(backend().name, 'js'));
  assert.equal(backend(), before);
});

test('the native backend loads here (CI installs OpenBLAS) and reports its OpenBLAS core', () => {
  const be = resolveBackend('native');
  const info = be.info();
  assert.equal(info.name, 'native');
  assert.ok(typeof info.blasCore === 'string' && info.blasCore.length > 0);
  assert.ok(info.threads >= 1);
});

test('thread counts are validated and LATENTLAB_BACKEND / LATENTLAB_THREADS choose the backend and its threads', async () => {
  assert.throws(() => resolveBackend('native').setThreads(0), /setThreads: expected a positive integer thread count, got 0/);
  assert.throws(() => resolveBackend('js').setThreads(1.5), /got 1.5/);
  const { spawnSync } = await import('node:child_process');
  const registry = new URL('./registry.ts', import.meta.url).href;
  const run = (env: Record<string, string>): { out: string; err: string; code: number | null } => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '-e', `import(${JSON.stringify(registry)}).then((m) => console.log(JSON.stringify(m.backend().info())))`],
      {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      },
    );
    return { out: r.stdout, err: r.stderr, code: r.status };
  };
  assert.equal((JSON.parse(run({ LATENTLAB_BACKEND: 'js' }).out) as { name: unknown }).name, 'js');
  assert.equal((JSON.parse(run({ LATENTLAB_BACKEND: 'wasm' }).out) as { name: unknown }).name, 'wasm');
  assert.equal((JSON.parse(run({ LATENTLAB_BACKEND: 'native', LATENTLAB_THREADS: '1' }).out) as { threads: unknown }).threads, 1);
  const bad = run({ LATENTLAB_BACKEND: 'gpu' });
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /LATENTLAB_BACKEND: expected 'js', 'native', 'wasm' or 'auto', got "gpu"/);
});
