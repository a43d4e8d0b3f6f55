/**
 * HTTP as the explorer's tests need it: requests sent with their path exactly as written (fetch
 * and curl would resolve `..` before sending), and a reader of server-sent events.
 */
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** Sends `method path` to the server at `base` (http://127.0.0.1:port/) with the path untouched. */
export function raw(base: string, path: string, o: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: o.method ?? 'GET', path, headers: o.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export async function getJson<T>(base: string, path: string): Promise<T> {
  const r = await raw(base, path);
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
  return JSON.parse(r.text) as T;
}

export interface SseMessage {
  event: string;
  data: unknown;
}

/** A server-sent events stream read message by message. */
export class SseReader {
  private readonly queue: SseMessage[] = [];
  private waiters: (() => void)[] = [];
  private buffer = '';
  ended = false;
  private res: IncomingMessage | null = null;

  private constructor() {}

  static open(base: string, path: string): Promise<SseReader> {
    const reader = new SseReader();
    const u = new URL(base);
    return new Promise((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path, headers: { Accept: 'text/event-stream' } }, (res) => {
        reader.res = res;
        if (res.statusCode !== 200) {
          reject(new Error(`SseReader: ${path} answered ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (c: string) => reader.feed(c));
        res.on('end', () => {
          reader.ended = true;
          reader.wake();
        });
        resolve(reader);
      });
      req.on('error', reject);
      req.end();
    });
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let at: number;
    while ((at = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, at);
      this.buffer = this.buffer.slice(at + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data !== '') this.queue.push({ event, data: JSON.parse(data) as unknown });
    }
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The next message (of `event` when given, skipping others), or rejects after `ms`. */
  async next(event?: string, ms = 10_000): Promise<SseMessage> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.queue.findIndex((m) => event === undefined || m.event === event);
      if (i >= 0) return this.queue.splice(i, 1)[0];
      if (this.ended) throw new Error(`SseReader: the stream ended without a ${event ?? 'message'}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`SseReader: no ${event ?? 'message'} within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves when the server has ended the stream. */
  async closedByServer(ms = 10_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('SseReader: the server did not end the stream');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.res?.destroy();
  }
}
