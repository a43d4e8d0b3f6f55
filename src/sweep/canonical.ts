/**
 * Canonical JSON and the content hash a sweep names its task folders by: keys sorted at every
 * level, no whitespace, numbers as JSON writes them (`1e-3` → `0.001`, `-0` → `0`), so that two
 * configs that mean the same object give the same bytes and the same sha256.
 */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level; throws, naming the path, on what JSON cannot hold. */
export function canonicalJson(value: unknown, path = '(root)'): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: expected a finite number at ${path}, got ${value}`);
      return JSON.stringify(value === 0 ? 0 : value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: expected JSON data at ${path}, got ${typeof value}`);
  }
}

/** sha256 of the canonical JSON of `value`, 64 hex digits. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
