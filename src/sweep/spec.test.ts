// Sweep specs: refusals that name the field, and an expansion that is a pure function of the spec.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { canonicalJson, contentHash } from './canonical.js';
import { derivedSeed, expandSpec } from './expand.js';
import { parseSpecText, validateSpec } from './spec.js';

const ROOT = resolve('sweep-folder');

test('canonicalJson: keys sorted at every level, numbers as JSON writes them', () => {
  assert.equal(canonicalJson({ b: [1e-3, { d: 1, c: -0 }], a: 'x', u: undefined }), '{"a":"x","b":[0.001,{"c":0,"d":1}]}');
  assert.equal(contentHash({ a: 1, b: 2 }), contentHash({ b: 2, a: 1 }));
  assert.throws(() => canonicalJson({ a: [NaN] }), /canonicalJson: expected a finite number at \(root\)\.a\[0\], got NaN/);
});

test('validateSpec: every refusal names its field', () => {
  const bad = (spec: unknown, re: RegExp) => assert.throws(() => validateSpec(spec, 'spec.yaml'), re);
  bad({ kind: 'kmeanz' }, /^UsageError: spec\.yaml: kind: Invalid option: expected one of "mlp"\|/);
  bad({ kind: 'kmeans', axes: { k: 3 } }, /spec\.yaml: axes\.k: expected a list of values \(only seeds takes a count\), got 3/);
  bad({ kind: 'kmeans', axes: { seeds: 2, seed: [0] } }, /axes: expected seed or seeds, not both/);
  bad({ kind: 'kmeans', axes: { k: [2, 2] } }, /axes\.k\[1\]: expected distinct values, got 2 twice/);
  bad({ kind: 'kmeans', axes: { seed: [-1] } }, /axes\.seed: expected non-negative integers, got \[-1\]/);
  bad({ kind: 'kmeans', axes: { k: [] } }, /axes\.k: expected at least one value/);
  bad({ kind: 'kmeans', seeds: 3 }, /\(root\): unknown key "seeds"/);
  bad({ axes: { seeds: 2 } }, /kind: expected the run kind of the tasks/);
  bad(
    { kind: 'som', methods: { a: { config: { encoder: { $task: 'b' } } } } },
    /methods\.a\.config\.encoder: expected \{ \$task: <a method name> \}, got \{"\$task":"b"\}/,
  );
  bad({ kind: 'som', methods: { a: { needs: ['b'] }, b: { needs: ['a'] } } }, /methods: needs form a cycle \(a → b → a\)/);
  bad(
    { kind: 'som', axes: { map: ['2x2'] }, methods: { a: { config: { map: '3x3' } } } },
    /methods\.a\.config\.map: map is an axis; a method cannot also set it/,
  );
  bad({ kind: 'kmeans', axes: { k: [2] }, table: { rows: 'lr' } }, /table\.rows: expected one of method, k, got "lr"/);
  bad({ kind: 'kmeans', table: { colour: 'red' } }, /table: unknown key "colour"/);
});

test('parseSpecText: YAML or JSON; a parse error says which and where', () => {
  const yaml = parseSpecText('kind: kmeans\naxes:\n  k: [2, 3]\n  seeds: 2\n');
  const json = parseSpecText('{"kind": "kmeans", "axes": {"k": [2, 3], "seeds": 2}}');
  assert.deepEqual(yaml, json);
  assert.deepEqual(yaml.axes, { k: [2, 3], seed: [0, 1] });
  assert.throws(() => parseSpecText('kind: [kmeans\n', 'a.yaml'), /^UsageError: a\.yaml: not valid YAML: /);
  assert.throws(() => parseSpecText('{"kind": ', 'a.json'), /^UsageError: a\.json: not valid JSON: /);
  assert.throws(() => parseSpecText('- kmeans\n', 'a.yaml'), /a\.yaml: expected an object with kind, base, axes, … at the top, got a list/);
});

const KM = { kind: 'kmeans', base: { dataset: 'mnist', limit: 100, split: 'all' }, axes: { k: [2, 3], seeds: 2 } };

