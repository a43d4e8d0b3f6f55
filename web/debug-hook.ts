/**
 * A handle on the page's linked selection for tests and the console: `window.__latentlab` gets
 * `selectedRows()` (the selected rows, increasing), `select(rows, source?, label?)` (a selection
 * made as if by another view) and `clear()`; once the draw panel runs, `drawBackend()` (the backend
 * its model runs on, and why not wasm), `drawProbe()` (its last result, arrays as plain arrays) and
 * `drawTiming(n)` (the mean time of n forward passes of its input: the browser's clock is too
 * coarse to time one).
 * The page shows only what the server already serves, so the handle exposes nothing new.
 */
import type { DrawBackend } from './draw/backend.js';
import type { Probe } from './probe.js';
import type { Selection } from './selection.js';

export interface LatentlabHook {
  selectedRows(): number[];
  select(rows: readonly number[], source?: string, label?: string): void;
  clear(): void;
  drawBackend(): DrawBackend | null;
  drawProbe(): DrawProbeSnapshot | null;
  drawTiming(n: number): Promise<number>;
}

/** The draw panel's last result as plain JSON (typed arrays as arrays, maps as objects). */
export interface DrawProbeSnapshot {
  input: number[];
  activations: Record<string, number[]>;
  clusters: Record<string, number>;
  prediction: number | null;
  probabilities: number[] | null;
  bmu: number | null;
  reconstruction: number[] | null;
  timings: { forward: number; place: number };
}

type Hooked = Window & { __latentlab?: Partial<LatentlabHook> & Record<string, unknown> };

/** Points `window.__latentlab` at this page's selection (each run page replaces the previous one's). */
export function exposeSelection(selection: Selection): void {
  const hook = ((window as Hooked).__latentlab ??= {});
  hook.selectedRows = () => Array.from(selection.rows);
  hook.select = (rows, source = 'test', label = 'test') => selection.set(rows, source, label);
  hook.clear = () => selection.clear();
}

/** Points `drawBackend()`, `drawProbe()` and `drawTiming(n)` of `window.__latentlab` at the draw panel. */
export function exposeDraw(backend: () => DrawBackend | null, probe: Probe, timing: (n: number) => Promise<number>): void {
  const hook = ((window as Hooked).__latentlab ??= {});
  hook.drawBackend = backend;
  hook.drawTiming = timing;
  hook.drawProbe = () => {
    const r = probe.current;
    if (r === null) return null;
    const plain = (a: Float32Array | null): number[] | null => (a === null ? null : Array.from(a));
    return {
      input: Array.from(r.input),
      activations: Object.fromEntries([...r.activations].map(([k, v]) => [k, Array.from(v)])),
      clusters: Object.fromEntries(r.clusters),
      prediction: r.prediction,
      probabilities: plain(r.probabilities),
      bmu: r.bmu,
      reconstruction: plain(r.reconstruction),
      timings: { ...r.timings },
    };
  };
}
