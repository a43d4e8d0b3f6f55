/** Server-sent events (text/event-stream) over one HTTP response. */
import type { ServerResponse } from 'node:http';

/** A comment line every so often keeps proxies and idle timeouts from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

export class EventStream {
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly onClose: (() => void)[] = [];

  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    // How long a browser waits before reconnecting a dropped stream.
    res.write('retry: 2000\n\n');
    this.heartbeat = setInterval(() => this.comment('ping'), HEARTBEAT_MS);
    this.heartbeat.unref();
    res.on('close', () => this.close());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one event whose data is `data` as JSON (one line: JSON.stringify never emits a line break). */
  send(event: string, data: unknown): void {
    if (this.closed) return;
    this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  comment(text: string): void {
    if (!this.closed) this.res.write(`: ${text}\n\n`);
  }

  /** Calls `f` once when the stream closes (either side). */
  whenClosed(f: () => void): void {
    if (this.closed) f();
    else this.onClose.push(f);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const f of this.onClose.splice(0)) f();
    this.res.end();
  }
}
