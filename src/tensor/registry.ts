/**
 * Which backend runs the kernels. Chosen once, lazily: LATENTLAB_BACKEND (js | native | wasm |
 * auto), else native when the addon loads, else wasm (SIMD WebAssembly, shipped built), else js,
 * with one notice naming the backend used instead of native. `useBackend` overrides it.
 */
import type { Backend } from './backend.js';
import { JsBackend } from './backends/js.js';
import { loadNativeBackend } from './backends/native.js';
import { loadWasmBackend } from './backends/wasm.js';

export type BackendName = 'js' | 'native' | 'wasm' | 'auto';

const NAMES = "'js', 'native', 'wasm' or 'auto'";

/** Node's process when there is one (the explorer's browser app loads this module too). */
const nodeProcess = (
  globalThis as { process?: { env: Record<string, string | undefined>; emitWarning?: (message: string, options: { code: string }) => void } }
).process;

let current: Backend | null = null;
let jsInstance: JsBackend | null = null;
let nativeResult: { backend: Backend } | { error: string } | null = null;
let noticeGiven = false;

function js(): Backend {
  jsInstance ??= new JsBackend();
  return jsInstance;
}

function native(): { backend: Backend } | { error: string } {
  if (nativeResult === null) {
    nativeResult = loadNativeBackend();
    // GEMM threads are set explicitly once: LATENTLAB_THREADS, else OpenBLAS's own default (the
    // core count, or OPENBLAS_NUM_THREADS). The element-wise kernels run on the calling thread.
    if ('backend' in nativeResult) {
      const env = nodeProcess?.env.LATENTLAB_THREADS;
      const n = env === undefined || env === '' ? nativeResult.backend.info().threads : Number(env);
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`LATENTLAB_THREADS: expected a positive integer, got ${JSON.stringify(env)}`);
      nativeResult.backend.setThreads(n);
    }
  }
  return nativeResult;
}

/** Why the native backend cannot be used, or null when it loads. */
export function nativeUnavailableReason(): string | null {
  const r = native();
  return 'error' in r ? r.error : null;
}

/** Why the wasm backend cannot be used, or null when it loads. */
export function wasmUnavailableReason(): string | null {
  const r = loadWasmBackend();
  return 'error' in r ? r.error : null;
}

/** Returns the backend for a name; 'native' and 'wasm' throw when unavailable. */
export function resolveBackend(name: BackendName): Backend {
  switch (name) {
    case 'js':
      return js();
    case 'native': {
      const r = native();
      if ('error' in r) throw new Error(`useBackend: the native backend is unavailable (${r.error}); use 'js' or 'auto'`);
      return r.backend;
    }
    case 'wasm': {
      const r = loadWasmBackend();
      if ('error' in r) throw new Error(`useBackend: the wasm backend is unavailable (${r.error}); use 'js' or 'auto'`);
      return r.backend;
    }
    case 'auto': {
      const r = native();
      if ('backend' in r) return r.backend;
      const w = loadWasmBackend();
      if (!noticeGiven) {
        noticeGiven = true;
        const msg =
          'backend' in w
            ? `native backend unavailable (${r.error}); running on the wasm backend`
            : `native backend unavailable (${r.error}) and wasm backend unavailable (${w.error}); running on the js backend`;
        const code = 'backend' in w ? 'LATENTLAB_WASM_BACKEND' : 'LATENTLAB_JS_BACKEND';
        if (typeof nodeProcess?.emitWarning === 'function') nodeProcess.emitWarning(msg, { code });
        else console.warn(`latentlab: ${msg}`);
      }
      return 'backend' in w ? w.backend : js();
    }
    default:
      throw new RangeError(`useBackend: expected ${NAMES}, got ${JSON.stringify(name)}`);
  }
}

/** The backend in use (resolved from LATENTLAB_BACKEND, default 'auto', on first call). */
export function backend(): Backend {
  if (current === null) {
    const env = nodeProcess?.env.LATENTLAB_BACKEND;
    if (env !== undefined && env !== '' && env !== 'js' && env !== 'native' && env !== 'wasm' && env !== 'auto') {
      throw new RangeError(`LATENTLAB_BACKEND: expected ${NAMES}, got ${JSON.stringify(env)}`);
    }
    current = resolveBackend(env === undefined || env === '' ? 'auto' : env);
  }
  return current;
}

/** Selects the backend used by every layer, loss and optimizer from now on. */
export function useBackend(name: BackendName | Backend): Backend {
  current = typeof name === 'string' ? resolveBackend(name) : name;
  return current;
}

/** Runs `fn` with a backend selected, restoring the previous one afterwards (tests use this). */
export function withBackend<T>(name: BackendName | Backend, fn: () => T): T {
  const prev = current;
  useBackend(name);
  try {
    return fn();
  } finally {
    current = prev;
  }
}
