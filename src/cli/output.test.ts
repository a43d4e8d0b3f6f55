import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, test } from 'node:test';
import { Output, PLAIN_EVERY_MS, fillTemplate, formatEta, handleClosedPipes, plainTemplate } from './output.js';

/** A stderr stand-in that records what is written. */
function stream(isTTY: boolean, columns?: number): { isTTY: boolean; columns?: number; text: string; write(s: string): boolean } {
  return {
    isTTY,
    columns,
    text: '',
    write(s: string) {
      this.text += s;
      return true;
    },
  };
}

/** A clock the test moves by hand. */
function clock(): { now: () => number; ms: number } {
  const c = { ms: 0, now: () => c.ms };
  return c;
}

// The templates the commands use (src/cli/commands/*.ts).
const TEMPLATES = [
  'train mlp |{bar}| {percentage}% {value}/{total} steps | epoch {epoch} | loss {loss} | ETA {eta_formatted}',
  'train som |{bar}| {percentage}% {value}/{total} it | T {T} | lr {lr} | QE {qe} | ETA {eta_formatted}',
  'train desom |{bar}| {percentage}% {value}/{total} it | Lr {lr} | Lsom {lsom} | T {T} | purity {purity} | ETA {eta_formatted}',
  'cluster kmeans |{bar}| restart {value}/{total} | iteration {iteration} | inertia {inertia} | best {best} | ETA {eta_formatted}',
  'latent UMAP |{bar}| {value}/{total} epochs | ETA {eta_formatted}',
  'train-images-idx3-ubyte.gz |{bar}| {percentage}% | ETA {eta_formatted}',
];

const TOKEN = /\{\w+\}/;
const ESC = '\u001b';
/** ESC shown as <ESC>, so that patterns need no control characters. */
const visible = (s: string): string => s.replaceAll(ESC, '<ESC>');
/** What has been written, split at newlines (read through a function: assert.equal narrows err.text). */
const lines = (s: { text: string }): string[] => s.text.split('\n');

describe('formatEta', () => {
  test('writes seconds, minutes and hours the short way', () => {
    assert.equal(formatEta(0), '0s');
    assert.equal(formatEta(42.4), '42s');
    assert.equal(formatEta(192), '3m12s');
    assert.equal(formatEta(2 * 3600 + 5 * 60), '2h05m');
  });
  test('says — when there is no estimate, never INF or NULL', () => {
    for (const v of [null, Infinity, NaN, -1, 1e9]) assert.equal(formatEta(v), '—');
  });
});

describe('fillTemplate', () => {
  test('replaces every token, those without a value by —', () => {
    assert.equal(fillTemplate('epoch {epoch} | loss {loss}', { epoch: 3 }), 'epoch 3 | loss —');
    for (const t of TEMPLATES) assert.doesNotMatch(fillTemplate(t, {}), TOKEN);
  });
  test('plainTemplate drops the bar and keeps the label', () => {
    assert.equal(plainTemplate(TEMPLATES[0]), 'train mlp: {percentage}% {value}/{total} steps | epoch {epoch} | loss {loss} | ETA {eta_formatted}');
    assert.equal(
      plainTemplate(TEMPLATES[3]),
      'cluster kmeans: restart {value}/{total} | iteration {iteration} | inertia {inertia} | best {best} | ETA {eta_formatted}',
    );
  });
});

