import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RunEvent } from './kind.js';
import { relay } from './relay.js';

const tick = (value: number): RunEvent => ({ type: 'tick', value });

test('relay yields the events in order, each taken before the task goes on, then returns its result', async () => {
  const log: string[] = [];
  const events = relay(async (emit) => {
    for (let i = 1; i <= 3; i++) {
      log.push(`emit ${i}`);
      await emit(tick(i));
    }
    return 'done';
  });
  for (let r = await events.next(); ; r = await events.next()) {
    if (r.done) {
      assert.equal(r.value, 'done');
      break;
    }
    log.push(`took ${(r.value as { value: number }).value}`);
  }
  assert.deepEqual(log, ['emit 1', 'took 1', 'emit 2', 'took 2', 'emit 3', 'took 3']);
});

test('relay throws the task failure after the events emitted before it', async () => {
  const seen: RunEvent[] = [];
  const events = relay(async (emit) => {
    await emit(tick(1));
    throw new Error('figure failed');
  });
  await assert.rejects(async () => {
    for (let r = await events.next(); !r.done; r = await events.next()) seen.push(r.value);
  }, /figure failed/);
  assert.deepEqual(seen, [tick(1)]);
});
