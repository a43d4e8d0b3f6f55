/**
 * A spec expanded into its tasks: every combination of the axes' values (the first axis outermost,
 * in the order the spec writes them), and within one combination every method, a method after the
 * ones it needs. The list is a pure function of the spec (and of the folder the dependencies' paths
 * point into), so every process of a sharded sweep computes the same one.
 *
 * - **id**: `<method or kind>-<axis values>`, an axis value written `s<v>` for seed, `<v>` for
 *   dataset, `<axis><v>` for the others (`desom-mnist-s0`, `kmeans-mnist-k16-s2`).
 * - **hash**: sha256 of the canonical JSON of `{ kind, config }`, the config as the kind's schema
 *   resolves it (defaults filled), without the keys that only say how to run it (`threads`,
 *   `data_dir`), a dependency's run written as that task's hash. Same hash, same run.
 * - **folder** (`dir`): `<id>-<hash8>` (layout 'hash'), or the id (layout 'id', bench desom's).
 * - **seed**: the seed axis's value (seed_mode 'axis'), or (seed_mode 'derived') the first 31
 *   bits of sha256(canonical JSON of `{ axes: the task's axis values but seed, seed: its seed
 *   value }`): distinct streams for distinct grid points, shared by the methods of one point.
 * - **unit**: tasks joined by a dependency (an autoencoder and the SOMs on its codes) form one
 *   unit, numbered in plan order; shards take whole units (shard.ts), so no shard waits on another.
 */
import { join, resolve } from 'node:path';
import { KINDS, type KindName } from '../runs/kinds/index.js';
import { contentHash } from './canonical.js';
import { methodNeeds, taskRef, type AxisValue, type SweepSpec } from './spec.js';

/** Config keys that say how a task runs, not what it computes: left out of its hash. */
export const EXECUTION_KEYS: readonly string[] = Object.freeze(['threads', 'data_dir']);

export interface PlannedTask {
  /** Position in the plan (0 …). */
  readonly index: number;
  readonly id: string;
  /** The run directory's name in the sweep folder. */
  readonly dir: string;
  /** sha256 (hex) of the task's kind and resolved config (see the file's comment). */
  readonly hash: string;
  readonly kind: KindName;
  /** The method (null when the spec has none). */
  readonly method: string | null;
  /** Whether the task is a row of the table (a method's `table`; true without methods). */
  readonly inTable: boolean;
  /** The task's value on every axis, seed included. */
  readonly coords: Readonly<Record<string, AxisValue>>;
  /** The seed axis's value (the replicate), or null without a seed axis. */
  readonly replicate: number | null;
  /** The config of a fresh run, as written to tasks/<dir>.json (a dependency as its run folder's path). */
  readonly config: Readonly<Record<string, unknown>>;
  /** The keys axes and the method set over the base (what tells this task from the others). */
  readonly diff: Readonly<Record<string, unknown>>;
  /** Ids of the tasks that must complete first. */
  readonly depends_on: readonly string[];
  readonly unit: number;
}

export interface SweepPlan {
  readonly spec: SweepSpec;
  /** sha256 of the spec's canonical JSON. */
  readonly specHash: string;
  readonly tasks: readonly PlannedTask[];
  /** Number of units (tasks joined by dependencies). */
  readonly units: number;
}

export interface PlanOptions {
  /** The sweep folder (dependencies are given to their dependents as paths into it). */
  root: string;
  /** BLAS threads of every task (overrides the spec's `threads`). */
  threads?: number;
  /** Dataset folder of every task (overrides the spec's `data_dir`). */
  dataDir?: string;
  /** Names the plan in errors (default 'planSweep'). */
  fn?: string;
}

/**
 * Refuses a config its kind's schema refuses, naming the task and every key refused; returns the
 * config as the schema resolves it (defaults filled).
 */
export function checkTaskConfig(kind: KindName, id: string, config: Readonly<Record<string, unknown>>, fn: string): Record<string, unknown> {
  const k = KINDS[kind];
  const r = k.schema.safeParse(config, { reportInput: true });
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    if (i.code === 'unrecognized_keys') return `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((key) => `"${key}"`).join(', ')}`;
    const v = i.input;
    const got = i.code !== 'custom' && v !== undefined && typeof v !== 'object' && !/\bgot\b/.test(i.message) ? ` (got ${JSON.stringify(v)})` : '';
    return `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}${got}`;
  });
  throw new RangeError(`${fn}: task ${id} (${kind}, run by \`${k.command}\`): ${problems.join('; ')}`);
}

function idPart(axis: string, v: AxisValue): string {
  const s = String(v).replace(/[^A-Za-z0-9._-]/g, '_');
  return axis === 'seed' ? `s${s}` : axis === 'dataset' ? s : `${axis.replace(/[^A-Za-z0-9]/g, '')}${s}`;
}

