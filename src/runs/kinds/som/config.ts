/**
 * The config of a `som` run (`latentlab train som`): a self-organizing map (classic online, batch
 * or gradient) on a dataset, raw or through a saved encoder, optionally on a class subset
 * (`classes`, `per_class`: its purity, NMI and class maps on those classes, renumbered 0..K−1). Several keys default per algorithm
 * (`somDefaults`), filled in once the data is known. The map's own fields (`mapFields`) are
 * DESOM's too.
 */
import { z } from 'zod';
import { OPTIMIZER_NAMES } from '../../../optim/registry.js';
import { DECAY_KINDS, type DecayKind } from '../../../som/decay.js';
import { SOM_ALGORITHMS } from '../../../som/fit.js';
import { INIT_KINDS } from '../../../som/init.js';
import { NEIGHBORHOOD_KINDS, type NeighborhoodKind } from '../../../som/neighborhood.js';
import { MAP_DISTANCES, TOPOLOGY_KINDS } from '../../../som/topology.js';
import { classSubsetFields, commonFields, plain, refineClassSubset, runFields } from '../common.js';

/** "8x8" → [8, 8]; null unless ROWSxCOLS with positive integers and at least 2 cells. */
export function parseMapSize(s: string): [number, number] | null {
  const m = /^(\d+)x(\d+)$/.exec(s.trim());
  if (m === null) return null;
  const rows = Number(m[1]);
  const cols = Number(m[2]);
  return rows >= 1 && cols >= 1 && rows * cols >= 2 && rows <= 1000 && cols <= 1000 ? [rows, cols] : null;
}

/** The fields of a map, shared with DESOM's config. */
export const mapFields = {
  /** `map`: ROWSxCOLS, e.g. 8x8. */
  size: (help: string) =>
    z
      .string()
      .superRefine((v, ctx) => {
        if (parseMapSize(v) === null)
          ctx.addIssue({ code: 'custom', message: `expected ROWSxCOLS with positive integers and at least 2 cells (e.g. 8x8), got "${v}"` });
      })
      .describe(help)
      .meta({ arg: 'RxC' }),
  topology: () => plain.choice(TOPOLOGY_KINDS).default('rectangular').describe('map topology').meta({ arg: 'kind' }),
  toroidal: () => z.boolean().default(false).describe('wrap the map into a torus'),
  distance: (help: string) => plain.choice(MAP_DISTANCES).default('manhattan').describe(help),
  neighborhood: (dflt: NeighborhoodKind) => plain.choice(NEIGHBORHOOD_KINDS).default(dflt).describe('neighbourhood function'),
  /** How the radius / temperature T goes from t_max to t_min. */
  decay: (dflt: DecayKind) => plain.choice(DECAY_KINDS).default(dflt).describe('how T goes from t_max to t_min').meta({ arg: 'kind' }),
};

const common = commonFields(plain);

/** A key's default per algorithm, as --help shows it: "classic: 0.5, gradient: 0.001". */
function byAlgorithm(key: string): string {
  return SOM_ALGORITHMS.flatMap((a) => {
    const defaults: Partial<Record<string, string | number>> = somDefaults(a, 8, 8);
    const v = defaults[key];
    return v === undefined ? [] : [`${a}: ${String(v)}`];
  }).join(', ');
}

