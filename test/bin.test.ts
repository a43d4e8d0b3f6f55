/**
 * bin/latentlab.mjs runs dist/ only when `npm run build` made it from the current sources (its
 * build-stamp.json is newer than every src/ .ts file), and the TypeScript sources otherwise. Checked
 * on a throwaway package whose two copies of the CLI say which one ran.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const root = mkdtempSync(join(tmpdir(), 'latentlab-bin-'));
after(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), text);
}

mkdirSync(join(root, 'bin'));
write('package.json', '{ "type": "module" }\n');
copyFileSync(new URL('../bin/latentlab.mjs', import.meta.url), join(root, 'bin', 'latentlab.mjs'));
symlinkSync(new URL('../node_modules', import.meta.url).pathname, join(root, 'node_modules'));
for (const [dir, ext] of [
  ['dist', 'js'],
  ['src', 'ts'],
]) {
  write(`${dir}/cli/output.${ext}`, 'export function handleClosedPipes() {}\n');
  write(`${dir}/cli/main.${ext}`, `export async function main(argv) { console.log('${dir}', argv.join(' ')); return 0; }\n`);
}
write('src/cli/main.test.ts', '');

function which(env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'latentlab.mjs'), 'a', 'b'], {
    encoding: 'utf8',
    env: { ...process.env, ...env, LATENTLAB_FROM_SOURCE: env.LATENTLAB_FROM_SOURCE ?? '' },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const at = (path: string, seconds: number) => utimesSync(join(root, path), seconds, seconds);

test('without a build stamp the sources run', () => {
  assert.equal(which(), 'src a b');
});

test('a stamp newer than every source runs dist/; one source edited after the build runs the sources', () => {
  for (const f of ['src/cli/output.ts', 'src/cli/main.ts']) at(f, 1_000_000);
  write('dist/build-stamp.json', JSON.stringify({ sourcesBefore: 2_000_000_000 }));
  assert.equal(which(), 'dist a b');
  assert.equal(which({ LATENTLAB_FROM_SOURCE: '1' }), 'src a b');
  at('src/cli/main.test.ts', 3_000_000); // tests are not in dist/: editing one keeps it fresh
  assert.equal(which(), 'dist a b');
  at('src/cli/main.ts', 3_000_000);
  assert.equal(which(), 'src a b');
});

test('a stamp that is not the build’s (unreadable, no time) runs the sources', () => {
  at('src/cli/main.ts', 1_000_000);
  write('dist/build-stamp.json', '{"sourcesBefore": "soon"}');
  assert.equal(which(), 'src a b');
  write('dist/build-stamp.json', 'not json');
  assert.equal(which(), 'src a b');
});
