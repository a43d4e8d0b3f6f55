#!/usr/bin/env node
// Compiles the wasm backend's kernels (assembly/*.ts, AssemblyScript) into
// src/tensor/backends/wasm/kernels.wasm, the file the package ships so that users need no compiler.
// `npm run build:wasm` after changing assembly/; the test src/tensor/backends/wasm.test.ts rebuilds
// into a temporary file and checks that the committed one has the same bytes.
//
//   node scripts/build-wasm.mjs [--out FILE]
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

/**
 * The compiler flags: 128-bit SIMD, optimized for speed, the stub runtime (the kernels allocate
 * nothing; the loader owns memory above heapBase()), assertions compiled out.
 */
export const ASC_FLAGS = ['--enable', 'simd', '-O3', '--runtime', 'stub', '--noAssert'];

/** Builds assembly/index.ts into outFile; throws with the compiler's messages on failure. */
export async function buildWasm(outFile) {
  const version = JSON.parse(readFileSync(path.join(root, 'node_modules', 'assemblyscript', 'package.json'), 'utf8')).version;
  if (version !== ASC_VERSION) {
    throw new Error(`build-wasm: expected AssemblyScript ${ASC_VERSION} (the version kernels.wasm is built with), found ${version}; run \`npm ci\``);
  }
  mkdirSync(path.dirname(outFile), { recursive: true });
  let messages = '';
  const sink = { write: (s) => ((messages += String(s)), true) };
  const { error } = await asc.main(['assembly/index.ts', ...ASC_FLAGS, '--outFile', outFile], { stdout: sink, stderr: sink, baseDir: root });
  if (error) throw new Error(`build-wasm: asc failed: ${error.message}\n${messages}`);
  return outFile;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const out = path.resolve(i >= 0 ? process.argv[i + 1] : path.join(root, WASM_PATH));
  await buildWasm(out);
  console.log(`build-wasm: wrote ${path.relative(process.cwd(), out)} (${readFileSync(out).length} bytes, AssemblyScript ${ASC_VERSION})`);
}