const somConfigObject = z.strictObject({
  dataset: common.dataset,
  data_dir: common.data_dir,
  /** An ae or desom run (id under --out, or a path) whose encoder maps the data to its latent space first. */
  encoder: z.string().optional().describe('an ae or desom run whose encoder maps the data first (the map lives in its latent space)').meta({ arg: 'run' }),
  algorithm: plain.choice(SOM_ALGORITHMS).default('classic').describe('training algorithm'),
  map: mapFields.size('map size, e.g. 8x8').default('8x8'),
  topology: mapFields.topology(),
  toroidal: mapFields.toroidal(),
  distance: mapFields.distance('distance between cells'),
  neighborhood: mapFields.neighborhood('gaussian'),
  decay: mapFields.decay('exponential'),
  t_max: z.number().positive().optional().describe('initial radius / temperature').meta({ arg: 'T', defaultHelp: "half the map's larger side; gradient: 8" }),
  t_min: z
    .number()
    .positive()
    .optional()
    .describe('final radius / temperature')
    .meta({ arg: 'T', defaultHelp: byAlgorithm('t_min') }),
  lr: z
    .number()
    .positive()
    .optional()
    .describe('learning rate (classic: initial; gradient: the optimizer’s)')
    .meta({ arg: 'rate', defaultHelp: byAlgorithm('lr') }),
  lr_final: z
    .number()
    .positive()
    .optional()
    .describe('final learning rate (classic)')
    .meta({ arg: 'rate', defaultHelp: byAlgorithm('lr_final') }),
  lr_decay: plain
    .choice(DECAY_KINDS)
    .optional()
    .describe('learning-rate decay (classic)')
    .meta({ arg: 'kind', defaultHelp: byAlgorithm('lr_decay') }),
  iterations: z
    .int()
    .positive()
    .optional()
    .describe('classic: sample presentations; gradient: minibatch steps')
    .meta({ defaultHelp: byAlgorithm('iterations') }),
  epochs: z
    .int()
    .positive()
    .optional()
    .describe('passes over the data')
    .meta({ defaultHelp: byAlgorithm('epochs') }),
  batch_size: z
    .int()
    .positive()
    .optional()
    .describe('rows per minibatch (gradient)')
    .meta({ defaultHelp: byAlgorithm('batch_size') }),
  optimizer: plain
    .choice(OPTIMIZER_NAMES)
    .optional()
    .describe('gradient SOM optimizer')
    .meta({ defaultHelp: byAlgorithm('optimizer') }),
  init: plain.choice(INIT_KINDS).default('samples').describe('prototype initialisation').meta({ arg: 'kind' }),
  split: common.split(['train', 'all']),
  ...runFields(common),
  ...classSubsetFields(plain),
  checkpoint_every: common
    .checkpoint_every('iterations (batch: epochs)')
    .optional()
    .meta({ defaultHelp: byAlgorithm('checkpoint_every') }),
  log_every: common
    .log_every('iterations')
    .optional()
    .meta({ defaultHelp: byAlgorithm('log_every') }),
  eval_every: common.eval_every('QE/TE').optional().meta({ defaultHelp: 'batch: 1, otherwise a 50th of the iterations' }),
  /** Rows (a seeded sample of the training data) on which eval_every measures QE and TE. */
  eval_sample: common.eval_sample().default(2000),
});

type SomConfigIn = z.infer<typeof somConfigObject>;

/** Keys that only some algorithms use: giving one to another algorithm is refused rather than ignored. */
const ONLY_FOR: Partial<Record<keyof SomConfigIn, readonly SomConfigIn['algorithm'][]>> = {
  lr: ['classic', 'gradient'],
  lr_final: ['classic'],
  lr_decay: ['classic'],
  iterations: ['classic', 'gradient'],
  batch_size: ['gradient'],
  optimizer: ['gradient'],
};

export const somConfigSchema = somConfigObject.superRefine((c, ctx) => {
  for (const [key, algorithms] of Object.entries(ONLY_FOR) as [keyof SomConfigIn, readonly string[]][]) {
    if (c[key] !== undefined && !algorithms.includes(c.algorithm)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `applies to the ${algorithms.join(' and ')} algorithm${algorithms.length > 1 ? 's' : ''}, not to ${c.algorithm}${key === 'iterations' ? ' (its iterations are epochs: use epochs)' : ''}`,
      });
    }
  }
  if (c.iterations !== undefined && c.epochs !== undefined)
    ctx.addIssue({ code: 'custom', path: ['epochs'], message: `give iterations or epochs, not both (got ${c.iterations} and ${c.epochs})` });
  if (c.t_max !== undefined && c.t_min !== undefined && c.t_min > c.t_max)
    ctx.addIssue({ code: 'custom', path: ['t_min'], message: `expected t_min ≤ t_max, got ${c.t_min} > ${c.t_max}` });
  const size = parseMapSize(c.map);
  if (size !== null && c.topology === 'hexagonal' && c.toroidal && size[0] % 2 !== 0) {
    ctx.addIssue({ code: 'custom', path: ['map'], message: `a toroidal hexagonal map needs an even number of rows, got ${c.map}` });
  }
  refineClassSubset(c, ctx);
});

export type SomConfig = z.infer<typeof somConfigSchema>;

/**
 * Defaults per algorithm (docs/som.md has the measurements behind them):
 * - classic: T from half the map's larger side down to 1, lr 0.5 → 0.01, 5 passes (an ordered map:
 *   on MNIST 8×8, TE 0.12 against 0.46 with seed 000's Tmin 0.1);
 * - batch: the same radius, 30 epochs;
 * - gradient: seed 000 (Tmax 8, Tmin 0.1, 10,000 Adam steps of 256 rows, lr 1e-3).
 */
export function somDefaults(algorithm: SomConfig['algorithm'], rows: number, cols: number) {
  const half = Math.max(1, Math.max(rows, cols) / 2);
  switch (algorithm) {
    case 'classic':
      return { t_max: half, t_min: 1, lr: 0.5, lr_final: 0.01, lr_decay: 'exponential' as DecayKind, epochs: 5, checkpoint_every: 10000, log_every: 1000 };
    case 'batch':
      return { t_max: half, t_min: 1, epochs: 30, checkpoint_every: 1, log_every: 1 };
    case 'gradient':
      return { t_max: 8, t_min: 0.1, lr: 1e-3, iterations: 10000, batch_size: 256, optimizer: 'adam' as const, checkpoint_every: 500, log_every: 100 };
  }
}
