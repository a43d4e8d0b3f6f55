/**
 * The explorer's server over real runs (a classifier, a DESOM, the classifier's signatures) and
 * damaged ones: the JSON API's shapes, arrays as .npy bytes that parse back to readRunArray's
 * numbers, the live streams while a run's files change, the security rules, and the CLI command.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readRunArray, readRunEvents } from '../../src/runs/api.js';
import { RunDir } from '../../src/runs/run-dir.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import type { RunDetail, RunListItem, RunsResponse } from '../../src/serve/types.js';
import { wasmKernelsUrl } from '../../src/tensor/backends/wasm.js';
import { parseNpy } from '../../web/npy.js';
import { SseReader, getJson, raw } from './http.js';
import { makeDesom, makeMalformed, makeMlp, makeSignatures } from './runs.js';

const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'latentlab-serve-api-')));
const root = join(tmp, 'runs');
const SECRET = 'the-secret-outside-the-runs-folder';
let server: RunningServer;
let base: string;

before(async () => {
  await makeMlp(root);
  await makeDesom(root);
  await makeSignatures(root, 'mlp-a');
  makeMalformed(root);
  // Things outside the runs folder that the server must never hand out.
  writeFileSync(join(tmp, 'secret.txt'), SECRET);
  mkdirSync(join(tmp, 'elsewhere'));
  writeFileSync(join(tmp, 'elsewhere', 'config.json'), JSON.stringify({ kind: 'mlp', secret: SECRET }));
  symlinkSync(join(tmp, 'elsewhere'), join(root, 'linked-out'));
  symlinkSync(join(tmp, 'secret.txt'), join(root, 'mlp-a', 'figures', 'leak.svg'));
  server = await startServer({ runsDir: root, port: 0, pollMs: 200 });
  base = server.url;
});
after(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('GET /api/runs lists every run with its kind, dataset, status, headline metric, dates and duration', async () => {
  const { root: shown, label, runs } = await getJson<RunsResponse>(base, '/api/runs');
  assert.equal(shown, root);
  assert.equal(label, root, 'as serve was given it');
  const byId = new Map(runs.map((r) => [r.id, r]));
  assert.deepEqual([...byId.keys()].sort(), ['broken', 'desom-a', 'linked-out', 'mlp-a', 'sig-a']);
  const mlp = byId.get('mlp-a') as RunListItem;
  assert.equal(mlp.kind, 'mlp');
  assert.equal(mlp.dataset, 'mnist');
  assert.equal(mlp.status, 'completed');
  assert.equal(mlp.step, 5);
  assert.equal(mlp.total, 5);
  assert.equal(mlp.headline?.name, 'test_accuracy');
  assert.ok(mlp.duration_s !== null && mlp.duration_s > 0);
  assert.ok(mlp.started !== null && !Number.isNaN(Date.parse(mlp.started)));
  assert.equal(mlp.model_run, null);
  assert.equal(byId.get('desom-a')?.headline?.name, 'purity');
  assert.equal(byId.get('sig-a')?.kind, 'signatures');
  assert.equal(byId.get('sig-a')?.model_run, 'mlp-a', 'a signatures run names the classifier it analyses');
  // Damaged runs are listed with their error; the others are not hidden by them.
  const broken = byId.get('broken') as RunListItem;
  assert.equal(broken.status, 'error');
  assert.equal(broken.kind, 'mlp');
  assert.match(broken.error ?? '', /JSON/);
  assert.equal(byId.get('linked-out')?.status, 'error');
  assert.match(byId.get('linked-out')?.error ?? '', /outside the runs folder/);
});

test('GET /api/runs/:id has the config, summary, figures, arrays with dtype and shape, and the events tail', async () => {
  const d = await getJson<RunDetail>(base, '/api/runs/desom-a');
  assert.equal(d.kind, 'desom');
  assert.equal(d.config.map, '3x3');
  assert.equal(d.record?.kind, 'desom');
  assert.equal(d.summary?.status, 'completed');
  assert.equal(d.report, '/api/runs/desom-a/files/report.html');
  const figures = d.figures.map((f) => f.path);
  assert.ok(figures.includes('figures/prototypes.png') && figures.includes('figures/loss.svg'), figures.join(', '));
  const codes = d.arrays.find((a) => a.name === 'codes');
  assert.deepEqual(codes && { dtype: codes.dtype, shape: codes.shape, url: codes.url }, {
    dtype: 'f4',
    shape: [300, 4],
    url: '/api/runs/desom-a/arrays/codes',
  });
  assert.ok(d.events_count > 0 && d.events_tail.length > 0);
  assert.deepEqual(d.events_tail.at(-1), readRunEvents(join(root, 'desom-a')).at(-1));

  const events = await getJson<{ events: Record<string, unknown>[] }>(base, '/api/runs/mlp-a/events?type=step');
  assert.deepEqual(events.events, readRunEvents(join(root, 'mlp-a'), 'step'));
  assert.equal(events.events.length, 5);
});

test("arrays are sent as .npy bytes that parse to readRunArray's numbers", async () => {
  for (const [id, name] of [
    ['desom-a', 'codes'],
    ['desom-a', 'prototypes'],
    ['desom-a', 'bmus'],
    ['mlp-a', 'test_predictions'],
    ['sig-a', 'paths'],
  ]) {
    const r = await raw(base, `/api/runs/${id}/arrays/${name}`);
    assert.equal(r.status, 200, `${id}/${name}: ${r.text.slice(0, 200)}`);
    assert.equal(r.headers['content-type'], 'application/octet-stream');
    const got = parseNpy(r.body.buffer.slice(r.body.byteOffset, r.body.byteOffset + r.body.byteLength) as ArrayBuffer);
    const want = readRunArray(join(root, id), name);
    assert.equal(got.dtype, want.dtype, `${id}/${name}`);
    assert.deepEqual(got.shape, want.shape);
    assert.deepEqual(Array.from(got.data as ArrayLike<number>), Array.from(want.data as ArrayLike<number>));
  }
  assert.equal((await raw(base, '/api/runs/desom-a/arrays/nope')).status, 404);
  // optional=1: an absent array is a 204 with no body; a present one is sent; an unknown run is still a 404.
  const absent = await raw(base, '/api/runs/desom-a/arrays/live_prototypes?optional=1');
  assert.equal(absent.status, 204);
  assert.equal(absent.body.length, 0);
  const present = await raw(base, '/api/runs/desom-a/arrays/bmus?optional=1');
  assert.equal(present.status, 200);
  assert.deepEqual(present.body, readFileSync(join(root, 'desom-a', 'arrays', 'bmus.npy')));
  assert.equal((await raw(base, '/api/runs/nope/arrays/bmus?optional=1')).status, 404);
});

test('files are served with their content type; report.html and SVGs under a sandboxing policy', async () => {
  const png = await raw(base, '/api/runs/desom-a/files/figures/prototypes.png');
  assert.equal(png.status, 200);
  assert.equal(png.headers['content-type'], 'image/png');
  assert.deepEqual(png.body, readFileSync(join(root, 'desom-a', 'figures', 'prototypes.png')));
  const svg = await raw(base, '/api/runs/mlp-a/files/figures/loss.svg');
  assert.equal(svg.headers['content-type'], 'image/svg+xml');
  assert.match(String(svg.headers['content-security-policy']), /sandbox/);
  const report = await raw(base, '/api/runs/mlp-a/files/report.html');
  assert.equal(report.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(String(report.headers['content-security-policy']), /default-src 'none'.*sandbox/);
  assert.match(report.text, /<html/);
  // Cached copies are revalidated, not sent again.
  const again = await raw(base, '/api/runs/mlp-a/files/figures/loss.svg', { headers: { 'If-None-Match': String(svg.headers.etag) } });
  assert.equal(again.status, 304);
  const head = await raw(base, '/api/runs/mlp-a/files/figures/loss.svg', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(head.headers['content-length'], String(svg.body.length));
});

test('a malformed run answers with its error, and the server goes on serving', async () => {
  const d = await getJson<RunDetail>(base, '/api/runs/broken');
  assert.equal(d.status, 'error');
  assert.match(d.error ?? '', /JSON/);
  assert.equal(d.config.dataset, 'mnist', 'what can still be read is shown');
  const live = await SseReader.open(base, '/api/runs/broken/live');
  const end = (await live.next('end')).data as { status: string; error: string | null };
  assert.equal(end.status, 'error', 'its live stream ends at once, with the error');
  assert.match(end.error ?? '', /JSON/);
  const missing = await raw(base, '/api/runs/no-such-run');
  assert.equal(missing.status, 404);
  assert.match((JSON.parse(missing.text) as { error: string }).error, /no run "no-such-run"/);
  assert.equal((await raw(base, '/api/nothing')).status, 404);
  assert.equal((await raw(base, '/api/runs')).status, 200);
});

test('traversal out of the runs folder is refused however it is spelled', async () => {
  const attempts: [string, number][] = [
    ['/api/runs/mlp-a/files/../../../secret.txt', 403],
    ['/api/runs/mlp-a/files/../../secret.txt', 403],
    ['/api/runs/mlp-a/files/%2e%2e/%2e%2e/secret.txt', 403],
    ['/api/runs/mlp-a/files/%2E%2E/%2E%2E/secret.txt', 403],
    ['/api/runs/mlp-a/files/.%2e/.%2e/secret.txt', 403],
    ['/api/runs/mlp-a/files/%2e%2e%2f%2e%2e%2fsecret.txt', 403],
    ['/api/runs/mlp-a/files/..%2F..%2Fsecret.txt', 403],
    ['/api/runs/mlp-a/files/..%5C..%5Csecret.txt', 403],
    ['/api/runs/mlp-a/files/figures%2Floss.svg', 403],
    ['/api/runs/mlp-a/files//etc/passwd', 403],
    ['/api/runs/mlp-a/files/%2Fetc%2Fpasswd', 403],
    [`/api/runs/mlp-a/files/${encodeURIComponent(join(tmp, 'secret.txt'))}`, 403],
    ['/api/runs/mlp-a/files/config.json%00.png', 403],
    ['/api/runs/mlp-a/files/figures/leak.svg', 403],
    ['/api/runs/%2e%2e/files/secret.txt', 403],
    ['/api/runs/../secret.txt', 403],
    ['/api/runs/linked-out', 403],
    ['/api/runs/linked-out/files/config.json', 403],
    ['/api/runs/linked-out/live', 403],
    ['/api/runs/mlp-a/arrays/..%2F..%2F..%2Fsecret', 403],
    ['/../secret.txt', 403],
    ['/%2e%2e/secret.txt', 403],
    ['/assets/..%2f..%2fsecret.txt', 403],
    ['/api/runs/mlp-a/files/%zz', 400],
    ['/api/runs/mlp-a/files/nope.txt', 404],
    ['/api/runs/mlp-a/files/figures', 404],
  ];
  for (const [path, status] of attempts) {
    const r = await raw(base, path);
    assert.equal(r.status, status, `${path} → ${r.status} ${r.text.slice(0, 200)}`);
    assert.ok(!r.text.includes(SECRET), `${path} leaked the secret`);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8', path);
  }
  assert.equal((await raw(base, `http://127.0.0.1:${server.port}/`)).status, 400, 'an absolute-form target');
});

test('the server is read-only: every method but GET and HEAD is 405', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    for (const path of ['/', '/api/runs', '/api/runs/mlp-a/files/config.json']) {
      const r = await raw(base, path, { method });
      assert.equal(r.status, 405, `${method} ${path}`);
      assert.equal(r.headers.allow, 'GET, HEAD');
    }
  }
  assert.ok(existsSync(join(root, 'mlp-a', 'config.json')));
});

test('the app is served with a strict Content-Security-Policy and no inline script', async () => {
  const page = await raw(base, '/');
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  const csp = String(page.headers['content-security-policy']);
  assert.match(csp, /default-src 'self'/);
  // WebAssembly compilation (the draw panel's kernels.wasm) and nothing wider: no eval, no inline script.
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
  assert.match(csp, /img-src 'self' data: blob:/);
  assert.doesNotMatch(csp.replace("'wasm-unsafe-eval'", ''), /unsafe-inline|unsafe-eval/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  for (const m of page.text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)) {
    assert.match(m[0], /\ssrc="\/assets\/app\.js"/, 'every script is a file');
    assert.equal(m[1].trim(), '');
  }
  assert.doesNotMatch(page.text, /\son[a-z]+=/i, 'no inline event handlers');
  assert.doesNotMatch(page.text, /https?:\/\//, 'nothing loaded from the internet');
  assert.equal((await raw(base, '/run/whatever/else')).text, page.text, 'every other path is the app');
  const js = await raw(base, '/assets/app.js');
  assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.doesNotMatch(js.text, /https?:\/\/(?!www\.w3\.org)/, 'the bundle fetches nothing from the internet');
  assert.equal((await raw(base, '/assets/nope.js')).status, 404);
  const wasm = await raw(base, '/assets/kernels.wasm');
  assert.equal(wasm.status, 200);
  assert.equal(wasm.headers['content-type'], 'application/wasm');
  assert.equal(wasm.headers['cache-control'], js.headers['cache-control']);
  assert.ok(wasm.body.equals(readFileSync(wasmKernelsUrl())), 'the wasm backend’s kernels.wasm, as committed');
});

test('only requests addressed to localhost are answered (DNS rebinding)', async () => {
  assert.equal((await raw(base, '/api/runs', { headers: { Host: 'evil.example' } })).status, 403);
  assert.equal((await raw(base, '/api/runs', { headers: { Host: `evil.example:${server.port}` } })).status, 403);
  assert.equal((await raw(base, '/api/runs', { headers: { Host: `localhost:${server.port}` } })).status, 200);
  assert.equal((await raw(base, '/api/runs', { headers: { Host: `127.0.0.1:${server.port}` } })).status, 200);
});

test('it binds 127.0.0.1 unless asked, and warns when asked for another address', async () => {
  assert.equal(server.host, '127.0.0.1');
  assert.equal(server.warning, null);
  const open = await startServer({ runsDir: root, host: '0.0.0.0', port: 0, app: { files: new Map(), source: 'dist' } });
  try {
    assert.match(open.warning ?? '', /reachable from other machines/);
  } finally {
    await open.close();
  }
});

test('a live run streams its new events and summary changes, then ends when it completes', async () => {
  const run = RunDir.create(root, 'mlp', 'fake-live');
  run.writeConfig({ kind: 'mlp', config: { dataset: 'mnist' } });
  const summary = {
    status: 'running' as const,
    metrics: {},
    timings: {},
    kind: 'mlp',
    run_id: 'fake-live',
    started_at: new Date().toISOString(),
    updated_at: '',
    pid: process.pid,
    step: 0,
    total_steps: 10,
  };
  run.writeSummary(summary);
  run.event({ type: 'step', step: 1, loss: 1 });
  const home = await SseReader.open(base, '/api/events');
  const all = (await home.next('runs')).data as RunsResponse;
  assert.equal(all.runs.find((r) => r.id === 'fake-live')?.status, 'running');

  const live = await SseReader.open(base, '/api/runs/fake-live/live');
  assert.deepEqual((await live.next('events')).data, { records: [{ type: 'step', step: 1, loss: 1 }], reset: true });
  assert.equal(((await live.next('summary')).data as RunListItem).status, 'running');
  run.event({ type: 'step', step: 2, loss: 0.5 });
  run.event({ type: 'step', step: 3, loss: 0.25 });
  const got: unknown[] = [];
  while (got.length < 2) got.push(...((await live.next('events')).data as { records: unknown[] }).records);
  assert.deepEqual(got, [
    { type: 'step', step: 2, loss: 0.5 },
    { type: 'step', step: 3, loss: 0.25 },
  ]);
  // The home stream sees the step advance (from the events: the summary has not moved).
  for (;;) {
    const r = (await home.next('run')).data as RunListItem;
    if (r.id === 'fake-live' && r.step === 3) break;
  }
  run.event({ type: 'final', step: 10, accuracy: 0.9 });
  run.writeSummary({ ...summary, status: 'completed', step: 10, metrics: { accuracy: 0.9 } });
  let last: RunListItem | null = null;
  for (;;) {
    const m = await live.next();
    if (m.event === 'end') break;
    if (m.event === 'summary') last = m.data as RunListItem;
  }
  assert.equal(last?.status, 'completed');
  await live.closedByServer();
  for (;;) {
    const r = (await home.next('run')).data as RunListItem;
    if (r.id === 'fake-live' && r.status === 'completed') break;
  }
  rmSync(run.path, { recursive: true });
  assert.deepEqual((await home.next('removed')).data, { id: 'fake-live' });
  home.close();
});

test('`latentlab serve` prints its URL, serves, and stops cleanly on Ctrl-C', async () => {
  const bin = new URL('../../bin/latentlab.mjs', import.meta.url).pathname;
  const child = spawn(process.execPath, [bin, 'serve', '--runs', root, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 20_000;
  while (!/^http:\/\/127\.0\.0\.1:\d+\/$/m.test(stdout)) {
    assert.ok(Date.now() < deadline, `no URL printed; stderr: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /^(http:\S+)$/m.exec(stdout)?.[1] as string;
  const runs = await getJson<RunsResponse>(url, '/api/runs');
  assert.ok(runs.runs.some((r) => r.id === 'mlp-a'));
  child.kill('SIGINT');
  assert.equal(await exited, 0, stderr);
  assert.match(stderr, /serve: stopped \(SIGINT\)/);
});
