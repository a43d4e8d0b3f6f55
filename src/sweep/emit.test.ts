// sweep emit: the Slurm job-array script and the Kubernetes Indexed Job manifest, as golden text
// written here from what each engine needs (not copied from a run).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { expandSpec } from './expand.js';
import { kubernetesManifest, shellQuote, slurmScript, timeLimitSeconds } from './emit.js';
import { validateSpec } from './spec.js';

const spec = validateSpec({ name: 'km', kind: 'kmeans', base: { dataset: 'mnist' }, axes: { k: [8, 16], seeds: 3 } });
const plan = expandSpec(spec, { root: '/cluster/sweeps/km' });

test('slurmScript: an array of one task per shard, each running its shard of the spec', () => {
  const text = slurmScript(plan, {
    name: 'km',
    shards: 4,
    parallelism: 2,
    cpus: 4,
    memory: '8G',
    time: '2:00:00',
    partition: 'cpu',
    specPath: '/projects/me/km sweep.yaml',
    dir: '/cluster/sweeps/km',
    dataDir: '/cluster/data',
  });
  const expected = [
    '#!/bin/bash',
    '# latentlab sweep km: 6 tasks (6 units) in 4 shards, one array task per shard.',
    '# Submit with: sbatch km.sbatch   When every array task has ended: latentlab sweep merge /cluster/sweeps/km',
    '# A task that fails or is killed can be run again (sbatch --array=<i> …): completed runs are skipped, interrupted ones resume.',
    '#SBATCH --job-name=km',
    '#SBATCH --array=0-3%2',
    '#SBATCH --ntasks=1',
    '#SBATCH --cpus-per-task=4',
    '#SBATCH --mem=8G',
    '#SBATCH --time=2:00:00',
    '#SBATCH --signal=B:TERM@120',
    '#SBATCH --partition=cpu',
    '#SBATCH --output=km-%A_%a.out',
    'set -euo pipefail',
    '# SIGTERM 120 s before the time limit: the running commands checkpoint, and a resubmitted task resumes them.',
    `exec latentlab sweep run '/projects/me/km sweep.yaml' --dir /cluster/sweeps/km --jobs 1 --threads 4 --data-dir /cluster/data --shard "$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT"`,
    '',
  ].join('\n');
  assert.equal(text, expected);
  // Without a throttle, a time limit or a partition: none of their lines.
  const plain = slurmScript(plan, { name: 'km', shards: 6, specPath: '/s.yaml', dir: '/d', latentlab: 'npx latentlab' });
  assert.match(plain, /^#SBATCH --array=0-5$/m);
  assert.doesNotMatch(plain, /--time|--signal|--partition|--mem/);
  assert.match(plain, /^exec npx latentlab sweep run \/s\.yaml --dir \/d --jobs 1 --threads 1 --shard "\$SLURM_ARRAY_TASK_ID\/\$SLURM_ARRAY_TASK_COUNT"$/m);
});

test('kubernetesManifest: the spec in a ConfigMap, an Indexed Job with the shard count, image, command, resources and the shared claim', () => {
  const text = kubernetesManifest(plan, {
    name: 'km',
    shards: 3,
    parallelism: 2,
    cpus: 2,
    memory: '4Gi',
    time: '1-00:00:00',
    image: 'registry.example.org/latentlab:0.1.0',
    claim: 'sweeps',
    dir: '/data/km',
  });
  const specLines = JSON.stringify(spec, null, 2)
    .split('\n')
    .map((l) => `    ${l}`);
  const expected = [
    '# latentlab sweep km: 6 tasks (6 units) in 3 shards, one pod per shard.',
    '# Apply with: kubectl apply -f km.yaml   When the Job has completed: latentlab sweep merge /data/km (in a pod that mounts sweeps)',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: km-spec',
    'data:',
    '  spec.json: |',
    ...specLines,
    '---',
    'apiVersion: batch/v1',
    'kind: Job',
    'metadata:',
    '  name: km',
    'spec:',
    '  completionMode: Indexed',
    '  completions: 3',
    '  parallelism: 2',
    '  backoffLimitPerIndex: 2',
    '  activeDeadlineSeconds: 86400',
    '  template:',
    '    spec:',
    '      restartPolicy: Never',
    '      terminationGracePeriodSeconds: 120',
    '      containers:',
    '        - name: sweep',
    '          image: "registry.example.org/latentlab:0.1.0"',
    '          command: ["latentlab", "sweep", "run", "/etc/latentlab-sweep/spec.json", "--dir", "/data/km", "--jobs", "1", "--threads", "2"]',
    '          env:',
    '            - name: LATENTLAB_SHARD_COUNT',
    '              value: "3"',
    '          resources:',
    '            requests:',
    '              cpu: "2"',
    '              memory: "4Gi"',
    '            limits:',
    '              cpu: "2"',
    '              memory: "4Gi"',
    '          volumeMounts:',
    '            - name: sweep',
    '              mountPath: "/data"',
    '            - name: spec',
    '              mountPath: /etc/latentlab-sweep',
    '              readOnly: true',
    '      volumes:',
    '        - name: sweep',
    '          persistentVolumeClaim:',
    '            claimName: "sweeps"',
    '        - name: spec',
    '          configMap:',
    '            name: km-spec',
    '',
  ].join('\n');
  assert.equal(text, expected);
  // It is YAML a Kubernetes client reads: two documents, the spec given back whole.
  const docs = parseAllDocuments(text).map((d) => d.toJS() as unknown);
  assert.equal(docs.length, 2);
  assert.deepEqual(JSON.parse((docs[0] as { data: { 'spec.json': string } }).data['spec.json']), JSON.parse(JSON.stringify(spec)));
  const job = docs[1] as { spec: { completions: number; template: { spec: { containers: { command: string[] }[] } } } };
  assert.equal(job.spec.completions, 3);
  assert.equal(job.spec.template.spec.containers[0].command[2], 'run');
  assert.throws(() => kubernetesManifest(plan, { name: 'km', shards: 3, claim: 'c', dir: '/d' }), /sweep emit k8s: --image: expected the container image/);
  assert.throws(
    () => kubernetesManifest(plan, { name: 'Km_1', shards: 3, image: 'i', claim: 'c', dir: '/d' }),
    /--name: expected lower-case letters, digits and '-'/,
  );
});

test('shellQuote and timeLimitSeconds', () => {
  assert.equal(shellQuote('/a/b.yaml'), '/a/b.yaml');
  assert.equal(shellQuote("it's here"), `'it'\\''s here'`);
  assert.equal(timeLimitSeconds('90'), 5400);
  assert.equal(timeLimitSeconds('10:30'), 630);
  assert.equal(timeLimitSeconds('2:00:00'), 7200);
  assert.equal(timeLimitSeconds('1-02:00'), 93600);
  assert.equal(timeLimitSeconds('1-02'), 93600);
  assert.throws(() => timeLimitSeconds('2h'), /sweep emit: --time: expected a Slurm time such as 2:00:00/);
});
