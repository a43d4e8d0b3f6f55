/**
 * The repository stands alone: a user clones it with nothing beside it, so no code, doc or comment
 * may point outside it — at a sibling folder (`../shared/…`: its data, notes, design or sources),
 * at a design document that is not in the repository, or at an absolute path of one machine
 * (`/work/…`, `/home/…`, `/root/…`, `/Users/…`; `/tmp/…` is left to review: it is every machine's).
 * Scans every file git tracks or would track (untracked but not ignored), except test fixtures and
 * binary files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SELF = 'test/standalone.test.ts';
const BINARY = /\.(png|jpe?g|gif|ico|gz|zip|safetensors|npy|npz|h5|bin|node|so|woff2?)$/i;

// Built from pieces so that this file does not match itself.
const SHARED = 'sha' + 'red';
const RULES: { name: string; re: RegExp }[] = [
  { name: 'a sibling folder', re: new RegExp(`\\.\\./${SHARED}\\b`) },
  { name: 'the shared folder', re: new RegExp(`\\b${SHARED}/(data|notes|DESIGN|seeds|hooks)\\b`) },
  // Not preceded by a word character, '.', '~', '-' or '\': a path of one machine, not part of a URL,
  // a relative path or an escaped regular expression.
  { name: 'an absolute path of one machine', re: /(^|[^\w.~\\-])\/(work|home|root|Users)\/|\b[A-Z]:\\Users\\/ },
];

/** Folders that are installed or made, never written by hand. */
const GENERATED = new Set(['node_modules', '.git', 'build', 'dist', 'runs']);

/** The files git tracks or would track, relative to ROOT; outside a git checkout (an unpacked archive), every file but the generated ones. */
function repoFiles(): string[] {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status === 0 && !r.error) return [...new Set(r.stdout.split('\0').filter((f) => f.length > 0))].sort();
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(ROOT, rel))) {
      if (GENERATED.has(name)) continue;
      const f = rel === '' ? name : `${rel}/${name}`;
      if (statSync(join(ROOT, f)).isDirectory()) walk(f);
      else out.push(f);
    }
  };
  walk('');
  return out.sort();
}

/** CI's script is the one place that may name the data folder beside the checkout (LATENTLAB_DATA_DIR for `npm run test:data`). */
const ALLOWED = new Set(['.ci/run']);

function isText(path: string): boolean {
  const buf = readFileSync(path);
  return !buf.subarray(0, 8192).includes(0);
}

test('no file points outside the repository (sibling folders, a missing DESIGN.md, absolute paths)', () => {
  const files = repoFiles();
  const hasDesign = files.some((f) => f === 'DESIGN.md' || f.endsWith('/DESIGN.md'));
  const rules = hasDesign ? RULES : [...RULES, { name: 'DESIGN.md, which is not in the repository (docs/architecture.md is)', re: /\bDESIGN\.md\b/ }];
  const hits: string[] = [];
  let scanned = 0;
  for (const f of files) {
    if (f === SELF || ALLOWED.has(f) || f.split('/').includes('fixtures') || BINARY.test(f)) continue;
    const path = join(ROOT, f);
    if (!existsSync(path) || !statSync(path).isFile() || !isText(path)) continue;
    scanned++;
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const rule of rules) if (rule.re.test(line)) hits.push(`${f}:${i + 1}: ${rule.name}: ${line.trim().slice(0, 160)}`);
      });
  }
  assert.ok(scanned > 100, `only ${scanned} files scanned`);
  assert.deepEqual(hits, [], `${hits.length} lines point outside the repository:\n${hits.join('\n')}`);
});

test('the rules catch what they are meant to, and leave ordinary text alone', () => {
  const bad = [
    `see ../${SHARED}/DESIGN.md`,
    `--data-dir ../${SHARED}/data/usps`,
    `${SHARED}/notes/desom-reference.md`,
    'cd /work/main',
    "'/root/data'",
    'file:///home/me/x',
    'C:\\Users\\me',
  ];
  const good = [
    'the runs shared the cores',
    'shared helpers',
    'https://example.org/home/page',
    'src/work/x',
    '~/.cache/latentlab/mnist',
    '/usr/bin/python3',
    '/proc/self/status',
    '/runs\\/home/',
  ];
  const matches = (s: string): boolean => RULES.some((r) => r.re.test(s));
  for (const s of bad) assert.ok(matches(s), s);
  for (const s of good) assert.ok(!matches(s), s);
});
