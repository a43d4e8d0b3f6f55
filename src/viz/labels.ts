/**
 * Words for people: the labels reports show for the snake_case metric and timing keys of
 * summary.json (the raw key stays visible beside each label, so a reader can find it in the file),
 * the config keys that apply to a run (no `momentum` under Adam, no `noise_scale` without noise, …),
 * and the notes that explain numbers which look wrong but are not (a SOM's Hungarian accuracy).
 * Pure functions of plain values: no vega, nothing from the run directory.
 */
import { formatNumber } from './format.js';

/** Labels of metric keys without their `test_` prefix. */
export const METRIC_LABELS: Readonly<Record<string, string>> = Object.freeze({
  accuracy: 'accuracy',
  loss: 'cross-entropy loss',
  mse: 'MSE',
  mse_mean_image: 'MSE of the mean image',
  purity: 'purity',
  nmi: 'NMI',
  nmi_geometric: 'NMI (geometric)',
  nmi_min: 'NMI (min)',
  nmi_max: 'NMI (max)',
  ari: 'ARI',
  qe: 'quantization error',
  te: 'topographic error',
  inertia: 'inertia',
  silhouette: 'silhouette',
  prototype_kmeans_accuracy: 'accuracy (k-means on prototypes)',
  cv_accuracy: 'cross-validation accuracy (mean over the folds)',
  cv_accuracy_std: 'cross-validation accuracy (std over the folds)',
  cv_loss: 'cross-validation loss (mean over the folds)',
  cv_loss_std: 'cross-validation loss (std over the folds)',
  neg_elbo: 'negative ELBO',
  reconstruction_loss: 'reconstruction term',
  kl: 'KL term',
  d_loss: 'discriminator loss',
  g_loss: 'generator loss',
  d_real: 'D(x), mean on real images',
  d_fake: 'D(G(z)), mean on generated images',
  sample_confident_share: 'samples the judge is sure of (p ≥ threshold)',
  sample_mean_confidence: 'mean judge confidence on samples',
  sample_class_match: 'samples judged the requested class',
  judge_confident_share: 'real images the judge is sure of',
  judge_accuracy: 'judge accuracy',
});

/** Labels of timing keys (seconds). */
export const TIMING_LABELS: Readonly<Record<string, string>> = Object.freeze({
  load_s: 'loading (s)',
  cv_s: 'cross-validation (s)',
  train_s: 'training (s)',
  periodic_eval_s: 'periodic evaluation (s)',
  eval_s: 'evaluation (s)',
  figures_s: 'figures and report (s)',
  total_s: 'total (s)',
});

const NOISE = /^mse_noise_(.+)$/;

/**
 * A metric key as words: `test_mse_mean_image` → "test MSE of the mean image", `nmi_geometric` →
 * "NMI (geometric)", `test_mse_noise_0.3` → "test MSE, noise c = 0.3". Unknown keys come back with
 * their underscores as spaces.
 */
export function metricLabel(key: string): string {
  const test = key.startsWith('test_');
  const base = test ? key.slice(5) : key;
  const noise = NOISE.exec(base);
  const words = METRIC_LABELS[base] ?? (noise !== null ? `MSE, noise c = ${noise[1]}` : base.replace(/_/g, ' '));
  return test ? `test ${words}` : words;
}

/** A timing key as words: `load_s` → "loading (s)"; unknown `<name>_s` → "<name> (s)". */
export function timingLabel(key: string): string {
  const known = TIMING_LABELS[key];
  if (known !== undefined) return known;
  const m = /^(.+)_s$/.exec(key);
  return m === null ? key.replace(/_/g, ' ') : `${m[1].replace(/_/g, ' ')} (s)`;
}

/** One row of a metrics table: a measure on the data the model was fitted to and on the test split. */
export interface MetricRow {
  /** The label of the measure, without "test". */
  label: string;
  /** Key of the value on the fitted rows, if there is one. */
  key: string | null;
  /** Key of the value on the test split, if there is one. */
  testKey: string | null;
}

/**
 * The metrics paired: `x` and `test_x` on one row (in the order of first appearance), a key with
 * no partner on a row of its own.
 */
export function pairMetrics(keys: readonly string[]): MetricRow[] {
  const rows = new Map<string, MetricRow>();
  for (const k of keys) {
    const test = k.startsWith('test_');
    const base = test ? k.slice(5) : k;
    const row = rows.get(base) ?? { label: metricLabel(base), key: null, testKey: null };
    if (test) row.testKey = k;
    else row.key = k;
    rows.set(base, row);
  }
  return [...rows.values()];
}

// ---------------------------------------------------------------------------------------------
// Config keys that apply
// ---------------------------------------------------------------------------------------------

type Config = Readonly<Record<string, unknown>>;
type Rule = (c: Config) => boolean;

