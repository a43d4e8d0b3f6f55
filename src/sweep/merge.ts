/**
 * The sweep folder as a whole: sweep.json (the spec its tasks come from), the records of its tasks
 * read from disk, and the results table built from whatever is complete (results.json and
 * results.md), with the tasks that are not.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import { UsageError } from '../runs/errors.js';
import { KINDS } from '../runs/kinds/index.js';
import { RunDir, knownTrainSeconds } from '../runs/run-dir.js';
import { buildDesomTable, desomTableMarkdown, DESOM_TABLE_METHODS, type SweepRecord } from '../experiments/desom-table.js';
import type { PlannedTask, SweepPlan } from './expand.js';
import { readAttempt, runStatus } from './run.js';
import { validateSpec, type SweepSpec } from './spec.js';
import { buildSweepTable, sweepTableMarkdown, type TaskRecord, type TaskStatus } from './table.js';

/** The file of the sweep folder that holds its spec. */
export const MANIFEST_FILE = 'sweep.json';

/** sweep.json: the spec of the sweep in the folder (`quick` as bench desom's manifest has it). */
export interface SweepFolderManifest {
  format: 'latentlab-sweep';
  version: 1;
  /** A smoke test (the spec's table.smoke_test). */
  quick: boolean;
  spec_hash: string;
  tasks: number;
  spec: SweepSpec;
}

/** Writes sweep.json for a plan (the same bytes from every shard of one spec). */
export function writeFolderManifest(root: string, plan: SweepPlan, extra: Record<string, unknown> = {}): void {
  mkdirSync(resolve(root), { recursive: true });
  const m: SweepFolderManifest = {
    format: 'latentlab-sweep',
    version: 1,
    quick: plan.spec.table.smoke_test,
    spec_hash: plan.specHash,
    tasks: plan.tasks.length,
    spec: plan.spec,
  };
  writeJsonAtomic(join(resolve(root), MANIFEST_FILE), { ...extra, ...m });
}

/** The spec recorded in a sweep folder's sweep.json; a usage error naming the file when there is none. */
export function readFolderSpec(root: string): SweepSpec {
  const path = join(resolve(root), MANIFEST_FILE);
  if (!existsSync(path))
    throw new UsageError(`sweep merge: ${resolve(root)} is not a sweep folder (no ${MANIFEST_FILE}; \`latentlab sweep run SPEC --dir DIR\` writes it)`);
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`sweep merge: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  const spec = (m as { spec?: unknown } | null)?.spec;
  if (spec === undefined)
    throw new UsageError(
      `sweep merge: ${path} records no spec (a folder made by an earlier bench desom: rebuild its table with \`latentlab bench desom --report-only --dir ${resolve(root)}\`, or give --spec)`,
    );
  return validateSpec(spec, path);
}

/** Each task's record from disk, in plan order; the AE+SOM-like tasks' training time includes their dependencies'. */
export function collectTaskRecords(root: string, plan: SweepPlan): TaskRecord[] {
  const abs = resolve(root);
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const trainS = (t: PlannedTask): number | null => {
    if (runStatus(abs, t.dir) !== 'completed') return null;
    return knownTrainSeconds(RunDir.open(join(abs, t.dir)).readSummary()?.timings);
  };
  return plan.tasks.map((t) => {
    const st = runStatus(abs, t.dir);
    let status: TaskStatus;
    if (st === null || st === 'unknown') status = readAttempt(abs, t.dir)?.status === 'failed' ? 'failed' : 'missing';
    else status = st as TaskStatus;
    const base = { task: t.id, coords: { ...t.coords }, method: t.method, status, run: st === null ? null : t.dir };
    if (status !== 'completed') return { ...base, metrics: {}, train_s: null };
    let time = trainS(t);
    for (const d of t.depends_on) {
      const dep = byId.get(d);
      const a = dep === undefined ? null : trainS(dep);
      time = time === null || a === null ? null : time + a;
    }
    return { ...base, metrics: { ...(RunDir.open(join(abs, t.dir)).readSummary()?.metrics ?? {}) }, train_s: time };
  });
}

