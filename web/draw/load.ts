/**
 * The run's model in the browser, loaded once per page on first use (its code is a chunk of its
 * own, model.ts): the draw panel and the scatter's hover reconstructions share it.
 */
import type { RunDetail } from '../../src/serve/types.js';
import type { NpyArray } from '../npy.js';
import type { DrawModel } from './model.js';

const perPage = new WeakMap<RunDetail, Promise<DrawModel>>();

/** Run `run`'s model (a signatures run: the model it analyses), loading it on the first call. */
export function drawModelOf(run: RunDetail, array: (name: string) => Promise<NpyArray>): Promise<DrawModel> {
  let p = perPage.get(run);
  if (p === undefined) {
    p = import('./model.js').then((m) => m.DrawModel.open(run, array));
    perPage.set(run, p);
    // A failure (a missing file, the server gone) is not kept: the next use tries again.
    p.catch(() => perPage.delete(run));
  }
  return p;
}
