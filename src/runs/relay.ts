/**
 * Events from code that reports through a callback (e.g. the UMAP of a figure, which calls back
 * after each epoch), as part of a training's own events: `yield* relay((emit) => task(emit))`.
 */
import type { RunEvent } from './kind.js';

/**
 * Runs `task`, yielding each event it emits, and returns its result. `emit` settles once the
 * consumer has taken the event, so a task that awaits it goes on only after a progress display
 * has been updated: the display stays live although the task itself never yields.
 */
export async function* relay<T>(task: (emit: (e: RunEvent) => Promise<void>) => Promise<T>): AsyncGenerator<RunEvent, T> {
  const queue: { event: RunEvent; taken: () => void }[] = [];
  let wake: (() => void) | null = null;
  let settled = false;
  const emit = (event: RunEvent): Promise<void> =>
    new Promise((taken) => {
      queue.push({ event, taken });
      wake?.();
    });
  const result = task(emit).finally(() => {
    settled = true;
    wake?.();
  });
  // Its failure is thrown by the `await result` below, once the events before it are out.
  result.catch(() => {});
  for (;;) {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      yield next.event;
      next.taken();
    }
    if (settled) return await result;
    await new Promise<void>((r) => (wake = r));
    wake = null;
  }
}
