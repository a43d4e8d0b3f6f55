/**
 * The backend the draw panel's model runs on in the page: the wasm backend (the SIMD kernels of
 * src/tensor/backends/wasm.ts, whose kernels.wasm the server serves at /assets/kernels.wasm and
 * the page compiles asynchronously), else the js backend, with the reason. Chosen once per page,
 * when the model is first loaded. The page's address may ask: `?backend=js` runs the js backend
 * (to compare, or to work around a browser's wasm), `?backend=wasm` insists on wasm (an error when
 * it is unavailable), `?backend=auto` is the default.
 */
import { WasmBackend, type WasmInstance } from '../../src/tensor/backends/wasm.js';
import { useBackend } from '../../src/tensor/registry.js';

/** Where the server serves the wasm backend's kernels (web/build.mjs copies them beside app.js). */
export const KERNELS_URL = '/assets/kernels.wasm';

export type DrawBackendRequest = 'auto' | 'wasm' | 'js';

/** The backend chosen, and why it is not wasm when it is not. */
export interface DrawBackend {
  name: 'wasm' | 'js';
  /** Why the js backend runs (null on wasm): WebAssembly missing, SIMD missing, the file not served, or asked for. */
  fallback: string | null;
  /** Milliseconds to fetch, compile and instantiate kernels.wasm (0 when not tried). */
  loadMs: number;
}

/** What `?backend=` in the page's query asks for; throws naming the value on an unknown one. */
export function backendRequest(search: string): DrawBackendRequest {
  const v = new URLSearchParams(search).get('backend');
  if (v === null || v === '' || v === 'auto') return 'auto';
  if (v === 'wasm' || v === 'js') return v;
  throw new Error(`draw: ?backend=${v} in the page's address: expected js, wasm or auto`);
}

/** kernels.wasm fetched, checked and instantiated asynchronously (a browser's main thread may refuse to compile synchronously). */
async function instantiateKernels(): Promise<WasmInstance> {
  // Deleted or absent in some locked-down browsers: `typeof` does not throw.
  if (typeof WebAssembly === 'undefined') throw new Error('this browser has no WebAssembly');
  const res = await fetch(KERNELS_URL);
  if (!res.ok) throw new Error(`${KERNELS_URL}: ${res.status} ${res.statusText}`);
  const bytes = await res.arrayBuffer();
  // The kernels use 128-bit SIMD: a WebAssembly without it rejects the module as invalid.
  if (!WebAssembly.validate(bytes)) throw new Error('this browser’s WebAssembly cannot run kernels.wasm (no 128-bit SIMD)');
  return (await WebAssembly.instantiate(bytes, {})).instance;
}

let chosen: Promise<DrawBackend> | null = null;
let current: DrawBackend | null = null;

/** The choice once made (null before the draw panel or a tooltip first loads a model). */
export function currentDrawBackend(): DrawBackend | null {
  return current;
}

/** Chooses and selects (`useBackend`) the page's backend on first call; later calls return the same choice. */
export function drawBackend(): Promise<DrawBackend> {
  chosen ??= choose(backendRequest(location.search)).then((b) => (current = b));
  return chosen;
}

async function choose(asked: DrawBackendRequest): Promise<DrawBackend> {
  if (asked === 'js') {
    useBackend('js');
    return { name: 'js', fallback: 'asked for by ?backend=js', loadMs: 0 };
  }
  const t0 = performance.now();
  try {
    useBackend(new WasmBackend(await instantiateKernels()));
    return { name: 'wasm', fallback: null, loadMs: performance.now() - t0 };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    if (asked === 'wasm') throw new Error(`draw: ?backend=wasm, but the wasm backend is unavailable here: ${why}`, { cause: e });
    useBackend('js');
    return { name: 'js', fallback: why, loadMs: performance.now() - t0 };
  }
}
