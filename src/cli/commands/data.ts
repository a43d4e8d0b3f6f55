/**
 * `latentlab data list | info NAME | fetch NAME | import NAME DIR | verify NAME`: the dataset
 * registry from the command line.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  DatasetNotFoundError,
  IncompleteDatasetError,
  fetchDataset,
  importDataset,
  loadDataset,
  resolveDataDir,
  verifyDataset,
  type DataSource,
  type FileCheck,
} from '../../data/fetch.js';
import { DATASETS, datasetNames, getDataset } from '../../data/registry.js';
import { UsageError } from '../errors.js';
import { table, type Output } from '../output.js';

function checkName(name: string): void {
  if (!datasetNames().includes(name as never)) throw new UsageError(`unknown dataset "${name}"; expected one of ${datasetNames().join(', ')}`);
}

/**
 * The library's "not found" in the CLI's words: the commands that provide the dataset (`data
 * fetch`, `--data-dir`, `data import`), then where we looked.
 */
export function notFound(command: 'info' | 'fetch' | 'verify' | 'train', e: DatasetNotFoundError): Error {
  const d = getDataset(e.dataset);
  const ways: [string, string][] = [];
  if (e.reason === 'offline' && command !== 'fetch') ways.push([`latentlab data fetch ${d.name}`, 'download it into the cache (checked by sha256)']);
  if (e.reason === 'offline' && command === 'fetch') ways.push(['unset LATENTLAB_OFFLINE', 'to allow the download']);
  ways.push([
    command === 'train' ? '--data-dir DIR (or LATENTLAB_DATA_DIR=DIR)' : `latentlab data ${command} ${d.name} --data-dir DIR`,
    'use a directory that holds its files',
  ]);
  const checked = d.files.every((f) => f.sha256 !== null) ? ' after checking their sha256' : '';
  ways.push([`latentlab data import ${d.name} DIR`, `copy files obtained elsewhere into ${e.cacheDir}/${checked}`]);
  const width = Math.max(...ways.map(([c]) => c.length));
  const gz = d.files.some((f) => f.raw) ? ' (gunzipped copies are accepted too)' : '';
  return new Error(
    `${command === 'train' ? '' : `data ${command}: `}${d.name} is not on this machine${e.reason === 'manual' ? ' and has no public download' : ''}. Any of these provides it:\n` +
      ways.map(([c, why]) => `  ${c.padEnd(width)}  ${why}`).join('\n') +
      `\nIts files: ${d.files.map((f) => f.name).join(', ')}${gz}.` +
      (e.reason === 'manual' && d.manual ? `\n${d.manual}` : '') +
      `\nLooked in:\n  - ${e.looked.join('\n  - ')}`,
    { cause: e },
  );
}

async function orHint<T>(command: 'info' | 'fetch' | 'verify', p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw e instanceof DatasetNotFoundError ? notFound(command, e) : e;
  }
}

export function dataList(out: Output): number {
  const names = datasetNames();
  if (out.json) {
    out.result(
      names.map((n) => {
        const d = DATASETS[n];
        return {
          name: n,
          title: d.title,
          licence: d.licence,
          classes: d.classNames,
          image_shape: d.imageShape,
          splits: d.splits,
          files: d.files,
          mirrors: d.mirrors,
        };
      }),
    );
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
  const d = getDataset(name);
  const splits = opts.split !== undefined ? [opts.split] : d.splits.train !== null ? ['train', 'test'] : ['all'];
  const result: Record<string, unknown> = { name, title: d.title, licence: d.licence, classes: d.classNames };
  for (const split of splits) {
    if (split !== 'train' && split !== 'test' && split !== 'all') throw new UsageError(`data info: --split expects train, test or all, got "${split}"`);
    const data = await orHint('info', loadDataset(name, { split, dataDir: opts.dataDir, allowDownload: false }));
    const hist = new Array<number>(d.classNames.length).fill(0);
    for (const l of data.labels) hist[l]++;
    let min = Infinity;
    let max = -Infinity;
    for (const v of data.x.data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    result[split] = {
      rows: data.x.rows,
      features: data.x.cols,
      image_shape: data.imageShape,
      value_range: [min, max],
      class_histogram: hist,
      source: data.source,
    };
    out.line(
      `${name} ${split}: ${data.x.rows} × ${data.x.cols}${data.imageShape ? ` (${data.imageShape.join('×')} images)` : ''}, values in [${min}, ${max}], from ${data.source}`,
    );
    out.line(
      table([
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

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function verdict(f: FileCheck, dir: string): string {
  switch (f.status) {
    case 'ok':
      return `${f.path}`;
    case 'missing':
      return `${f.file} not in ${dir}`;
    case 'size-mismatch':
      return `${f.path}: ${f.actual}, expected ${f.expected}`;
    case 'sha256-mismatch':
      return `${f.path}: sha256 ${f.actual}, expected ${f.expected}`;
    case 'unchecked':
      return `${f.path}: the registry has no checksum for it (sha256 ${f.actual})`;
  }
}

/**
 * `data verify NAME [--data-dir DIR]`: hashes the files the library would read (or those in DIR)
 * against the registry, one line per file; exit 1 when any is missing or different.
 */
export async function dataVerify(name: string, opts: { dataDir?: string }, out: Output): Promise<number> {
  checkName(name);
  let dir: string;
  let source: DataSource | 'incomplete';
  if (opts.dataDir !== undefined) {
    dir = resolve(opts.dataDir);
    if (!isDir(dir)) throw new UsageError(`data verify: --data-dir ${dir} does not exist (or is not a directory)`);
    source = 'data-dir';
  } else {
    try {
      ({ dir, source } = await orHint('verify', resolveDataDir(name, { allowDownload: false })));
    } catch (e) {
      // A cached or LATENTLAB_DATA_DIR copy with a missing or wrong-sized file: report it file by file.
      if (!(e instanceof IncompleteDatasetError)) throw e;
      dir = e.dir;
      source = 'incomplete';
    }
  }
  const report = await verifyDataset(name, dir);
  const width = Math.max(...report.files.map((f) => f.status.length));
  for (const f of report.files) out.line(`${f.status.padEnd(width)}  ${verdict(f, dir)}`);
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
