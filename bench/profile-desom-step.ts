/**
 * Where the time of a DESOM training step goes (the desom-step case's step: batch 256, MLP
 * 784-500-500-2000-10 and back, 8×8 map, Adam), kernel by kernel:
 *
 *   node --import tsx bench/profile-desom-step.ts [--backend native] [--threads 2] [--steps 200]
 *
 * The backend is wrapped so that every kernel call is timed (wall time around the call; the
 * wrapper itself costs about a microsecond per call, ~100 calls per step); GEMMs are also grouped
 * by shape with their GFLOP/s. "outside the kernels" is the step's time minus the kernels' — the
 * TypeScript of the layers, the loss, the SOM weights and the allocations. The FMA limit (native
 * only) is measured on the same threads, so every line can be read as a fraction of the silicon.
 * Like `npm run bench`, it runs itself again with OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset, to
 * measure what a user's machine does.
 */
import type { Backend } from '../src/tensor/backend.js';
import type { NativeBackend } from '../src/tensor/backends/native.js';
import type { BackendName } from '../src/tensor/registry.js';
import { rerunWithoutOpenblasOverrides } from './common.js';

rerunWithoutOpenblasOverrides(import.meta.url);

const { resolveBackend, useBackend } = await import('../src/tensor/registry.js');
const { makeDesomStep } = await import('./cases/desom-step.js');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

function positiveInt(name: string, text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`profile-desom-step: expected --${name} to be a positive integer, got ${JSON.stringify(text)}`);
  return v;
}

const backendName = arg('backend', 'native') as BackendName;
const threads = positiveInt('threads', arg('threads', '2'));
const steps = positiveInt('steps', arg('steps', '200'));
const warmup = 20;

interface Tally {
  calls: number;
  ms: number;
  flops: number;
}

const byKernel = new Map<string, Tally>();
const byShape = new Map<string, Tally>();
let recording = false;

function add(map: Map<string, Tally>, key: string, ms: number, flops: number): void {
  const t = map.get(key) ?? { calls: 0, ms: 0, flops: 0 };
  t.calls++;
  t.ms += ms;
  t.flops += flops;
  map.set(key, t);
}

/** The backend with every method timed (GEMMs also by shape). */
function timed(inner: Backend): Backend {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const v: unknown = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || typeof prop !== 'string') return v;
      const fn = v as (...args: unknown[]) => unknown;
      return (...args: unknown[]): unknown => {
        if (!recording) return fn.apply(target, args);
        const t0 = performance.now();
        const out = fn.apply(target, args);
        const ms = performance.now() - t0;
        let flops = 0;
        if (prop === 'gemm') {
          const [tA, tB, m, n, k] = args as [boolean, boolean, number, number, number];
          flops = 2 * m * n * k;
          add(byShape, `${tA ? 't' : 'n'}${tB ? 't' : 'n'} ${m}×${n}×${k}`, ms, flops);
        }
        add(byKernel, prop, ms, flops);
        return out;
      };
    },
  });
}

const inner = resolveBackend(backendName);
inner.setThreads(threads);
useBackend(timed(inner));
const step = makeDesomStep(256, 0);
for (let i = 0; i < warmup; i++) step.step();
const perStep: number[] = [];
recording = true;
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  step.step();
  perStep.push(performance.now() - t0);
}
recording = false;

const sorted = [...perStep].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
const meanStep = perStep.reduce((s, v) => s + v, 0) / steps;
const native = inner.name === 'native' ? (inner as NativeBackend) : null;
const peak = native === null ? 0 : native.fmaPeakGflops(threads, 0.5);
const gemmKernel = native === null ? null : native.gemmKernel();

const fmt = (v: number, digits = 2): string => v.toFixed(digits);
const gflops = (t: Tally): number => t.flops / (t.ms * 1e6);
console.log(`backend ${inner.name}, ${threads} thread(s)${gemmKernel ? `, GEMM ${gemmKernel.kernel} (${gemmKernel.isa ?? 'no own kernels'})` : ''}`);
console.log(`OpenBLAS core ${inner.info().blasCore ?? '—'}; FMA limit ${peak > 0 ? `${fmt(peak, 0)} GFLOP/s` : 'not measured'}`);
console.log(
  `step: median ${fmt(median)} ms, mean ${fmt(meanStep)} ms over ${steps} steps (${fmt(step.flops / 1e9, 2)} GFLOP each: ${fmt(step.flops / (median * 1e6), 0)} GFLOP/s at the median${peak > 0 ? `, ${fmt((100 * step.flops) / (median * 1e6) / peak, 0)} % of the limit` : ''})`,
);
console.log('');
console.log('| kernel | calls / step | ms / step | share of the step | GFLOP/s |');
console.log('|---|---:|---:|---:|---:|');
let kernelMs = 0;
for (const [name, t] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms)) {
  kernelMs += t.ms;
  console.log(
    `| ${name} | ${fmt(t.calls / steps, 0)} | ${fmt(t.ms / steps)} | ${fmt((100 * t.ms) / steps / meanStep, 1)} % | ${t.flops > 0 ? fmt(gflops(t), 0) : ''} |`,
  );
}
const outside = meanStep - kernelMs / steps;
console.log(`| outside the kernels | | ${fmt(outside)} | ${fmt((100 * outside) / meanStep, 1)} % | |`);
console.log('');
console.log(`| GEMM (transposes m×n×k) | calls / step | ms / step | GFLOP/s${peak > 0 ? ' | of the limit' : ''} |`);
console.log(`|---|---:|---:|---:|${peak > 0 ? '---:|' : ''}`);
for (const [shape, t] of [...byShape].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(
    `| ${shape} | ${fmt(t.calls / steps, 0)} | ${fmt(t.ms / steps, 3)} | ${fmt(gflops(t), 0)}${peak > 0 ? ` | ${fmt((100 * gflops(t)) / peak, 0)} %` : ''} |`,
  );
}
