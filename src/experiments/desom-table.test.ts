import assert from 'node:assert/strict';
import { describe as suite, test } from 'node:test';
import { describe, welchTTest } from '../stats/index.js';
import { DESOM_TABLE_METRICS, PAPER, SMOKE_TEST_NOTICE, buildDesomTable, desomTableMarkdown, formatPValue, type SweepRecord } from './desom-table.js';

function rec(
  method: string,
  dataset: string,
  seed: number,
  metrics: Record<string, number>,
  train_s: number | null = 100,
  status: SweepRecord['status'] = 'completed',
): SweepRecord {
  return { method, dataset, seed, status, run_id: status === 'missing' ? null : `${method}-${dataset}-s${seed}`, metrics, train_s };
}

// DESOM and SOM on MNIST, 3 seeds each, hand-picked values; k-means without te / qe; one failed SOM run and one missing k-means run.
const desomPurity = [0.9391, 0.9352, 0.943];
const somPurity = [0.637, 0.641, 0.629];
const desomNmi = [0.657, 0.661, 0.655];
const somNmi = [0.43, 0.425, 0.44];
const desomTime = [120.5, 130.1, 125.0];
const somTime = [30.2, 31.0, 29.9];
function records(): SweepRecord[] {
  const out: SweepRecord[] = [];
  for (let s = 0; s < 3; s++) {
    out.push(
      rec(
        'desom',
        'mnist',
        s,
        {
          purity: desomPurity[s],
          nmi_geometric: desomNmi[s],
          nmi: desomNmi[s] + 0.01,
          ari: 0.5 + s / 100,
          prototype_kmeans_accuracy: 0.76,
          qe: 4.1 + s / 10,
          te: 0.01 * (s + 1),
        },
        desomTime[s],
      ),
    );
    out.push(rec('som', 'mnist', s, { purity: somPurity[s], nmi_geometric: somNmi[s], nmi: somNmi[s] + 0.01, ari: 0.3, qe: 5.2, te: 0.05 }, somTime[s]));
  }
  out.push(rec('som', 'mnist', 3, {}, null, 'failed'));
  out.push(rec('kmeans', 'mnist', 0, { purity: 0.81, nmi_geometric: 0.5, nmi: 0.51, ari: 0.4 }, 12.5));
  out.push(rec('kmeans', 'mnist', 1, { purity: 0.82, nmi_geometric: 0.52, nmi: 0.53, ari: 0.41 }, 13.5));
  out.push(rec('kmeans', 'mnist', 2, {}, null, 'missing'));
  return out;
}

const row = (t: ReturnType<typeof buildDesomTable>, dataset: string, method: string) => {
  const r = t.datasets.find((d) => d.dataset === dataset)?.rows.find((x) => x.method === method);
  assert.ok(r, `row ${method} on ${dataset}`);
  return r;
};

