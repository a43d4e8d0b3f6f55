// `npm run build` (and npm's `prepare`): compiles src/ into dist/ with tsc, builds the explorer's app,
// then writes dist/build-stamp.json with the time the build started. bin/latentlab.mjs runs dist/
// only while no source file is newer than that time, so an edited checkout never runs stale code.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const STAMP = join('dist', 'build-stamp.json');
const started = Date.now();
rmSync(STAMP, { force: true });

function run(what, args) {
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`build: ${what} failed (exit ${r.status ?? r.signal}); dist/ is left without a stamp, so the CLI runs the sources`);
    process.exit(r.status ?? 1);
  }
}

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
run('tsc', [tsc, '-p', 'tsconfig.build.json']);
run('the web app', [join('scripts', 'build-web.mjs')]);
mkdirSync('dist', { recursive: true });
writeFileSync(`${STAMP}.tmp`, `${JSON.stringify({ sourcesBefore: started })}\n`);
renameSync(`${STAMP}.tmp`, STAMP);
