// Claims: one holder per task; a dead holder's claim is taken over; another host's by its heartbeat.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CLAIMS_DIR, Claim, claimOwner } from './claim.js';

const root = mkdtempSync(join(tmpdir(), 'latentlab-claim-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a claim is held until released; a second claimer sees the holder', () => {
  const a = Claim.acquire(root, 't1', 'shard 0/2');
  assert.ok(a.claim);
  const b = Claim.acquire(root, 't1', 'shard 0/2 again');
  assert.equal(b.claim, null);
  assert.equal(b.owner?.pid, process.pid);
  assert.equal(claimOwner(root, 't1')?.note, 'shard 0/2');
  a.claim.release();
  assert.equal(claimOwner(root, 't1'), null);
  const c = Claim.acquire(root, 't1', 'later');
  assert.ok(c.claim);
  assert.deepEqual(readdirSync(join(root, CLAIMS_DIR, 't1')), ['2.json'], 'numbers grow; the older file is removed');
  c.claim.release();
});

test("a dead process's claim is stale and taken over; another host's, once its heartbeat is older than the time-to-live", async () => {
  const child = spawn(process.execPath, ['-e', '']);
  const pid = child.pid as number;
  await new Promise((r) => child.on('exit', r));
  const dir = join(root, CLAIMS_DIR, 't2');
  const write = (n: number, o: object) => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${n}.json`), JSON.stringify({ since: '', token: 'x', note: 'gone', start: null, ...o }));
  };
  write(4, { pid, host: hostname() });
  const taken = Claim.acquire(root, 't2', 'retry');
  assert.ok(taken.claim);
  assert.equal(taken.claim.tookOver?.pid, pid);
  assert.deepEqual(readdirSync(dir), ['5.json']);
  taken.claim.release();

  write(1, { pid: 1, host: 'node-17' });
  assert.equal(Claim.acquire(root, 't2', 'retry').owner?.host, 'node-17', 'a fresh claim of another host is live');
  const old = new Date(Date.now() - 11 * 60_000);
  utimesSync(join(dir, '1.json'), old, old);
  const late = Claim.acquire(root, 't2', 'retry');
  assert.equal(late.claim?.tookOver?.host, 'node-17');
  late.claim?.release();
});
