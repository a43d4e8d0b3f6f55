/**
 * A GAN's folder: gan.json (what `Gan` needs to rebuild both networks) and one ordinary model
 * folder per network, generator/ and discriminator/ (model.json + weights.safetensors under
 * PyTorch's state_dict names, each loadable alone with `loadModel`, or in PyTorch into an
 * nn.Sequential of the same layers).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import { loadStateDict, readModelJson, saveModel } from '../io/model-file.js';
import { readSafetensors } from '../io/safetensors.js';
import { describeModule } from '../nn/serialize.js';
import type { Sequential } from '../nn/sequential.js';
import { Rng } from '../random.js';
import { Gan, type ResolvedGanOptions } from './models.js';

export const GAN_FORMAT = 'latentlab-gan';
export const GAN_VERSION = 1;

/** gan.json: the options under their snake_case names. */
export interface GanJson {
  format: typeof GAN_FORMAT;
  version: typeof GAN_VERSION;
  gan: {
    arch: ResolvedGanOptions['arch'];
    image: [number, number, number];
    latent: number;
    classes: number;
    g_hidden: number[];
    d_hidden: number[];
    g_channels: [number, number];
    d_channels: [number, number];
    slope: number;
    dropout: number;
    init: ResolvedGanOptions['init'];
  };
}

/** gan.json's record of a GAN. */
export function ganJson(gan: Gan): GanJson {
  const o = gan.options;
  return {
    format: GAN_FORMAT,
    version: GAN_VERSION,
    gan: {
      arch: o.arch,
      image: [...o.image],
      latent: o.latent,
      classes: o.classes,
      g_hidden: [...o.gHidden],
      d_hidden: [...o.dHidden],
      g_channels: [...o.gChannels],
      d_channels: [...o.dChannels],
      slope: o.slope,
      dropout: o.dropout,
      init: o.init,
    },
  };
}

/** Writes `gan` into `dir` (created): generator/ and discriminator/ (weights, then model.json), then gan.json, each atomically. */
export function saveGan(dir: string, gan: Gan, metadata: Record<string, string> = {}): void {
  if (!(gan instanceof Gan)) throw new TypeError(`saveGan: expected a Gan, got ${String(gan)}`);
  mkdirSync(dir, { recursive: true });
  saveModel(join(dir, 'generator'), gan.generator, { metadata: { ...metadata, network: 'generator' } });
  saveModel(join(dir, 'discriminator'), gan.discriminator, { metadata: { ...metadata, network: 'discriminator' } });
  writeJsonAtomic(join(dir, 'gan.json'), ganJson(gan));
}

function loadNetwork(fn: string, dir: string, name: string, net: Sequential): void {
  const folder = join(dir, name);
  const saved = readModelJson(folder);
  // The saved architecture must be the one gan.json rebuilds, layer for layer.
  if (JSON.stringify(saved.architecture) !== JSON.stringify(describeModule(net)))
    throw new RangeError(`${fn}: ${folder}/model.json does not describe the ${name} that ${dir}/gan.json builds`);
  const path = join(folder, 'weights.safetensors');
  loadStateDict(net, readSafetensors(path).tensors, path);
}

/** Rebuilds the GAN saved in `dir` and loads both networks' weights (refusing any mismatch); `rng` drives D's dropout, if any. */
export function loadGan(dir: string, rng: Rng = new Rng(0)): Gan {
  const fn = 'loadGan';
  const path = join(dir, 'gan.json');
  if (!existsSync(path)) throw new Error(`${fn}: ${path} is missing (not a GAN folder)`);
  const json = JSON.parse(readFileSync(path, 'utf8')) as Partial<GanJson>;
  if (json.format !== GAN_FORMAT || json.version !== GAN_VERSION || typeof json.gan !== 'object' || json.gan === null)
    throw new TypeError(
      `${fn}: expected ${path} to be format ${GAN_FORMAT} version ${GAN_VERSION}, got ${JSON.stringify(json.format)} ${JSON.stringify(json.version)}`,
    );
  const g = json.gan;
  const gan = new Gan({
    arch: g.arch,
    image: g.image,
    latent: g.latent,
    classes: g.classes,
    gHidden: g.g_hidden,
    dHidden: g.d_hidden,
    gChannels: g.g_channels,
    dChannels: g.d_channels,
    slope: g.slope,
    dropout: g.dropout,
    init: g.init,
    rng,
  });
  loadNetwork(fn, dir, 'generator', gan.generator);
  loadNetwork(fn, dir, 'discriminator', gan.discriminator);
  return gan;
}
