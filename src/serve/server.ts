/**
 * `latentlab serve`: a read-only HTTP server over one runs folder (node:http, no framework: a
 * dozen routes do not need one). It serves the explorer app, a JSON API that reads the runs
 * through the runs API, the runs' arrays as .npy bytes, their files, and server-sent events for
 * live runs. See docs/explorer.md for the routes and the security model.
 */
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import { parseNpyHeader, NPY_HEADER_PROBE_BYTES } from './npy-header.js';
import { InputsError, RunInputs, type InputsAnswer } from './inputs.js';
import { FolderWatch, POLL_MS, streamRun } from './live.js';
import { RunsFolder } from './runs-view.js';
import { PathRefused, contentType, pathSegments, resolveFileInside } from './safe-path.js';
import { EventStream } from './sse.js';
import { loadWebApp, type WebApp } from './web-app.js';

export interface ServeOptions {
  /** The runs folder to serve (it need not exist yet). */
  runsDir: string;
  /** Address to bind (default 127.0.0.1: this machine only). */
  host?: string;
  /** Port (default 8080; 0: any free port). */
  port?: number;
  /** How often live views look at the files when fs.watch says nothing (ms, default 1000). */
  pollMs?: number;
  /** The app to serve (default: loadWebApp()). */
  app?: WebApp;
}

export interface RunningServer {
  /** http://host:port/ */
  url: string;
  host: string;
  port: number;
  /** The runs folder served (absolute). */
  runsDir: string;
  /** Where the app came from: built in memory from web/, or dist/web. */
  appSource: WebApp['source'];
  /** Set when the server listens beyond this machine: what the user should know. */
  warning: string | null;
  /** Ends the live streams and open connections, then stops listening. */
  close(): Promise<void>;
}

/**
 * The app's policy: its own script and styles only, no inline code, images also from data:/blob: URLs.
 * 'wasm-unsafe-eval' lets the draw panel compile the wasm backend's kernels.wasm (fetched from
 * /assets/); it allows WebAssembly compilation only, not eval or Function.
 */
const APP_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Runs' files (report.html, SVGs) opened as documents: never a script, inline styles allowed (the
 * report has them), and sandboxed into an opaque origin so a file cannot reach the API either.
 */
const FILE_CSP = ["default-src 'none'", "img-src 'self' data: blob:", "style-src 'unsafe-inline'", 'font-src data:', 'sandbox', "frame-ancestors 'self'"].join(
  '; ',
);

/** Whether `host` names this machine only. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The host name of a Host header, without its port. */
function hostName(header: string): string {
  if (header.startsWith('[')) return header.slice(0, header.indexOf(']') + 1);
  return header.split(':')[0];
}

