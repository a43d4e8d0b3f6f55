/**
 * The latentlab command refusing what it cannot do (sizes beyond the machine, flags that are not
 * numbers, runs that do not exist) as usage errors that name the flag; ending quietly when its
 * reader closes the pipe; and progress that reads cleanly in a log.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { z } from 'zod';
import { main } from '../src/cli/main.js';
import { aeConfigSchema, desomConfigSchema, kmeansConfigSchema, mlpConfigSchema, somConfigSchema } from '../src/runs/kinds/index.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-robust-'));
after(() => rmSync(work, { recursive: true, force: true }));
const ENV = { ...process.env, LATENTLAB_OFFLINE: '1' };
/** The flag of a config key, as every command spells it: batch_size → --batch-size. */
const flagName = (key: string): string => `--${key.replace(/_/g, '-')}`;

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, '--out', work, ...args], { cwd: work, encoding: 'utf8', env: ENV });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** main() in this process, with what it writes on stderr. */
async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  // eslint-disable-next-line @typescript-eslint/unbound-method -- saved only to be put back as process.stderr.write below, never called detached
  const write = process.stderr.write;
  process.stderr.write = (s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  };
  try {
    return { code: await main(['--out', work, ...args]), stderr };
  } finally {
    process.stderr.write = write;
  }
}

/** The config keys of a schema that hold a number or a list of numbers (the ones given through num / numList). */
function numericKeys(schema: z.ZodType): string[] {
  type Def = { type: string; innerType?: { _zod: { def: Def } }; element?: { _zod: { def: Def } } };
  const unwrap = (d: Def): Def => (d.innerType !== undefined && (d.type === 'default' || d.type === 'optional') ? unwrap(d.innerType._zod.def) : d);
  const shape = (schema as unknown as { shape: Record<string, { _zod: { def: Def } }> }).shape;
  return Object.keys(shape).filter((k) => {
    const d = unwrap(shape[k]._zod.def);
    return d.type === 'number' || (d.type === 'array' && d.element !== undefined && unwrap(d.element._zod.def).type === 'number');
  });
}

const COMMANDS: [string[], z.ZodType][] = [
  [['train', 'mlp'], mlpConfigSchema],
  [['train', 'ae'], aeConfigSchema],
  [['train', 'som'], somConfigSchema],
  [['train', 'desom'], desomConfigSchema],
  [['cluster', 'kmeans'], kmeansConfigSchema],
];

describe('every numeric flag of every command reads only decimal numbers', () => {
  for (const [command, schema] of COMMANDS) {
    test(`${command.join(' ')} refuses "0x1" for each of its ${numericKeys(schema).length} numeric flags, naming the flag`, async () => {
      const keys = numericKeys(schema);
      assert.ok(keys.length >= 5, `found only ${keys.join(', ')}`);
      for (const key of keys) {
        const r = await run([...command, flagName(key), '0x1']);
        assert.equal(r.code, 2, `${flagName(key)}: ${r.stderr}`);
        assert.match(r.stderr, new RegExp(`${flagName(key)}: expected (a number|comma-separated numbers such as 256,128), got "0x1"`), r.stderr);
      }
    });
  }

  test('hex, empty, trailing garbage, words and leading spaces are all refused', async () => {
    for (const text of ['0x1', '', '1e0x', 'abc', ' 5']) {
      const r = await run(['train', 'mlp', '--epochs', text]);
      assert.equal(r.code, 2, JSON.stringify(text));
      assert.ok(r.stderr.includes(`train mlp: --epochs: expected a number, got ${JSON.stringify(text)}`), r.stderr);
    }
    const lr = await run(['train', 'mlp', '--lr', 'abc']);
    assert.match(lr.stderr, /--lr: expected a number, got "abc"/);
  });

  test('a refused number leaves no run directory behind', async () => {
    const before = readdirSync(work).length;
    await run(['train', 'ae', '--latent', '0x10']);
    assert.equal(readdirSync(work).length, before);
  });
});

describe('usage errors name the flag and its value (exit 2)', () => {
  test('--threads beyond the backend’s limit', async () => {
    const r = await run(['train', 'mlp', '--threads', '100000']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--threads 100000: expected at most 1024 threads/);
  });

  test('--resume of a run that does not exist', async () => {
    const r = await run(['train', 'som', '--resume', 'no-such-run']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--resume\b.*no run "no-such-run"/);
  });

  test('--batch-size too large to allocate (was "Invalid typed array length", exit 1)', () => {
    const r = cli(['train', 'mlp', '--limit', '256', '--epochs', '1', '--batch-size', '100000000000']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /--batch-size 100000000000: a minibatch of 100000000000 rows through a 784-100-10 model needs .* more than this machine's .* of memory/,
    );
    assert.doesNotMatch(r.stderr, /Invalid typed array length/);
  });

  test('--hidden too large for the machine', () => {
    const r = cli(['train', 'mlp', '--limit', '256', '--hidden', '5000000000']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--hidden 5000000000: a 784-5000000000-10 model .* needs .* more than this machine's/);
  });

  test('--latent too large for the machine', () => {
    const r = cli(['train', 'ae', '--limit', '256', '--latent', '1e11']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--latent 100000000000: a 784-128-100000000000-128-784 autoencoder .* needs /);
  });

  test('--k more than the rows to cluster (was a runtime failure, exit 1)', () => {
    const r = cli(['cluster', 'kmeans', '--limit', '1000', '--k', '100000']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--k 100000: expected at most the 1000 train rows to cluster/);
  });
});

describe('a closed stdout ends the command quietly', () => {
  test('data info mnist | head -1 exits 0 without an EPIPE stack trace', async () => {
    const child = spawn(process.execPath, [BIN, 'data', 'info', 'mnist'], { cwd: work, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    // Like head -1: read the first chunk, then close the pipe while the command still has lines to write (the test split's).
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
  });
});

describe('progress in a log (stderr not a terminal)', () => {
  function assertClean(stderr: string): void {
    assert.doesNotMatch(stderr, /\{\w+\}/, 'no template tokens');
    assert.ok(!stderr.includes('\r') && !stderr.includes('\u001b'), 'no carriage returns or ANSI codes');
    assert.doesNotMatch(stderr, /\n\n|^\n/, 'no blank lines');
  }

  test('train mlp prints its epochs and a final progress line, nothing else between header and summary', () => {
    const r = cli(['train', 'mlp', '--dataset', 'mnist', '--limit', '256', '--epochs', '2']);
    assert.equal(r.code, 0, r.stderr);
    assertClean(r.stderr);
    assert.match(
      r.stderr,
      /^epoch 1\/2: train loss [\d.]+, test accuracy [\d.]+%\nepoch 2\/2: .*\ntrain mlp: 100% 8\/8 steps \| epoch 2 \| loss [\d.]+ \| ETA 0s\n/m,
    );
  });

  test('cluster kmeans is no longer silent between header and summary', () => {
    const r = cli(['cluster', 'kmeans', '--limit', '500', '--restarts', '2', '--split', 'all']);
    assert.equal(r.code, 0, r.stderr);
    assertClean(r.stderr);
    assert.match(r.stderr, /^cluster kmeans: restart 2\/2 \| iteration \d+ \| inertia \S+ \| best \S+ \| ETA 0s$/m);
    assert.doesNotMatch(r.stderr, /NFs/);
  });
});
