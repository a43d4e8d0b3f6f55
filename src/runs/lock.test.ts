import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RunLock, RunLockedError, lockOwner } from './lock.js';

const dir = mkdtempSync(join(tmpdir(), 'latentlab-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function startOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return null;
  }
}

test('a lock held by a live process refuses a second writer and names the process', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 50));
    const pid = child.pid as number;
    writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid, host: hostname(), start: startOf(pid), since: 'then' }));
    assert.throws(
      () => RunLock.acquire(dir, 'r1'),
      (e: unknown) => e instanceof RunLockedError && e.message.includes(`process ${pid}`),
    );
    assert.equal(lockOwner(dir)?.pid, pid);
  } finally {
    child.kill('SIGKILL');
  }
});

test('the lock of a process that died is stale and taken over, and released after use', () => {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(dead.stdout);
  writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid, host: hostname(), start: '1', since: 'then' }));
  assert.equal(lockOwner(dir), null);
  const lock = RunLock.acquire(dir, 'r1');
  assert.equal((JSON.parse(readFileSync(join(dir, 'run.lock'), 'utf8')) as { pid: number }).pid, process.pid);
  lock.release();
  assert.equal(existsSync(join(dir, 'run.lock')), false);
});

test('a live pid with another start time is a reused pid: the lock is stale (where /proc tells start times)', () => {
  writeFileSync(join(dir, 'run.lock'), JSON.stringify({ pid: process.ppid, host: hostname(), start: 'not-its-start', since: 'then' }));
  if (startOf(process.ppid) === null) assert.throws(() => RunLock.acquire(dir, 'r1'), RunLockedError);
  else RunLock.acquire(dir, 'r1').release();
});

test('a half-written lock file is stale', () => {
  writeFileSync(join(dir, 'run.lock'), '{"pid":');
  RunLock.acquire(dir, 'r1').release();
});