suite('buildDesomTable', () => {
  test('means and stds are describe() over the completed seeds', () => {
    const t = buildDesomTable(records());
    const d = describe(desomPurity);
    const cell = row(t, 'mnist', 'desom').metrics.purity.summary;
    assert.deepEqual(cell, { n: 3, mean: d.mean, std: d.std, min: 0.9352, max: 0.943 });
    // Hand check: mean (0.9391 + 0.9352 + 0.943) / 3 = 0.9391, deviations 0, −0.0039, 0.0039 → std 0.0039.
    assert.ok(Math.abs(cell.mean - 0.9391) < 1e-12);
    assert.ok(Math.abs(cell.std - 0.0039) < 1e-12);
    assert.equal(row(t, 'mnist', 'som').metrics.time.summary!.mean, describe(somTime).mean);
  });

  test('the Welch p equals welchTTest(reference values, method values), with the direction', () => {
    const t = buildDesomTable(records());
    const som = row(t, 'mnist', 'som');
    for (const [key, ref, mine] of [
      ['purity', desomPurity, somPurity],
      ['nmi_geometric', desomNmi, somNmi],
      ['time', desomTime, somTime],
    ] as const) {
      const w = welchTTest(ref, mine);
      const cell = som.metrics[key].welch;
      assert.ok(cell, key);
      assert.equal(cell.p, w.p);
      assert.equal(cell.t, w.t);
      assert.equal(cell.df, w.df);
      assert.equal(cell.reference_is, 'higher');
      assert.equal(cell.n_method, 3);
    }
    // SOM's QE (5.2) is above DESOM's: the reference is lower.
    assert.equal(som.metrics.qe.welch!.reference_is, 'lower');
    assert.equal(row(t, 'mnist', 'desom').metrics.purity.welch, null);
    assert.equal(row(t, 'mnist', 'desom').metrics.purity.welch_note, 'reference method');
  });

  test('failed and missing runs are counted, listed and left out of the statistics', () => {
    const t = buildDesomTable(records());
    const som = row(t, 'mnist', 'som');
    assert.deepEqual(som.counts, { total: 4, completed: 3, failed: 1, interrupted: 0, running: 0, missing: 0 });
    assert.deepEqual(som.completed_seeds, [0, 1, 2]);
    assert.equal(som.metrics.purity.summary!.n, 3);
    const km = row(t, 'mnist', 'kmeans');
    assert.deepEqual(km.counts, { total: 3, completed: 2, failed: 0, interrupted: 0, running: 0, missing: 1 });
    assert.deepEqual(t.not_completed, [
      { dataset: 'mnist', method: 'kmeans', seed: 2, status: 'missing', run_id: null },
      { dataset: 'mnist', method: 'som', seed: 3, status: 'failed', run_id: 'som-mnist-s3' },
    ]);
  });

  test('metrics a method lacks have no summary and no test, with a note', () => {
    const km = row(buildDesomTable(records()), 'mnist', 'kmeans');
    assert.equal(km.metrics.te.summary, null);
    assert.equal(km.metrics.qe.summary, null);
    assert.equal(km.metrics.te.welch, null);
    assert.equal(km.metrics.te.welch_note, 'not reported by k-means');
    assert.ok(km.metrics.purity.welch !== null, 'k-means has 2 purity values: tested');
  });

  test('rows follow the table order, paper numbers are attached, unknown methods come last', () => {
    const rs = [...records(), rec('som_vae', 'mnist', 0, { purity: 0.9 }), rec('desom', 'usps', 0, { purity: 0.9 })];
    const t = buildDesomTable(rs.reverse());
    assert.deepEqual(
      t.datasets.map((d) => d.dataset),
      ['mnist', 'usps'],
    );
    assert.deepEqual(
      t.datasets[0].rows.map((r) => r.method),
      ['kmeans', 'som', 'desom', 'som_vae'],
    );
    assert.deepEqual(row(t, 'mnist', 'desom').paper, { purity: 0.939, nmi_geometric: 0.657, prototype_kmeans_accuracy: 0.7611 });
    assert.equal(row(t, 'mnist', 'kmeans').paper, null);
    assert.equal(row(t, 'usps', 'desom').paper, null);
    assert.equal(row(t, 'mnist', 'som').paper_name, 'minisom');
    assert.deepEqual(
      t.metrics,
      DESOM_TABLE_METRICS.map((m) => m.key),
    );
  });

  test('record order does not change the table', () => {
    const a = buildDesomTable(records());
    const b = buildDesomTable(records().reverse());
    assert.deepEqual(b, a);
  });

  test('the table survives JSON unchanged, including a single seed and two constant samples', () => {
    const rs = [
      rec('desom', 'mnist', 0, { purity: 0.9, te: 0.01 }),
      rec('desom', 'mnist', 1, { purity: 0.9, te: 0.02 }),
      rec('som', 'mnist', 0, { purity: 0.8, te: 0.03 }),
      rec('som', 'mnist', 1, { purity: 0.8, te: 0.04 }),
      rec('gsom', 'mnist', 0, { purity: 0.85 }),
    ];
    const t = buildDesomTable(rs);
    assert.deepEqual(JSON.parse(JSON.stringify(t)), t);
    const som = row(t, 'mnist', 'som').metrics.purity.welch!;
    assert.equal(som.t, null); // +Infinity: DESOM is constant at 0.9, SOM at 0.8
    assert.equal(som.df, null);
    assert.equal(som.p, 0);
    assert.equal(som.reference_is, 'higher');
    const gsom = row(t, 'mnist', 'gsom').metrics.purity;
    assert.equal(gsom.summary!.std, null);
    assert.equal(gsom.welch, null);
    assert.equal(gsom.welch_note, '1 gradient SOM value, need 2');
  });

  test('another reference method', () => {
    const t = buildDesomTable(records(), { reference: 'som' });
    assert.equal(t.reference_display, 'SOM');
    const w = row(t, 'mnist', 'desom').metrics.purity.welch!;
    assert.equal(w.p, welchTTest(somPurity, desomPurity).p);
    assert.equal(w.reference_is, 'lower');
  });

  test('non-finite metric values are left out and listed; malformed records and duplicates throw', () => {
    const rs = records();
    rs[0] = { ...rs[0], metrics: { ...rs[0].metrics, purity: NaN } };
    const t = buildDesomTable(rs);
    assert.equal(row(t, 'mnist', 'desom').metrics.purity.summary!.n, 2);
    assert.deepEqual(t.ignored_values, [{ dataset: 'mnist', method: 'desom', seed: 0, metric: 'purity', value: 'NaN' }]);
    assert.throws(() => buildDesomTable([...records(), rec('som', 'mnist', 1, {})]), {
      name: 'RangeError',
      message: 'buildDesomTable: expected one record per method, dataset and seed, got a second one for som on mnist, seed 1 (records[10])',
    });
    assert.throws(() => buildDesomTable([{ ...rec('som', 'mnist', 0, {}), status: 'done' as SweepRecord['status'] }]), {
      message: 'buildDesomTable: expected records[0].status to be one of completed, failed, interrupted, running, missing, got "done"',
    });
  });

  test("PAPER holds the paper's Table 1 and is frozen", () => {
    assert.equal(PAPER.mnist.ae_gsom.purity, 0.939);
    assert.equal(PAPER['fashion-mnist'].desom.prototype_kmeans_accuracy, 0.5602);
    assert.equal(PAPER.usps, undefined);
    assert.ok(Object.isFrozen(PAPER.mnist.som));
  });
});

