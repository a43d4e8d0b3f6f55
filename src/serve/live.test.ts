import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EventsTail } from './live.js';

const tmp = mkdtempSync(join(tmpdir(), 'latentlab-live-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('the events tail hands out each whole line once, waits for a line being written, and resets on a rewrite', () => {
  const path = join(tmp, 'events.jsonl');
  const tail = new EventsTail(path);
  assert.deepEqual(tail.read(), { records: [], reset: false }, 'no file yet');
  writeFileSync(path, '{"type":"step","step":1}\n{"type":"step","step":2}\n');
  assert.deepEqual(tail.read().records, [
    { type: 'step', step: 1 },
    { type: 'step', step: 2 },
  ]);
  assert.deepEqual(tail.read(), { records: [], reset: false });
  appendFileSync(path, '{"type":"step","st');
  assert.deepEqual(tail.read().records, [], 'a torn line is left for later');
  appendFileSync(path, 'ep":3,"note":"é"}\nnot json\n{"type":"final"}\n');
  assert.deepEqual(tail.read().records, [{ type: 'step', step: 3, note: 'é' }, { type: 'final' }], 'a damaged line is skipped');
  // A resumed run rewrites the file (atomically: a new inode) without the steps past its checkpoint.
  writeFileSync(join(tmp, 'tmp'), '{"type":"step","step":1}\n');
  renameSync(join(tmp, 'tmp'), path);
  assert.deepEqual(tail.read(), { records: [{ type: 'step', step: 1 }], reset: true });
});
