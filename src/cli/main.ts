/**
 * The `latentlab` command. Exit codes: 0 success, 1 runtime failure, 2 usage error.
 * This is the only layer that prints.
 */
import { Command, CommanderError, Option } from 'commander';
import { num, numList } from './config.js';
import { dataFetch, dataImport, dataInfo, dataList, dataVerify, notFound } from './commands/data.js';
import { evalRun } from './commands/eval.js';
import { registerCluster } from './commands/cluster-kmeans.js';
import { runsList, runsShow } from './commands/runs.js';
import { registerTrainSom } from './commands/train-som.js';
import { registerTrainDesom } from './commands/train-desom.js';
import { registerBench } from './commands/bench-desom.js';
import { trainMlp } from './commands/train-mlp.js';
import { trainAe } from './commands/train-ae.js';
import { UsageError } from './errors.js';
import { DatasetNotFoundError } from '../data/fetch.js';
import { MATMUL_PRECISION_HELP } from './session.js';
import { MATMUL_PRECISIONS } from '../tensor/backend.js';
import { Output } from './output.js';
import { packageVersion } from './version.js';

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
  data.command('list').description('the registered datasets').action((_o, cmd: Command) => {
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

  const train = program.command('train').description('train a model into a run directory');
  train
    .command('mlp')
    .description("a classifier (seed 003 §4: 784-100-10, sigmoid hidden, softmax + cross-entropy)")
    .option('--config <file>', 'JSON config (snake_case keys as in config.json); flags override it')
    .option('--resume <run>', 'continue an interrupted run from its last checkpoint')
    .option('--run-id <id>', 'name of the run directory (default <kind>-<date>-<time>)')
    .option('--dataset <name>', 'mnist | fashion-mnist | usps | reuters10k')
    .option('--data-dir <dir>', 'directory holding the dataset files')
    .option('--hidden <sizes>', 'hidden layer sizes, e.g. 100 or 256,128')
    .addOption(new Option('--activation <name>', 'hidden activation').choices(['sigmoid', 'tanh', 'relu', 'leaky_relu']))
    .option('--init <name>', 'weight initialisation')
    .addOption(new Option('--optimizer <name>').choices(['adam', 'adamw', 'sgd', 'rmsprop']))
    .option('--lr <rate>', 'learning rate')
    .option('--momentum <m>', 'momentum (sgd, rmsprop)')
    .option('--batch-size <n>', 'minibatch size')
    .option('--epochs <n>', 'passes over the training data')
    .option('--seed <n>', 'random seed')
    .addOption(new Option('--backend <name>').choices(['auto', 'js', 'native']))
    .option('--threads <n>', 'BLAS threads')
    .addOption(new Option('--matmul-precision <p>', MATMUL_PRECISION_HELP).choices([...MATMUL_PRECISIONS]))
    .option('--limit <n>', 'use only the first n training rows')
    .option('--checkpoint-every <steps>', 'steps between checkpoints')
    .option('--log-every <steps>', 'steps between events.jsonl step records')
    .action(async (o: Record<string, string | undefined>, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOpts>();
      exitCode = await trainMlp(
        {
          config: o.config,
          resume: o.resume,
          runId: o.runId,
          out: g.out,
          values: {
            dataset: o.dataset,
            data_dir: o.dataDir,
            hidden: numList(o.hidden),
            activation: o.activation,
            init: o.init,
            optimizer: o.optimizer,
            lr: num(o.lr),
            momentum: num(o.momentum),
            batch_size: num(o.batchSize),
            epochs: num(o.epochs),
            seed: num(o.seed),
            backend: o.backend,
            threads: num(o.threads),
            matmul_precision: o.matmulPrecision,
            limit: num(o.limit),
            checkpoint_every: num(o.checkpointEvery),
            log_every: num(o.logEvery),
          },
        },
        output(cmd),
      );
    });

  train
    .command('ae')
    .description('an autoencoder (seed 001: 784-128-p-128-784, Tanh hidden, Sigmoid output, MSE, Adam lr 0.005, batch 64, 100 epochs) with figures and report.html')
    .option('--config <file>', 'JSON config (snake_case keys as in config.json); flags override it')
    .option('--resume <run>', 'continue an interrupted run from its last checkpoint')
    .option('--run-id <id>', 'name of the run directory (default <kind>-<date>-<time>)')
    .option('--dataset <name>', 'mnist | fashion-mnist | usps | reuters10k')
    .option('--data-dir <dir>', 'directory holding the dataset files')
    .option('--hidden <sizes>', 'encoder hidden sizes, mirrored in the decoder (default 128; seed 001 also uses 256,128)')
    .option('--latent <p>', 'latent size p (default 2)')
    .addOption(new Option('--activation <name>', 'hidden activation (default tanh)').choices(['tanh', 'relu', 'sigmoid', 'leaky_relu', 'identity']))
    .addOption(new Option('--latent-activation <name>', 'after the latent layer (default identity)').choices(['identity', 'tanh', 'relu', 'sigmoid', 'leaky_relu']))
    .addOption(new Option('--output-activation <name>', 'output activation (default sigmoid)').choices(['sigmoid', 'identity', 'tanh', 'relu', 'leaky_relu']))
    .option('--init <name>', 'weight initialisation (default torch_default)')
    .addOption(new Option('--loss <name>', 'reconstruction loss (default mse)').choices(['mse', 'bce']))
    .addOption(new Option('--optimizer <name>', 'default adam').choices(['adam', 'adamw', 'sgd', 'rmsprop']))
    .option('--lr <rate>', 'learning rate (default 0.005)')
    .option('--momentum <m>', 'momentum (sgd, rmsprop; default 0.9)')
    .option('--batch-size <n>', 'minibatch size (default 64)')
    .option('--epochs <n>', 'passes over the training data (default 100, as seed 001; ~1.5 s each for the default model on 2 cores)')
    .addOption(new Option('--noise <kind>', 'denoising: corrupt each training batch (default none)').choices(['none', 'gaussian', 'masking', 'salt_pepper']))
    .option('--noise-scale <c>', 'gaussian: standard deviation c; masking / salt_pepper: probability (default 0.2)')
    .option('--noise-sweep <scales>', 'test MSE for inputs corrupted at these scales, e.g. 0,0.1,0.2,0.3,0.5 (noise.svg; default for denoising runs)')
    .option('--seed <n>', 'random seed')
    .addOption(new Option('--backend <name>').choices(['auto', 'js', 'native']))
    .option('--threads <n>', 'BLAS threads')
    .addOption(new Option('--matmul-precision <p>', MATMUL_PRECISION_HELP).choices([...MATMUL_PRECISIONS]))
    .option('--limit <n>', 'use only the first n training rows')
    .option('--test-limit <n>', 'use only the first n test rows')
    .option('--checkpoint-every <steps>', 'steps between checkpoints (default 1000)')
    .option('--log-every <steps>', 'steps between events.jsonl step records (default 100)')
    .option('--umap-sample <n>', 'test codes projected in latent.svg when p > 2 (seeded sample; default 2000)')
    .option('--umap-epochs <n>', 'UMAP layout epochs for latent.svg (default 200)')
    .option('--grid <n>', 'test images in reconstructions.png (default 20)')
    .option('--grid-cols <n>', 'images per row in the grids (default 10)')
    .action(async (o: Record<string, string | undefined>, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOpts>();
      exitCode = await trainAe(
        {
          config: o.config,
          resume: o.resume,
          runId: o.runId,
          out: g.out,
          values: {
            dataset: o.dataset,
            data_dir: o.dataDir,
            hidden: numList(o.hidden),
            latent: num(o.latent),
            activation: o.activation,
            latent_activation: o.latentActivation,
            output_activation: o.outputActivation,
            init: o.init,
            loss: o.loss,
            optimizer: o.optimizer,
            lr: num(o.lr),
            momentum: num(o.momentum),
            batch_size: num(o.batchSize),
            epochs: num(o.epochs),
            noise: o.noise,
            noise_scale: num(o.noiseScale),
            noise_sweep: numList(o.noiseSweep),
            seed: num(o.seed),
            backend: o.backend,
            threads: num(o.threads),
            matmul_precision: o.matmulPrecision,
            limit: num(o.limit),
            test_limit: num(o.testLimit),
            checkpoint_every: num(o.checkpointEvery),
            log_every: num(o.logEvery),
            umap_sample: num(o.umapSample),
            umap_epochs: num(o.umapEpochs),
            grid: num(o.grid),
            grid_cols: num(o.gridCols),
          },
        },
        output(cmd),
      );
    });

  const hooks = {
    output,
    done: (code: number): void => {
      exitCode = code;
    },
  };
  registerTrainSom(train, hooks);
  registerTrainDesom(train, hooks);
  registerBench(program, hooks);
  registerCluster(program, hooks);

  program
    .command('eval <run>')
    .description("score a run's saved model on a dataset split")
    .option('--split <split>', 'train | test | all', 'test')
    .option('--dataset <name>', "another dataset than the run's")
    .option('--data-dir <dir>', 'directory holding the dataset files')
    .action(async (run: string, o: { split?: string; dataset?: string; dataDir?: string }, cmd: Command) => {
      exitCode = await evalRun({ run, out: cmd.optsWithGlobals<GlobalOpts>().out, ...o }, output(cmd));
    });

  const runs = program.command('runs').description('the runs folder');
  runs.command('list').description('every run, newest first').action((_o, cmd: Command) => {
    exitCode = runsList(cmd.optsWithGlobals<GlobalOpts>().out, output(cmd));
  });
  runs.command('show <id>').description("a run's config, status, metrics and files").action((id: string, _o, cmd: Command) => {
    exitCode = runsShow(id, cmd.optsWithGlobals<GlobalOpts>().out, output(cmd));
  });
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