suite('desomTableMarkdown', () => {
  const md = desomTableMarkdown(buildDesomTable(records()));
  const lines = md.split('\n');
  const line = (start: string): string => {
    const l = lines.find((x) => x.startsWith(start));
    assert.ok(l, `a line starting with ${start}\n${md}`);
    return l;
  };

  test('the results row of DESOM has the formatted cells', () => {
    const d = describe(desomTime);
    assert.equal(
      line('| DESOM |'),
      `| DESOM | DESOM | 3/3 | 0.9391 ± 0.0039 | 0.6577 ± 0.0031 | 0.6677 ± 0.0031 | 0.5100 ± 0.0100 | 0.7600 ± 0.0000 | 4.2000 ± 0.1000 | 0.0200 ± 0.0100 | ${d.mean.toFixed(1)} ± ${d.std.toFixed(1)} s | 0.939 / 0.657 | 0.7611 |`,
    );
    assert.equal(`${d.mean.toFixed(1)} ± ${d.std.toFixed(1)} s`, '125.2 ± 4.8 s');
  });

  test('missing metrics print —, failed runs show in the seed count', () => {
    assert.equal(
      line('| k-means |'),
      '| k-means | — | 2/3 | 0.8150 ± 0.0071 | 0.5100 ± 0.0141 | 0.5200 ± 0.0141 | 0.4050 ± 0.0071 | — | — | — | 13.0 ± 0.7 s | — | — |',
    );
    assert.ok(line('| SOM |').startsWith('| SOM | minisom | 3/4 | 0.6357 ± 0.0061 |'));
    assert.ok(line('| SOM |').endsWith('| 0.637 / 0.430 | — |'));
  });

  test('the p-value table shows Welch p-values with the direction', () => {
    assert.ok(md.includes("### Welch's t-test vs DESOM, p-value (two-sided)"));
    const som = lines.filter((l) => l.startsWith('| SOM |'))[1];
    assert.ok(som, md);
    const cells = som.split(' | ');
    const p = welchTTest(desomPurity, somPurity).p;
    assert.ok(p < 1e-4, `purity p ${p}`);
    assert.equal(cells[1], '< 1e-4 ↑');
    assert.equal(cells[6], `${formatPValue(welchTTest([4.1, 4.2, 4.3], [5.2, 5.2, 5.2]).p)} ↓`);
    const km = lines.filter((l) => l.startsWith('| k-means |'))[1];
    assert.ok(km.endsWith('| — | — | — | ' + `${formatPValue(welchTTest(desomTime, [12.5, 13.5]).p)} ↑ |`), km);
  });

  test('legend, left-out runs, and determinism', () => {
    assert.ok(md.includes("- NMI (geom.): normalized mutual information, entropies averaged geometrically: the paper's NMI"));
    assert.ok(md.includes('- TE: topographic error: share of samples whose 2 best-matching cells are not edge neighbours on the map.'));
    assert.ok(md.includes('- time: training time in seconds'));
    assert.equal(line('Runs left out'), 'Runs left out of the statistics: failed 1 (SOM MNIST seed 3); missing 1 (k-means MNIST seed 2).');
    assert.equal(desomTableMarkdown(buildDesomTable(records().reverse())), md);
    assert.ok(!/\d{4}-\d{2}-\d{2}/.test(md), 'no dates');
  });

  test('a dataset without enough reference runs says why there are no p-values', () => {
    const out = desomTableMarkdown(
      buildDesomTable([rec('som', 'usps', 0, { purity: 0.5 }), rec('som', 'usps', 1, { purity: 0.6 }), rec('desom', 'usps', 0, { purity: 0.7 })]),
    );
    assert.ok(out.includes('Not computed on USPS: 1 completed DESOM run, need 2.'), out);
    assert.ok(out.includes('| DESOM | DESOM | 1/1 | 0.7000 (n = 1) |'), out);
    assert.ok(!out.includes('Runs left out'));
  });

  test('p-value formatting', () => {
    assert.equal(formatPValue(0), '< 1e-4');
    assert.equal(formatPValue(9.99e-5), '< 1e-4');
    assert.equal(formatPValue(0.00034), '0.00034');
    assert.equal(formatPValue(0.0123), '0.012');
    assert.equal(formatPValue(0.003), '0.0030');
    assert.equal(formatPValue(0.01), '0.010');
    assert.equal(formatPValue(1), '1.000');
  });
});

