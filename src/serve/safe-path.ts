/**
 * Which files the explorer may serve: URL paths are checked segment by segment before anything
 * touches the disk, and what they name must resolve (symlinks followed) inside the runs folder.
 * The URL class is not used for this: it would silently resolve `..` and `%2e%2e`, turning a
 * traversal attempt into some other, innocent-looking path instead of refusing it.
 */
import { realpathSync, statSync } from 'node:fs';
import { extname, join, sep } from 'node:path';

/** A request path that is refused, with the HTTP status to answer. */
export class PathRefused extends Error {
  constructor(
    readonly status: 400 | 403 | 404,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The decoded segments of a request target's path (`/api/runs/a%20b` → ['api', 'runs', 'a b']).
 * Refused (403): a segment that is or decodes to `.` or `..`, or decodes to something holding a
 * slash, a backslash or a NUL byte; (400): a target that is not an origin-form path, bad %-escapes.
 */
export function pathSegments(target: string): string[] {
  const path = target.split('?', 1)[0];
  if (!path.startsWith('/')) throw new PathRefused(400, `pathSegments: expected a path starting with '/', got ${JSON.stringify(path.slice(0, 80))}`);
  return path
    .slice(1)
    .split('/')
    .map((raw) => {
      let s: string;
      try {
        s = decodeURIComponent(raw);
      } catch {
        throw new PathRefused(400, `pathSegments: malformed %-escape in ${JSON.stringify(raw.slice(0, 80))}`);
      }
      if (s === '.' || s === '..' || /[/\\\0]/.test(s)) throw new PathRefused(403, `pathSegments: refused path segment ${JSON.stringify(raw.slice(0, 80))}`);
      return s;
    });
}

/** Whether `path` is `root` or below it (both already real paths). */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The real path of the file `segments` name under `base`, checked to lie inside `root` (a real
 * path) once every symlink is followed. Empty segments (an absolute path, `a//b`) are refused;
 * a missing file is 404; a folder is 404 (only files are served).
 */
export function resolveFileInside(root: string, base: string, segments: readonly string[]): string {
  if (segments.length === 0 || segments.some((s) => s === ''))
    throw new PathRefused(403, `resolveFileInside: refused file path ${JSON.stringify(segments.join('/'))}`);
  let real: string;
  try {
    real = realpathSync(join(base, ...segments));
  } catch {
    throw new PathRefused(404, `resolveFileInside: no file ${JSON.stringify(segments.join('/'))}`);
  }
  if (!isInside(root, real)) throw new PathRefused(403, `resolveFileInside: ${JSON.stringify(segments.join('/'))} leads outside the runs folder`);
  if (!statSync(real).isFile()) throw new PathRefused(404, `resolveFileInside: ${JSON.stringify(segments.join('/'))} is not a file`);
  return real;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** The Content-Type of a file by its extension; unknown ones are plain bytes. */
export function contentType(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}
