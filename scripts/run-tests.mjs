// Runs every *.test.ts under src/ and test/ with node's test runner (TypeScript through tsx).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'fixtures' && name !== 'node_modules') find(p, out);
    } else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
let files = [...find('src', []), ...find('test', [])].sort();
if (filter.length > 0) files = files.filter((f) => filter.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
// Most suites check the native backend against js and PyTorch: without the addon they would fail by
// the hundred with one cause, so name the cause once instead.
if (!existsSync(join('build', 'Release', 'latentlab_native.node'))) {
  console.error(
    'run-tests: the native backend is not built (build/Release/latentlab_native.node is missing), and the tests check it against the js backend and PyTorch.\n' +
      'Install OpenBLAS and a C++ compiler (Debian: apt-get install libopenblas-dev g++ make python3), then run `npm run build:native` and `npm test` again.',
  );
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
