/** `latentlab data list | info NAME | fetch NAME`: the dataset registry from the command line. */
import { fetchDataset, loadDataset } from '../../data/fetch.js';
import { DATASETS, datasetNames, getDataset } from '../../data/registry.js';
import { UsageError } from '../errors.js';
import { table, type Output } from '../output.js';

function checkName(name: string): void {
  if (!datasetNames().includes(name as never)) throw new UsageError(`unknown dataset "${name}"; expected one of ${datasetNames().join(', ')}`);
}

export function dataList(out: Output): number {
  const names = datasetNames();
  if (out.json) {
    out.result(names.map((n) => {
      const d = DATASETS[n];
      return { name: n, title: d.title, licence: d.licence, classes: d.classNames, image_shape: d.imageShape, splits: d.splits, files: d.files, mirrors: d.mirrors };
    }));
    return 0;
  }
  out.line(
    table([
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
  const d = getDataset(name as never);
  const splits = opts.split !== undefined ? [opts.split] : d.splits.train !== null ? ['train', 'test'] : ['all'];
  const result: Record<string, unknown> = { name, title: d.title, licence: d.licence, classes: d.classNames };
  for (const split of splits) {
    if (split !== 'train' && split !== 'test' && split !== 'all') throw new UsageError(`data info: --split expects train, test or all, got "${split}"`);
    const data = await loadDataset(name as never, { split, dataDir: opts.dataDir, allowDownload: false });
    const hist = new Array<number>(d.classNames.length).fill(0);
    for (const l of data.labels) hist[l]++;
    let min = Infinity;
    let max = -Infinity;
    for (const v of data.x.data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    result[split] = { rows: data.x.rows, features: data.x.cols, image_shape: data.imageShape, value_range: [min, max], class_histogram: hist, source: data.source };
    out.line(`${name} ${split}: ${data.x.rows} × ${data.x.cols}${data.imageShape ? ` (${data.imageShape.join('×')} images)` : ''}, values in [${min}, ${max}], from ${data.source}`);
    out.line(table([['class', ...d.classNames], ['count', ...hist.map(String)]]));
  }
  out.result(result);
  return 0;
}

export async function dataFetch(name: string, opts: { dataDir?: string }, out: Output): Promise<number> {
  checkName(name);
  const bars = new Map<string, ReturnType<Output['progress']>>();
  const r = await fetchDataset(name as never, {
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
  });
  for (const b of bars.values()) b.stop();
  out.line(`${name}: files in ${r.dir} (${r.source})`);
  out.result({ name, dir: r.dir, source: r.source });
  return 0;
}
