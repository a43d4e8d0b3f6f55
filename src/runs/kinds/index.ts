/**
 * The run kinds and their configs: for each kind the config schema (zod: every key with its
 * default, help text, choices and range; the single source of the config's keys, which the CLI
 * turns into flags) and the command that makes such runs.
 */
import { aeConfigSchema } from './ae.js';
import { desomConfigSchema } from './desom.js';
import { kmeansConfigSchema } from './kmeans.js';
import { mlpConfigSchema } from './mlp.js';
import { somConfigSchema } from './som.js';

export { aeConfigSchema, type AeConfig } from './ae.js';
export { desomConfigSchema, type DesomRunConfig } from './desom.js';
export { kmeansConfigSchema, type KMeansConfig } from './kmeans.js';
export { mlpConfigSchema, type MlpConfig } from './mlp.js';
export { somConfigSchema, somDefaults, parseMapSize, type SomConfig } from './som.js';

export const KINDS = {
  mlp: { schema: mlpConfigSchema, command: 'train mlp', resumable: true },
  ae: { schema: aeConfigSchema, command: 'train ae', resumable: true },
  som: { schema: somConfigSchema, command: 'train som', resumable: true },
  /** k-means keeps no checkpoint: an interrupted run is run again. */
  kmeans: { schema: kmeansConfigSchema, command: 'cluster kmeans', resumable: false },
  desom: { schema: desomConfigSchema, command: 'train desom', resumable: true },
} as const;

export type KindName = keyof typeof KINDS;
