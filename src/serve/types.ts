/**
 * What the explorer's JSON API and its server-sent events carry: the contract between the server
 * (src/serve) and the single-page app (web/), which imports these types only.
 */

/** A run as the home page lists it. A run whose files cannot be read has status 'error' and `error`. */
export interface RunListItem {
  id: string;
  kind: string;
  dataset: string;
  /** running | completed | failed | interrupted | unknown (no summary yet) | error (unreadable files). */
  status: string;
  /** How far it got (the kind's unit: step, iteration, epoch) and of how many; 0 when unknown. */
  step: number;
  total: number;
  metrics: Record<string, number>;
  /** The metric the run's kind is best known by, or null when it has none yet. */
  headline: { name: string; value: number } | null;
  /** ISO dates: when it started (or its config was written), and when its summary was last written. */
  started: string | null;
  updated: string | null;
  /** Seconds from start to the last summary write (total_s for a finished run); null when unknown. */
  duration_s: number | null;
  /** The run another run analyses (a signatures run's classifier), or null. */
  model_run: string | null;
  /** Why the run's files could not be read. */
  error?: string;
}

/** A file of a run the browser may fetch. */
export interface RunFile {
  /** Path inside the run directory, with '/' separators (figures/loss.svg). */
  path: string;
  /** Its URL under /api/runs/<id>/files/. */
  url: string;
  bytes: number;
}

/** One arrays/<name>.npy: its element type and shape from the header (`error` when the header is bad). */
export interface RunArray {
  name: string;
  url: string;
  bytes: number;
  dtype: string | null;
  shape: number[] | null;
  error?: string;
}

/** Everything the run page shows at first. */
export interface RunDetail extends RunListItem {
  /** All of config.json (dataset, model, backend, command line, …), or null when unreadable. */
  record: Record<string, unknown> | null;
  /** The resolved config (config.json `config`). */
  config: Record<string, unknown>;
  /** summary.json as written, or null. */
  summary: Record<string, unknown> | null;
  /** [height, width] of the dataset's images, or null when its rows are not images. */
  image_shape: [number, number] | null;
  figures: RunFile[];
  arrays: RunArray[];
  /** The URL of report.html, or null when the run has none (yet). */
  report: string | null;
  /** The last records of events.jsonl, and how many there are in all. */
  events_tail: Record<string, unknown>[];
  events_count: number;
}

/** GET /api/runs */
export interface RunsResponse {
  /** The runs folder, absolute. */
  root: string;
  /** The runs folder as `serve` was given it (`runs`), for display. */
  label: string;
  runs: RunListItem[];
}

/** GET /api/runs/:id/events */
export interface EventsResponse {
  id: string;
  events: Record<string, unknown>[];
}

/**
 * The server-sent events of /api/runs/:id/live:
 *   events  { records, reset }  new events.jsonl records (reset: the file was rewritten, these are all of them)
 *   summary RunListItem & { summary }  summary.json changed (status, step, metrics)
 *   end     { status }  the run is no longer running; the stream closes
 * and of /api/events (the runs folder):
 *   runs    RunsResponse  every run, on connecting
 *   run     RunListItem   a run appeared or changed
 *   removed { id }        a run disappeared
 */
export interface LiveEvents {
  records: Record<string, unknown>[];
  reset: boolean;
}

export type LiveSummary = RunListItem & { summary: Record<string, unknown> | null };
