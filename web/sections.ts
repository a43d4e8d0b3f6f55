/**
 * Where run pages grow: a section registered here is added to the page of every run of its kinds
 * (the latent scatter, the SOM map and the signature Sankey of the linked exploration plug in
 * this way). A section gets the run's detail, its events and a way to fetch its arrays as typed
 * arrays; it returns its element, or null when the run has nothing for it.
 */
import type { RunDetail } from '../src/serve/types.js';
import type { NpyArray } from './npy.js';
import type { Probe } from './probe.js';
import type { Selection } from './selection.js';

export interface RunSectionContext {
  run: RunDetail;
  records: readonly Record<string, unknown>[];
  /** One of the run's arrays (arrays/<name>.npy), sent as binary; fetched once per page, shared by the sections. */
  array(name: string): Promise<NpyArray>;
  /** The page's linked selection over the rows of the run's per-row arrays (arrays/labels.npy's length); null for a run without them. */
  selection: Selection | null;
  /** The input drawn in the page's draw panel, run through the model in the browser (probe.ts). */
  probe: Probe;
  /** Whether the run is still training (its page is fed by the live event stream). */
  live: boolean;
  /**
   * Calls `listener` with each batch of events.jsonl records that arrives while the run trains
   * (never for a finished run). The page renders its sections again when the run ends.
   */
  onRecords(listener: (records: readonly Record<string, unknown>[]) => void): void;
  /**
   * An array fetched again now (revalidated against the server), for files a running run rewrites
   * and deletes: null when the run has no such file (not yet, or no longer).
   */
  arrayFresh(name: string): Promise<NpyArray | null>;
}

export interface RunSection {
  /** A stable name (the section's element gets data-section="name"). */
  name: string;
  title: string;
  /** The run kinds it applies to, or '*' for all. */
  kinds: readonly string[] | '*';
  render(ctx: RunSectionContext): Promise<HTMLElement | null> | HTMLElement | null;
}

const SECTIONS: RunSection[] = [];

export function registerRunSection(section: RunSection): void {
  if (SECTIONS.some((s) => s.name === section.name)) throw new Error(`registerRunSection: a section named "${section.name}" is already registered`);
  SECTIONS.push(section);
}

/** The sections that apply to runs of `kind`, in registration order. */
export function sectionsFor(kind: string): RunSection[] {
  return SECTIONS.filter((s) => s.kinds === '*' || s.kinds.includes(kind));
}
