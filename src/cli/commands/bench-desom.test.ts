// `latentlab bench desom --report-only`: a clear message when there is nothing to report, and a
// smoke test (--quick, or a folder whose sweep.json says so) labelled as one, without the paper's
// numbers or p-values. The sweeps here are run directories written by hand: no training.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const BIN = new URL('../../../bin/latentlab.mjs', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'latentlab-bench-desom-'));
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, LATENTLAB_OFFLINE: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A completed DESOM run directory as the sweep names it, with made-up metrics. */
function fakeRun(dir: string, seed: number, purity: number): void {
  const id = `desom-mnist-s${seed}`;
  const run = join(dir, id);
  mkdirSync(run, { recursive: true });
  writeFileSync(join(run, 'config.json'), JSON.stringify({ kind: 'desom', config: {} }));
  writeFileSync(
    join(run, 'summary.json'),
    JSON.stringify({
      status: 'completed',
      metrics: { purity, nmi_geometric: 0.6, nmi: 0.58 },
      timings: { train_s: 10 + seed },
      kind: 'desom',
      run_id: id,
      started_at: '',
      updated_at: '',
      pid: 0,
    }),
  );
}

const SWEEP = ['--report-only', '--datasets', 'mnist', '--methods', 'desom', '--seeds', '2'];

test('--report-only with no sweep yet says there is nothing to report and where it looked, and writes nothing', () => {
  const out = join(work, 'runs');
  const r = cli(['bench', 'desom', ...SWEEP, '--out', out]);
  assert.equal(r.code, 1, r.stderr);
  const dir = join(out, 'bench-desom');
  assert.equal(
    r.stderr.trim(),
    `latentlab: bench desom --report-only: nothing to report: ${dir} does not exist (looked for the run directories desom-mnist-s0 and desom-mnist-s1). Run \`latentlab bench desom\` first, or point --dir (or --out, with the same --quick, --datasets, --methods and --seeds) at an existing sweep.`,
  );
  assert.doesNotMatch(r.stderr, /ENOENT|writeFileAtomic|\n\s+at /);
  assert.equal(existsSync(dir), false);

  // An existing folder without the sweep's runs: the same, saying so.
  const empty = join(work, 'empty');
  mkdirSync(empty);
  const e = cli(['bench', 'desom', ...SWEEP, '--quick', '--dir', empty]);
  assert.equal(e.code, 1, e.stderr);
  assert.match(
    e.stderr,
    new RegExp(
      `^latentlab: bench desom --report-only: nothing to report: no runs of this sweep in ${empty} \\(looked for .*\\)\\. Run \`latentlab bench desom --quick\` first`,
    ),
  );
  assert.deepEqual(readdirSync(empty), []);
});

test('--report-only rebuilds the table; a quick sweep is labelled a smoke test without paper numbers or p-values', () => {
  const dir = join(work, 'sweep');
  fakeRun(dir, 0, 0.9);
  fakeRun(dir, 1, 0.92);

  const full = cli(['bench', 'desom', ...SWEEP, '--dir', dir]);
  assert.equal(full.code, 0, full.stderr);
  const fullMd = readFileSync(join(dir, 'results.md'), 'utf8');
  assert.match(fullMd, /\| DESOM \| DESOM \| 2\/2 \| 0\.9100 ± 0\.0141 \|/);
  assert.match(fullMd, /0\.939 \/ 0\.657/, 'a full sweep shows the paper beside ours');
  assert.doesNotMatch(fullMd, /smoke test/i);

  const quick = cli(['bench', 'desom', ...SWEEP, '--quick', '--dir', dir]);
  assert.equal(quick.code, 0, quick.stderr);
  const md = readFileSync(join(dir, 'results.md'), 'utf8');
  assert.match(md, /^# DESOM benchmark — smoke test\n\n\*\*Smoke test, not the benchmark\.\*\*/);
  assert.match(md, /## MNIST — smoke test/);
  assert.match(md, /\| DESOM \| DESOM \| 2\/2 \| 0\.9100 ± 0\.0141 \|/);
  assert.doesNotMatch(md, /0\.939|paper purity|p-value|Welch/);
  const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { smoke_test: boolean; table: { smoke_test: boolean } };
  assert.equal(json.smoke_test, true);
  assert.equal(json.table.smoke_test, true);

  // The folder's sweep.json says its runs were quick: a later report without --quick stays a smoke test.
  writeFileSync(join(dir, 'sweep.json'), JSON.stringify({ quick: true, limit: 1000, map: '8x8', matmul_precision: 'float32' }));
  const later = cli(['bench', 'desom', ...SWEEP, '--dir', dir]);
  assert.equal(later.code, 0, later.stderr);
  assert.match(later.stderr, /sweep\.json says this folder holds --quick runs/);
  assert.match(readFileSync(join(dir, 'results.md'), 'utf8'), /^# DESOM benchmark — smoke test/);
});
