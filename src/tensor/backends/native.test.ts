// What is the native backend's own: its OpenBLAS core and worker threads. Its kernels are checked
// against the js reference in conformance.test.ts, with the wasm backend's.
// If the addon cannot load these tests fail with the reason (CI installs OpenBLAS).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../random.js';
import type { Backend } from '../backend.js';
import { loadNativeBackend } from './native.js';

const loaded = loadNativeBackend();
const nat = (): Backend => ('error' in loaded ? assert.fail(loaded.error) : loaded.backend);

describe('the native addon', () => {
  test('loads and reports its OpenBLAS core and thread count', () => {
    const info = nat().info();
    assert.equal(info.name, 'native');
    assert.ok(info.threads >= 1, `threads ${info.threads}`);
    assert.equal(typeof info.blasCore, 'string');
  });

  test('setThreads changes the thread count the backend reports', () => {
    const b = nat();
    const before = b.info().threads;
    b.setThreads(1);
    assert.equal(b.info().threads, 1);
    b.setThreads(before);
    assert.equal(b.info().threads, before);
  });

  test('sqDistancesRows over many rows does not depend on the thread count', () => {
    // The inputs of conformance.test.ts's first "many rows" case, which checks them against js:
    // 768 rows per block at d = 64, so 2500 rows make 4 blocks for the worker threads to share.
    const rng = new Rng(34);
    const [nx, k, d] = [3000, 10, 64];
    const x = rng.fillNormal(new Float32Array(nx * d), 0, 2);
    const protos = rng.fillNormal(new Float32Array(k * d), 0, 2);
    const m = 2500;
    const rows = new Int32Array(m);
    for (let t = 0; t < m; t++) rows[t] = rng.int(nx);
    const b = nat();
    const before = b.info().threads;
    const one = new Float32Array(m * k);
    const two = new Float32Array(m * k);
    try {
      b.setThreads(1);
      b.sqDistancesRows(x, rows, m, protos, k, d, one);
      b.setThreads(2);
      b.sqDistancesRows(x, rows, m, protos, k, d, two);
    } finally {
      b.setThreads(before);
    }
    assert.deepEqual(two, one);
  });
});
