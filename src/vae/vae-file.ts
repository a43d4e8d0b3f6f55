/** Saving a VAE into a folder and loading it back; the format and its checks are in vae-json.ts. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import { dirReader } from '../io/files.js';
import { stateDict } from '../io/model-json.js';
import { writeSafetensors } from '../io/safetensors.js';
import { VAE } from './vae.js';
import { vaeFrom, vaeJson } from './vae-json.js';

/**
 * Writes `vae` into `dir` (created if needed): weights.safetensors under the PyTorch state_dict
 * names, then model.json, each atomically. `metadata` goes into the safetensors header after
 * {format: "pt"}.
 */
export function saveVae(dir: string, vae: VAE, metadata?: Record<string, string>): void {
  if (!(vae instanceof VAE))
    throw new TypeError(`saveVae: expected a VAE, got ${vae === null || typeof vae !== 'object' ? String(vae) : (vae as object).constructor.name}`);
  const json = vaeJson(vae);
  mkdirSync(dir, { recursive: true });
  // Weights first: a crash in between leaves the old model.json, whose checks refuse new weights.
  writeSafetensors(join(dir, 'weights.safetensors'), stateDict(vae), { format: 'pt', ...metadata });
  writeJsonAtomic(join(dir, 'model.json'), json);
}

/** Rebuilds the VAE saved in `dir` and loads its weights (refusing any mismatch). */
export function loadVae(dir: string): VAE {
  return vaeFrom(dirReader(dir));
}
