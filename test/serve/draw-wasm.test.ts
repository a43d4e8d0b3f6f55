/**
 * The draw panel's model on the wasm backend in a real browser (Debian's Chromium through
 * playwright-core): the page fetches /assets/kernels.wasm, compiles it under the app's CSP and runs
 * the probe on it; its outputs (every layer's activations, the prediction, a DESOM's code,
 * best-matching cell and reconstruction) equal the js backend's for the same input and model files
 * within the float32 bound below. `?backend=js` runs the js backend, and a browser without
 * WebAssembly falls back to it and says so.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { captureActivations, type CaptureModel } from '../../src/analysis/capture.js';
import { loadDesom } from '../../src/desom/file.js';
import { DESOM } from '../../src/desom/model.js';
import { loadModel } from '../../src/io/model-file.js';
import { Identity, ReLU } from '../../src/nn/activation.js';
import { Dropout } from '../../src/nn/dropout.js';
import { Linear } from '../../src/nn/linear.js';
import type { Module } from '../../src/nn/module.js';
import { Sequential } from '../../src/nn/sequential.js';
import { runToEnd, startRun } from '../../src/runs/api.js';
import { withBackend } from '../../src/tensor/registry.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { waitUntil, watchedPage } from '../helpers/chromium.js';
import { explorerTest } from '../helpers/explorer.js';
import { makeDesom } from './runs.js';

/**
 * The float32 bound. A layer computes fl(W·a' + b) where a' is the previous layer's float32 output,
 * |a' − a| ≤ e (a: the exact float64 value). Any order of summing n products (the wasm GEMM's
 * packed tiles, the js loops) and adding the bias is within γ(n+1)·(|W|·|a'| + |b|) of the exact
 * sum, γ(k) = k·u / (1 − k·u), u = 2⁻²⁴ (Higham, Accuracy and Stability of Numerical Algorithms,
 * §3.1); so |out' − out| ≤ |W|·e + γ(n+1)·(|W|·(|a| + e) + |b|), and ReLU and the identity keep the
 * bound. `reference` carries it through the network in float64; each backend's output is within it
 * of the float64 value, so the two backends are within twice it of each other.
 */
const U = 2 ** -24;
const gamma = (k: number): number => (k * U) / (1 - k * U);

interface Ref {
  y: Float64Array;
  e: Float64Array;
}

function refModule(m: Module, a: Ref): Ref {
  if (m instanceof Linear) {
    const [n, k] = [m.inFeatures, m.outFeatures];
    const w = m.weight.value.data;
    const b = m.bias?.value.data;
    const g = gamma(n + 1);
    const y = new Float64Array(k);
    const e = new Float64Array(k);
    for (let j = 0; j < k; j++) {
      let s = b?.[j] ?? 0;
      let spread = Math.abs(b?.[j] ?? 0);
      let prop = 0;
      for (let i = 0; i < n; i++) {
        const wj = w[j * n + i];
        s += wj * a.y[i];
        spread += Math.abs(wj) * (Math.abs(a.y[i]) + a.e[i]);
        prop += Math.abs(wj) * a.e[i];
      }
      y[j] = s;
      e[j] = prop + g * spread;
    }
    return { y, e };
  }
  if (m instanceof ReLU) return { y: a.y.map((v) => Math.max(0, v)), e: a.e };
  if (m instanceof Identity || m instanceof Dropout) return a;
  throw new Error(`reference: no float64 rule for ${m.constructor.name} (the test's models are Linear, ReLU and identity layers)`);
}

/** A Sequential in float64 with the bound, keeping each captured layer's output (after each ReLU, and at the end). */
function refSequential(seq: Sequential, a: Ref, names: string[], out: Map<string, Ref>): Ref {
  let cur = a;
  seq.modules.forEach((m, i) => {
    cur = refModule(m, cur);
    const next = seq.modules[i + 1];
    if (m instanceof ReLU || i === seq.modules.length - 1 || (m instanceof Linear && next instanceof Linear)) {
      const name = names.shift();
      if (name === undefined) throw new Error('reference: more layers than names');
      out.set(name, cur);
    }
  });
  return cur;
}

/** The float64 outputs and bounds of the page's probe layers for `input`. */
function reference(model: CaptureModel, input: Float32Array): Map<string, Ref> {
  const out = new Map<string, Ref>();
  const x = { y: Float64Array.from(input), e: new Float64Array(input.length) };
  const layerNames = (seq: Sequential, last: string): string[] => {
    const relus = seq.modules.filter((m) => m instanceof ReLU).length;
    return [...Array.from({ length: relus }, (_, i) => `h${i + 1}`), last];
  };
  if (model instanceof Sequential) refSequential(model, x, layerNames(model, 'output'), out);
  else {
    const ae = model instanceof DESOM ? model.ae : model;
    const code = refSequential(ae.encoder, x, layerNames(ae.encoder, 'code'), out);
    const dec = new Map<string, Ref>();
    refSequential(ae.decoder, code, layerNames(ae.decoder, 'output'), dec);
    out.set('output', dec.get('output') as Ref);
  }
  return out;
}

