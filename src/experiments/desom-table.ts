/**
 * The DESOM paper benchmark's results table (Forest et al., "Deep Embedded SOM", ESANN 2019,
 * Table 1): sweep records (method × dataset × seed) → mean ± std over the completed seeds per
 * metric, Welch's t-test of every method against a reference method (DESOM by default) and the
 * paper's numbers beside ours; then the same as markdown. The table is plain JSON data and the
 * markdown is a pure function of it (no dates), so reruns on the same runs give the same bytes.
 * A smoke test (`bench desom --quick`: a few rows, steps and seeds) is labelled as such, without
 * the paper's numbers or t-tests, which would read as results. The paper and its reference code
 * are summarised in docs/references.md.
 */
import { DASH, TIME_KEY, formatSummary, formatWelch, mdTable, summaryOf, welchCell, welchUntestable, type MetricCell } from '../sweep/table.js';

export { formatPValue, type MetricSummary, type WelchVsReference } from '../sweep/table.js';

export type SweepStatus = 'completed' | 'failed' | 'interrupted' | 'running' | 'missing';

/** One run of the sweep, as the sweep collects it from disk. */
export interface SweepRecord {
  method: string;
  dataset: string;
  seed: number;
  status: SweepStatus;
  run_id: string | null;
  metrics: Record<string, number>;
  train_s: number | null;
}

/** A method of the table: its id in the sweep, how the table shows it, and the paper's name for it. */
export interface DesomMethodInfo {
  id: string;
  display: string;
  /** The name in the paper's table; null when the paper has no such row. */
  paper: string | null;
  description: string;
}

/** The methods in table order. */
export const DESOM_TABLE_METHODS: readonly DesomMethodInfo[] = Object.freeze(
  [
    { id: 'kmeans', display: 'k-means', paper: null, description: 'k-means on pixels, k = map size' },
    { id: 'som', display: 'SOM', paper: 'minisom', description: 'classic online SOM on pixels' },
    { id: 'gsom', display: 'gradient SOM', paper: 'kerasom', description: 'SOM trained by gradient descent on pixels' },
    { id: 'ae_som', display: 'AE + SOM', paper: 'AE+minisom', description: "classic SOM on a trained autoencoder's codes" },
    { id: 'ae_gsom', display: 'AE + gradient SOM', paper: 'AE+kerasom', description: "gradient SOM on a trained autoencoder's codes" },
    { id: 'desom', display: 'DESOM', paper: 'DESOM', description: 'autoencoder and SOM layer trained jointly' },
    { id: 'conv_desom', display: 'conv DESOM', paper: null, description: 'DESOM with a convolutional autoencoder (train desom --encoder conv)' },
  ].map((m) => Object.freeze(m)),
);

/** The datasets in table order. */
export const DESOM_TABLE_DATASETS: readonly { id: string; display: string }[] = Object.freeze(
  [
    { id: 'mnist', display: 'MNIST' },
    { id: 'fashion-mnist', display: 'Fashion-MNIST' },
    { id: 'usps', display: 'USPS' },
  ].map((d) => Object.freeze(d)),
);

/** A column: `key` in record.metrics ('time' comes from record.train_s). */
export interface DesomMetricInfo {
  key: string;
  label: string;
  description: string;
}

/** The metric columns in table order. */
export const DESOM_TABLE_METRICS: readonly DesomMetricInfo[] = Object.freeze(
  [
    { key: 'purity', label: 'purity', description: 'share of samples that belong to the majority class of their cluster (map cell)' },
    {
      key: 'nmi_geometric',
      label: 'NMI (geom.)',
      description: "normalized mutual information, entropies averaged geometrically: the paper's NMI (scikit-learn before 0.22)",
    },
    { key: 'nmi', label: 'NMI (arith.)', description: "normalized mutual information, entropies averaged arithmetically: today's scikit-learn default" },
    { key: 'ari', label: 'ARI', description: 'adjusted Rand index of the clusters (map cells) against the classes' },
    {
      key: 'prototype_kmeans_accuracy',
      label: 'proto. k-means acc.',
      description:
        'k-means with k = number of classes on the prototypes, each sample labelled by its best-matching unit\'s cluster, scored by Hungarian-matched accuracy (the paper\'s "k-means on prototypes")',
    },
    {
      key: 'qe',
      label: 'QE',
      description:
        "quantization error: mean Euclidean distance from a sample to its best-matching unit's prototype (k-means: its nearest centroid), in the space the map lives in (pixels, or the autoencoder's codes), so it compares methods of the same space only",
    },
    { key: 'te', label: 'TE', description: 'topographic error: share of samples whose 2 best-matching cells are not edge neighbours on the map' },
    { key: 'time', label: 'time', description: 'training time in seconds (train_s)' },
  ].map((m) => Object.freeze(m)),
);

