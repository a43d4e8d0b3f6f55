/**
 * Command options from three layers — defaults, a JSON config file (--config), flags — merged and
 * validated with a zod schema. Every message names the key: unknown keys, wrong types and
 * out-of-range values alike.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { UsageError } from './errors.js';

function describeIssue(issue: z.core.$ZodIssue, source: string): string {
  const key = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  if (issue.code === 'unrecognized_keys') return `${source}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return `${source}: ${key}: ${issue.message}`;
}

/** Reads a JSON config file (a usage error when missing or not an object). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--config: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--config: ${path} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UsageError(`--config: ${path} must hold a JSON object, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  return v as Record<string, unknown>;
}

/** Merges file config and flags (flags win; undefined flags are ignored) and validates. */
export function resolveConfig<S extends z.ZodType>(schema: S, file: Record<string, unknown> | null, flags: Record<string, unknown>, source: string): z.infer<S> {
  const merged: Record<string, unknown> = { ...(file ?? {}) };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) merged[k] = v;
  const r = schema.safeParse(merged);
  if (!r.success) throw new UsageError(r.error.issues.map((i) => describeIssue(i, source)).join('\n'));
  return r.data;
}

/** Parses a flag value as a number (commander gives strings), leaving undefined alone. */
export function num(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isNaN(n) ? (v as unknown as number) : n;
}

/** Parses "128,64" into [128, 64]. */
export function numList(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((s) => num(s.trim()) as number);
}
