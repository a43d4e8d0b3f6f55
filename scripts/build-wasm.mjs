#!/usr/bin/env node
// Compiles the wasm backend's kernels (assembly/*.ts, AssemblyScript) into the two modules the
// package ships so that users need no compiler: src/tensor/backends/wasm/kernels.wasm (its own
// memory: one thread, what a browser page without cross-origin isolation can run) and
// kernels-mt.wasm next to it (the same kernels over a shared memory it imports: the worker
// threads). `npm run build:wasm` after changing assembly/; the tests rebuild each into a
// temporary file and check that the committed one has the same bytes (kernels.wasm:
// src/tensor/backends/wasm.test.ts; kernels-mt.wasm: wasm-threads.test.ts).
//
//   node scripts/build-wasm.mjs                  both, into src/tensor/backends/wasm/
//   node scripts/build-wasm.mjs --out FILE       kernels.wasm only, into FILE
//   node scripts/build-wasm.mjs --mt --out FILE  kernels-mt.wasm only, into FILE
//
// The output is reproducible: the compiler is pinned (package.json: assemblyscript, exactly
// ASC_VERSION below) and the module carries no names or paths (no --debug, no source map).
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The AssemblyScript compiler the committed kernels.wasm was built with. */
export const ASC_VERSION = '0.28.20';

/** Where the module goes by default (relative to the repository root). */
export const WASM_PATH = 'src/tensor/backends/wasm/kernels.wasm';

/** The threaded module's file name, beside kernels.wasm. */
export const WASM_MT_NAME = 'kernels-mt.wasm';

/**
 * The compiler flags: 128-bit SIMD, optimized for speed, the stub runtime (the kernels allocate
 * nothing; the loader owns memory above heapBase()), assertions compiled out.
 */
export const ASC_FLAGS = ['--enable', 'simd', '-O3', '--runtime', 'stub', '--noAssert'];

/**
 * kernels-mt.wasm's flags on top: the memory shared (which needs the threads feature and a
 * maximum: 65,536 pages, the 4 GiB wasm32 addresses; the loader may give a smaller one) and
 * imported as env.memory, so that the calling thread and every worker instantiate the module over
 * the same memory.
 */
export const ASC_MT_FLAGS = ['--enable', 'threads', '--sharedMemory', '--importMemory', '--maximumMemory', '65536'];

/**
 * Builds assembly/index.ts into outFile: kernels.wasm, or kernels-mt.wasm when `threaded`; throws
 * with the compiler's messages on failure.
 */
export async function buildWasm(outFile, threaded = false) {
  const version = JSON.parse(readFileSync(path.join(root, 'node_modules', 'assemblyscript', 'package.json'), 'utf8')).version;
  if (version !== ASC_VERSION) {
    throw new Error(`build-wasm: expected AssemblyScript ${ASC_VERSION} (the version kernels.wasm is built with), found ${version}; run \`npm ci\``);
  }
  mkdirSync(path.dirname(outFile), { recursive: true });
  let messages = '';
  const sink = { write: (s) => ((messages += String(s)), true) };
  const flags = threaded ? [...ASC_FLAGS, ...ASC_MT_FLAGS] : ASC_FLAGS;
  const { error } = await asc.main(['assembly/index.ts', ...flags, '--outFile', outFile], { stdout: sink, stderr: sink, baseDir: root });
  if (error) throw new Error(`build-wasm: asc failed on ${path.basename(outFile)}: ${error.message}\n${messages}`);
  return outFile;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const mt = process.argv.includes('--mt');
  const targets =
    i >= 0
      ? [[path.resolve(process.argv[i + 1]), mt]]
      : [
          [path.join(root, WASM_PATH), false],
          [path.join(root, path.dirname(WASM_PATH), WASM_MT_NAME), true],
        ];
  for (const [file, threaded] of targets) {
    await buildWasm(file, threaded);
    console.log(`build-wasm: wrote ${path.relative(process.cwd(), file)} (${readFileSync(file).length} bytes, AssemblyScript ${ASC_VERSION})`);
  }
}
