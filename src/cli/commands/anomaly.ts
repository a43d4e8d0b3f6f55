/**
 * `latentlab anomaly RUN --anomalous 4 [--normal 0,1,2,3,5,6,7,8,9]`: the held-out anomaly
 * experiment over a completed ae, vae or desom run (the runs API's anomalyRun): AUROC, average
 * precision and each class's mean score printed, the curves, histograms and most anomalous rows
 * written into the run's anomaly/ folder.
 */
import { Option, type Command } from 'commander';
import { ANOMALY_SCORES, type AnomalyScoreName } from '../../analysis/anomaly.js';
import { anomalyRun, type AnomalyResult } from '../../runs/anomaly.js';
import { BACKEND_NAMES } from '../../runs/kinds/common.js';
import { backend, useBackend } from '../../tensor/registry.js';
import { UsageError } from '../errors.js';
import type { CommandHooks } from '../options.js';
import type { Output } from '../output.js';

export interface AnomalyFlags {
  run: string;
  out: string;
  anomalous: string;
  normal?: string;
  split?: string;
  score?: string;
  samples?: string;
  seed?: string;
  limit?: string;
  top?: string;
  outDir?: string;
  dataDir?: string;
  backend?: string;
  threads?: string;
}

/** "0,1,2" → [0, 1, 2]; refuses anything but non-negative integers, naming the flag. */
export function classesFlag(flag: string, text: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) throw new UsageError(`anomaly: ${flag} expects class numbers separated by commas (e.g. 0,1,2), got "${text}"`);
  return parts.map(Number);
}

function intFlag(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) < min) throw new UsageError(`anomaly: ${flag} expects an integer ≥ ${min}, got "${text}"`);
  return Number(text);
}

/** Scores with 4 significant digits (reconstruction MSEs are small, negative ELBOs large). */
function fmt(v: number): string {
  return Math.abs(v) >= 1000 ? v.toFixed(1) : Number(v.toPrecision(4)).toString();
}

function print(r: AnomalyResult, out: Output): void {
  for (const w of r.warnings) out.notice(`warning: ${w.message}`);
  const limit = r.limit === null ? '' : `, first ${r.limit} rows`;
  out.line(
    `run ${r.run_id} (${r.run_kind}) on ${r.dataset} ${r.split}${limit}: class${r.anomalous.length > 1 ? 'es' : ''} ${r.anomalous.join(', ')} anomalous, ${r.normal.join(', ')} normal`,
  );
  out.line(
    `  score          ${r.score}: ${r.score_label}${r.samples === null ? '' : `; ${r.samples} draw${r.samples > 1 ? 's' : ''} of z per row, seed ${r.seed}`}`,
  );
  out.line(`  rows           ${r.counts.normal} normal, ${r.counts.anomalous} anomalous`);
  out.line(`  AUROC          ${r.metrics.auroc.toFixed(4)}   (chance 0.5)`);
  out.line(`  AP             ${r.metrics.average_precision.toFixed(4)}   (chance ${r.metrics.anomalous_share.toFixed(4)}, the anomalous share)`);
  out.line('  score by class  mean (median), rows');
  // A dataset whose classes have names (Fashion-MNIST) shows them; MNIST's names are its labels.
  const named = r.per_class.some((c) => c.name !== String(c.label));
  const w = Math.max(...r.per_class.map((c) => c.name.length));
  for (const c of r.per_class) {
    const name = named ? ` ${c.name.padEnd(w)}` : '';
    out.line(
      `    ${String(c.label).padStart(3)}${name} ${c.anomalous ? 'anomalous' : '         '} ${fmt(c.mean_score).padStart(10)} (${fmt(c.median_score)}), ${c.rows}`,
    );
  }
  out.line(`  files          ${r.dir}/{${r.files.join(',')}}`);
  out.result(r);
}

export async function anomalyCommand(flags: AnomalyFlags, out: Output): Promise<number> {
  if (flags.backend !== undefined) useBackend(flags.backend as (typeof BACKEND_NAMES)[number]);
  const threads = intFlag('--threads', flags.threads, 1);
  if (threads !== undefined) backend().setThreads(threads);
  const result = await anomalyRun(flags.run, {
    out: flags.out,
    anomalous: classesFlag('--anomalous', flags.anomalous),
    normal: flags.normal === undefined ? undefined : classesFlag('--normal', flags.normal),
    split: flags.split,
    score: flags.score as AnomalyScoreName | undefined,
    samples: intFlag('--samples', flags.samples, 1),
    seed: intFlag('--seed', flags.seed, 0),
    limit: intFlag('--limit', flags.limit, 1),
    top: intFlag('--top', flags.top, 0),
    outDir: flags.outDir,
    dataDir: flags.dataDir,
  });
  print(result, out);
  return 0;
}

/** Registers `latentlab anomaly RUN`. */
export function registerAnomaly(program: Command, hooks: CommandHooks): void {
  program
    .command('anomaly <run>')
    .description("held-out anomaly detection with an ae, vae or desom run's model: AUROC, average precision, ROC curve, score histograms, most anomalous rows")
    .requiredOption('--anomalous <classes>', 'the anomalous classes (the positives), e.g. 4: train the run without them (--classes)')
    .option('--normal <classes>', 'the normal classes (default: every other class)')
    .addOption(new Option('--split <split>', 'rows scored').choices(['test', 'train', 'all']).default('test'))
    .addOption(new Option('--score <score>', 'anomaly score (default: neg_elbo for a vae run, mse otherwise)').choices([...ANOMALY_SCORES]))
    .option('--samples <n>', 'draws of z per row for neg_elbo and reconstruction', '1')
    .option('--seed <n>', 'seed of those draws', '0')
    .option('--limit <n>', 'use only the first n rows of the split')
    .option('--top <n>', 'most anomalous rows shown in top.png', '30')
    .option('--out-dir <dir>', 'where to write (default: RUN/anomaly)')
    .option('--data-dir <dir>', "directory holding the dataset files (default: the run's)")
    .addOption(new Option('--backend <name>', 'compute backend').choices([...BACKEND_NAMES]))
    .option('--threads <n>', 'threads of the native or wasm backend')
    .action(async (run: string, o: Omit<AnomalyFlags, 'run' | 'out'>, cmd: Command) => {
      hooks.done(await anomalyCommand({ run, out: cmd.optsWithGlobals<{ out: string }>().out, ...o }, hooks.output(cmd)));
    });
}
