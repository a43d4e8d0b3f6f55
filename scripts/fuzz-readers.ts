/**
 * Mutation fuzzing of the file readers, at scale (the unit tests run a few thousand cases each):
 *
 *   node --import tsx scripts/fuzz-readers.ts [--cases 100000] [--seed 1] [--reader idx|idx-gz|npy|safetensors|usps]
 *                                             [--case N] [--save DIR] [--kinds]
 *
 * `--cases` is per reader. Exits 1 when any case ends in something other than a correct read or
 * a deliberate error naming the file (see test/helpers/reader-fuzz.ts); each failure is printed
 * with the reader, seed and case number that replay it (`--reader R --seed S --case N`), and
 * `--save DIR` writes the failing inputs there. `--kinds` prints how often each error occurred.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { READERS, getReader, runFuzz, type FuzzFailure } from '../test/helpers/reader-fuzz.js';

function positiveInt(flag: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`fuzz-readers: ${flag} expects a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

const { values } = parseArgs({
  options: {
    cases: { type: 'string' },
    seed: { type: 'string' },
    reader: { type: 'string', multiple: true },
    case: { type: 'string' },
    save: { type: 'string' },
    kinds: { type: 'boolean' },
  },
});

const cases = positiveInt('--cases', values.cases, 100_000);
const seed = positiveInt('--seed', values.seed, 1);
const only = values.case === undefined ? undefined : positiveInt('--case', values.case, 0);
const readers = values.reader === undefined ? READERS : values.reader.map(getReader);

const failures: FuzzFailure[] = [];
const started = performance.now();
for (const reader of readers) {
  const t0 = performance.now();
  const r = runFuzz(reader, { cases: only === undefined ? cases : only + 1, seed, only });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  console.log(
    `${reader.name.padEnd(12)} ${r.cases} cases in ${s} s: ${r.reads} read, ${r.errors} refused, ${r.failures.length} failures (slowest case ${r.slowestMs.toFixed(0)} ms)`,
  );
  if (values.kinds) {
    for (const [kind, n] of [...r.kinds].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(7)}  ${kind}`);
  }
  failures.push(...r.failures);
}
console.log(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);

for (const f of failures.slice(0, 20)) {
  console.log(`\nFAIL ${f.reader} --seed ${f.seed} --case ${f.index} (${f.mutations.join(', ')}): ${f.problem}`);
  console.log(`  first bytes: ${Buffer.from(f.bytes.subarray(0, 48)).toString('hex')} (${f.bytes.length} bytes)`);
}
if (failures.length > 20) console.log(`\n… and ${failures.length - 20} more failures`);
if (values.save !== undefined && failures.length > 0) {
  mkdirSync(values.save, { recursive: true });
  for (const f of failures) writeFileSync(join(values.save, `${f.reader}-${f.seed}-${f.index}.bin`), f.bytes);
  console.log(`failing inputs written to ${values.save}`);
}
process.exitCode = failures.length > 0 ? 1 : 0;