/** Every combination of the axes' values, the first axis outermost. */
function combinations(axes: Record<string, AxisValue[]>): Record<string, AxisValue>[] {
  let out: Record<string, AxisValue>[] = [{}];
  for (const [key, values] of Object.entries(axes)) out = out.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  return out;
}

/** The methods in declaration order, each after the ones it needs. */
function methodOrder(methods: NonNullable<SweepSpec['methods']>): string[] {
  const names = Object.keys(methods);
  const placed: string[] = [];
  while (placed.length < names.length) {
    const next = names.find((m) => !placed.includes(m) && methodNeeds(methods[m]).every((n) => placed.includes(n)));
    if (next === undefined) throw new Error('internal: methodOrder: the needs form a cycle (validateSpec refuses those)');
    placed.push(next);
  }
  return placed;
}

/** The derived seed of a task (seed_mode 'derived'): 31 bits of a hash of its axis values. */
export function derivedSeed(coords: Readonly<Record<string, AxisValue>>, replicate: number): number {
  const axes = Object.fromEntries(Object.entries(coords).filter(([k]) => k !== 'seed'));
  return Number.parseInt(contentHash({ axes, seed: replicate }).slice(0, 8), 16) & 0x7fffffff;
}

/** The tasks of a spec, in plan order, every config checked against its kind's schema. */
export function expandSpec(spec: SweepSpec, o: PlanOptions): SweepPlan {
  const fn = o.fn ?? 'planSweep';
  const root = resolve(o.root);
  const methods = spec.methods ?? { [spec.kind as string]: { kind: spec.kind, config: {}, needs: [], table: true } };
  const order = spec.methods === null ? Object.keys(methods) : methodOrder(spec.methods);
  // Units: the connected components of the needs graph, numbered per combination in plan order.
  const component = new Map<string, string>();
  const find = (m: string): string => {
    const p = component.get(m) ?? m;
    return p === m ? m : find(p);
  };
  for (const m of order) for (const n of methodNeeds(methods[m])) component.set(find(m), find(n));

  const tasks: PlannedTask[] = [];
  const byId = new Map<string, PlannedTask>();
  const dirs = new Set<string>();
  let units = 0;
  for (const coords of combinations(spec.axes)) {
    const unitOf = new Map<string, number>();
    const replicate = typeof coords.seed === 'number' ? coords.seed : null;
    const suffix = Object.entries(coords)
      .map(([k, v]) => `-${idPart(k, v)}`)
      .join('');
    for (const m of order) {
      const ms = methods[m];
      const kind = (ms.kind ?? spec.kind) as KindName;
      const id = `${spec.methods === null ? kind : m}${suffix}`.slice(0, 100);
      const depIds = methodNeeds(ms).map((n) => `${n}${suffix}`.slice(0, 100));
      const deps = depIds.map((d) => byId.get(d));
      if (deps.some((d) => d === undefined)) throw new Error(`internal: expandSpec: ${id} needs ${depIds.join(', ')}, not planned before it`);
      const depOf = (ref: string): PlannedTask => deps[methodNeeds(ms).indexOf(ref)] as PlannedTask;
      const diff: Record<string, unknown> = { ...coords };
      const hashRefs: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(ms.config)) {
        const ref = taskRef(v);
        if (ref === null) diff[k] = v;
        else {
          diff[k] = join(root, depOf(ref).dir);
          hashRefs[k] = { $task: depOf(ref).hash };
        }
      }
      if (spec.seed_mode === 'derived') diff.seed = derivedSeed(coords, replicate ?? (typeof spec.base.seed === 'number' ? spec.base.seed : 0));
      const config: Record<string, unknown> = {
        ...spec.base,
        ...diff,
        ...(o.threads === undefined ? {} : { threads: o.threads }),
        ...(o.dataDir === undefined ? {} : { data_dir: o.dataDir }),
      };
      const resolved = checkTaskConfig(kind, id, config, fn);
      const hashed = Object.fromEntries(Object.entries({ ...resolved, ...hashRefs }).filter(([k]) => !EXECUTION_KEYS.includes(k)));
      const hash = contentHash({ kind, config: hashed });
      const dir = spec.layout === 'id' ? id : `${id}-${hash.slice(0, 8)}`;
      if (byId.has(id) || dirs.has(dir))
        throw new RangeError(
          `${fn}: two tasks would both be ${id}: axis values that differ only in characters other than letters, digits, ".", "_" and "-"; rename them`,
        );
      const c = find(m);
      if (!unitOf.has(c)) unitOf.set(c, units++);
      const task: PlannedTask = {
        index: tasks.length,
        id,
        dir,
        hash,
        kind,
        method: spec.methods === null ? null : m,
        inTable: ms.table,
        coords,
        replicate,
        config,
        diff,
        depends_on: depIds,
        unit: unitOf.get(c) as number,
      };
      tasks.push(task);
      byId.set(id, task);
      dirs.add(dir);
    }
  }
  if (tasks.length === 0) throw new RangeError(`${fn}: the spec expands to no task`);
  return { spec, specHash: contentHash(spec), tasks, units };
}
