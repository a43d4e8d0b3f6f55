/**
 * The js backend is usable in a browser: the network library bundles for the browser platform
 * (no `node:` imports on its path) and trains in a context that has no `process` at all.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { build } from 'esbuild';

test('the nn library bundles for the browser and trains there on the js backend', async () => {
  const entry = `
    import { Rng, Sequential, Linear, Tanh, Sigmoid, MSELoss, SGD, Tensor, fit, backend } from './src/browser-entry-check.js';
    const rng = new Rng(1);
    const x = Tensor.fromRows([[0, 0], [0, 1], [1, 0], [1, 1]]);
    const y = Tensor.fromRows([[0], [1], [1], [0]]);
    const model = new Sequential([new Linear(2, 8, { rng }), new Tanh(), new Linear(8, 1, { rng }), new Sigmoid()]);
    const r = fit({ model, loss: new MSELoss(), optimizer: new SGD(model.parameters(), { lr: 0.5, momentum: 0.9 }), x, y, batchSize: 4, epochs: 400, rng });
    globalThis.result = { backend: backend().name, first: r.epochs[0].loss, last: r.finalLoss, out: Array.from(model.predict(x).data) };
  `;
  const out = await build({
    stdin: { contents: entry, resolveDir: new URL('..', import.meta.url).pathname, loader: 'ts' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    write: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'entry',
        setup(b) {
          // the browser-facing surface: everything but data files, io, runs and the CLI
          b.onResolve({ filter: /browser-entry-check/ }, () => ({ path: 'entry', namespace: 'entry' }));
          b.onLoad({ filter: /.*/, namespace: 'entry' }, () => ({
            contents: `export * from './src/random.ts'; export * from './src/tensor/index.ts'; export * from './src/nn/module.ts'; export * from './src/nn/linear.ts';
              export * from './src/nn/activation.ts'; export * from './src/nn/sequential.ts'; export * from './src/nn/mse.ts'; export * from './src/optim/sgd.ts'; export * from './src/train/loop.ts';`,
            resolveDir: new URL('..', import.meta.url).pathname,
            loader: 'ts',
          }));
        },
      },
    ],
  });
  const code = out.outputFiles[0].text;
  assert.doesNotMatch(code, /require\(["']node:/);
  const warnings: string[] = [];
  const ctx: Record<string, unknown> = { console: { warn: (m: string) => warnings.push(m), log: () => {} }, performance, URL };
  runInNewContext(code, ctx);
  const r = ctx.result as { backend: string; first: number; last: number; out: number[] };
  assert.equal(r.backend, 'js');
  assert.match(warnings.join('\n'), /not running under Node.js/);
  assert.ok(r.last < r.first / 5, `XOR loss ${r.first} → ${r.last}`);
  assert.deepEqual(
    Array.from(r.out, (v) => (v > 0.5 ? 1 : 0)),
    [0, 1, 1, 0],
  );
});