/** What the table's rows are when the spec does not say: 'method' with methods, else the first axis but seed, else one row. */
export function tableRows(spec: SweepSpec): string | null {
  if (spec.table.rows !== undefined) return spec.table.rows;
  if (spec.methods !== null) return 'method';
  return Object.keys(spec.axes).find((a) => a !== 'seed') ?? null;
}

/** The metric columns when the spec does not say: every headline metric of the kinds in the table. */
export function tableMetrics(spec: SweepSpec): string[] {
  if (spec.table.metrics !== undefined) return spec.table.metrics;
  const kinds =
    spec.methods === null
      ? [spec.kind]
      : Object.values(spec.methods)
          .filter((m) => m.table)
          .map((m) => m.kind ?? spec.kind);
  return [...new Set(kinds.flatMap((k) => (k === undefined ? [] : KINDS[k].headline)))];
}

export interface Merged {
  records: TaskRecord[];
  /** The markdown (results.md). */
  markdown: string;
  /** The table as data. */
  table: unknown;
  /** The tasks that are not completed, with their state and log when one exists. */
  incomplete: { task: string; dir: string; status: TaskStatus; log: string | null }[];
}

/** The table of a plan's completed tasks (the DESOM paper's for table.style 'desom'), and what is missing. */
export function mergePlan(root: string, plan: SweepPlan): Merged {
  const abs = resolve(root);
  const all = collectTaskRecords(abs, plan);
  const inTable = new Set(plan.tasks.filter((t) => t.inTable).map((t) => t.id));
  const records = all.filter((r) => inTable.has(r.task));
  const spec = plan.spec;
  let table: unknown;
  let markdown: string;
  if (spec.table.style === 'desom') {
    const rs: SweepRecord[] = records.map((r) => ({
      method: r.method ?? '',
      dataset: String(r.coords.dataset),
      seed: typeof r.coords.seed === 'number' ? r.coords.seed : 0,
      status: r.status,
      run_id: r.run,
      metrics: r.metrics,
      train_s: r.train_s,
    }));
    const t = buildDesomTable(rs, {
      smokeTest: spec.table.smoke_test,
      reference: spec.table.reference === undefined ? undefined : String(spec.table.reference),
    });
    table = t;
    markdown = desomTableMarkdown(t);
  } else {
    const rowsBy = tableRows(spec);
    const groupsBy = spec.table.groups ?? Object.keys(spec.axes).filter((a) => a !== 'seed' && a !== rowsBy);
    const known = new Map(DESOM_TABLE_METHODS.map((m) => [m.id, m.display]));
    const t = buildSweepTable(records, {
      title: spec.table.title ?? (spec.name === undefined ? 'Sweep results' : `Sweep ${spec.name}`),
      rowsBy,
      groupsBy,
      metrics: tableMetrics(spec),
      reference: spec.table.reference,
      smokeTest: spec.table.smoke_test,
      methodLabel: (m) => spec.methods?.[m]?.label ?? (spec.table.style === 'plain' ? m : (known.get(m) ?? m)),
    });
    table = t;
    markdown = sweepTableMarkdown(t);
  }
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const incomplete = all
    .filter((r) => r.status !== 'completed')
    .map((r) => {
      const dir = byId.get(r.task)?.dir ?? r.task;
      const log = join(abs, 'logs', `${dir}.log`);
      return { task: r.task, dir, status: r.status, log: existsSync(log) ? log : null };
    });
  return { records: all, markdown, table, incomplete };
}

/** mergePlan, then results.json and results.md written in the sweep folder. */
export function writeMerged(root: string, plan: SweepPlan, m: Merged): void {
  const abs = resolve(root);
  writeJsonAtomic(join(abs, 'results.json'), {
    spec_hash: plan.specHash,
    smoke_test: plan.spec.table.smoke_test,
    records: m.records,
    table: m.table,
    incomplete: m.incomplete.map(({ task, dir, status }) => ({ task, dir, status })),
  });
  writeFileAtomic(join(abs, 'results.md'), m.markdown);
}
