/**
 * Seeded mutation fuzzing of every file reader (see test/helpers/reader-fuzz.ts for the mutations
 * and what counts as a failure). A few thousand cases per reader here; `npm run fuzz` runs
 * 100,000 per reader.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { READERS, getReader, judge, runFuzz, type FuzzReader } from '../../test/helpers/reader-fuzz.js';

const CASES: Record<string, number> = { idx: 5000, 'idx-gz': 3000, npy: 5000, safetensors: 5000, usps: 3000 };

for (const reader of READERS) {
  const cases = CASES[reader.name] ?? 2000;
  test(`the ${reader.name} reader turns ${cases} mutated files into correct reads or errors that name the file`, (t) => {
    const r = runFuzz(reader, { cases, seed: 2024 });
    t.diagnostic(`${r.reads} read, ${r.errors} refused, ${r.kinds.size} kinds of refusal, slowest case ${r.slowestMs.toFixed(0)} ms`);
    const shown = r.failures.slice(0, 5).map((f) => `--reader ${f.reader} --seed ${f.seed} --case ${f.index} (${f.mutations.join(', ')}): ${f.problem}`);
    assert.deepEqual(shown, [], `${r.failures.length} failures`);
    // The mutations must reach both outcomes and many different checks, or the test proves little.
    assert.ok(r.reads > 0, 'some mutated files are still valid');
    assert.ok(r.kinds.size >= 5, `only ${r.kinds.size} kinds of refusal: ${[...r.kinds.keys()].join(' | ')}`);
  });
}

test('the fuzz oracle fails accidents: stack overflows, typed-array RangeErrors, foreign errors, unnamed files, bad reads', () => {
  const idx = getReader('idx');
  const src = 'fuzz/x.bin';
  const thrown = (error: unknown): string | null => judge(idx, src, { error });
  assert.equal(judge(idx, src, {}), null);
  assert.equal(thrown(new RangeError(`parseIdx: ${src} is truncated`)), null);
  assert.match(thrown(new RangeError('Maximum call stack size exceeded')) ?? '', /accidental error/);
  assert.match(thrown(new RangeError(`parseIdx: ${src}: Invalid typed array length: 5`)) ?? '', /accidental error/);
  assert.match(thrown(new SyntaxError(`parseIdx: ${src}: bad`)) ?? '', /unexpected error class SyntaxError/);
  assert.match(thrown(new Error(`parseNpy: ${src}: bad`)) ?? '', /error not from parseIdx/);
  assert.match(thrown(new Error('parseIdx: a file is bad')) ?? '', /does not name the file/);
  assert.match(thrown('a string') ?? '', /non-Error/);

  // And runFuzz reports them, with what replays the case.
  const broken: FuzzReader = { ...idx, name: 'broken', read: () => new Float32Array(-1) as unknown as void };
  const r = runFuzz(broken, { cases: 3, seed: 5 });
  assert.equal(r.failures.length, 3);
  assert.match(r.failures[0].problem, /accidental error RangeError: Invalid typed array length/);
  assert.deepEqual(
    runFuzz(broken, { cases: 3, seed: 5, only: 2 }).failures.map((f) => [f.index, f.mutations]),
    [[2, r.failures[2].mutations]],
  );
});
