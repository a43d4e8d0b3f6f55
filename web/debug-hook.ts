/**
 * A handle on the page's linked selection for tests and the console: `window.__latentlab` gets
 * `selectedRows()` (the selected rows, increasing), `select(rows, source?, label?)` (a selection
 * made as if by another view) and `clear()`. The page shows only what the server already serves,
 * so the handle exposes nothing new.
 */
import type { Selection } from './selection.js';

export interface LatentlabHook {
  selectedRows(): number[];
  select(rows: readonly number[], source?: string, label?: string): void;
  clear(): void;
}

/** Points `window.__latentlab` at this page's selection (each run page replaces the previous one's). */
export function exposeSelection(selection: Selection): void {
  const w = window as unknown as { __latentlab?: Partial<LatentlabHook> & Record<string, unknown> };
  const hook = (w.__latentlab ??= {});
  hook.selectedRows = () => Array.from(selection.rows);
  hook.select = (rows, source = 'test', label = 'test') => selection.set(rows, source, label);
  hook.clear = () => selection.clear();
}