const STATUSES: readonly SweepStatus[] = ['completed', 'failed', 'interrupted', 'running', 'missing'];

/** The paper's numbers for one method on one dataset (its NMI is the geometric one). */
export interface PaperNumbers {
  purity: number;
  nmi_geometric: number;
  prototype_kmeans_accuracy?: number;
}

/** The paper's Table 1 (8×8 maps, mean over its runs), by dataset then method id. No k-means or USPS rows. */
export const PAPER: Readonly<Record<string, Readonly<Record<string, Readonly<PaperNumbers>>>>> = deepFreeze({
  mnist: {
    som: { purity: 0.637, nmi_geometric: 0.43 },
    gsom: { purity: 0.826, nmi_geometric: 0.565 },
    ae_som: { purity: 0.871, nmi_geometric: 0.616 },
    ae_gsom: { purity: 0.939, nmi_geometric: 0.661 },
    desom: { purity: 0.939, nmi_geometric: 0.657, prototype_kmeans_accuracy: 0.7611 },
  },
  'fashion-mnist': {
    som: { purity: 0.646, nmi_geometric: 0.494 },
    gsom: { purity: 0.717, nmi_geometric: 0.512 },
    ae_som: { purity: 0.734, nmi_geometric: 0.531 },
    ae_gsom: { purity: 0.764, nmi_geometric: 0.539 },
    desom: { purity: 0.752, nmi_geometric: 0.538, prototype_kmeans_accuracy: 0.5602 },
  },
});

