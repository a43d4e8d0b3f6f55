#!/usr/bin/env node
// The latentlab command. It runs the compiled dist/ when `npm run build` (npm's `prepare`) made it
// from the current sources — plain Node loads it over a second faster than the TypeScript — and
// otherwise the sources in src/ through tsx (a runtime dependency): a checkout being edited, or
// LATENTLAB_FROM_SOURCE=1.
import { readFileSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

/** The newest modification time (ms) of the .ts files under dir, tests aside. */
function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function distIsFresh() {
  if (process.env.LATENTLAB_FROM_SOURCE === '1') return false;
  try {
    const { sourcesBefore } = JSON.parse(readFileSync(new URL('dist/build-stamp.json', root), 'utf8'));
    return typeof sourcesBefore === 'number' && newestSource(new URL('src', root).pathname) < sourcesBefore;
  } catch {
    return false;
  }
}

let dir = '../dist/cli/';
let ext = '.js';
if (!distIsFresh()) {
  const { register } = await import('tsx/esm/api');
  register();
  dir = '../src/cli/';
  ext = '.ts';
}
const { handleClosedPipes } = await import(`${dir}output${ext}`);
// First, so that `latentlab … | head` ends quietly even while the CLI is still loading.
handleClosedPipes(process);
const { main } = await import(`${dir}main${ext}`);
process.exitCode = await main(process.argv.slice(2));