/** An error answer, as JSON (`{ error }`). */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Sends a file from disk, answering 304 when the browser's copy is current. */
/** Opens `path` for reading; a file deleted since it was resolved (a training's live arrays are) is a 404. */
function openExisting(path: string, name: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new HttpError(404, `no file ${JSON.stringify(name)} (deleted while asked for)`);
    throw e;
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, path: string, type: string, headers: Record<string, string> = {}): void {
  // Size and bytes from one open file: a run's files are replaced by rename while it trains.
  const fd = openExisting(path, basename(path));
  let streaming = false;
  try {
    const st = fstatSync(fd);
    const etag = `W/"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const common = { ETag: etag, 'Cache-Control': 'no-cache', 'Last-Modified': st.mtime.toUTCString(), ...headers };
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, common);
      res.end();
      return;
    }
    res.writeHead(200, { ...common, 'Content-Type': type, 'Content-Length': st.size });
    if (req.method === 'HEAD' || st.size === 0) {
      res.end();
      return;
    }
    // Streamed: arrays can be hundreds of MB.
    streaming = true;
    createReadStream('', { fd, start: 0, end: st.size - 1 })
      .on('error', () => res.destroy())
      .pipe(res);
  } finally {
    if (!streaming) closeSync(fd);
  }
}

/** Checks that the file at `path` starts with a readable .npy header, so only arrays are sent as arrays. */
function checkNpy(path: string, name: string): void {
  const fd = openExisting(path, `arrays/${name}.npy`);
  try {
    const buf = Buffer.alloc(NPY_HEADER_PROBE_BYTES);
    parseNpyHeader(buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)), `arrays/${name}.npy`);
  } catch (e) {
    throw new HttpError(422, (e as Error).message);
  } finally {
    closeSync(fd);
  }
}

/** Answers a request that failed with its error, as JSON (500 unless the error carries a status). */
function fail(req: IncomingMessage, res: ServerResponse, e: unknown): void {
  const status = e instanceof HttpError || e instanceof PathRefused || e instanceof InputsError ? e.status : 500;
  const message = e instanceof Error ? e.message : String(e);
  if (res.headersSent) res.destroy();
  else sendJson(req, res, status, { error: message });
}

/** Starts the explorer's server; resolves once it listens. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`startServer: expected a port in 0..65535, got ${port}`);
  const pollMs = options.pollMs ?? POLL_MS;
  const folder = new RunsFolder(options.runsDir);
  const app = options.app ?? (await loadWebApp());
  const watch = new FolderWatch(folder, pollMs);
  const inputs = new RunInputs(folder);
  const streams = new Set<EventStream>();
  const local = isLoopback(host);

  const openStream = (res: ServerResponse): EventStream => {
    const s = new EventStream(res);
    streams.add(s);
    s.whenClosed(() => streams.delete(s));
    return s;
  };

  const sendApp = (req: IncomingMessage, res: ServerResponse, name: string): void => {
    const body = app.files.get(name);
    if (body === undefined) throw new HttpError(404, `no asset ${JSON.stringify(name)}`);
    res.writeHead(200, { 'Content-Type': contentType(name), 'Content-Length': body.length, 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const api = (req: IncomingMessage, res: ServerResponse, seg: string[], query: URLSearchParams): void => {
    if (seg.length === 1 && seg[0] === 'runs') return sendJson(req, res, 200, folder.listing());
    if (seg.length === 1 && seg[0] === 'events') {
      if (req.method === 'HEAD') return sendJson(req, res, 200, {});
      return watch.add(openStream(res));
    }
    if (seg[0] !== 'runs' || seg.length < 2) throw new HttpError(404, `no API route /api/${seg.join('/')}`);
    const id = seg[1];
    const rest = seg.slice(2);
    if (rest.length === 0) return sendJson(req, res, 200, folder.detail(id));
    if (rest.length === 1 && rest[0] === 'events') return sendJson(req, res, 200, { id, events: folder.events(id, query.get('type') ?? undefined) });
    if (rest.length === 1 && rest[0] === 'live') {
      folder.runPath(id); // 404 / 403 before the stream starts
      if (req.method === 'HEAD') return sendJson(req, res, 200, {});
      return streamRun(folder, id, openStream(res), pollMs);
    }
    if (rest[0] === 'inputs') {
      // The only asynchronous answer (it may read a dataset): its errors are answered here.
      inputs.answer(id, rest.slice(1), query).then(
        (a: InputsAnswer) => {
          res.writeHead(200, { ...a.headers, 'Content-Length': a.body.length });
          res.end(req.method === 'HEAD' ? undefined : a.body);
        },
        (e: unknown) => fail(req, res, e),
      );
      return;
    }
    const root = folder.realRoot();
    if (root === null) throw new HttpError(404, `no runs folder ${folder.root}`);
    if (rest.length === 2 && rest[0] === 'arrays') {
      const name = rest[1].endsWith('.npy') ? rest[1].slice(0, -4) : rest[1];
      const runPath = folder.runPath(id); // an unknown run stays a 404
      try {
        const path = resolveFileInside(root, runPath, ['arrays', `${name}.npy`]);
        checkNpy(path, name);
        return sendFile(req, res, path, 'application/octet-stream', { 'Content-Disposition': `attachment; filename="${name.replace(/[^\w.-]/g, '_')}.npy"` });
      } catch (e) {
        // ?optional=1: an array that a training writes and deletes (the live map's) may be absent, or
        // deleted while asked for; 204 says so without the error a 404 logs in the browser's console.
        if (query.get('optional') === '1' && (e instanceof PathRefused || e instanceof HttpError) && e.status === 404) {
          res.writeHead(204, { 'Cache-Control': 'no-cache' });
          res.end();
          return;
        }
        throw e;
      }
    }
    if (rest[0] === 'files' && rest.length >= 2) {
      const path = resolveFileInside(root, folder.runPath(id), rest.slice(1));
      return sendFile(req, res, path, contentType(path), { 'Content-Security-Policy': FILE_CSP });
    }
    throw new HttpError(404, `no API route /api/${seg.join('/')}`);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Content-Security-Policy', APP_CSP);
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new HttpError(405, `the explorer is read-only: ${req.method} is not allowed (GET and HEAD are)`);
    }
    // A page elsewhere whose name resolves to 127.0.0.1 (DNS rebinding) would send its own Host.
    if (local && !isLoopback(hostName(req.headers.host ?? '')))
      throw new HttpError(403, `refused Host ${JSON.stringify(req.headers.host ?? '')}: this server answers to localhost only`);
    const target = req.url ?? '/';
    const seg = pathSegments(target);
    const q = target.indexOf('?');
    const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
    if (seg[0] === 'api') return api(req, res, seg.slice(1), query);
    if (seg[0] === 'assets' && seg.length === 2) return sendApp(req, res, seg[1]);
    if (seg[0] === 'favicon.ico') throw new HttpError(404, 'no favicon.ico (the app names /assets/favicon.svg)');
    // Every other path is the app, which routes on the URL's #fragment.
    return sendApp(req, res, 'index.html');
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      fail(req, res, e);
    }
  });
  // A malformed request never reaches the handler: answer it and go on.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new Error(`startServer: port ${port} on ${host} is already in use; choose another with --port (0: any free port)`, { cause: e })
          : new Error(`startServer: cannot listen on ${host}:${port} (${e.code ?? e.message})`, { cause: e }),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  // Bound to every interface: the URL to open here is the loopback one.
  const reach = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  const shown = address.family === 'IPv6' ? `[${reach}]` : reach;
  const warning = local
    ? null
    : `serve: listening on ${host}, reachable from other machines on the network: anyone who can reach port ${address.port} can read every run in ${folder.root}`;
  return {
    url: `http://${shown}:${address.port}/`,
    host: address.address,
    port: address.port,
    runsDir: folder.root,
    appSource: app.source,
    warning,
    close: async () => {
      watch.stop();
      for (const s of [...streams]) s.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