/** Optimizers that take a momentum (Adam and AdamW do not). */
const usesMomentum: Rule = (c) => c.optimizer === 'sgd' || c.optimizer === 'rmsprop';
const somAlgorithm =
  (...algorithms: string[]): Rule =>
  (c) =>
    algorithms.includes(String(c.algorithm));

/** Per run kind: config keys that only apply under some settings, and when. Keys not listed always apply. */
const APPLIES: Readonly<Record<string, Readonly<Record<string, Rule>>>> = {
  mlp: { momentum: usesMomentum },
  ae: {
    momentum: usesMomentum,
    noise_scale: (c) => c.noise !== undefined && c.noise !== 'none',
    // Codes of 1 or 2 dimensions are drawn as they are; UMAP only runs for more.
    umap_sample: (c) => typeof c.latent !== 'number' || c.latent > 2,
    umap_epochs: (c) => typeof c.latent !== 'number' || c.latent > 2,
  },
  som: {
    lr: somAlgorithm('classic', 'gradient'),
    lr_final: somAlgorithm('classic'),
    lr_decay: somAlgorithm('classic'),
    iterations: somAlgorithm('classic', 'gradient'),
    batch_size: somAlgorithm('gradient'),
    optimizer: somAlgorithm('gradient'),
    momentum: (c) => c.algorithm === 'gradient' && usesMomentum(c),
  },
  desom: {
    som_init_epochs: (c) => c.prototype_init === 'som',
  },
  kmeans: {},
  vae: {
    momentum: usesMomentum,
    umap_sample: (c) => typeof c.latent !== 'number' || c.latent > 2,
    umap_epochs: (c) => typeof c.latent !== 'number' || c.latent > 2,
    hidden: (c) => c.conv !== true,
    ...Object.fromEntries(['filters', 'kernel', 'dense'].map((k): [string, Rule] => [k, (c) => c.conv === true])),
  },
  gan: {
    g_hidden: (c) => c.arch === 'mlp',
    d_hidden: (c) => c.arch === 'mlp',
    g_channels: (c) => c.arch === 'dcgan',
    d_channels: (c) => c.arch === 'dcgan',
    judge_samples: (c) => c.judge !== undefined,
    judge_threshold: (c) => c.judge !== undefined,
  },
};

/**
 * The config of a run as a report shows it: the keys that apply to this run's settings (unset keys
 * and, e.g., `momentum` under Adam left out) and the names of those left out.
 */
export function applicableConfig(kind: string, config: Config): { shown: Record<string, unknown>; omitted: string[] } {
  const rules = APPLIES[kind] ?? {};
  const shown: Record<string, unknown> = {};
  const omitted: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    const rule = rules[k];
    if (rule !== undefined && !rule(config)) omitted.push(k);
    else shown[k] = v;
  }
  return { shown, omitted };
}

/** The sentence under a report's config table naming the keys left out (empty when none were). */
export function omittedConfigNote(omitted: readonly string[]): string {
  if (omitted.length === 0) return '';
  const list = omitted.join(', ');
  return `Not shown because ${omitted.length === 1 ? 'it does' : 'they do'} not apply to these settings: ${list} (config.json has every key).`;
}

// ---------------------------------------------------------------------------------------------
// Notes
// ---------------------------------------------------------------------------------------------

/**
 * Why a map's accuracy is far below its purity: the unsupervised accuracy matches the K cells
 * one-to-one to the C classes (Hungarian algorithm), so only C cells can count and the rows of the
 * other K − C cells count as errors; purity labels every cell with its own majority class. Null
 * when there are no more cells than classes (then the two are comparable) or the metrics are missing.
 */
export function mapAccuracyNote(o: { cells: number; classes: number; metrics: Readonly<Record<string, number>>; unit?: string }): string | null {
  const { cells, classes, metrics } = o;
  if (!(cells > classes) || !(classes > 0)) return null;
  const prefix = metrics.accuracy !== undefined ? '' : metrics.test_accuracy !== undefined ? 'test_' : null;
  if (prefix === null) return null;
  const acc = metrics[`${prefix}accuracy`];
  const purity = metrics[`${prefix}purity`];
  const unit = o.unit ?? 'cells';
  const values = Number.isFinite(purity) ? ` (here ${formatNumber(acc)} against a purity of ${formatNumber(purity)})` : ` (here ${formatNumber(acc)})`;
  const pk = metrics[`${prefix}prototype_kmeans_accuracy`];
  return (
    `Why accuracy is low next to purity${values}: accuracy matches the ${cells} ${unit} one-to-one to the ${classes} classes (Hungarian algorithm), ` +
    `so at most ${classes} ${unit} count and the rows of the other ${cells - classes} count as errors, however pure those ${unit} are. ` +
    `Purity labels every one of the ${cells} ${unit} with its own majority class, so it does not pay that price` +
    (Number.isFinite(pk)
      ? `; accuracy (k-means on prototypes), ${formatNumber(pk)}, first groups the prototypes into ${classes} clusters and is the fairer class-level accuracy of a map.`
      : '.')
  );
}
