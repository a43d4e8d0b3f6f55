#!/usr/bin/env node
// Builds the optional native backend (native/latentlab.cc over system OpenBLAS) with node-gyp.
// Run as the package's "install" script and by `npm run build:native` (with --verbose).
// It never fails the install: on any problem it prints one notice and exits 0, and latentlab
// runs on the js backend. LATENTLAB_SKIP_NATIVE=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const verbose = process.argv.includes('--verbose');
const addonPath = path.join(root, 'build', 'Release', 'latentlab_native.node');

function notice(reason) {
  console.log(
    `latentlab: native backend not built (${reason}); everything runs on the js backend. ` +
      'Install libopenblas-dev and run `npm run build:native` to enable it.',
  );
}

/** How to run node-gyp: npm's own (npm_config_node_gyp or PATH), else the one bundled with npm. */
function findNodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return { cmd: process.execPath, args: [fromNpm] };
  const exe = process.platform === 'win32' ? 'node-gyp.cmd' : 'node-gyp';
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, exe))) return { cmd: path.join(dir, exe), args: [] };
  }
  // Never `npx node-gyp`: it would try to download. Look beside the running node instead.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  for (const candidate of [
    path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ]) {
    if (existsSync(candidate)) return { cmd: process.execPath, args: [candidate] };
  }
  return null;
}

/**
 * Node's headers installed beside the running node (distribution tarballs and Debian's nodejs
 * both ship them): pointing node-gyp there avoids downloading headers, so offline installs work.
 */
function localNodeDir() {
  if (process.env.npm_config_nodedir) return null;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const inc = path.join(prefix, 'include', 'node');
  return existsSync(path.join(inc, 'node_api.h')) && existsSync(path.join(inc, 'common.gypi')) ? prefix : null;
}

/** A short reason for a failed build, from node-gyp's output. */
function diagnose(output, status) {
  if (/cannot find -lopenblas|lopenblas: No such file|library not found for -lopenblas/i.test(output)) {
    return 'OpenBLAS not found: the linker has no -lopenblas';
  }
  if (
    /No such file or directory: '[^']*\b(gcc|g\+\+|cc|c\+\+|clang\+*)'|(^|[\s/])(g\+\+|c\+\+|gcc|cc|make): (command )?not found|not found: make|No Xcode or CLT|Could not find any Visual Studio/.test(
      output,
    )
  ) {
    return 'no C++ toolchain (g++ and make) found';
  }
  if (/Cannot find module 'node-addon-api'|napi\.h: No such file/.test(output)) {
    return 'node-addon-api is missing from node_modules';
  }
  if (/node_api\.h: No such file|\bENOTFOUND\b|\bECONNREFUSED\b|\bEAI_AGAIN\b|getaddrinfo/.test(output)) {
    return "Node's headers are not installed and could not be downloaded";
  }
  if (/gyp: .*python|Could not find any Python/i.test(output)) return 'node-gyp found no Python';
  return `node-gyp rebuild exited with ${status}; run \`npm run build:native\` to see its output`;
}

function main() {
  if (process.env.LATENTLAB_SKIP_NATIVE === '1') {
    console.log('latentlab: LATENTLAB_SKIP_NATIVE=1, native backend not built; everything runs on the js backend.');
    return;
  }
  const gyp = findNodeGyp();
  if (gyp === null) {
    notice('node-gyp not found');
    return;
  }
  const args = [...gyp.args, 'rebuild'];
  const nodedir = localNodeDir();
  if (nodedir !== null) args.push(`--nodedir=${nodedir}`);
  if (verbose) console.log(`latentlab: ${[gyp.cmd, ...args].join(' ')}`);
  const res = spawnSync(gyp.cmd, args, {
    cwd: root,
    stdio: verbose ? 'inherit' : 'pipe',
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    shell: process.platform === 'win32',
  });
  if (res.error) {
    notice(`could not run node-gyp: ${res.error.message}`);
    return;
  }
  if (res.status !== 0) {
    notice(diagnose(`${res.stdout ?? ''}\n${res.stderr ?? ''}`, res.status ?? res.signal));
    return;
  }
  if (!existsSync(addonPath)) {
    notice(`node-gyp succeeded but ${path.relative(root, addonPath)} is missing`);
    return;
  }
  // Load it once: a missing shared library at run time shows up here, not at first use.
  let addon;
  try {
    addon = createRequire(import.meta.url)(addonPath);
  } catch (e) {
    notice(`the built addon does not load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    return;
  }
  const core = addon.coreName() ?? 'unknown';
  const threads = addon.getThreads();
  console.log(`latentlab: native backend built (OpenBLAS core ${core}, ${threads} thread${threads === 1 ? '' : 's'}).`);
}

try {
  main();
} catch (e) {
  notice(`unexpected error: ${e instanceof Error ? e.message : String(e)}`);
}
process.exitCode = 0;
