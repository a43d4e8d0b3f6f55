/**
 * A stand-in for the latentlab entry script that a sweep's task commands run (`sweep run --entry`,
 * SweepOptions.entry), so that tests of the sweep machinery — sharding, claims, retries, kills,
 * merges — spend milliseconds per task instead of a real training's seconds. It keeps the run
 * directory contract the runner reads: `--config FILE --run-id ID` creates `<out>/<id>/` (refused
 * when it exists), takes run.lock, writes config.json and a `running` summary, "trains" for
 * `STEPS` steps of `STEP_MS` (a checkpoint/latest.json after step 2), then writes metrics that are
 * a pure function of the config and the `completed` summary; `--resume ID` continues from the
 * checkpoint. A config with `seed: 13` fails (summary `failed`, exit 1). Every invocation appends one
 * line to `<out>/stub-calls.log`: `fresh <id>` or `resume <id>`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STUB = String.raw`
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
const STEPS = 4;
const STEP_MS = Number(process.env.STUB_STEP_MS ?? 150);
const argv = process.argv.slice(2);
const val = (flag) => { const i = argv.indexOf(flag); return i < 0 ? undefined : argv[i + 1]; };
const out = val('--out');
const resume = val('--resume');
const id = resume ?? val('--run-id');
const dir = join(out, id);
const write = (f, v) => { const tmp = f + '.tmp-' + process.pid; writeFileSync(tmp, JSON.stringify(v)); renameSync(tmp, f); };
appendFileSync(join(out, 'stub-calls.log'), (resume ? 'resume ' : 'fresh ') + id + '\n');
const start = (() => { try { const s = readFileSync('/proc/' + process.pid + '/stat', 'utf8'); return s.slice(s.lastIndexOf(')') + 2).split(' ')[19]; } catch { return null; } })();
const lock = join(dir, 'run.lock');
let config;
let from = 0;
if (resume) {
  if (existsSync(lock)) {
    const o = JSON.parse(readFileSync(lock, 'utf8'));
    let alive = true;
    try { process.kill(o.pid, 0); } catch { alive = false; }
    if (alive) { console.error('--resume: locked'); process.exit(2); }
  }
  config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).config;
  from = JSON.parse(readFileSync(join(dir, 'checkpoint', 'latest.json'), 'utf8')).step;
} else {
  if (existsSync(dir)) { console.error('--run-id: run ' + id + ' already exists'); process.exit(2); }
  config = JSON.parse(readFileSync(val('--config'), 'utf8'));
  mkdirSync(join(dir, 'checkpoint'), { recursive: true });
}
writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), start, since: new Date().toISOString() }));
const kind = argv.includes('kmeans') ? 'kmeans' : argv.includes('som') ? 'som' : 'desom';
if (!resume) write(join(dir, 'config.json'), { kind, config });
const summary = (status, extra = {}) => write(join(dir, 'summary.json'), { status, metrics: {}, timings: {}, kind, run_id: id, started_at: '', updated_at: '', pid: process.pid, ...extra });
summary('running');
for (let step = from + 1; step <= STEPS; step++) {
  await new Promise((r) => setTimeout(r, STEP_MS));
  if (step === 2) write(join(dir, 'checkpoint', 'latest.json'), { step });
  if (config.seed === 13 && step === 2) { summary('failed', { error: 'stub: seed 13 fails' }); rmSync(lock, { force: true }); console.error('stub: seed 13 fails'); process.exit(1); }
}
// Metrics: a pure function of what the run computes: its config without threads and data_dir, an
// encoder run by its folder's name (which holds its config's hash), not by where the sweep folder is.
const text = JSON.stringify(Object.keys(config).filter((k) => k !== 'threads' && k !== 'data_dir').sort().map((k) => [k, k === 'encoder' ? basename(config[k]) : config[k]]));
let h = 0;
for (const c of text) h = (h * 31 + c.charCodeAt(0)) >>> 0;
summary('completed', { metrics: { purity: (h % 1000) / 1000, nmi: ((h >>> 10) % 1000) / 1000 }, timings: { train_s: 1 + (config.seed ?? 0) } });
rmSync(lock, { force: true });
`;

/** Writes the stand-in entry script into `dir` and returns its path. */
export function writeSweepStub(dir: string): string {
  const path = join(dir, 'stub-latentlab.mjs');
  writeFileSync(path, STUB);
  return path;
}
