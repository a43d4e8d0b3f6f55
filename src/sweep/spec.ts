/**
 * A sweep spec: which run kind, the config every task shares, the axes whose values multiply into
 * tasks, named variants ("methods", each a kind and config of its own, possibly needing another
 * method's run first), and the table to build from the results. Written as JSON or YAML
 * (docs/sweeps.md); validated here, every refusal naming the field:
 *
 * ```yaml
 * name: kmeans-k
 * kind: kmeans
 * base: { dataset: mnist, limit: 2000, split: all }
 * axes:
 *   k: [8, 16]
 *   seeds: 3            # or seed: [0, 1, 2]
 * table: { rows: k, metrics: [purity, nmi] }
 * ```
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../runs/errors.js';
import { KINDS, type KindName } from '../runs/kinds/index.js';

const KIND_NAMES = Object.keys(KINDS) as [KindName, ...KindName[]];
/** A value an axis takes (a config value). */
export type AxisValue = string | number | boolean;

const name = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, { error: 'expected a name of letters, digits and _, starting with a letter' });
const axisValue = z.union([z.string(), z.number(), z.boolean()], { error: 'expected a string, a number or a boolean' });
const config = z.record(z.string(), z.unknown(), { error: 'expected an object of config keys' });

/** A named variant of the sweep: its kind (default the spec's), its config over the base, what it needs first. */
const methodSchema = z.strictObject({
  kind: z.enum(KIND_NAMES).optional(),
  config: config.default({}),
  /** Methods whose run at the same axis values must complete first (a value `{ $task: name }` in config adds it). */
  needs: z.array(name).default([]),
  /** Whether the method is a row of the table (false: a helper step, such as the autoencoder the AE+SOM methods encode with). */
  table: z.boolean().default(true),
  /** How the table names it (default its name). */
  label: z.string().optional(),
  description: z.string().optional(),
});

const tableSchema = z.strictObject({
  /** What the rows are: 'method' or an axis (default: 'method' when there are methods, else the first axis but seed). */
  rows: z.string().optional(),
  /** The axes each of whose values (combinations) makes one table (default: every other axis but seed). */
  groups: z.array(z.string()).optional(),
  /** Metric columns: summary metrics by name, 'time' for the training time (default: the kinds' headline metrics). */
  metrics: z.array(z.string()).min(1).optional(),
  /** A row value every other row is compared with by Welch's t-test (default: none). */
  reference: axisValue.optional(),
  /** 'desom': the DESOM paper's table (`bench desom`'s: paper numbers, fixed methods and metrics). */
  style: z.enum(['plain', 'desom']).default('plain'),
  title: z.string().optional(),
  /** A smoke test: labelled as such, without t-tests. */
  smoke_test: z.boolean().default(false),
});

export const sweepSpecSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'expected a name of letters, digits, ".", "_" and "-"' })
    .optional(),
  description: z.string().optional(),
  kind: z.enum(KIND_NAMES).optional(),
  base: config.default({}),
  axes: z
    .record(z.string(), z.union([z.array(axisValue).min(1, { error: 'expected at least one value' }), z.int().positive()]), {
      error: 'expected an object: axis name → list of values (or seeds: a count)',
    })
    .default({}),
  // null as a validated spec writes it (sweep.json): no methods.
  methods: z.record(name, methodSchema, { error: 'expected an object: method name → { kind, config, needs }' }).nullable().optional(),
  /** 'axis': a task's seed is its seed axis value; 'derived': a hash of its axis values and that value (docs/sweeps.md). */
  seed_mode: z.enum(['axis', 'derived']).default('axis'),
  /** Task folders: 'hash' `<id>-<hash8>` (default), 'id' `<id>` (bench desom's). */
  layout: z.enum(['hash', 'id']).default('hash'),
  table: tableSchema.default({ style: 'plain', smoke_test: false }),
});

export type SweepSpecInput = z.input<typeof sweepSpecSchema>;
type Parsed = z.output<typeof sweepSpecSchema>;
export type SweepMethodSpec = z.output<typeof methodSchema>;
export type SweepTableSpec = z.output<typeof tableSchema>;

