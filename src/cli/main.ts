/**
 * The `latentlab` command. Exit codes: 0 success, 1 runtime failure, 2 usage error.
 * This is the only layer that prints.
 */
import { Command, CommanderError } from 'commander';
import { dataFetch, dataImport, dataInfo, dataList, dataVerify } from './commands/data.js';
import { notFound } from './not-found.js';
import { evalRun } from './commands/eval.js';
import { registerAnomaly } from './commands/anomaly.js';
import { registerExport } from './commands/export.js';
import { registerRuns } from './commands/runs.js';
import { registerServe } from './commands/serve.js';
import { registerBench } from './commands/bench-desom.js';
import { registerSweep } from './commands/sweep.js';
import { registerImport } from './commands/import.js';
import { UsageError } from './errors.js';
import { DatasetNotFoundError } from '../data/fetch.js';
import { addRunCommand } from './options.js';
import { KINDS, type KindName } from '../runs/kinds/index.js';
import { Output } from './output.js';
import { packageVersion } from '../version.js';

interface GlobalOpts {
  json?: boolean;
  quiet?: boolean;
  out: string;
}

function output(cmd: Command): Output {
  const g = cmd.optsWithGlobals<GlobalOpts>();
  return new Output({ json: g.json, quiet: g.quiet });
}

let exitCode = 0;

/** What the commands grouping run commands say in --help. */
const RUN_GROUPS: Record<string, string> = {
  train: 'train a model into a run directory',
  cluster: 'cluster a dataset into a run directory',
};

export function buildProgram(): Command {
  const program = new Command('latentlab')
    .description('Build, train and understand neural networks and their latent spaces.')
    .version(packageVersion())
    .option('--json', 'machine-readable JSON output on stdout')
    .option('--quiet', 'no progress or notices')
    .option('--out <dir>', 'runs folder', 'runs')
    .exitOverride()
    .showHelpAfterError();

  const data = program.command('data').description('datasets: list, inspect, download, import, verify');
  data
    .command('list')
    .description('the registered datasets')
    .action((_o, cmd: Command) => {
      exitCode = dataList(output(cmd));
    });
  data
    .command('info <name>')
    .description('shape, value range and class histogram of a dataset')
    .option('--data-dir <dir>', 'directory holding the files')
    .option('--split <split>', 'train | test | all')
    .action(async (name: string, o: { dataDir?: string; split?: string }, cmd: Command) => {
      exitCode = await dataInfo(name, o, output(cmd));
    });
  data
    .command('fetch <name>')
    .description('download a dataset into the cache (verified by sha256)')
    .option('--data-dir <dir>', 'use this directory instead of the cache')
    .action(async (name: string, o: { dataDir?: string }, cmd: Command) => {
      exitCode = await dataFetch(name, o, output(cmd));
    });
  data
    .command('import <name> <dir>')
    .description("copy a dataset's files obtained by hand (gzipped or not) into the cache, once their sha256 matches the registry")
    .action(async (name: string, dir: string, _o, cmd: Command) => {
      exitCode = await dataImport(name, dir, output(cmd));
    });
  data
    .command('verify <name>')
    .description("check the files a dataset would be read from against the registry's sha256 (exit 1 on any mismatch)")
    .option('--data-dir <dir>', 'check this directory instead')
    .action(async (name: string, o: { dataDir?: string }, cmd: Command) => {
      exitCode = await dataVerify(name, o, output(cmd));
    });

  const hooks = {
    output,
    done: (code: number): void => {
      exitCode = code;
    },
  };
  // One run command per registered kind (`train mlp`, `cluster kmeans`, …), its flags generated from the kind's config schema.
  const groups = new Map<string, Command>();
  for (const kind of Object.keys(KINDS) as KindName[]) {
    const words = KINDS[kind].command.split(' ');
    const group = words[0];
    let parent = words.length === 1 ? program : groups.get(group);
    if (parent === undefined) {
      parent = program.command(group).description(RUN_GROUPS[group] ?? `make ${group} runs`);
      groups.set(group, parent);
    }
    addRunCommand(parent, kind, hooks);
  }
  registerBench(program, hooks);
  registerSweep(program, hooks);

  program
    .command('eval <run>')
    .description("score a run's saved model on a dataset split")
    .option('--split <split>', 'train | test | all', 'test')
    .option('--dataset <name>', "another dataset than the run's")
    .option('--data-dir <dir>', 'directory holding the dataset files')
    .action(async (run: string, o: { split?: string; dataset?: string; dataDir?: string }, cmd: Command) => {
      exitCode = await evalRun({ run, out: cmd.optsWithGlobals<GlobalOpts>().out, ...o }, output(cmd));
    });

  registerAnomaly(program, hooks);
  registerExport(program, hooks);
  registerImport(program, hooks);
  registerRuns(program, hooks);
  registerServe(program, hooks);
  return program;
}

/** Runs the CLI on argv and returns the exit code (never throws). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  exitCode = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`latentlab: ${e.message}\n`);
      return 2;
    }
    // A training command's dataset missing: the same suggestions as `data info` gives.
    if (e instanceof DatasetNotFoundError) {
      process.stderr.write(`latentlab: ${notFound('train', e).message}\n`);
      return 1;
    }
    process.stderr.write(`latentlab: ${(e as Error).message}\n`);
    if (process.env.LATENTLAB_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}
