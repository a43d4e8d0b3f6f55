import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PathRefused, contentType, isInside, pathSegments, resolveFileInside } from './safe-path.js';

const refused = (status: number) => (e: unknown) => e instanceof PathRefused && e.status === status;

test('request paths decode segment by segment', () => {
  assert.deepEqual(pathSegments('/'), ['']);
  assert.deepEqual(pathSegments('/api/runs/a%20b/files/figures/x.svg?v=1'), ['api', 'runs', 'a b', 'files', 'figures', 'x.svg']);
  assert.deepEqual(pathSegments('/a//b'), ['a', '', 'b']);
});

test('dot segments, encoded separators and NUL bytes are refused, however spelled', () => {
  for (const p of ['/..', '/a/../b', '/a/./b', '/a/%2e%2e/b', '/a/%2E%2e/b', '/a/.%2e', '/a%2fb', '/a%2Fb', '/a%5cb', '/a\\b', '/a%00b', '/%2e'])
    assert.throws(() => pathSegments(p), refused(403), p);
  assert.throws(() => pathSegments('/a%zz'), refused(400));
  assert.throws(() => pathSegments('http://example.com/'), refused(400));
  assert.throws(() => pathSegments('*'), refused(400));
});

const tmp = realpathSync(mkdtempSync(join(tmpdir(), 'latentlab-safe-path-')));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('a file resolves only inside the root, symlinks followed', () => {
  const root = join(tmp, 'runs');
  mkdirSync(join(root, 'r', 'figures'), { recursive: true });
  writeFileSync(join(root, 'r', 'figures', 'a.svg'), '<svg/>');
  writeFileSync(join(tmp, 'secret.txt'), 'secret');
  symlinkSync(join(tmp, 'secret.txt'), join(root, 'r', 'figures', 'out.svg'));
  symlinkSync(join(root, 'r', 'figures', 'a.svg'), join(root, 'r', 'in.svg'));
  const base = join(root, 'r');
  assert.equal(resolveFileInside(root, base, ['figures', 'a.svg']), join(root, 'r', 'figures', 'a.svg'));
  assert.equal(resolveFileInside(root, base, ['in.svg']), join(root, 'r', 'figures', 'a.svg'));
  assert.throws(() => resolveFileInside(root, base, ['figures', 'out.svg']), refused(403));
  assert.throws(() => resolveFileInside(root, base, ['figures', 'nope.svg']), refused(404));
  assert.throws(() => resolveFileInside(root, base, ['figures']), refused(404));
  assert.throws(() => resolveFileInside(root, base, ['', 'etc', 'passwd']), refused(403));
  assert.throws(() => resolveFileInside(root, base, []), refused(403));
  assert.ok(isInside('/a/b', '/a/b/c') && isInside('/a/b', '/a/b') && !isInside('/a/b', '/a/bc'));
});

test('content types follow the extension, unknown ones are plain bytes', () => {
  assert.equal(contentType('x/fig.SVG'), 'image/svg+xml');
  assert.equal(contentType('report.html'), 'text/html; charset=utf-8');
  assert.equal(contentType('a.png'), 'image/png');
  assert.equal(contentType('model/weights.safetensors'), 'application/octet-stream');
});
