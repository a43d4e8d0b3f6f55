/** Saving an autoencoder into a folder and loading it back; the format and its checks are in autoencoder-json.ts. */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { writeJsonAtomic } from '../io/atomic.js';
import { dirReader } from '../io/files.js';
import { stateDict } from '../io/model-json.js';
import { writeSafetensors } from '../io/safetensors.js';
import { describeModule } from '../nn/serialize.js';
import { Autoencoder } from './autoencoder.js';
import { AUTOENCODER_FORMAT, AUTOENCODER_MLP_VERSION, AUTOENCODER_VERSION, autoencoderFrom, type AutoencoderJson } from './autoencoder-json.js';

export * from './autoencoder-json.js';

/**
 * Writes `ae` into `dir` (created if needed): weights.safetensors under the PyTorch state_dict
 * names, then model.json, each atomically. `metadata` goes into the safetensors header after
 * {format: "pt"}.
 */
export function saveAutoencoder(dir: string, ae: Autoencoder, metadata?: Record<string, string>): void {
  if (!(ae instanceof Autoencoder))
    throw new TypeError(
      `saveAutoencoder: expected an Autoencoder, got ${ae === null || typeof ae !== 'object' ? String(ae) : (ae as object).constructor.name}`,
    );
  const c = ae.options;
  const json: AutoencoderJson = {
    format: AUTOENCODER_FORMAT,
    version: c.conv === null ? AUTOENCODER_MLP_VERSION : AUTOENCODER_VERSION,
    autoencoder: {
      input: c.input,
      hidden: [...c.hidden],
      latent: c.latent,
      activation: c.activation,
      latent_activation: c.latentActivation,
      output_activation: c.outputActivation,
      decoder_hidden: [...c.decoderHidden],
      init: c.init,
      input_grad: c.inputGrad,
      ...(c.conv === null ? {} : { architecture: 'conv' as const, image: [...c.conv.image], filters: [...c.conv.filters], kernel: c.conv.kernel }),
    },
    encoder: describeModule(ae.encoder),
    decoder: describeModule(ae.decoder),
    parameters: [...ae.namedParameters()].map(([name, p]) => ({ name, shape: [...p.value.shape] })),
    buffers: [...ae.namedBuffers()].map(([name, b]) => ({ name, shape: [...b.shape] })),
  };
  mkdirSync(dir, { recursive: true });
  // Weights first: a crash in between leaves the old model.json, whose checks refuse new weights.
  writeSafetensors(join(dir, 'weights.safetensors'), stateDict(ae), { format: 'pt', ...metadata });
  writeJsonAtomic(join(dir, 'model.json'), json);
}

/** Rebuilds the autoencoder saved in `dir` and loads its weights (refusing any mismatch). */
export function loadAutoencoder(dir: string): Autoencoder {
  return autoencoderFrom(dirReader(dir));
}
