/**
 * The input images of a run's rows, as the hover tooltips and the gallery need them: fetched from
 * /api/runs/:id/inputs (a .npy of uint8 grey images) at most MAX_ROWS per request, kept once
 * fetched, and drawn into small canvases (no data: URL, no inline style: the CSP allows it as is).
 * Also where each row comes from in the dataset (/inputs/origins), for the export.
 */
import type { RunDetail } from '../../src/serve/types.js';
import { ApiError, runUrl } from '../api.js';
import { h } from '../dom.js';
import { parseNpy } from '../npy.js';

/** The server's limit of rows per request. */
const MAX_ROWS = 1000;

/** The dataset splits origins' codes name (the server's ORIGIN_SPLITS). */
export const ORIGIN_SPLITS = ['train', 'test', 'all'] as const;

async function fetchNpy(url: string): Promise<ReturnType<typeof parseNpy>> {
  const res = await fetch(url);
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      message = ((await res.json()) as { error?: string }).error ?? message;
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, message);
  }
  return parseNpy(await res.arrayBuffer(), url);
}

export class InputImages {
  private readonly images = new Map<number, Uint8Array>();
  private originsPromise: Promise<Int32Array> | null = null;
  h = 0;
  w = 0;

  constructor(readonly runId: string) {}

  /** The images of `rows` (run rows), fetched as needed; missing from the map only when the request failed. */
  async get(rows: readonly number[]): Promise<Map<number, Uint8Array>> {
    const missing = [...new Set(rows.filter((r) => !this.images.has(r)))];
    for (let at = 0; at < missing.length; at += MAX_ROWS) {
      const part = missing.slice(at, at + MAX_ROWS);
      const a = await fetchNpy(`${runUrl(this.runId)}/inputs?rows=${part.join(',')}`);
      const [k, hh, ww] = a.shape;
      if (!(a.data instanceof Uint8Array) || k !== part.length)
        throw new Error(`InputImages.get: expected ${part.length} uint8 images, got ${a.dtype} (${a.shape.join(', ')})`);
      this.h = hh;
      this.w = ww;
      const size = hh * ww;
      for (let i = 0; i < k; i++) this.images.set(part[i], a.data.subarray(i * size, (i + 1) * size));
    }
    const out = new Map<number, Uint8Array>();
    for (const r of rows) {
      const img = this.images.get(r);
      if (img !== undefined) out.set(r, img);
    }
    return out;
  }

  /** n × 2 int32: each run row's split (an index into ORIGIN_SPLITS) and its index there. */
  origins(): Promise<Int32Array> {
    if (this.originsPromise === null) {
      this.originsPromise = fetchNpy(`${runUrl(this.runId)}/inputs/origins`).then((a) => {
        if (!(a.data instanceof Int32Array)) throw new Error(`InputImages.origins: expected int32, got ${a.dtype}`);
        return a.data;
      });
      this.originsPromise.catch(() => (this.originsPromise = null));
    }
    return this.originsPromise;
  }

  /** A canvas showing one image (grey on white, scaled by CSS). */
  canvas(pixels: Uint8Array, cls = 'input-image'): HTMLCanvasElement {
    const c = h('canvas', { class: cls, width: this.w, height: this.h });
    const ctx = c.getContext('2d');
    if (ctx !== null) {
      const img = ctx.createImageData(this.w, this.h);
      // Ink dark on white, as the figures draw digits.
      for (let i = 0; i < pixels.length; i++) {
        const v = 255 - pixels[i];
        img.data[4 * i] = v;
        img.data[4 * i + 1] = v;
        img.data[4 * i + 2] = v;
        img.data[4 * i + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
    }
    return c;
  }
}

const perPage = new WeakMap<RunDetail, InputImages>();

/** The images of one run page (its sections share them: the run's detail object is the page's). */
export function inputsOf(run: RunDetail): InputImages {
  let x = perPage.get(run);
  if (x === undefined) perPage.set(run, (x = new InputImages(run.id)));
  return x;
}

/** The run's class names: config.json's dataset class_names, else the labels as numbers. */
export function classNames(run: RunDetail): (label: number) => string {
  const ds = run.record?.dataset as { class_names?: unknown } | undefined;
  const names = Array.isArray(ds?.class_names) ? (ds.class_names as unknown[]).map(String) : null;
  return (k) => (names !== null && k >= 0 && k < names.length ? names[k] : String(k));
}