/** The same probe on the js backend in Node, from the same model files. */
function nodeJs(model: CaptureModel, input: Float32Array): Map<string, Float32Array> {
  return withBackend('js', () => {
    const x = new Tensor(Float32Array.from(input), [1, input.length]);
    const got = new Map<string, Float32Array>();
    for (const c of captureActivations(model, x)) if (c.kind === 'activations') got.set(c.name, Float32Array.from(c.values.data));
    if (model instanceof DESOM) {
      const o = captureActivations(model.ae, x, { layers: ['output'] })[0];
      if (o.kind === 'activations') got.set('output', Float32Array.from(o.values.data));
    }
    return got;
  });
}

const ex = explorerTest('draw-wasm', async (root) => {
  await runToEnd(startRun('mlp', { out: root, runId: 'mlp', values: { limit: 300, epochs: 1, hidden: [32, 16], activation: 'relu' } }));
  await makeDesom(root);
});
const { root } = ex;

/** What `window.__latentlab` gives (web/debug-hook.ts; declared here: the web/ types need the DOM's). */
interface DrawBackend {
  name: 'wasm' | 'js';
  fallback: string | null;
  loadMs: number;
}
interface DrawProbeSnapshot {
  input: number[];
  activations: Record<string, number[]>;
  prediction: number | null;
  bmu: number | null;
  reconstruction: number[] | null;
}
interface Hook {
  __latentlab: { drawBackend(): DrawBackend | null; drawProbe(): DrawProbeSnapshot | null };
}
const backendOf = (p: Page): Promise<DrawBackend | null> => p.evaluate(() => (globalThis as unknown as Hook).__latentlab.drawBackend());
const probeOf = async (p: Page): Promise<DrawProbeSnapshot> => {
  const r = await p.evaluate(() => (globalThis as unknown as Hook).__latentlab.drawProbe());
  assert.ok(r !== null, 'a probe result');
  return r;
};

/** Opens `run`'s page (at `query`) and loads row `r` into the draw panel; resolves when the probe ran. */
async function probeRow(p: Page, run: string, r: number, query = ''): Promise<void> {
  if (!p.url().startsWith(`${ex.server.url}${query}#/run/${run}`)) {
    await p.goto(`${ex.server.url}${query}#/run/${run}`);
    await p.waitForSelector('.draw', { timeout: 20_000 });
  }
  await p.fill('.draw-row', String(r));
  await p.click('button[data-draw="row"]');
  const ds = (): Promise<{ state?: string; source?: string }> =>
    p.locator('.draw').evaluate((e: { dataset: { state?: string; source?: string } }) => ({ ...e.dataset }));
  await waitUntil(
    async () => {
      const d = await ds();
      return d.state === 'error' || (d.state === 'ready' && d.source === `row:${r}`);
    },
    `row ${r} of ${run} run in the page`,
    30_000,
  );
  assert.equal((await ds()).state, 'ready', `row ${r}: ${await p.textContent('.draw-status')}`);
}

/** Checks the page's probe against the float64 reference (within the bound) and Node's js backend (within twice it); returns how many argmax/BMU answers were far enough from a tie to compare. */
function checkProbe(model: CaptureModel, got: DrawProbeSnapshot, what: string): number {
  const input = Float32Array.from(got.input);
  const ref = reference(model, input);
  const js = nodeJs(model, input);
  for (const [name, r] of ref) {
    const page = name === 'output' && !(model instanceof Sequential) ? got.reconstruction : got.activations[name];
    assert.ok(page !== undefined && page !== null, `${what}: the page gives layer ${name}`);
    assert.equal(page.length, r.y.length, `${what}: layer ${name}'s width`);
    const j = js.get(name) as Float32Array;
    for (let i = 0; i < r.y.length; i++) {
      assert.ok(Math.abs(page[i] - r.y[i]) <= r.e[i], `${what}: ${name}[${i}] = ${page[i]}, float64 ${r.y[i]}, bound ${r.e[i]}`);
      assert.ok(Math.abs(page[i] - j[i]) <= 2 * r.e[i], `${what}: ${name}[${i}] = ${page[i]}, js ${j[i]}, bound ${2 * r.e[i]}`);
    }
  }
  let compared = 0;
  if (model instanceof Sequential) {
    // The prediction is the argmax of the outputs: decided when the runner-up is more than both bounds below.
    const o = ref.get('output') as Ref;
    const order = Array.from(o.y.keys()).sort((a, b) => o.y[b] - o.y[a]);
    if (o.y[order[0]] - o.y[order[1]] > o.e[order[0]] + o.e[order[1]]) {
      compared++;
      assert.equal(got.prediction, order[0], `${what}: the prediction`);
    }
  }
  if (model instanceof DESOM) {
    // Squared distances of the code to each prototype: the code's error e moves each by at most
    // Σ 2|c − p|·e + e², and computing it as ‖c‖² + ‖p‖² − 2c·p rounds by at most γ(d+3)·(‖c‖² + ‖p‖² + 2|c|·|p|).
    const c = ref.get('code') as Ref;
    const p = model.som.prototypes;
    const d = p.cols;
    const dist = Array.from({ length: p.rows }, (_, k) => {
      let s = 0;
      let moved = 0;
      let spread = 0;
      for (let q = 0; q < d; q++) {
        const pq = p.data[k * d + q];
        s += (c.y[q] - pq) ** 2;
        moved += 2 * Math.abs(c.y[q] - pq) * c.e[q] + c.e[q] ** 2;
        spread += (Math.abs(c.y[q]) + c.e[q] + Math.abs(pq)) ** 2;
      }
      return { k, s, e: moved + gamma(d + 3) * spread };
    }).sort((a, b) => a.s - b.s);
    if (dist[1].s - dist[0].s > dist[0].e + dist[1].e) {
      compared++;
      assert.equal(got.bmu, dist[0].k, `${what}: the best-matching cell`);
    }
  }
  return compared;
}

