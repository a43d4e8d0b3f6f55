/**
 * Watching runs while another process trains them: a run's new events.jsonl records and summary
 * changes (the run page's live view), and runs appearing, changing and finishing in the runs folder
 * (the home page). fs.watch says when to look, and an interval looks anyway: fs.watch misses
 * events on some file systems (network mounts, some containers) and cannot be set up at all when
 * the system's inotify watches run out.
 */
import { closeSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import type { RunsFolder } from './runs-view.js';
import type { EventStream } from './sse.js';
import type { LiveEvents, RunListItem } from './types.js';

/** How often the folders are looked at when nothing told us to (ms). */
export const POLL_MS = 1000;
/** Bursts of fs.watch events (one per appended line) are folded into one look this long after the first (ms). */
const SETTLE_MS = 50;

/** Calls `look` when `dir` changes (fs.watch) and every `pollMs` in any case, until stopped. */
export class Poller {
  private watcher: FSWatcher | null = null;
  private readonly timer: NodeJS.Timeout;
  private pending: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(dir: string, look: () => void, pollMs = POLL_MS) {
    const soon = (): void => {
      if (this.pending !== null || this.stopped) return;
      this.pending = setTimeout(() => {
        this.pending = null;
        if (!this.stopped) look();
      }, SETTLE_MS);
    };
    try {
      this.watcher = watch(dir, { persistent: false }, soon);
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      this.watcher = null; // the interval alone then
    }
    this.timer = setInterval(() => {
      if (!this.stopped) look();
    }, pollMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    if (this.pending !== null) clearTimeout(this.pending);
    this.watcher?.close();
  }
}

/**
 * The records appended to an events.jsonl since the last read. Only whole lines are taken (a
 * line being written is left for the next read); a file that shrank or was replaced (a resumed
 * run drops the events logged after its checkpoint) is read again from the start, as a reset.
 */
export class EventsTail {
  private offset = 0;
  private inode = -1;

  constructor(readonly path: string) {}

  read(): LiveEvents {
    let size: number;
    let ino: number;
    try {
      ({ size, ino } = statSync(this.path));
    } catch {
      return { records: [], reset: false }; // not written yet
    }
    let reset = false;
    if (ino !== this.inode || size < this.offset) {
      reset = this.inode !== -1;
      this.inode = ino;
      this.offset = 0;
    }
    if (size === this.offset) return { records: [], reset };
    const fd = openSync(this.path, 'r');
    let bytes: Buffer;
    try {
      bytes = Buffer.alloc(size - this.offset);
      bytes = bytes.subarray(0, readSync(fd, bytes, 0, bytes.length, this.offset));
    } finally {
      closeSync(fd);
    }
    const end = bytes.lastIndexOf(0x0a);
    if (end < 0) return { records: [], reset };
    this.offset += end + 1;
    const records: Record<string, unknown>[] = [];
    for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        records.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a damaged line: readRunEvents would refuse the whole file; the live view skips it
      }
    }
    return { records, reset };
  }
}

/** Statuses after which a run's files no longer change by themselves. */
const ACTIVE = new Set(['running', 'unknown']);

/**
 * Streams run `id`'s live view on `stream`: first every record so far (`events`, reset) and the
 * summary, then new records and summary changes as they happen, then `end` once the run is no
 * longer running (or cannot be read), and closes.
 */
export function streamRun(folder: RunsFolder, id: string, stream: EventStream, pollMs = POLL_MS): void {
  const path = folder.runPath(id);
  const tail = new EventsTail(`${path}/events.jsonl`);
  let last = '';
  let first = true;
  const sendEvents = (): void => {
    const ev = tail.read();
    if (ev.records.length > 0 || ev.reset || first) stream.send('events', { records: ev.records, reset: ev.reset || first });
    first = false;
  };
  const look = (): void => {
    if (stream.isClosed) return;
    try {
      sendEvents();
      const s = folder.liveSummary(id);
      const key = JSON.stringify(s);
      if (key !== last) {
        last = key;
        stream.send('summary', s);
      }
      if (!ACTIVE.has(s.status)) {
        sendEvents(); // what was appended between the first read and the final summary
        stream.send('end', { status: s.status, error: s.error ?? null });
        stream.close();
      }
    } catch (e) {
      stream.send('end', { status: 'error', error: (e as Error).message });
      stream.close();
    }
  };
  const poller = new Poller(path, look, pollMs);
  stream.whenClosed(() => poller.stop());
  look();
}

/**
 * The runs folder for the home pages open on it: one poller shared by every stream, running only
 * while one is open. A stream gets `runs` (every row) when it joins, then `run` for each row that
 * appears or changes and `removed` for each run that goes away.
 */
export class FolderWatch {
  private readonly streams = new Set<EventStream>();
  private rows = new Map<string, string>();
  private poller: Poller | null = null;

  constructor(
    private readonly folder: RunsFolder,
    private readonly pollMs = POLL_MS,
  ) {}

  add(stream: EventStream): void {
    const listing = this.folder.listing();
    const items = listing.runs;
    stream.send('runs', listing);
    if (this.streams.size === 0) {
      this.rows = new Map(items.map((r) => [r.id, JSON.stringify(r)]));
      // The folder may not exist yet (serve before the first training): watch its parent then, the interval catches up.
      this.poller = new Poller(this.folder.realRoot() ?? this.folder.root, () => this.look(), this.pollMs);
    }
    this.streams.add(stream);
    stream.whenClosed(() => {
      this.streams.delete(stream);
      if (this.streams.size === 0) this.stop();
    });
  }

  private broadcast(event: string, data: unknown): void {
    for (const s of this.streams) s.send(event, data);
  }

  private look(): void {
    let items: RunListItem[];
    try {
      items = this.folder.items();
    } catch {
      return; // the folder is being changed under us: the next look sees it settled
    }
    const seen = new Set<string>();
    for (const r of items) {
      seen.add(r.id);
      const key = JSON.stringify(r);
      if (this.rows.get(r.id) !== key) {
        this.rows.set(r.id, key);
        this.broadcast('run', r);
      }
    }
    for (const id of [...this.rows.keys()]) {
      if (!seen.has(id)) {
        this.rows.delete(id);
        this.broadcast('removed', { id });
      }
    }
  }

  stop(): void {
    this.poller?.stop();
    this.poller = null;
    for (const s of [...this.streams]) s.close();
    this.streams.clear();
  }
}