describe('progress when stderr is not a terminal', () => {
  test('prints one plain line every few seconds and one at the end, without ANSI codes, carriage returns or tokens', () => {
    const err = stream(false);
    const c = clock();
    const bar = new Output({ stderr: err, now: c.now }).progress(10000, TEMPLATES[2]);
    bar.update(0, { T: 8 });
    for (let it = 1; it <= 400; it++) {
      c.ms += 10; // 100 iterations a second
      bar.update(it, { lr: 0.0312, lsom: 1.5, T: 7.5, purity: 0.61 });
    }
    assert.equal(err.text, '', 'nothing before the first interval has passed');
    c.ms = PLAIN_EVERY_MS;
    bar.update(500, {});
    assert.equal(err.text, 'train desom: 5% 500/10000 it | Lr 0.0312 | Lsom 1.5 | T 7.5 | purity 0.61 | ETA 1m35s\n');
    c.ms += 1000;
    bar.update(600, { purity: 0.62 });
    assert.equal(lines(err).length, 2, 'one line per interval');
    bar.stop();
    assert.equal(lines(err)[1], 'train desom: 6% 600/10000 it | Lr 0.0312 | Lsom 1.5 | T 7.5 | purity 0.62 | ETA 1m34s');
    assert.equal(lines(err).length, 3);
    const all = lines(err).join('\n');
    assert.ok(!all.includes('\r') && !all.includes(ESC), 'no carriage returns or ANSI codes');
    assert.doesNotMatch(all, TOKEN);
  });

  test('prints tokens no update has given as —, and only a final line for a short run', () => {
    const err = stream(false);
    const c = clock();
    const bar = new Output({ stderr: err, now: c.now }).progress(8, TEMPLATES[0]);
    for (let s = 1; s <= 8; s++) {
      c.ms += 10;
      bar.update(s, s === 1 ? {} : { epoch: 1, loss: '2.0068' });
    }
    bar.stop();
    bar.stop();
    assert.equal(err.text, 'train mlp: 100% 8/8 steps | epoch 1 | loss 2.0068 | ETA 0s\n');
  });

  test('says — for the ETA while the value has not moved (k-means during its first restart)', () => {
    const err = stream(false);
    const c = clock();
    const bar = new Output({ stderr: err, now: c.now }).progress(10, TEMPLATES[3]);
    bar.update(0, { iteration: 0, inertia: '—', best: '—' });
    c.ms += PLAIN_EVERY_MS;
    bar.update(0, { iteration: 7, inertia: '7.6e+4' });
    assert.equal(err.text, 'cluster kmeans: restart 0/10 | iteration 7 | inertia 7.6e+4 | best — | ETA —\n');
  });

  test('prints notices as plain lines between the progress lines', () => {
    const err = stream(false);
    const c = clock();
    const out = new Output({ stderr: err, now: c.now });
    const bar = out.progress(2, TEMPLATES[0]);
    bar.update(1, { epoch: 1, loss: '0.5' });
    out.notice('epoch 1/2: train loss 0.5000');
    c.ms += 100;
    bar.update(2, { epoch: 2, loss: '0.4' });
    bar.stop();
    out.notice('done');
    assert.equal(err.text, 'epoch 1/2: train loss 0.5000\ntrain mlp: 100% 2/2 steps | epoch 2 | loss 0.4 | ETA 0s\ndone\n');
  });

  test('prints nothing with --quiet or --json', () => {
    for (const o of [{ quiet: true }, { json: true }]) {
      const err = stream(false);
      const c = clock();
      const out = new Output({ ...o, stderr: err, now: c.now });
      const bar = out.progress(2, TEMPLATES[0]);
      bar.update(1, { epoch: 1 });
      c.ms += 10 * PLAIN_EVERY_MS;
      bar.update(2, { epoch: 1 });
      bar.stop();
      assert.equal(err.text, '');
    }
  });

  test('prints notices unless --quiet (--json keeps stdout for the result; notices go to stderr)', () => {
    const quiet = stream(false);
    new Output({ quiet: true, stderr: quiet }).notice('hidden');
    const json = stream(false);
    new Output({ json: true, stderr: json }).notice('shown');
    assert.equal(quiet.text, '');
    assert.equal(json.text, 'shown\n');
  });
});

describe('progress on a terminal', () => {
  test('draws its first frame with every token filled in and redraws in place', () => {
    const err = stream(true);
    const c = clock();
    const bar = new Output({ stderr: err, now: c.now }).progress(100, TEMPLATES[1]);
    assert.equal(err.text, '', 'nothing before the first update');
    bar.update(0, { T: 4 });
    assert.match(visible(err.text), /^\rtrain som \|░{40}\| 0% 0\/100 it \| T 4 \| lr — \| QE — \| ETA —<ESC>\[K$/);
    c.ms += 1000;
    bar.update(50, { lr: 0.5 });
    assert.match(visible(err.text), /\rtrain som \|█{20}░{20}\| 50% 50\/100 it \| T 4 \| lr 0\.5 \| QE — \| ETA 1s<ESC>\[K$/);
    bar.stop();
    assert.ok(err.text.endsWith('\n'));
    assert.doesNotMatch(err.text, TOKEN);
  });

  test('prints a notice above the bar and redraws the bar under it, with no blank line', () => {
    const err = stream(true);
    const c = clock();
    const out = new Output({ stderr: err, now: c.now });
    const bar = out.progress(2, 'train mlp |{bar}| {value}/{total} | epoch {epoch}');
    bar.update(1, { epoch: 1 });
    const frame = err.text.slice(1, -3);
    err.text = '';
    out.notice('epoch 1/2: train loss 0.5000');
    assert.equal(err.text, `\r\x1b[2Kepoch 1/2: train loss 0.5000\n${frame}`);
    bar.stop();
    out.notice('after');
    assert.ok(err.text.endsWith('\nafter\n'));
  });

  test('cuts the line to the terminal width, so that redrawing it never wraps', () => {
    const err = stream(true, 30);
    const c = clock();
    const bar = new Output({ stderr: err, now: c.now }).progress(10, TEMPLATES[0]);
    bar.update(1, {});
    assert.equal(err.text, '\rtrain mlp |████░░░░░░░░░░░░░░\x1b[K');
    assert.equal(err.text.length - '\r\x1b[K'.length, 29);
  });
});

describe('handleClosedPipes', () => {
  test('ends the command with exit 0 when stdout is closed', () => {
    const stdout = new EventEmitter();
    const stderr = new EventEmitter();
    const exits: number[] = [];
    handleClosedPipes({ stdout, stderr }, (code) => exits.push(code));
    stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    assert.deepEqual(exits, [0]);
  });
  test('carries on without its notices when stderr is closed', () => {
    const stdout = new EventEmitter();
    const stderr = new EventEmitter();
    const exits: number[] = [];
    handleClosedPipes({ stdout, stderr }, (code) => exits.push(code));
    stderr.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    assert.deepEqual(exits, []);
  });
  test('still raises other stream errors', () => {
    const stdout = new EventEmitter();
    const stderr = new EventEmitter();
    handleClosedPipes({ stdout, stderr }, () => assert.fail('no exit expected'));
    assert.throws(() => stdout.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' })), /EIO/);
  });
});
