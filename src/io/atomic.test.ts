import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { appendLine, readJsonLines, writeFileAtomic, writeJsonAtomic } from './atomic.js';

const root = mkdtempSync(join(tmpdir(), 'latentlab-atomic-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
function freshDir(): string {
  const d = join(root, `case-${n++}`);
  mkdirSync(d);
  return d;
}

describe('writeFileAtomic', () => {
  test('writes strings and bytes, replaces an existing file and leaves no temp file behind', () => {
    const dir = freshDir();
    const p = join(dir, 'a.txt');
    writeFileSync(p, 'old contents, longer than the new ones');
    writeFileAtomic(p, 'first');
    assert.equal(readFileSync(p, 'utf8'), 'first');
    writeFileAtomic(p, Uint8Array.from([0, 255, 7]));
    assert.deepEqual([...readFileSync(p)], [0, 255, 7]);
    assert.deepEqual(readdirSync(dir), ['a.txt']);
  });

  test('a failed write names the path, keeps the cause and removes its temp file', () => {
    const dir = freshDir();
    assert.throws(
      () => writeFileAtomic(join(dir, 'no-such-dir', 'x.json'), 'x'),
      (err: Error) => {
        assert.match(err.message, /^writeFileAtomic: could not write .*no-such-dir\/x\.json: ENOENT/);
        assert.equal((err.cause as NodeJS.ErrnoException).code, 'ENOENT');
        return true;
      },
    );
    // The target is a non-empty directory: the temp file is written, the rename fails, the temp file goes.
    const target = join(dir, 'taken');
    mkdirSync(join(target, 'child'), { recursive: true });
    assert.throws(() => writeFileAtomic(target, 'x'), /writeFileAtomic: could not write .*taken: E(ISDIR|NOTEMPTY|EXIST)/);
    assert.deepEqual(readdirSync(dir), ['taken']);
  });

  test('a process killed while writing leaves the old file intact', () => {
    // A child process dies by SIGKILL at the worst moment: the temp file is complete, the
    // rename has not happened yet.
    const dir = freshDir();
    const p = join(dir, 'model.json');
    writeFileSync(p, '{"old":true}\n');
    const script = `
      import fs from 'node:fs';
      import { syncBuiltinESMExports } from 'node:module';
      fs.renameSync = () => process.kill(process.pid, 'SIGKILL');
      syncBuiltinESMExports();
      const { writeFileAtomic } = await import(${JSON.stringify(new URL('./atomic.ts', import.meta.url).href)});
      writeFileAtomic(${JSON.stringify(p)}, 'x'.repeat(1 << 20));
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    assert.equal(readFileSync(p, 'utf8'), '{"old":true}\n');
    // The killed writer's temp file is left (nothing could remove it), hidden and never mistaken for the target.
    assert.ok(readdirSync(dir).every((f) => f === 'model.json' || /^\.model\.json\.tmp-\d+-[0-9a-f]{12}$/.test(f)));
  });

  test('refuses an empty path', () => {
    assert.throws(() => writeFileAtomic('', 'x'), /writeFileAtomic: expected a non-empty path string, got ""/);
  });
});

describe('writeJsonAtomic', () => {
  test('writes pretty JSON with a trailing newline', () => {
    const dir = freshDir();
    const p = join(dir, 'summary.json');
    writeJsonAtomic(p, { status: 'completed', metrics: { accuracy: 0.98 } });
    assert.equal(readFileSync(p, 'utf8'), '{\n  "status": "completed",\n  "metrics": {\n    "accuracy": 0.98\n  }\n}\n');
  });

  test('refuses a value with no JSON form instead of writing "undefined"', () => {
    const dir = freshDir();
    assert.throws(() => writeJsonAtomic(join(dir, 'u.json'), undefined), /writeJsonAtomic: cannot write .*u\.json: value undefined has no JSON representation/);
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe('appendLine and readJsonLines', () => {
  test('append creates the file and the reader returns every line in order', () => {
    const dir = freshDir();
    const p = join(dir, 'events.jsonl');
    for (let step = 0; step < 3; step++) assert.equal(appendLine(p, JSON.stringify({ step, loss: 1 / (step + 1) })), 0);
    assert.equal(readFileSync(p, 'utf8').split('\n').length, 4);
    const r = readJsonLines<{ step: number }>(p);
    assert.deepEqual(
      r.values.map((v) => v.step),
      [0, 1, 2],
    );
    assert.equal(r.skipped, 0);
  });

  test('the reader skips a torn final line and says so', () => {
    const dir = freshDir();
    const p = join(dir, 'events.jsonl');
    writeFileSync(p, '{"step":0}\n{"step":1}\n{"step":2,"lo');
    assert.deepEqual(readJsonLines(p), { values: [{ step: 0 }, { step: 1 }], skipped: 1 });
  });

  test('a final line without its newline counts as torn even when it happens to parse', () => {
    // A number cut short ("12" of "123") still parses, so the missing '\n' is what decides.
    const dir = freshDir();
    const p = join(dir, 'n.jsonl');
    writeFileSync(p, '1\n12');
    assert.deepEqual(readJsonLines(p), { values: [1], skipped: 1 });
  });

  test('appending after a crash drops the torn line so the file stays readable', () => {
    const dir = freshDir();
    const p = join(dir, 'events.jsonl');
    writeFileSync(p, '{"step":0}\n{"step":1');
    assert.equal(appendLine(p, '{"step":1}'), '{"step":1'.length);
    assert.equal(readFileSync(p, 'utf8'), '{"step":0}\n{"step":1}\n');
    // A file that is one torn line is emptied first.
    const q = join(dir, 'only-torn.jsonl');
    writeFileSync(q, '{"st');
    assert.equal(appendLine(q, '{"step":0}'), 4);
    assert.deepEqual(readJsonLines(q), { values: [{ step: 0 }], skipped: 0 });
  });

  test('the torn-line search works across read chunks', () => {
    const dir = freshDir();
    const p = join(dir, 'big.jsonl');
    const torn = 'x'.repeat(150 * 1024);
    writeFileSync(p, '"a"\n');
    appendFileSync(p, torn);
    assert.equal(appendLine(p, '"b"'), torn.length);
    assert.deepEqual(readJsonLines(p), { values: ['a', 'b'], skipped: 0 });
  });

  test('a corrupt line in the middle is an error naming the file and line', () => {
    const dir = freshDir();
    const p = join(dir, 'bad.jsonl');
    writeFileSync(p, '{"a":1}\n\nnot json\n{"a":2}\n');
    assert.throws(() => readJsonLines(p), /readJsonLines: .*bad\.jsonl line 3 is not valid JSON .*"not json"/);
  });

  test('blank lines and CRLF line ends are tolerated', () => {
    const dir = freshDir();
    const p = join(dir, 'crlf.jsonl');
    writeFileSync(p, '{"a":1}\r\n\n{"a":2}\r\n');
    assert.deepEqual(readJsonLines(p), { values: [{ a: 1 }, { a: 2 }], skipped: 0 });
  });

  test('appendLine refuses text that would span several lines', () => {
    const dir = freshDir();
    assert.throws(() => appendLine(join(dir, 'e.jsonl'), '{"a":\n1}'), /appendLine: expected a single line, got text containing a line break/);
    assert.deepEqual(readdirSync(dir), []);
  });
});
