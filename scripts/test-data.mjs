// `npm run test:data`: checks the registry and the loaders against the real dataset files, which
// are not in the repository. LATENTLAB_DATA_DIR must hold mnist/, fashion-mnist/ and usps/ with
// the canonical files (see docs/datasets.md).
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REQUIRED = ['mnist', 'fashion-mnist', 'usps'];

function isDir(path) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function fail(message) {
  console.error(`test:data: ${message}`);
  process.exit(1);
}

const dir = process.env.LATENTLAB_DATA_DIR;
if (!dir) {
  fail(
    `LATENTLAB_DATA_DIR is not set; set it to a directory holding ${REQUIRED.map((d) => `${d}/`).join(', ')} with the canonical files, e.g. LATENTLAB_DATA_DIR=/path/to/data npm run test:data`,
  );
}
const root = resolve(dir);
if (!isDir(root)) fail(`LATENTLAB_DATA_DIR=${dir} is not a directory`);
const missing = REQUIRED.filter((d) => !isDir(join(root, d)));
if (missing.length > 0)
  fail(
    `LATENTLAB_DATA_DIR=${dir} has no ${missing.map((d) => `${d}/`).join(', ')}; expected ${REQUIRED.map((d) => `${d}/`).join(', ')} (each holding that dataset's files)`,
  );

const tests = fileURLToPath(new URL('./test-data/real-data.test.ts', import.meta.url));
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', tests], { stdio: 'inherit', env: { ...process.env, LATENTLAB_DATA_DIR: root } });
process.exit(r.status ?? 1);
