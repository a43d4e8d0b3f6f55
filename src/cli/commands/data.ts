/**
 * `latentlab data list | info NAME | fetch NAME | import NAME DIR | verify NAME`: the dataset
 * registry from the command line.
 */
import { fetchDataset, importDataset, loadDataset, type FileCheck } from '../../data/fetch.js';
import { describeFileCheck, summarizeSplit, verifyCopy } from '../../data/inspect.js';
import { datasetNames, datasetRecord, getDataset } from '../../data/registry.js';
import { UsageError } from '../errors.js';
import { orHint } from '../not-found.js';
import type { Output } from '../output.js';
import { textTable } from '../../viz/run-text.js';

function checkName(name: string): void {
  if (!datasetNames().includes(name as never)) throw new UsageError(`unknown dataset "${name}"; expected one of ${datasetNames().join(', ')}`);
}

export function dataList(out: Output): number {
  const names = datasetNames();
  if (out.json) {
    out.result(names.map((n) => datasetRecord(n)));
    return 0;
  }
  out.line(
    textTable([
      ['name', 'image', 'classes', 'licence', 'title'],
      ...names.map((n) => {
        const d = getDataset(n);
        return [n, d.imageShape ? d.imageShape.join('×') : '—', String(d.classNames.length), d.licence, d.title];
      }),
    ]),
  );
  return 0;
}

export async function dataInfo(name: string, opts: { dataDir?: string; split?: string }, out: Output): Promise<number> {
  checkName(name);
  const d = getDataset(name);
  const splits = opts.split !== undefined ? [opts.split] : d.splits.train !== null ? ['train', 'test'] : ['all'];
  const result: Record<string, unknown> = { name, title: d.title, licence: d.licence, classes: d.classNames };
  for (const split of splits) {
    if (split !== 'train' && split !== 'test' && split !== 'all') throw new UsageError(`data info: --split expects train, test or all, got "${split}"`);
    const data = await orHint('info', loadDataset(name, { split, dataDir: opts.dataDir, allowDownload: false }));
    const summary = summarizeSplit(data);
    const [min, max] = summary.value_range;
    const hist = summary.class_histogram;
    result[split] = summary;
    out.line(
      `${name} ${split}: ${data.x.rows} × ${data.x.cols}${data.imageShape ? ` (${data.imageShape.join('×')} images)` : ''}, values in [${min}, ${max}], from ${data.source}`,
    );
    out.line(
      textTable([
        ['class', ...d.classNames],
        ['count', ...hist.map(String)],
      ]),
    );
  }
  out.result(result);
  return 0;
}

export async function dataFetch(name: string, opts: { dataDir?: string }, out: Output): Promise<number> {
  checkName(name);
  const bars = new Map<string, ReturnType<Output['progress']>>();
  const r = await orHint(
    'fetch',
    fetchDataset(name, {
      dataDir: opts.dataDir,
      onProgress: (p: { file: string; received: number; total: number | null }) => {
        let bar = bars.get(p.file);
        if (bar === undefined) {
          bar = out.progress(Math.max(1, p.total ?? 0), `${p.file} |{bar}| {percentage}% | ETA {eta_formatted}`);
          bars.set(p.file, bar);
        }
        bar.update(p.received, {});
        if (p.total !== null && p.received >= p.total) bar.stop();
      },
    }),
  );
  for (const b of bars.values()) b.stop();
  out.line(`${name}: files in ${r.dir} (${r.source})`);
  out.result({ name, dir: r.dir, source: r.source });
  return 0;
}

/** `data import NAME DIR`: copies files obtained by hand into the cache once their sha256 is right. */
export async function dataImport(name: string, dir: string, out: Output): Promise<number> {
  checkName(name);
  const r = await importDataset(name, dir);
  for (const f of r.files) out.line(`${f.checked ? 'sha256 ok' : 'no checksum in the registry, copied unchecked'}  ${f.from} → ${f.to}`);
  out.line(`${name}: ${r.files.length} file${r.files.length === 1 ? '' : 's'} imported into ${r.dir}`);
  out.result({ name, dir: r.dir, files: r.files });
  return 0;
}

/**
 * `data verify NAME [--data-dir DIR]`: hashes the files the library would read (or those in DIR)
 * against the registry, one line per file; exit 1 when any is missing or different.
 */
export async function dataVerify(name: string, opts: { dataDir?: string }, out: Output): Promise<number> {
  checkName(name);
  const { dir, source, report } = await orHint(
    'verify',
    verifyCopy(name, opts.dataDir).catch((e: unknown) => {
      throw e instanceof RangeError ? new UsageError(`data verify: ${e.message.replace(/^verifyCopy: /, '')}`, { cause: e }) : e;
    }),
  );
  const width = Math.max(...report.files.map((f) => f.status.length));
  for (const f of report.files) out.line(`${f.status.padEnd(width)}  ${describeFileCheck(f, dir)}`);
  const count = (pred: (f: FileCheck) => boolean): number => report.files.filter(pred).length;
  const bad = count((f) => f.status !== 'ok' && f.status !== 'unchecked');
  const unchecked = count((f) => f.status === 'unchecked');
  const n = report.files.length;
  if (bad > 0) out.line(`${name}: ${bad} of ${n} files in ${dir} are missing or differ from the registry`);
  else if (unchecked > 0) out.line(`${name}: all ${n} files are in ${dir}; the registry has no checksum for ${unchecked} of them`);
  else out.line(`${name}: the ${n} files in ${dir} match the registry's sha256`);
  out.result({ name, dir, source, ok: report.ok, files: report.files });
  return report.ok ? 0 : 1;
}
