/**
 * Faults a training command must survive honestly: a diverging run fails (exit 1) with the step
 * and its last good checkpoint instead of completing with NaN weights; a run being written cannot
 * be resumed by a second process; an unwritable --out fails fast; a run that cannot start leaves
 * no folder behind; a resumed run logs every step once; a collapsed map is flagged; config.json
 * says how the run was made.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readSafetensors } from '../src/io/safetensors.js';
import { killAtCheckpoint } from './helpers/kill.js';

const BIN = new URL('../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-faults-'));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[], opts: { timeout?: number } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: work,
    encoding: 'utf8',
    timeout: opts.timeout,
    env: { ...process.env, LATENTLAB_OFFLINE: '1' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function summary(runPath: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(runPath, 'summary.json'), 'utf8')) as Record<string, unknown>;
}

function allFinite(path: string): boolean {
  for (const t of Object.values(readSafetensors(path).tensors)) for (const v of t.data as Float32Array) if (!Number.isFinite(v)) return false;
  return true;
}

describe('a diverging run fails instead of completing', () => {
  test('train mlp with lr 1e12 stops at the first non-finite loss, keeps its last finite checkpoint and exits 1', () => {
    const out = join(work, 'div-mlp');
    const r = cli([
      '--out',
      out,
      'train',
      'mlp',
      '--optimizer',
      'sgd',
      '--activation',
      'relu',
      '--lr',
      '1e12',
      '--epochs',
      '1',
      '--limit',
      '2000',
      '--checkpoint-every',
      '1',
      '--run-id',
      'div',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /latentlab: loss became (NaN|Infinity|-Infinity) at step \d+; last good checkpoint step \d+; try a lower --lr/);
    const run = join(out, 'div');
    const s = summary(run);
    assert.equal(s.status, 'failed');
    const failure = s.failure as { reason: string; step: number; last_checkpoint_step: number };
    assert.equal(failure.reason, 'diverged');
    assert.ok(failure.last_checkpoint_step < failure.step, JSON.stringify(failure));
    assert.equal(existsSync(join(run, 'model', 'weights.safetensors')), false, 'no model is saved from a diverged run');
    const latest = JSON.parse(readFileSync(join(run, 'checkpoint', 'latest.json'), 'utf8')) as { step: number; folder: string };
    assert.equal(latest.step, failure.last_checkpoint_step);
    assert.ok(allFinite(join(run, 'checkpoint', latest.folder, 'weights.safetensors')), 'the kept checkpoint is finite');
    const ev = cli(['--out', out, 'eval', 'div']);
    assert.equal(ev.code, 2, 'eval refuses a failed run');
    assert.match(ev.stderr, /run div is failed, not completed/);
  });

  test('train ae with a huge lr fails with the divergence, not with a figure error', () => {
    const out = join(work, 'div-ae');
    const r = cli([
      '--out',
      out,
      'train',
      'ae',
      '--optimizer',
      'sgd',
      '--lr',
      '1e12',
      '--activation',
      'relu',
      '--output-activation',
      'identity',
      '--epochs',
      '1',
      '--limit',
      '1024',
      '--test-limit',
      '100',
      '--run-id',
      'div',
    ]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /latentlab: loss became (NaN|Infinity|-Infinity) at step \d+; (no checkpoint was written|last good checkpoint step \d+); try a lower --lr/,
    );
    assert.doesNotMatch(r.stderr, /lossSvg/);
    assert.equal(summary(join(out, 'div')).status, 'failed');
  });
});

describe('the runs folder and the run directory', () => {
  test('an --out under /proc fails fast with a usage error naming the folder', () => {
    const r = cli(['--out', '/proc/latentlab-x', 'train', 'mlp', '--limit', '100', '--epochs', '1'], { timeout: 20_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--out \/proc\/latentlab-x: cannot (create|write in)/);
  });

  test('an --out that is a file fails with a usage error', () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'x');
    const r = cli(['--out', join(file, 'runs'), 'train', 'mlp', '--limit', '100', '--epochs', '1']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /is a file, not a folder/);
  });

  test('a run whose data cannot be loaded leaves no folder behind', () => {
    for (const kind of ['mlp', 'ae']) {
      const out = join(work, `noload-${kind}`);
      const r = cli(['--out', out, 'train', kind, '--dataset', 'fashion-mnist', '--data-dir', join(work, 'no-such-dir'), '--epochs', '1']);
      assert.equal(r.code === 1 || r.code === 2, true, r.stderr);
      assert.deepEqual(existsSync(out) ? readdirSync(out) : [], [], `${kind}: ${r.stderr}`);
    }
  });

  test('a training command whose dataset is missing offline says how to provide it and leaves no folder', () => {
    const out = join(work, 'offline');
    const r = spawnSync(process.execPath, [BIN, '--out', out, 'train', 'mlp', '--dataset', 'fashion-mnist'], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, LATENTLAB_OFFLINE: '1', LATENTLAB_CACHE_DIR: join(work, 'empty-cache'), LATENTLAB_DATA_DIR: '' },
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /fashion-mnist is not on this machine/);
    assert.match(r.stderr, /latentlab data fetch fashion-mnist/);
    assert.match(r.stderr, /latentlab data import fashion-mnist DIR/);
    assert.doesNotMatch(r.stderr, /allowDownload/);
    assert.deepEqual(existsSync(out) ? readdirSync(out) : [], []);
  });

  test('--run-id names the run on every train command', () => {
    const out = join(work, 'ids');
    assert.equal(cli(['--out', out, 'train', 'mlp', '--limit', '256', '--epochs', '1', '--run-id', 'my-mlp']).code, 0);
    assert.equal(
      cli(['--out', out, 'train', 'ae', '--limit', '256', '--test-limit', '64', '--epochs', '1', '--run-id', 'my-ae', '--umap-epochs', '5']).code,
      0,
    );
    assert.ok(existsSync(join(out, 'my-mlp', 'summary.json')));
    assert.ok(existsSync(join(out, 'my-ae', 'summary.json')));
  });

  test('config.json records the command line, the package version and the git commit of a checkout', () => {
    const cfg = JSON.parse(readFileSync(join(work, 'ids', 'my-mlp', 'config.json'), 'utf8')) as {
      command_line: string[];
      package: { version: string };
      git: { commit: string; dirty: boolean } | null;
    };
    assert.deepEqual(cfg.command_line, ['--out', join(work, 'ids'), 'train', 'mlp', '--limit', '256', '--epochs', '1', '--run-id', 'my-mlp']);
    assert.match(cfg.package.version, /^\d+\.\d+\.\d+/);
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: new URL('..', import.meta.url).pathname, encoding: 'utf8' });
    if (head.status === 0) assert.equal(cfg.git?.commit, head.stdout.trim());
    else assert.equal(cfg.git, null);
  });

  test('the "no run" message prints an absolute path as given', () => {
    const r = cli(['runs', 'show', join(work, 'absent-run')]);
    assert.notEqual(r.code, 0);
    assert.ok(r.stderr.includes(join(work, 'absent-run', 'config.json')), r.stderr);
    assert.doesNotMatch(r.stderr, /runs\/tmp/);
  });

  test('--resume of a run that does not exist is a usage error', () => {
    const r = cli(['train', 'mlp', '--resume', 'no-such-run']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--resume.*no run "no-such-run"/);
  });
});

describe('resuming', () => {
  test('a run still being trained cannot be resumed by a second process; once its writer is killed it can, and every step is logged once', async () => {
    const out = join(work, 'live');
    const args = [
      '--out',
      out,
      'train',
      'mlp',
      '--limit',
      '8000',
      '--epochs',
      '2',
      '--batch-size',
      '32',
      '--checkpoint-every',
      '50',
      '--log-every',
      '10',
      '--run-id',
      'live',
      '--backend',
      'js',
    ];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, stdio: 'ignore', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
    // While it trains (a checkpoint exists), a second process is refused.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (existsSync(join(out, 'live', 'checkpoint', 'latest.json'))) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error('the run ended before the second process tried'));
      });
    });
    const second = cli(['--out', out, 'train', 'mlp', '--resume', 'live']);
    assert.equal(second.code, 2, second.stderr);
    assert.match(second.stderr, new RegExp(`run live is being written by process ${child.pid}`));
    const killedAt = await killAtCheckpoint(child, out, 100);
    assert.ok(killedAt >= 100);
    // The lock file of the killed writer is still there, and stale: the resume takes over.
    assert.ok(existsSync(join(out, 'live', 'run.lock')));
    const resumed = cli(['--out', out, 'train', 'mlp', '--resume', 'live']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(existsSync(join(out, 'live', 'run.lock')), false, 'the lock is released at the end');
    const steps = readFileSync(join(out, 'live', 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; step?: number })
      .filter((e) => e.type === 'step')
      .map((e) => e.step as number);
    assert.deepEqual(
      steps,
      [...new Set(steps)].sort((a, b) => a - b),
      'steps are logged once each, in order',
    );
    assert.equal(steps.length, Math.floor(500 / 10));
  });
});

describe('degenerate results', () => {
  test('a SOM that puts every row in one cell completes with a warning on the console, in summary.json and in the report', () => {
    const out = join(work, 'collapse');
    const r = cli([
      '--out',
      out,
      'train',
      'som',
      '--dataset',
      'mnist',
      '--limit',
      '2000',
      '--test-limit',
      '200',
      '--epochs',
      '1',
      '--init',
      'uniform',
      '--neighborhood',
      'bubble',
      '--t-max',
      '0.1',
      '--t-min',
      '0.1',
      '--run-id',
      'c',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: degenerate result: 100\.0% of the 2000 rows are in one of 64 cells/);
    const s = summary(join(out, 'c')) as { warnings?: { code: string }[] };
    assert.deepEqual(
      s.warnings?.map((w) => w.code),
      ['degenerate'],
    );
    assert.match(readFileSync(join(out, 'c', 'report.html'), 'utf8'), /<strong>Warning:<\/strong> degenerate result/);
  });
});
