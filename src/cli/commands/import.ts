/**
 * `latentlab import STATE_DICT.safetensors --kind mlp|cnn|ae|vae|desom (--like RUN | --arch …)`:
 * a PyTorch state_dict (saved as safetensors) loaded into a latentlab model of the same
 * architecture (src/io/torch-import.ts checks names and shapes), written as a completed run
 * directory of that kind — config.json, summary.json, model/ — so `latentlab eval`, `runs list`
 * and the explorer treat it as any other run. docs/pytorch.md has the Python side.
 *
 * The architecture comes from
 * - `--like RUN` (a run id or folder, or a model/ folder): the run's model files rebuild it exactly,
 *   and the run's config (dataset, classes, …) is the new run's; or
 * - `--arch`: sizes for the fully connected kinds (mlp "784-100-10", ae "784-128-2", vae
 *   "784-512-256-2", desom "784-500-500-2000-10" with `--map 8x8`), the layer tokens of
 *   `train cnn --arch` for cnn (with `--image`, `--classes`); `--config FILE` adds any other key
 *   of the kind's config (activations, batch_norm, conv … as `train` reads them).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadAutoencoder, saveAutoencoder } from '../../ae/autoencoder-file.js';
import { DESOM } from '../../desom/model.js';
import { loadDesom, saveDesom } from '../../desom/file.js';
import { loadModel, saveModel } from '../../io/model-file.js';
import { importStateDict, readTorchStateDict, type TorchImportReport } from '../../io/torch-import.js';
import type { Module } from '../../nn/module.js';
import { describeModule, type ModuleSpec } from '../../nn/serialize.js';
import { aeArchitecture } from '../../ae/autoencoder.js';
import { Rng } from '../../random.js';
import { KINDS } from '../../runs/kinds/index.js';
import { buildAutoencoder, type AeConfig } from '../../runs/kinds/ae/index.js';
import { buildCnn, parseArch, type CnnConfig } from '../../runs/kinds/cnn/index.js';
import type { DesomRunConfig } from '../../runs/kinds/desom/index.js';
import { buildMlp, type MlpConfig } from '../../runs/kinds/mlp/index.js';
import { parseMapSize } from '../../runs/kinds/som/index.js';
import { buildVae, vaeArchitecture, type VaeRunConfig } from '../../runs/kinds/vae/index.js';
import { RunDir } from '../../runs/run-dir.js';
import { Tensor } from '../../tensor/tensor.js';
import { loadVae, saveVae } from '../../vae/vae-file.js';
import { packageVersion } from '../../version.js';
import { UsageError } from '../errors.js';
import type { CommandHooks } from '../options.js';
import type { Output } from '../output.js';

/** The kinds a state_dict can be imported as. */
export const IMPORT_KINDS = ['mlp', 'cnn', 'ae', 'vae', 'desom'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export interface ImportFlags {
  stateDict: string;
  out: string;
  kind: string;
  like?: string;
  arch?: string;
  config?: string;
  dataset?: string;
  image?: string;
  classes?: string;
  map?: string;
  stripPrefix?: string;
  runId?: string;
}

/** What the command did (printed, and --json's result). */
export interface ImportResult {
  run_id: string;
  path: string;
  kind: ImportKind;
  architecture: string;
  from: string;
  tensors: number;
  ignored: string[];
  converted: string[];
}

/** A built model and how to save it. */
interface Target {
  model: Module;
  save: (dir: string) => void;
  architecture: string;
}

/** The model/ folder of a run id, run folder or model folder. */
function likeDir(like: string, out: string): string {
  const has = (d: string): boolean => existsSync(join(d, 'model.json')) || existsSync(join(d, 'desom.json'));
  for (const d of [like, join(like, 'model'), join(out, like, 'model')]) if (has(d)) return d;
  throw new UsageError(
    `import: --like ${like}: no run or model folder there (looked for model.json or desom.json in ${like}, ${like}/model, ${out}/${like}/model)`,
  );
}

/** The config of the run --like names (empty for a bare model folder). */
function likeConfig(like: string, out: string): Record<string, unknown> {
  for (const d of [like, join(out, like)]) {
    const p = join(d, 'config.json');
    if (existsSync(p)) {
      const c = (JSON.parse(readFileSync(p, 'utf8')) as { config?: unknown }).config;
      if (c !== null && typeof c === 'object') return c as Record<string, unknown>;
    }
  }
  return {};
}

/** "linear 784→100, relu, linear 100→10": a Sequential's layers in a line. */
function layerList(m: Module): string {
  const spec = describeModule(m);
  const one = (l: ModuleSpec): string => ('in' in l && 'out' in l ? `${l.type} ${l.in}→${l.out}` : l.type);
  return spec.type === 'sequential' ? spec.layers.map(one).join(', ') : one(spec);
}

/** The model a --like folder holds, loaded by its kind's loader (its weights are replaced). */
function targetLike(kind: ImportKind, dir: string): Target {
  switch (kind) {
    case 'mlp':
    case 'cnn': {
      const m = loadModel(dir);
      return { model: m, save: (d) => saveModel(d, m, { metadata: { kind, imported: 'pytorch' } }), architecture: layerList(m) };
    }
    case 'ae': {
      const m = loadAutoencoder(dir);
      return { model: m, save: (d) => saveAutoencoder(d, m, { kind, imported: 'pytorch' }), architecture: aeArchitecture(m.options) };
    }
    case 'vae': {
      const m = loadVae(dir);
      return { model: m, save: (d) => saveVae(d, m, { kind, imported: 'pytorch' }), architecture: vaeArchitecture(m.options) };
    }
    case 'desom': {
      const m = loadDesom(dir);
      return { model: m, save: (d) => saveDesom(d, m, { imported: 'pytorch' }), architecture: m.toString() };
    }
    default: {
      const never: never = kind;
      throw new UsageError(`import: unknown kind ${String(never)}`);
    }
  }
}

function sizes(flag: string, text: string, min: number): number[] {
  const parts = text.split('-').map((s) => s.trim());
  if (parts.length < min || parts.some((p) => !/^[1-9]\d*$/.test(p)))
    throw new UsageError(`import: ${flag} expects at least ${min} layer sizes joined by '-' (e.g. 784-128-10), got "${text}"`);
  return parts.map(Number);
}

function imageFlag(text: string | undefined): [number, number, number] | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)x(\d+)x(\d+)$/.exec(text.trim());
  if (m === null || [m[1], m[2], m[3]].some((v) => Number(v) < 1)) throw new UsageError(`import: --image expects CxHxW (e.g. 1x28x28), got "${text}"`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** The kind's config: schema defaults, then --config's keys, then what --arch and the flags say. */
function kindConfig(kind: ImportKind, values: Record<string, unknown>): Record<string, unknown> {
  const r = KINDS[kind].schema.safeParse(values);
  if (!r.success) {
    const iss = r.error.issues[0];
    throw new UsageError(`import: ${kind} config: ${iss.path.join('.') || '(root)'}: ${iss.message}`);
  }
  return r.data;
}

/** The model --arch (and the flags) describe, built by the kind's own builder, with its config. */
function targetArch(kind: ImportKind, f: ImportFlags, base: Record<string, unknown>): { target: Target; config: Record<string, unknown> } {
  const rng = new Rng(0);
  const arch = f.arch!;
  const image = imageFlag(f.image);
  switch (kind) {
    case 'mlp': {
      const s = sizes('--arch', arch, 2);
      const cfg = kindConfig(kind, { ...base, hidden: s.slice(1, -1) }) as MlpConfig;
      const m = buildMlp(cfg, s[0], s.at(-1)!, rng);
      return { target: { model: m, save: (d) => saveModel(d, m, { metadata: { kind, imported: 'pytorch' } }), architecture: arch }, config: cfg };
    }
    case 'cnn': {
      const cfg = kindConfig(kind, { ...base, arch }) as CnnConfig;
      const classes = f.classes === undefined ? 10 : Number(f.classes);
      if (!Number.isSafeInteger(classes) || classes < 2) throw new UsageError(`import: --classes expects an integer ≥ 2, got "${f.classes}"`);
      let m: Module;
      try {
        m = buildCnn(parseArch(cfg.arch), { input: image ?? [1, 28, 28], classes, activation: cfg.activation, init: cfg.init, rng });
      } catch (e) {
        throw new UsageError(`import: --arch: ${(e as Error).message}`);
      }
      return { target: { model: m, save: (d) => saveModel(d, m, { metadata: { kind, imported: 'pytorch' } }), architecture: arch }, config: cfg };
    }
    case 'ae':
    case 'vae': {
      const s = sizes('--arch', arch, 2);
      const conv = base.conv === true;
      const keys = conv ? { dense: s.slice(1, -1) } : { hidden: s.slice(1, -1) };
      const cfg = kindConfig(kind, { ...base, ...keys, latent: s.at(-1) });
      const img = conv ? (image ?? squareImage(s[0])) : undefined;
      if (kind === 'ae') {
        const m = buildAutoencoder(cfg as AeConfig, s[0], rng, img);
        return { target: { model: m, save: (d) => saveAutoencoder(d, m, { kind, imported: 'pytorch' }), architecture: arch }, config: cfg };
      }
      const m = buildVae(cfg as VaeRunConfig, s[0], rng, img);
      return { target: { model: m, save: (d) => saveVae(d, m, { kind, imported: 'pytorch' }), architecture: arch }, config: cfg };
    }
    case 'desom': {
      const s = sizes('--arch', arch, 2);
      const conv = base.encoder === 'conv';
      const cfg = kindConfig(kind, {
        ...base,
        ...(conv ? { dense: s.slice(1, -1) } : { hidden: s.slice(1, -1) }),
        latent: s.at(-1),
        ...(f.map === undefined ? {} : { map: f.map }),
      }) as DesomRunConfig;
      const map = parseMapSize(String(cfg.map));
      if (map === null) throw new UsageError(`import: --map expects RxC (e.g. 8x8), got "${String(cfg.map)}"`);
      const [rows, cols] = map;
      const m = DESOM.create(Tensor.zeros([rows * cols, s[0]]), {
        rng,
        rows,
        cols,
        topology: cfg.topology,
        toroidal: cfg.toroidal,
        distance: cfg.distance,
        hidden: s.slice(1, -1),
        latent: cfg.latent,
        activation: cfg.activation,
        prototypeInit: cfg.prototype_init,
        somInitEpochs: cfg.som_init_epochs,
        ...(conv ? { encoder: 'conv' as const, image: image ?? squareImage(s[0]), filters: cfg.filters, kernel: cfg.kernel } : {}),
      });
      return { target: { model: m, save: (d) => saveDesom(d, m, { imported: 'pytorch' }), architecture: `${arch} ${rows}x${cols}` }, config: cfg };
    }
    default: {
      const never: never = kind;
      throw new UsageError(`import: unknown kind ${String(never)}`);
    }
  }
}

function squareImage(n: number): [number, number, number] {
  const side = Math.round(Math.sqrt(n));
  if (side * side !== n) throw new UsageError(`import: ${n} inputs are not a square image; give --image CxHxW`);
  return [1, side, side];
}

function readConfigFile(path: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`import: --config ${path}: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UsageError(`import: --config ${path}: expected a JSON object of config keys`);
  return raw as Record<string, unknown>;
}

/** Runs `latentlab import`; returns the exit code. */
export function importCommand(f: ImportFlags, out: Output): number {
  const t0 = performance.now();
  if (!(IMPORT_KINDS as readonly string[]).includes(f.kind)) throw new UsageError(`import: --kind expects one of ${IMPORT_KINDS.join(', ')}, got "${f.kind}"`);
  const kind = f.kind as ImportKind;
  if ((f.like === undefined) === (f.arch === undefined)) throw new UsageError('import: give the architecture with either --like RUN or --arch (not both)');
  if (!existsSync(f.stateDict)) throw new UsageError(`import: ${f.stateDict}: no such file`);
  const overrides = { ...(f.config === undefined ? {} : readConfigFile(f.config)), ...(f.dataset === undefined ? {} : { dataset: f.dataset }) };
  let target: Target;
  let config: Record<string, unknown>;
  if (f.like !== undefined) {
    target = targetLike(kind, likeDir(f.like, f.out));
    config = kindConfig(kind, { ...likeConfig(f.like, f.out), ...overrides });
  } else {
    ({ target, config } = targetArch(kind, f, overrides));
  }
  const file = readTorchStateDict(f.stateDict);
  let report: TorchImportReport;
  try {
    report = importStateDict(target.model, file.tensors, { stripPrefix: f.stripPrefix, source: f.stateDict });
  } catch (e) {
    throw new UsageError(`import: ${(e as Error).message}`);
  }
  const run = RunDir.create(f.out, kind, f.runId);
  const now = new Date().toISOString();
  target.save(run.file('model'));
  run.writeConfig({
    kind,
    config,
    seed: config.seed,
    package: { name: 'latentlab', version: packageVersion() },
    command_line: process.argv.slice(2),
    created_at: now,
    imported: {
      from: resolve(f.stateDict),
      format: 'pytorch state_dict (safetensors)',
      metadata: file.metadata ?? {},
      ...(f.like === undefined ? { arch: f.arch } : { like: f.like }),
      ignored: report.ignored,
      converted: report.converted,
    },
  });
  run.writeSummary({
    status: 'completed',
    metrics: {},
    timings: { import_s: (performance.now() - t0) / 1000 },
    kind,
    run_id: run.id,
    started_at: now,
    updated_at: now,
    pid: process.pid,
    step: 0,
  });
  const result: ImportResult = {
    run_id: run.id,
    path: run.path,
    kind,
    architecture: target.architecture,
    from: f.stateDict,
    tensors: report.loaded,
    ignored: report.ignored,
    converted: report.converted,
  };
  out.line(`imported ${report.loaded} tensors from ${f.stateDict} into a ${kind} model (${target.architecture})`);
  if (report.ignored.length > 0) out.notice(`ignored ${report.ignored.join(', ')} (latentlab keeps no num_batches_tracked)`);
  if (report.converted.length > 0) out.notice(`rounded to float32: ${report.converted.join(', ')}`);
  out.line(`run ${run.id} → ${run.path}`);
  out.result(result);
  return 0;
}

/** Registers `latentlab import`. */
export function registerImport(program: Command, hooks: CommandHooks): void {
  program
    .command('import <state_dict>')
    .description('load a PyTorch state_dict saved as safetensors into a latentlab model of the same architecture, written as a run (eval, runs list, serve)')
    .requiredOption('--kind <kind>', `the run kind: ${IMPORT_KINDS.join(', ')}`)
    .option('--like <run>', "take the architecture (and the config) from this run's model (a run id or folder, or a model folder)")
    .option(
      '--arch <spec>',
      'the architecture: sizes for mlp (784-100-10), ae and vae (784-128-2: input, hidden…, latent), desom (784-500-10, with --map); the layer tokens of train cnn --arch for cnn',
    )
    .option('--config <file>', "more keys of the kind's config (JSON, as train --config), e.g. activation, batch_norm, conv, filters")
    .option('--dataset <name>', 'the dataset eval scores it on (default: the --like run’s, else mnist)')
    .option('--image <CxHxW>', 'cnn and conv models: the input image (default 1xSxS for S² inputs)')
    .option('--classes <n>', 'cnn: output classes (default 10)')
    .option('--map <RxC>', 'desom: the map size')
    .option('--strip-prefix <prefix>', 'remove this prefix from the state_dict names (e.g. module.)')
    .option('--run-id <id>', 'name of the run directory (default <kind>-<date>-<time>)')
    .action((stateDict: string, o: Omit<ImportFlags, 'stateDict' | 'out'>, cmd: Command) => {
      hooks.done(importCommand({ stateDict, out: cmd.optsWithGlobals<{ out: string }>().out, ...o }, hooks.output(cmd)));
    });
}
