/**
 * Where a saved model's files are read from: a folder on disk (files.ts `dirReader`, Node) or
 * the files the explorer's browser app fetched (`memoryReader`). The model loaders take one, so
 * the server and the browser rebuild a run's model with the same checks and the same errors.
 */

/** A folder of files, read synchronously. */
export interface FileReader {
  /** How errors name the file `name` (a '/'-separated path inside the folder). */
  path(name: string): string;
  /** The bytes of `name`; throws an error with `code: 'ENOENT'` when there is no such file. */
  bytes(name: string): Uint8Array;
}

/** The error a reader throws for a missing file (`code` as Node's file system gives it). */
export class MissingFileError extends Error {
  readonly code = 'ENOENT';
}

/** Files held in memory, keyed by their '/'-separated path inside the folder; `root` names the folder in errors. */
export function memoryReader(files: ReadonlyMap<string, Uint8Array>, root: string): FileReader {
  const path = (name: string): string => `${root.replace(/\/+$/, '')}/${name}`;
  return {
    path,
    bytes(name) {
      const b = files.get(name);
      if (b === undefined) throw new MissingFileError(`cannot read ${path(name)} (ENOENT)`);
      return b;
    },
  };
}

/** The folder `dir` inside `reader`'s folder. */
export function subReader(reader: FileReader, dir: string): FileReader {
  return { path: (name) => reader.path(`${dir}/${name}`), bytes: (name) => reader.bytes(`${dir}/${name}`) };
}

/** `name` decoded as UTF-8 (a malformed sequence is an error, not a replacement character). */
export function readText(reader: FileReader, name: string): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(reader.bytes(name));
}

/** Whether `err` says the file does not exist. */
export function isMissing(err: unknown): boolean {
  return err !== null && typeof err === 'object' && (err as { code?: unknown }).code === 'ENOENT';
}

/**
 * `name` parsed as a JSON object, for a model loader: errors read `<loader>: <path> not found`,
 * `<loader>: <path>: not valid JSON (…)` or `…: expected a JSON object, got …`.
 */
export function readJsonObject(reader: FileReader, name: string, loader: string): Record<string, unknown> {
  const path = reader.path(name);
  let raw: unknown;
  try {
    raw = JSON.parse(readText(reader, name));
  } catch (err) {
    if (isMissing(err)) throw new Error(`${loader}: ${path} not found`, { cause: err });
    throw new Error(`${loader}: ${path}: ${err instanceof SyntaxError ? `not valid JSON (${err.message})` : (err as Error).message}`, { cause: err });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new TypeError(`${loader}: ${path}: expected a JSON object, got ${JSON.stringify(raw)}`);
  return raw as Record<string, unknown>;
}
