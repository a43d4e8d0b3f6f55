// What is the wasm backend's own: the committed kernels.wasm being the build of assembly/, bad bytes,
// the arena, the registry, one thread and no BLAS, the value its argument errors name. Its kernels
// are checked against the js reference in conformance.test.ts, with the native backend's.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../backend.js';
import { backend, withBackend } from '../registry.js';
import { WasmBackend, defaultWasmThreads, loadWasmBackend, wasmKernelsUrl } from './wasm.js';

const loaded = loadWasmBackend();
const wasm = (): Backend => ('error' in loaded ? assert.fail(loaded.error) : loaded.backend);

describe('the wasm kernels', () => {
  test('load with the default thread count and no BLAS; setThreads changes the count it reports', () => {
    assert.deepEqual(wasm().info(), { name: 'wasm', threads: defaultWasmThreads(), blasCore: null, matmulPrecision: 'float32' });
    wasm().setThreads(1);
    assert.equal(wasm().info().threads, 1);
    wasm().setThreads(defaultWasmThreads());
    assert.throws(() => wasm().setThreads(0), /setThreads: expected a positive integer thread count, got 0/);
    assert.match(wasm().matmulPrecisionUnavailable('bfloat16') ?? '', /float32 only/);
    assert.throws(() => wasm().setMatmulPrecision('bfloat16'), /setMatmulPrecision: the wasm backend multiplies in float32 only/);
  });

  test('the committed kernels.wasm is the build of assembly/ (rebuilt into a temporary file, byte for byte)', () => {
    // A child process without tsx: loading the compiler through tsx's hooks takes seven times as long.
    // --liftoff-only: V8 runs the compiler's optimizer (binaryen, a large wasm module) with its baseline
    // code only; optimizing that code costs more than the one short build it serves (about 4.8 → 2.7 s
    // of CPU here). Both of V8's tiers run the same wasm semantics: the bytes written are the same.
    const dir = mkdtempSync(join(tmpdir(), 'latentlab-wasm-'));
    try {
      const out = join(dir, 'kernels.wasm');
      const script = fileURLToPath(new URL('../../../scripts/build-wasm.mjs', import.meta.url));
      const r = spawnSync(process.execPath, ['--liftoff-only', script, '--out', out], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const built = readFileSync(out);
      const committed = readFileSync(wasmKernelsUrl());
      assert.ok(
        built.equals(committed),
        `kernels.wasm (${committed.length} bytes) differs from a fresh build of assembly/ (${built.length} bytes): run \`npm run build:wasm\``,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a backend built from bad bytes throws, naming the problem', () => {
    assert.throws(() => new WasmBackend(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])), /kernels.wasm is out of date \(missing heapBase/);
  });

  test('is chosen by name and its errors name every backend', () => {
    assert.equal(
      withBackend('wasm', () => backend().name),
      'wasm',
    );
    assert.throws(() => withBackend('gpu' as never, () => 0), /useBackend: expected 'js', 'native', 'wasm' or 'auto', got "gpu"/);
  });

  test('its argument errors name the value given', () => {
    // conformance.test.ts checks the messages every backend shares; the native addon's nearest leaves out k's value.
    const s = new Float32Array(3);
    assert.throws(() => wasm().nearest(s, s, 1, 0, 3, s, new Int32Array(1), null), /nearest: expected k ≥ 1, got 0/);
    assert.throws(() => wasm().scale(1.5, 2, s), /scale: expected n to be a non-negative integer, got 1.5/);
  });

  test('the arena grows for a large call and is reused by the next ones', () => {
    const b = new WasmBackend(readFileSync(wasmKernelsUrl()));
    const before = b.memoryBytes();
    const n = 1 << 20;
    const x = new Float32Array(n).fill(2);
    const y = new Float32Array(n).fill(1);
    b.axpy(n, 0.5, x, y);
    assert.ok(y.every((v) => v === 2));
    const grown = b.memoryBytes();
    assert.ok(grown >= before + 8 * n, `memory ${before} → ${grown}`);
    for (let i = 0; i < 3; i++) b.axpy(n, 1, x, y);
    assert.ok(y.every((v) => v === 8));
    assert.equal(b.memoryBytes(), grown);
  });
});
