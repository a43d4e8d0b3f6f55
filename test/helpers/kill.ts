/**
 * Kills a training command with SIGKILL once its run directory's checkpoint/latest.json reaches
 * `minStep` (the resume tests: a process that dies without a chance to write anything more).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Resolves with the checkpointed step at which `child`, writing the only run under `runsDir`, was killed; rejects when it finished first. */
export function killAtCheckpoint(child: ChildProcess, runsDir: string, minStep: number): Promise<number> {
  let killedAt = -1;
  return new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const ids = existsSync(runsDir) ? readdirSync(runsDir) : [];
      const latest = ids.length === 1 ? join(runsDir, ids[0], 'checkpoint', 'latest.json') : '';
      if (latest !== '' && existsSync(latest)) {
        const step = (JSON.parse(readFileSync(latest, 'utf8')) as { step: number }).step;
        if (step >= minStep) {
          child.kill('SIGKILL');
          killedAt = step;
          clearInterval(timer);
        }
      }
    }, 5);
    child.on('exit', () => {
      clearInterval(timer);
      if (killedAt < 0) reject(new Error('the run finished before it could be killed'));
      else resolve(killedAt);
    });
  });
}
