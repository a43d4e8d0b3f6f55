/** The explorer's server, as the app talks to it: JSON, .npy arrays and server-sent events. */
import type { EventsResponse, RunDetail, RunsResponse } from '../src/serve/types.js';
import { parseNpy, type NpyArray } from './npy.js';

/** A request the server answered with an error (its `{ error }` message). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function check(res: Response, url: string): Promise<Response> {
  if (res.ok) return res;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: string };
    if (typeof body.error === 'string') message = body.error;
  } catch {
    // not JSON: the status line says it
  }
  throw new ApiError(res.status, `${url}: ${message}`);
}

export async function getJson<T>(url: string): Promise<T> {
  return (await (await check(await fetch(url), url)).json()) as T;
}

export const runUrl = (id: string): string => `/api/runs/${encodeURIComponent(id)}`;

export const fetchRuns = (): Promise<RunsResponse> => getJson<RunsResponse>('/api/runs');
export const fetchRun = (id: string): Promise<RunDetail> => getJson<RunDetail>(runUrl(id));
export const fetchEvents = async (id: string, type?: string): Promise<Record<string, unknown>[]> =>
  (await getJson<EventsResponse>(`${runUrl(id)}/events${type === undefined ? '' : `?type=${encodeURIComponent(type)}`}`)).events;

/** One of a run's arrays, sent as .npy bytes and viewed as a typed array. */
export async function fetchArray(id: string, name: string): Promise<NpyArray> {
  const url = `${runUrl(id)}/arrays/${encodeURIComponent(name)}`;
  return parseNpy(await (await check(await fetch(url), url)).arrayBuffer(), `${id}/arrays/${name}.npy`);
}

/**
 * One of a run's arrays fetched now, or null when the run has no such file: one that a training
 * writes and deletes (the live map's snapshot) may be absent, and the server answers 204 then.
 */
export async function fetchArrayIfPresent(id: string, name: string): Promise<NpyArray | null> {
  const url = `${runUrl(id)}/arrays/${encodeURIComponent(name)}?optional=1`;
  const res = await check(await fetch(url), url);
  if (res.status === 204) return null;
  return parseNpy(await res.arrayBuffer(), `${id}/arrays/${name}.npy`);
}

/**
 * Listens to a server-sent events stream: `handlers[event](data)` with each event's JSON data.
 * Returns the function that closes it. The server ends a run's stream when the run finishes:
 * `end` closes it here too, or the browser would reconnect.
 */
export function listen(url: string, handlers: Record<string, (data: unknown) => void>): () => void {
  const source = new EventSource(url);
  for (const [event, f] of Object.entries(handlers)) {
    source.addEventListener(event, (e) => {
      const data: unknown = JSON.parse((e as MessageEvent<string>).data);
      if (event === 'end') source.close();
      f(data);
    });
  }
  if (handlers.end === undefined) source.addEventListener('end', () => source.close());
  return () => source.close();
}