test('expandSpec: the first axis outermost, ids from the axis values, folders keyed by the config hash', () => {
  const plan = expandSpec(validateSpec(KM), { root: ROOT });
  assert.deepEqual(
    plan.tasks.map((t) => [t.id, t.unit, t.diff]),
    [
      ['kmeans-k2-s0', 0, { k: 2, seed: 0 }],
      ['kmeans-k2-s1', 1, { k: 2, seed: 1 }],
      ['kmeans-k3-s0', 2, { k: 3, seed: 0 }],
      ['kmeans-k3-s1', 3, { k: 3, seed: 1 }],
    ],
  );
  for (const t of plan.tasks) assert.equal(t.dir, `${t.id}-${t.hash.slice(0, 8)}`);
  // The hash is over the kind and the config as its schema resolves it: a default written out changes nothing…
  const explicit = expandSpec(validateSpec({ ...KM, base: { split: 'all', restarts: 10, limit: 100, dataset: 'mnist' } }), { root: ROOT });
  assert.deepEqual(
    explicit.tasks.map((t) => t.hash),
    plan.tasks.map((t) => t.hash),
  );
  // …nor do the keys that only say how to run it, nor the folder; any other value does.
  const elsewhere = expandSpec(validateSpec(KM), { root: '/elsewhere', threads: 3, dataDir: '/data' });
  assert.deepEqual(
    elsewhere.tasks.map((t) => t.dir),
    plan.tasks.map((t) => t.dir),
  );
  assert.equal(elsewhere.tasks[0].config.threads, 3);
  const other = expandSpec(validateSpec({ ...KM, base: { ...KM.base, limit: 101 } }), { root: ROOT });
  assert.ok(other.tasks.every((t, i) => t.hash !== plan.tasks[i].hash));
  // Deterministic: the same spec, the same plan.
  assert.deepEqual(expandSpec(validateSpec(KM), { root: ROOT }), plan);
});

test('expandSpec: a config the kind refuses is refused before anything runs, naming the task and the key', () => {
  assert.throws(
    () => expandSpec(validateSpec({ ...KM, axes: { k: [0] } }), { root: ROOT }),
    /^RangeError: planSweep: task kmeans-k0 \(kmeans, run by `cluster kmeans`\): k: .*\(got 0\)/,
  );
  assert.throws(() => expandSpec(validateSpec({ ...KM, base: { ...KM.base, epochs: 2 } }), { root: ROOT }), /task kmeans-k2-s0 .*unknown key "epochs"/);
});

test('expandSpec: methods, their dependencies (one unit, the needed task first) and derived seeds', () => {
  const spec = validateSpec({
    base: { dataset: 'mnist', map: '2x2', limit: 100 },
    axes: { dataset: ['mnist', 'usps'], seeds: 2 },
    methods: {
      som: { kind: 'som', config: { split: 'all' } },
      ae_som: { kind: 'som', config: { split: 'all', encoder: { $task: 'ae' } } },
      ae: { kind: 'desom', config: { gamma: 0 }, table: false },
    },
    seed_mode: 'derived',
  });
  const plan = expandSpec(spec, { root: ROOT });
  const s0 = plan.tasks.filter((t) => t.coords.dataset === 'usps' && t.coords.seed === 1);
  assert.deepEqual(
    s0.map((t) => [t.id, t.unit, t.depends_on]),
    [
      ['som-usps-s1', 6, []],
      ['ae-usps-s1', 7, []],
      ['ae_som-usps-s1', 7, ['ae-usps-s1']],
    ],
  );
  assert.equal(plan.units, 8);
  const [som, ae, aeSom] = s0;
  assert.equal(aeSom.config.encoder, join(ROOT, ae.dir));
  assert.equal(ae.inTable, false);
  // Derived seeds: 31 bits of a hash of the axis values and the seed value, shared by the methods of one point.
  assert.equal(som.config.seed, derivedSeed({ dataset: 'usps', seed: 1 }, 1));
  assert.equal(ae.config.seed, som.config.seed);
  assert.equal(derivedSeed({ dataset: 'usps', seed: 1 }, 1), Number.parseInt(contentHash({ axes: { dataset: 'usps' }, seed: 1 }).slice(0, 8), 16) & 0x7fffffff);
  assert.notEqual(plan.tasks.find((t) => t.id === 'som-mnist-s1')?.config.seed, som.config.seed);
  // The dependent's hash follows its dependency's: a different autoencoder, a different SOM on its codes.
  const spec2 = validateSpec({ ...spec, methods: { ...spec.methods, ae: { kind: 'desom', config: { gamma: 0, latent: 5 }, table: false } } });
  const plan2 = expandSpec(spec2, { root: ROOT });
  assert.notEqual(plan2.tasks.find((t) => t.id === 'ae_som-usps-s1')?.hash, aeSom.hash);
  assert.equal(plan2.tasks.find((t) => t.id === 'som-usps-s1')?.hash, som.hash);
});
