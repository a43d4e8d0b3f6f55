import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NpyArray } from '../io/npy.js';
import { InputsError, MAX_INPUT_ROWS, SplitCache, parseRows, runRowOrigins, type RunRowsSource, type SplitImages } from './inputs.js';

const i4 = (data: number[], shape = [data.length]): NpyArray => ({ dtype: 'i4', shape, data: Int32Array.from(data) });

function run(kind: string, config: Record<string, unknown>, arrays: Record<string, NpyArray>, record: Record<string, unknown> = {}): RunRowsSource {
  return { id: 'r', kind, config, record, array: (name) => arrays[name] ?? null };
}

const noLabels = (): Promise<Int32Array> => Promise.reject(new Error('not needed'));
const pairs = (o: Int32Array): number[][] => Array.from({ length: o.length / 2 }, (_, i) => [o[2 * i], o[2 * i + 1]]);

test('a signatures run’s rows come from its origin.npy (split code, index), its dataset from config.json’s record', async () => {
  const o = await runRowOrigins(run('signatures', { model: 'm' }, { origin: i4([0, 12, 1, 5, 2, 69999], [3, 2]) }, { dataset: { name: 'mnist' } }), noLabels);
  assert.equal(o.dataset, 'mnist');
  assert.deepEqual(pairs(o.origin), [
    [0, 12],
    [1, 5],
    [2, 69999],
  ]);
  await assert.rejects(runRowOrigins(run('signatures', {}, {}, { dataset: { name: 'mnist' } }), noLabels), /has no arrays\/origin\.npy/);
  await assert.rejects(runRowOrigins(run('signatures', {}, { origin: i4([3, 0], [1, 2]) }, { dataset: { name: 'mnist' } }), noLabels), /split code 3 at row 0/);
});

test('a signatures run without a data_dir of its own reads the dataset where its model run was given it', async () => {
  const r = run('signatures', {}, { origin: i4([0, 0], [1, 2]) }, { dataset: { name: 'mnist' } });
  assert.equal((await runRowOrigins({ ...r, modelDataDir: '/data/m' }, noLabels)).dataDir, '/data/m');
  assert.equal((await runRowOrigins({ ...r, config: { data_dir: '/own' }, modelDataDir: '/data/m' }, noLabels)).dataDir, '/own');
});

test('desom, som and kmeans rows are rows of the split fitted on: in order, or train_indices’ rows for a class subset', async () => {
  const labels = i4([0, 1, 1, 0]);
  // desom's default split is all (train then test), recorded in config.json's dataset record.
  const all = await runRowOrigins(run('desom', { dataset: 'mnist', split: 'all', limit: 4 }, { labels }, { dataset: { split: 'all' } }), noLabels);
  assert.deepEqual(pairs(all.origin), [
    [2, 0],
    [2, 1],
    [2, 2],
    [2, 3],
  ]);
  const subset = await runRowOrigins(
    run('desom', { dataset: 'mnist', split: 'train', classes: [1, 7] }, { labels, train_indices: i4([3, 8, 40, 41]) }),
    noLabels,
  );
  assert.deepEqual(pairs(subset.origin), [
    [0, 3],
    [0, 8],
    [0, 40],
    [0, 41],
  ]);
  const som = await runRowOrigins(run('som', { dataset: 'fashion-mnist', data_dir: '/f' }, { labels: i4([0, 0]) }), noLabels);
  assert.deepEqual([som.dataset, som.dataDir, ...som.origin], ['fashion-mnist', '/f', 0, 0, 0, 1]);
  await assert.rejects(runRowOrigins(run('kmeans', { dataset: 'mnist' }, {}), noLabels), /has no arrays\/labels\.npy/);
  await assert.rejects(runRowOrigins(run('desom', { dataset: 'mnist' }, { labels, train_indices: i4([1]) }), noLabels), /1 train_indices for 4 rows/);
});