test('the draw panel runs a classifier on the wasm backend, and its outputs are the js backend’s within float32 rounding', async () => {
  const model = loadModel(join(root, 'mlp', 'model')) as Sequential;
  model.eval();
  let compared = 0;
  for (const r of [0, 1, 2, 3]) {
    await probeRow(ex.page, 'mlp', r);
    const be = await backendOf(ex.page);
    assert.equal(be?.name, 'wasm', `row ${r}: the backend (${be?.fallback})`);
    assert.equal(be.fallback, null);
    const got = await probeOf(ex.page);
    assert.deepEqual(Object.keys(got.activations), ['h1', 'h2', 'output']);
    compared += checkProbe(model, got, `mlp row ${r}`);
  }
  assert.ok(compared >= 3, `only ${compared} of 4 predictions were far enough from a tie to compare`);
  assert.equal(await ex.page.locator('.draw').getAttribute('data-backend'), 'wasm');
  assert.match((await ex.page.textContent('.draw-status')) ?? '', /computed in your browser \(wasm\): forward [\d.]+ ms/);
  assert.deepEqual(ex.problems, []);
});

test('a DESOM on the wasm backend: its code, reconstruction and best-matching cell are the js backend’s within float32 rounding', async () => {
  const model = loadDesom(join(root, 'desom-a', 'model'));
  model.eval();
  let compared = 0;
  for (const r of [0, 1, 2, 3]) {
    await probeRow(ex.page, 'desom-a', r);
    assert.equal((await backendOf(ex.page))?.name, 'wasm');
    compared += checkProbe(model, await probeOf(ex.page), `desom row ${r}`);
  }
  assert.ok(compared >= 3, `only ${compared} of 4 cells were far enough from a tie to compare`);
  assert.deepEqual(ex.problems, []);
});

test('?backend=js runs the js backend and says so', async () => {
  const model = loadModel(join(root, 'mlp', 'model')) as Sequential;
  model.eval();
  const p = await watchedPage(ex.browser, ex.problems);
  try {
    await probeRow(p, 'mlp', 2, '?backend=js');
    const be = await backendOf(p);
    assert.equal(be?.name, 'js');
    assert.equal(be.fallback, 'asked for by ?backend=js');
    assert.match((await p.textContent('.draw-status')) ?? '', /computed in your browser \(js: asked for by \?backend=js\)/);
    checkProbe(model, await probeOf(p), 'mlp row 2 on js');
  } finally {
    await p.close();
  }
  assert.deepEqual(ex.problems, []);
});

test('without WebAssembly the probe still runs, on the js backend, and the panel says why', async () => {
  const p = await watchedPage(ex.browser, ex.problems);
  try {
    await p.addInitScript(() => {
      delete (globalThis as { WebAssembly?: unknown }).WebAssembly;
    });
    await probeRow(p, 'mlp', 0);
    assert.equal(await p.evaluate(() => typeof (globalThis as { WebAssembly?: unknown }).WebAssembly), 'undefined');
    const be = await backendOf(p);
    assert.equal(be?.name, 'js');
    assert.equal(be.fallback, 'this browser has no WebAssembly');
    assert.equal(await p.locator('.draw').getAttribute('data-backend'), 'js');
    assert.match((await p.textContent('.draw-status')) ?? '', /computed in your browser \(js: this browser has no WebAssembly\)/);
    const got = await probeOf(p);
    assert.ok(got.prediction !== null && got.prediction >= 0 && got.prediction <= 9);
    // ?backend=wasm insists: the panel says why it cannot run.
    await p.goto(`${ex.server.url}?backend=wasm#/run/mlp`);
    await p.waitForSelector('.draw', { timeout: 20_000 });
    await p.click('button[data-draw="row"]');
    await waitUntil(async () => (await p.locator('.draw').getAttribute('data-state')) === 'error', 'the panel’s error', 30_000);
    assert.match((await p.textContent('.draw-status')) ?? '', /\?backend=wasm, but the wasm backend is unavailable here: this browser has no WebAssembly/);
  } finally {
    await p.close();
  }
  assert.deepEqual(ex.problems, []);
});
