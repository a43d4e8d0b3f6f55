/**
 * The registry of run kinds: each kind's config schema (zod: every key with its default, help
 * text, choices and range; the single source of the config's keys, which the CLI turns into
 * flags), its training, its evaluation and its headline metric. Adding a kind is one folder (or
 * file) exporting a RunKind and one line here (docs/architecture.md walks through it).
 */
import { aeKind } from './ae/index.js';
import { cnnKind } from './cnn/index.js';
import { desomKind } from './desom/index.js';
import { ganKind } from './gan/index.js';
import { kmeansKind } from './kmeans/index.js';
import { mlpKind } from './mlp/index.js';
import { signaturesKind } from './signatures/index.js';
import { somKind } from './som/index.js';
import { vaeKind } from './vae/index.js';

export { aeConfigSchema, type AeConfig } from './ae/index.js';
export { cnnConfigSchema, type CnnConfig } from './cnn/index.js';
export { desomConfigSchema, type DesomRunConfig } from './desom/index.js';
export { ganConfigSchema, type GanConfig } from './gan/index.js';
export { kmeansConfigSchema, type KMeansConfig } from './kmeans/index.js';
export { mlpConfigSchema, type MlpConfig } from './mlp/index.js';
export { somConfigSchema, somDefaults, parseMapSize, type SomConfig } from './som/index.js';
export { vaeConfigSchema, type VaeRunConfig } from './vae/index.js';

export const KINDS = {
  mlp: mlpKind,
  cnn: cnnKind,
  ae: aeKind,
  vae: vaeKind,
  som: somKind,
  kmeans: kmeansKind,
  desom: desomKind,
  signatures: signaturesKind,
  gan: ganKind,
} as const;

export type KindName = keyof typeof KINDS;