test('ae and mlp rows are test rows; with a class subset, the test rows of its classes within test_limit', async () => {
  const plain = await runRowOrigins(run('ae', { dataset: 'mnist' }, { test_labels: i4([4, 4, 4]) }), noLabels);
  assert.deepEqual(pairs(plain.origin), [
    [1, 0],
    [1, 1],
    [1, 2],
  ]);
  // Test split labels 7 2 1 0 4 1 4 9 5 9; classes 1 and 4 within the first 8 rows: rows 2, 4, 5, 6.
  const split = Int32Array.from([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  const subset = await runRowOrigins(run('mlp', { dataset: 'mnist', classes: [1, 4], test_limit: 8 }, { test_labels: i4([0, 1, 0, 1]) }), () =>
    Promise.resolve(split),
  );
  assert.deepEqual(
    pairs(subset.origin).map(([, i]) => i),
    [2, 4, 5, 6],
  );
  await assert.rejects(
    runRowOrigins(run('ae', { dataset: 'mnist', classes: [1, 4] }, { test_labels: i4([0, 1]) }), () => Promise.resolve(split)),
    /has 2 test rows but mnist has 4 test rows of classes 1, 4/,
  );
});

test('a kind without rows of inputs is refused with 422', async () => {
  await assert.rejects(runRowOrigins(run('example', { dataset: 'mnist' }, {}), noLabels), (e: unknown) => {
    assert.ok(e instanceof InputsError);
    assert.equal(e.status, 422);
    assert.match(e.message, /^runRowOrigins: a example run has no rows of inputs/);
    return true;
  });
});

test('?rows= takes comma-separated row indices in range, at most 1,000; anything else is a 400 naming it', () => {
  assert.deepEqual([...parseRows('0,5,5,299', 300)], [0, 5, 5, 299]);
  const refused: [string | null, RegExp][] = [
    [null, /expected \?rows=i,j,… \(row indices 0\.\.299 of the run\), got no rows/],
    ['', /got no rows/],
    ['a', /row "a" \(item 1 of rows\) is not a row index; expected an integer 0\.\.299/],
    ['1,-1', /row "-1" \(item 2/],
    ['1.5', /row "1\.5"/],
    ['1e2', /row "1e2"/],
    [' 1', /row " 1"/],
    ['1,,2', /row "" \(item 2/],
    ['0x1', /row "0x1"/],
    ['300', /row 300 is outside the run's rows 0\.\.299/],
    ['99999999999', /row "99999999999"/],
    [Array.from({ length: MAX_INPUT_ROWS + 1 }, () => '0').join(','), /at most 1000 rows per request, got 1001/],
  ];
  for (const [text, message] of refused) {
    assert.throws(
      () => parseRows(text, 300),
      (e: unknown) => e instanceof InputsError && e.status === 400 && message.test(e.message),
      String(text).slice(0, 20),
    );
  }
});

test('the split cache keeps the last two splits used, shares a load in flight and forgets a failed one', async () => {
  let loads = 0;
  const fake = (dataset: string, _dir: string | undefined, split: string): Promise<SplitImages> => {
    loads++;
    if (dataset === 'bad') return Promise.reject(new Error('no files'));
    return Promise.resolve({ rows: 1, h: 1, w: 1, pixels: new Uint8Array([split.length]), labels: new Int32Array(1) });
  };
  const cache = new SplitCache(2, fake);
  await Promise.all([cache.get('mnist', undefined, 'train'), cache.get('mnist', undefined, 'train')]);
  assert.equal(loads, 1);
  await cache.get('mnist', undefined, 'test');
  await cache.get('mnist', undefined, 'train'); // now the most recent
  await cache.get('mnist', '/d', 'test'); // evicts mnist test
  assert.deepEqual(
    cache.keys().map((k) => JSON.parse(k) as unknown),
    [
      ['mnist', null, 'train'],
      ['mnist', '/d', 'test'],
    ],
  );
  assert.equal(loads, 3);
  await assert.rejects(cache.get('bad', undefined, 'train'), /no files/);
  await new Promise((r) => setTimeout(r, 0));
  assert.ok(!cache.keys().some((k) => k.includes('bad')));
});
