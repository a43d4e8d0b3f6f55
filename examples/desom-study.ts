/**
 * Compares groups of finished runs (e.g. DESOM in the paper's configuration against a variant, each
 * over several seeds): mean ± sample std of their summary metrics and Welch's t-test of every group
 * against the first, as a markdown table (docs/desom.md's study was made with it). It reads run
 * directories and prints; it writes nothing.
 *
 *   node --import tsx examples/desom-study.ts \
 *     --group "paper=runs/bench-desom/desom-mnist-s0,runs/bench-desom/desom-mnist-s1,runs/bench-desom/desom-mnist-s2" \
 *     --group "shuffle=runs/study/desom-shuffle-mnist-s0,runs/study/desom-shuffle-mnist-s1,runs/study/desom-shuffle-mnist-s2"
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatPValue } from '../src/experiments/desom-table.js';
import { describe, welchTTest } from '../src/stats/index.js';
import { fail, parseExampleArgs } from './example-cli.js';

const SCRIPT = 'desom-study';
const METRICS = ['purity', 'nmi_geometric', 'nmi', 'ari', 'prototype_kmeans_accuracy', 'te', 'mse', 'train_s'] as const;

const values = parseExampleArgs({
  script: SCRIPT,
  summary: "Mean ± std of finished runs' metrics per group, and Welch's t-test of every group against the first, as markdown.",
  flags: [
    '--group NAME=RUN,RUN…  a group of run directories (at least two groups; the first is the reference)',
    `--metrics M,M…         summary metrics to compare (default ${METRICS.join(',')})`,
  ],
  options: { group: { type: 'string', multiple: true }, metrics: { type: 'string' } },
});
const groups = (values.group ?? []).map((g) => {
  const eq = g.indexOf('=');
  if (eq < 1) fail(SCRIPT, `--group expects NAME=RUN,RUN,…, got ${JSON.stringify(g)}`, 2);
  return {
    name: g.slice(0, eq),
    runs: g
      .slice(eq + 1)
      .split(',')
      .filter((r) => r.length > 0),
  };
});
if (groups.length < 2) fail(SCRIPT, `expected at least two --group NAME=RUN,RUN,… (the first is the reference), got ${groups.length}`, 2);
const metrics = values.metrics === undefined ? METRICS : (values.metrics.split(',') as unknown as typeof METRICS);

/** The metric values of a group's runs (train_s from the timings); a run that did not complete is an error. */
function valuesOf(runs: readonly string[], metric: string): number[] {
  return runs.map((r) => {
    const path = join(r, 'summary.json');
    if (!existsSync(path)) throw new Error(`no run at ${r} (no ${path})`);
    const s = JSON.parse(readFileSync(path, 'utf8')) as { status: string; metrics: Record<string, number>; timings: Record<string, number> };
    if (s.status !== 'completed') throw new Error(`run ${r} is ${s.status}, not completed`);
    const v = metric === 'train_s' ? s.timings.train_s : s.metrics[metric];
    if (typeof v !== 'number') throw new Error(`run ${r} has no ${metric}`);
    return v;
  });
}

const header = ['group', 'runs', ...metrics];
const rows: string[][] = [];
const pRows: string[][] = [];
for (const g of groups) {
  const cells = metrics.map((m) => {
    const d = describe(valuesOf(g.runs, m));
    return m === 'train_s' ? `${d.mean.toFixed(1)} ± ${d.std.toFixed(1)}` : `${d.mean.toFixed(4)} ± ${d.std.toFixed(4)}`;
  });
  rows.push([g.name, String(g.runs.length), ...cells]);
  if (g !== groups[0]) {
    pRows.push([
      `${g.name} vs ${groups[0].name}`,
      '',
      ...metrics.map((m) => {
        const r = welchTTest(valuesOf(g.runs, m), valuesOf(groups[0].runs, m));
        return `${formatPValue(r.p)} ${r.t > 0 ? '↑' : r.t < 0 ? '↓' : '='}`;
      }),
    ]);
  }
}
const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
console.log(line(header));
console.log(line(header.map((_, i) => (i < 2 ? '---' : '---:'))));
for (const r of rows) console.log(line(r));
console.log('');
console.log(`Welch's t-test (two-sided) p-value of each group against ${groups[0].name}; ↑: the group's mean is higher.`);
console.log('');
console.log(line(['comparison', '', ...metrics]));
console.log(line(header.map((_, i) => (i < 2 ? '---' : '---:'))));
for (const r of pRows) console.log(line(r));
