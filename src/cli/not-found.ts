/** A dataset that is not on this machine, in the CLI's words: the commands that provide it, then where the library looked. */
import { DatasetNotFoundError } from '../data/fetch.js';
import { getDataset } from '../data/registry.js';

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

export async function orHint<T>(command: 'info' | 'fetch' | 'verify', p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw e instanceof DatasetNotFoundError ? notFound(command, e) : e;
  }
}