function deepFreeze<T>(o: T): T {
  if (o !== null && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** A metric's cell: its summary over the seeds and Welch's t-test against the reference. */
export type DesomMetricCell = MetricCell;

export type DesomRunCounts = Record<SweepStatus, number> & { total: number };

export interface DesomTableRow {
  method: string;
  display: string;
  paper_name: string | null;
  counts: DesomRunCounts;
  /** Seeds of the completed runs, increasing: the sample every summary is taken over. */
  completed_seeds: number[];
  /** One cell per `DesomTable.metrics` key. */
  metrics: Record<string, DesomMetricCell>;
  paper: PaperNumbers | null;
}

export interface DesomTableDataset {
  dataset: string;
  display: string;
  rows: DesomTableRow[];
}

/** A run left out of the statistics. */
export interface DesomRunIssue {
  dataset: string;
  method: string;
  seed: number;
  status: Exclude<SweepStatus, 'completed'>;
  run_id: string | null;
}

/** A metric value of a completed run that was not a finite number (left out, as if not reported). */
export interface DesomIgnoredValue {
  dataset: string;
  method: string;
  seed: number;
  metric: string;
  value: string;
}

export interface DesomTable {
  /**
   * True for a smoke test (reduced runs that only check that every method runs end to end): its
   * rows carry no paper numbers and no t-tests, and the markdown says so above every table.
   */
  smoke_test: boolean;
  reference: string;
  reference_display: string;
  /** Metric keys, in column order. */
  metrics: string[];
  datasets: DesomTableDataset[];
  /** Runs that are not completed (failed, interrupted, running, missing), in table order. */
  not_completed: DesomRunIssue[];
  ignored_values: DesomIgnoredValue[];
}

const METHOD_INFO = new Map(DESOM_TABLE_METHODS.map((m) => [m.id, m]));
const DATASET_INFO = new Map(DESOM_TABLE_DATASETS.map((d) => [d.id, d]));

/** Known ids first in their table order, then unknown ones alphabetically (their display is their id). */
function ordered(ids: Iterable<string>, known: readonly { id: string }[]): string[] {
  const set = new Set(ids);
  const out = known.map((k) => k.id).filter((id) => set.has(id));
  const extra = [...set].filter((id) => !known.some((k) => k.id === id)).sort();
  return [...out, ...extra];
}

function methodDisplay(id: string): string {
  return METHOD_INFO.get(id)?.display ?? id;
}

function checkRecord(fn: string, r: SweepRecord, i: number): void {
  const where = `records[${i}]`;
  if (r === null || typeof r !== 'object') throw new TypeError(`${fn}: expected ${where} to be a sweep record, got ${r === null ? 'null' : typeof r}`);
  if (typeof r.method !== 'string' || r.method.length === 0)
    throw new TypeError(`${fn}: expected ${where}.method to be a non-empty string, got ${JSON.stringify(r.method)}`);
  if (typeof r.dataset !== 'string' || r.dataset.length === 0)
    throw new TypeError(`${fn}: expected ${where}.dataset to be a non-empty string, got ${JSON.stringify(r.dataset)}`);
  if (!Number.isSafeInteger(r.seed)) throw new TypeError(`${fn}: expected ${where}.seed to be an integer, got ${JSON.stringify(r.seed)}`);
  if (!STATUSES.includes(r.status)) throw new TypeError(`${fn}: expected ${where}.status to be one of ${STATUSES.join(', ')}, got ${JSON.stringify(r.status)}`);
  if (r.status === 'completed' && (r.metrics === null || typeof r.metrics !== 'object')) {
    throw new TypeError(`${fn}: expected ${where}.metrics to be an object of numbers, got ${r.metrics === null ? 'null' : typeof r.metrics}`);
  }
}

/** The value of metric `key` in a completed record, or undefined when absent; non-finite values are reported through `ignore`. */
function valueOf(r: SweepRecord, key: string, ignore: (value: unknown) => void): number | undefined {
  const v: unknown = key === TIME_KEY ? r.train_s : r.metrics[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  ignore(v);
  return undefined;
}

/**
 * Builds the results table from sweep records: for each dataset (rows only for the methods that
 * have records there), each method's run counts by status, describe() of every metric over the
 * completed seeds (sorted by seed), Welch's t-test of the reference method (default 'desom')
 * against the method per metric when both have ≥ 2 values (else null with a note), and the
 * paper's numbers. Failed, interrupted, running and missing runs are counted and listed, never
 * averaged. With `smokeTest`, the table is labelled a smoke test: no paper numbers and no t-tests
 * (welch null, note 'smoke test'). Throws on a malformed record or on two records for the same
 * method, dataset and seed.
 */
export function buildDesomTable(records: readonly SweepRecord[], o: { reference?: string; smokeTest?: boolean } = {}): DesomTable {
  const fn = 'buildDesomTable';
  const smoke = o.smokeTest ?? false;
  if (typeof smoke !== 'boolean') throw new TypeError(`${fn}: expected smokeTest to be a boolean, got ${JSON.stringify(smoke)}`);
  // Widened first: Array.isArray would narrow a readonly SweepRecord[] to any[] for the rest of the function.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the widening is the point
  if (!Array.isArray(records as unknown)) throw new TypeError(`${fn}: expected an array of sweep records, got ${records === null ? 'null' : typeof records}`);
  const reference = o.reference ?? 'desom';
  if (typeof reference !== 'string' || reference.length === 0)
    throw new TypeError(`${fn}: expected reference to be a method id like 'desom', got ${JSON.stringify(reference)}`);
  const refDisplay = methodDisplay(reference);
  const metricKeys = DESOM_TABLE_METRICS.map((m) => m.key);

  const seen = new Set<string>();
  records.forEach((r, i) => {
    checkRecord(fn, r, i);
    const id = JSON.stringify([r.dataset, r.method, r.seed]);
    if (seen.has(id))
      throw new RangeError(
        `${fn}: expected one record per method, dataset and seed, got a second one for ${r.method} on ${r.dataset}, seed ${r.seed} (records[${i}])`,
      );
    seen.add(id);
  });

  const notCompleted: DesomRunIssue[] = [];
  const ignored: DesomIgnoredValue[] = [];
  const datasets: DesomTableDataset[] = [];
  for (const dataset of ordered(
    records.map((r) => r.dataset),
    DESOM_TABLE_DATASETS,
  )) {
    const inDataset = records.filter((r) => r.dataset === dataset);
    // Values per method and metric, over completed runs in seed order (so record order cannot change the sums).
    const values = new Map<string, Map<string, number[]>>();
    const rowsBase: Omit<DesomTableRow, 'metrics'>[] = [];
    for (const method of ordered(
      inDataset.map((r) => r.method),
      DESOM_TABLE_METHODS,
    )) {
      const rs = inDataset.filter((r) => r.method === method).sort((a, b) => a.seed - b.seed);
      const counts = { total: rs.length, completed: 0, failed: 0, interrupted: 0, running: 0, missing: 0 } as DesomRunCounts;
      for (const r of rs) {
        counts[r.status]++;
        if (r.status !== 'completed') notCompleted.push({ dataset, method, seed: r.seed, status: r.status, run_id: r.run_id });
      }
      const completed = rs.filter((r) => r.status === 'completed');
      const perMetric = new Map<string, number[]>();
      for (const key of metricKeys) {
        const xs: number[] = [];
        for (const r of completed) {
          const v = valueOf(r, key, (bad) => ignored.push({ dataset, method, seed: r.seed, metric: key, value: String(bad) }));
          if (v !== undefined) xs.push(v);
        }
        perMetric.set(key, xs);
      }
      values.set(method, perMetric);
      const info = METHOD_INFO.get(method);
      const paper = smoke ? undefined : PAPER[dataset]?.[method];
      rowsBase.push({
        method,
        display: methodDisplay(method),
        paper_name: info?.paper ?? null,
        counts,
        completed_seeds: completed.map((r) => r.seed),
        paper: paper === undefined ? null : { ...paper },
      });
    }
    const refValues = values.get(reference) ?? null;
    const rows: DesomTableRow[] = rowsBase.map((row) => {
      const metrics: Record<string, DesomMetricCell> = {};
      for (const key of metricKeys) {
        const xs = values.get(row.method)?.get(key) ?? [];
        const welch = smoke
          ? { welch: null, welch_note: 'smoke test' }
          : welchCell(refValues?.get(key) ?? null, refDisplay, xs, row.display, row.method === reference);
        metrics[key] = { summary: summaryOf(xs), ...welch };
      }
      return { ...row, metrics };
    });
    datasets.push({ dataset, display: DATASET_INFO.get(dataset)?.display ?? dataset, rows });
  }
  return { smoke_test: smoke, reference, reference_display: refDisplay, metrics: metricKeys, datasets, not_completed: notCompleted, ignored_values: ignored };
}

// ----------------------------------------------------------------------------- markdown

function formatPaper(p: PaperNumbers | null): string {
  return p === null ? DASH : `${p.purity.toFixed(3)} / ${p.nmi_geometric.toFixed(3)}`;
}

function metricLabel(key: string): string {
  return DESOM_TABLE_METRICS.find((m) => m.key === key)?.label ?? key;
}

/** The paragraph above a smoke test's tables. */
export const SMOKE_TEST_NOTICE =
  '**Smoke test, not the benchmark.** These runs (`latentlab bench desom --quick`) use a few rows, steps and seeds ' +
  'only to check that every method runs end to end. Their numbers say nothing about the methods and are not comparable ' +
  "with the paper's, so neither the paper's numbers nor t-tests are shown. Run `latentlab bench desom` without `--quick` for the benchmark.";

/**
 * The table as markdown: per dataset a table (rows = methods; columns: paper name, completed/total
 * seeds, every metric as mean ± std, the paper's purity / NMI and, where the paper has it, its
 * k-means-on-prototypes accuracy), then the p-values of Welch's t-test against the reference with
 * ↑ / ↓ for whether the reference's mean is higher or lower; then a legend and the runs left out.
 * A smoke test opens with SMOKE_TEST_NOTICE, titles every table "… — smoke test" and has neither
 * the paper columns nor the p-values.
 */
export function desomTableMarkdown(table: DesomTable): string {
  const ref = table.reference_display;
  const smoke = table.smoke_test === true;
  const lines: string[] = [];
  if (smoke) lines.push('# DESOM benchmark — smoke test', '', SMOKE_TEST_NOTICE, '');
  for (const ds of table.datasets) {
    lines.push(smoke ? `## ${ds.display} — smoke test` : `## ${ds.display}`, '');
    const paperCols = !smoke;
    const paperAcc = paperCols && ds.rows.some((r) => r.paper?.prototype_kmeans_accuracy !== undefined);
    const header = [
      'method',
      'paper name',
      'seeds',
      ...table.metrics.map(metricLabel),
      ...(paperCols ? ['paper purity / NMI'] : []),
      ...(paperAcc ? ['paper proto. k-means acc.'] : []),
    ];
    const align: ('l' | 'r')[] = [
      'l',
      'l',
      'r',
      ...table.metrics.map((): 'r' => 'r'),
      ...(paperCols ? ['r' as const] : []),
      ...(paperAcc ? ['r' as const] : []),
    ];
    const rows = ds.rows.map((r) => [
      r.display,
      r.paper_name ?? DASH,
      `${r.counts.completed}/${r.counts.total}`,
      ...table.metrics.map((k) => formatSummary(r.metrics[k]?.summary ?? null, k, r.counts.completed)),
      ...(paperCols ? [formatPaper(r.paper)] : []),
      ...(paperAcc ? [r.paper?.prototype_kmeans_accuracy?.toFixed(4) ?? DASH] : []),
    ]);
    lines.push(...mdTable(header, align, rows), '');
    if (smoke) continue;

    const others = ds.rows.filter((r) => r.method !== table.reference);
    lines.push(`### Welch's t-test vs ${ref}, p-value (two-sided)`, '');
    const refRow = ds.rows.find((r) => r.method === table.reference);
    const why = welchUntestable(refRow?.counts.completed ?? null, ref, others.length, 'method');
    if (why !== null) {
      lines.push(`Not computed on ${ds.display}: ${why}.`, '');
      continue;
    }
    lines.push(`↑: ${ref}'s mean is higher than the method's, ↓: lower, =: equal; ${DASH}: not tested (fewer than 2 values on a side, or not reported).`, '');
    lines.push(
      ...mdTable(
        ['method', ...table.metrics.map(metricLabel)],
        ['l', ...table.metrics.map((): 'r' => 'r')],
        others.map((r) => [r.display, ...table.metrics.map((k) => (r.metrics[k] ? formatWelch(r.metrics[k]) : DASH))]),
      ),
      '',
    );
  }

  lines.push('## Legend', '');
  const cells = `Cells are mean ± sample standard deviation (ddof = 1) over the completed seeds; "seeds" is completed/total runs; "(n = k)" marks a metric that only k completed runs report; ${DASH}: not reported by the method.`;
  lines.push(
    smoke
      ? `${cells} A smoke test: no paper numbers and no t-tests (see above).`
      : `${cells} The paper's NMI is the geometric one (NMI (geom.)); it has no k-means or USPS rows. p-values: Welch's unequal-variance t-test, two-sided, of ${ref} against each method over the seeds.`,
    '',
  );
  for (const key of table.metrics) {
    const info = DESOM_TABLE_METRICS.find((m) => m.key === key);
    lines.push(`- ${metricLabel(key)}: ${info?.description ?? key}.`);
  }
  const methods = new Set(table.datasets.flatMap((d) => d.rows.map((r) => r.method)));
  for (const m of DESOM_TABLE_METHODS)
    if (methods.has(m.id)) lines.push(`- ${m.display}${m.paper === null || m.paper === m.display ? '' : ` (paper: ${m.paper})`}: ${m.description}.`);
  lines.push('');

  if (table.not_completed.length > 0) {
    const groups = STATUSES.filter((s) => s !== 'completed')
      .map((s) => [s, table.not_completed.filter((r) => r.status === s)] as const)
      .filter(([, rs]) => rs.length > 0)
      .map(
        ([s, rs]) =>
          `${s} ${rs.length} (${rs.map((r) => `${methodDisplay(r.method)} ${DATASET_INFO.get(r.dataset)?.display ?? r.dataset} seed ${r.seed}`).join(', ')})`,
      );
    lines.push(`Runs left out of the statistics: ${groups.join('; ')}.`, '');
  }
  if (table.ignored_values.length > 0) {
    const items = table.ignored_values.map(
      (v) => `${methodDisplay(v.method)} ${DATASET_INFO.get(v.dataset)?.display ?? v.dataset} seed ${v.seed} ${v.metric} = ${v.value}`,
    );
    lines.push(`Values left out (not finite numbers): ${items.join(', ')}.`, '');
  }
  return lines.join('\n');
}