/** A validated spec: axes as lists (`seeds: n` became `seed: [0 … n−1]`), methods always present. */
export interface SweepSpec extends Omit<Parsed, 'axes' | 'methods'> {
  axes: Record<string, AxisValue[]>;
  /** null: one task per axis combination, of the spec's kind. */
  methods: Record<string, SweepMethodSpec> | null;
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.length === 0
    ? '(root)'
    : path
        .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
        .join('.')
        .replace(/\.\[/g, '[');
}

/**
 * Validates a spec (an object as read from JSON or YAML). `where` names it in errors (a file). Throws
 * UsageError listing every problem as `field: what was expected (got …)`.
 */
export function validateSpec(raw: unknown, where = 'sweep spec'): SweepSpec {
  const r = sweepSpecSchema.safeParse(raw, { reportInput: true });
  const fail = (problems: string[]): never => {
    throw new UsageError(`${where}: ${problems.join('; ')}`);
  };
  if (!r.success) {
    fail(
      r.error.issues.map((i) => {
        if (i.code === 'unrecognized_keys') return `${issuePath(i.path)}: unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
        const v = i.input;
        const got = v !== undefined && typeof v !== 'object' && !/\bgot\b/.test(i.message) ? ` (got ${JSON.stringify(v)})` : '';
        return `${issuePath(i.path)}: ${i.message}${got}`;
      }),
    );
  }
  const s = (r as { data: Parsed }).data;
  const problems: string[] = [];
  const axes: Record<string, AxisValue[]> = {};
  for (const [key, v] of Object.entries(s.axes)) {
    if (typeof v === 'number') {
      if (key !== 'seeds') problems.push(`axes.${key}: expected a list of values (only seeds takes a count), got ${v}`);
      else if (v > 10000) problems.push(`axes.seeds: expected a count of at most 10000, got ${v}`);
      else axes.seed = Array.from({ length: v }, (_, i) => i);
      continue;
    }
    if (key === 'seeds') {
      problems.push('axes.seeds: expected a count (a list of seeds is written seed: [0, 1, 2])');
      continue;
    }
    if (key === 'method') {
      problems.push('axes.method: methods are declared under methods:, not as an axis');
      continue;
    }
    const seen = new Set<string>();
    v.forEach((x, i) => {
      const k = JSON.stringify(x);
      if (seen.has(k)) problems.push(`axes.${key}[${i}]: expected distinct values, got ${k} twice`);
      seen.add(k);
    });
    if (key === 'seed' && v.some((x) => typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0))
      problems.push(`axes.seed: expected non-negative integers, got ${JSON.stringify(v)}`);
    axes[key] = v;
  }
  if ('seeds' in s.axes && 'seed' in s.axes) problems.push('axes: expected seed or seeds, not both');
  if (s.methods !== undefined && s.methods !== null && Object.keys(s.methods).length === 0)
    problems.push('methods: expected at least one method (or no methods: key)');
  const methods = s.methods ?? null;
  if (methods === null && s.kind === undefined) problems.push('kind: expected the run kind of the tasks (one of ' + KIND_NAMES.join(', ') + ')');
  if (methods !== null) {
    for (const [m, spec] of Object.entries(methods)) {
      if (spec.kind === undefined && s.kind === undefined) problems.push(`methods.${m}.kind: expected a run kind (the spec has no kind: to default to)`);
      for (const n of spec.needs) if (!(n in methods)) problems.push(`methods.${m}.needs: expected method names, got "${n}"`);
      for (const [k, v] of Object.entries(spec.config)) {
        if (k in axes) problems.push(`methods.${m}.config.${k}: ${k} is an axis; a method cannot also set it`);
        const ref = taskRef(v);
        if (ref !== null && !(ref in methods)) problems.push(`methods.${m}.config.${k}: expected { $task: <a method name> }, got ${JSON.stringify(v)}`);
      }
    }
    // Needs must form no cycle (a topological order exists).
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (m: string, trail: string[]): void => {
      if (state.get(m) === 'done') return;
      if (state.get(m) === 'visiting') {
        problems.push(`methods: needs form a cycle (${[...trail, m].join(' → ')})`);
        return;
      }
      state.set(m, 'visiting');
      for (const n of methodNeeds(methods[m])) if (n in methods) visit(n, [...trail, m]);
      state.set(m, 'done');
    };
    for (const m of Object.keys(methods)) visit(m, []);
  }
  const rowAxes = ['method', ...Object.keys(axes)];
  const t = s.table;
  if (t.rows !== undefined && !rowAxes.includes(t.rows)) problems.push(`table.rows: expected one of ${rowAxes.join(', ')}, got "${t.rows}"`);
  if (t.rows === 'method' && methods === null) problems.push('table.rows: "method" needs methods:');
  for (const g of t.groups ?? [])
    if (!(g in axes) || g === 'seed')
      problems.push(
        `table.groups: expected axes other than seed (${
          Object.keys(axes)
            .filter((a) => a !== 'seed')
            .join(', ') || 'none'
        }), got "${g}"`,
      );
  if (t.style === 'desom') {
    if (methods === null) problems.push('table.style: "desom" needs methods:');
    if (!('dataset' in axes)) problems.push('table.style: "desom" needs a dataset axis');
  }
  if (problems.length > 0) fail(problems);
  return { ...s, axes, methods };
}

/** The method a config value `{ $task: name }` refers to, or null for any other value. */
export function taskRef(v: unknown): string | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const keys = Object.keys(v);
  if (keys.length !== 1 || keys[0] !== '$task') return null;
  const n = (v as { $task: unknown }).$task;
  return typeof n === 'string' ? n : '';
}

/** A method's needs: its `needs` and the methods its config refers to. */
export function methodNeeds(m: SweepMethodSpec): string[] {
  const out = [...m.needs];
  for (const v of Object.values(m.config)) {
    const r = taskRef(v);
    if (r !== null && !out.includes(r)) out.push(r);
  }
  return out;
}

/** Parses a spec's text: JSON when it starts with `{`, else YAML (a JSON file is YAML too). */
export function parseSpecText(text: string, where = 'sweep spec'): SweepSpec {
  let raw: unknown;
  try {
    raw = text.trimStart().startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    const msg = e instanceof YAMLParseError ? e.message.split('\n')[0] : (e as Error).message;
    throw new UsageError(`${where}: not valid ${text.trimStart().startsWith('{') ? 'JSON' : 'YAML'}: ${msg}`, { cause: e });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new UsageError(
      `${where}: expected an object with kind, base, axes, … at the top, got ${raw === null ? 'nothing' : Array.isArray(raw) ? 'a list' : typeof raw}`,
    );
  return validateSpec(raw, where);
}

/** Reads and validates a spec file (.json, .yaml or .yml). */
export function readSpecFile(path: string): SweepSpec {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`sweep spec ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  return parseSpecText(text, `sweep spec ${path}`);
}
