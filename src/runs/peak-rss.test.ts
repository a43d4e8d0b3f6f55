// peakRssMb: this process's own peak, not a large parent's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { peakRssMb } from './peak-rss.js';

test('peakRssMb is a positive size no larger than getrusage reports', () => {
  const mb = peakRssMb();
  assert.ok(mb > 10 && mb <= process.resourceUsage().maxRSS / 1024 + 1, `${mb} MB`);
});

test('a child started by a process holding 400 MB reports its own peak, not the parent’s', () => {
  const big = new Uint8Array(400 * 1024 * 1024).fill(1); // resident: every page written
  const script = `import('${new URL('./peak-rss.ts', import.meta.url).href}').then((m) => console.log(JSON.stringify({ peak: m.peakRssMb(), maxrss: process.resourceUsage().maxRSS / 1024 })))`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { peak } = JSON.parse(r.stdout) as { peak: number; maxrss: number };
  assert.ok(big[big.length - 1] === 1);
  assert.ok(peak < 300, `child peak ${peak} MB (the parent holds over 400 MB)`);
});