suite('a smoke test (bench desom --quick)', () => {
  const table = buildDesomTable(records(), { smokeTest: true });
  const md = desomTableMarkdown(table);

  test('is labelled as one, above the tables and in every table title', () => {
    assert.equal(table.smoke_test, true);
    assert.equal(buildDesomTable(records()).smoke_test, false);
    assert.ok(md.startsWith(`# DESOM benchmark — smoke test\n\n${SMOKE_TEST_NOTICE}\n`), md);
    assert.ok(md.includes('## MNIST — smoke test'), md);
    assert.ok(!/^## MNIST$/m.test(md), md);
  });

  test("carries neither the paper's numbers nor p-values", () => {
    for (const r of table.datasets.flatMap((d) => d.rows)) {
      assert.equal(r.paper, null, r.method);
      for (const c of Object.values(r.metrics)) {
        assert.equal(c.welch, null);
        assert.equal(c.welch_note, 'smoke test');
      }
    }
    assert.ok(!md.includes('paper purity'), md);
    assert.ok(!md.includes('paper proto.'), md);
    assert.ok(!md.includes('0.939 / 0.657'), md);
    assert.ok(!md.includes("Welch's t-test vs"), md);
    assert.ok(!md.includes('p-value'), md);
    assert.ok(!/[↑↓]/.test(md), md);
    assert.ok(!md.includes(formatPValue(welchTTest(desomPurity, somPurity).p)), md);
  });

  test('keeps the measured cells, the legend and the runs left out', () => {
    const desomRow = md.split('\n').find((l) => l.startsWith('| DESOM |')) ?? '';
    assert.ok(desomRow.startsWith('| DESOM | DESOM | 3/3 | 0.9391 ± 0.0039 |'), desomRow);
    assert.ok(desomRow.endsWith(' s |'), desomRow);
    assert.ok(md.includes('- TE: topographic error'), md);
    assert.ok(md.includes('Runs left out of the statistics: failed 1 (SOM MNIST seed 3)'), md);
    assert.deepEqual(JSON.parse(JSON.stringify(table)), table);
    assert.throws(() => buildDesomTable(records(), { smokeTest: 'yes' as never }), /buildDesomTable: expected smokeTest to be a boolean, got "yes"/);
  });
});
