/**
 * Training an ae run: seed 001's autoencoder (784-128-p-128-784, Tanh hidden, Sigmoid output, MSE,
 * Adam lr 0.005, batch 64), any fully connected one or a convolutional one (`--conv`, on an image
 * dataset), optionally denoising, with checkpoints and
 * events; then the test codes and reconstructions as .npy arrays, the figures (reconstructions,
 * loss, latent space, noise) and report.html. On a class subset (`classes`, `per_class`) it trains
 * and is scored on those classes' rows only, their labels renumbered 0..K−1, and
 * arrays/train_indices.npy holds the training rows drawn. A resumed run ends with exactly the
 * weights of an uninterrupted one.
 */
import { Autoencoder, aeArchitecture } from '../../../ae/autoencoder.js';
import { saveAutoencoder } from '../../../ae/autoencoder-file.js';
import { addNoise, type NoiseKind, type NoiseOptions } from '../../../ae/noise.js';
import { meanImageMse, noiseSweep, reconstructionMse, trainAutoencoderSteps } from '../../../ae/train.js';
import { loadDataset } from '../../../data/fetch.js';
import { takeRows } from '../../../data/transforms.js';
import { writeNpy } from '../../../io/npy.js';
import { buildOptimizer } from '../../../optim/registry.js';
import { Rng } from '../../../random.js';
import { loadCheckpoint, saveCheckpoint } from '../../checkpoint.js';
import type { Training } from '../../kind.js';
import { UsageError } from '../../errors.js';
import { aeNeeds, checkNeeds } from '../../limits.js';
import { relay } from '../../relay.js';
import { describeBackend, type TrainSession } from '../../session.js';
import { keepClasses, keptLabel, keptNote, writeTrainIndices } from '../common.js';
import type { AeConfig } from './config.js';
import { convAeNeeds } from './needs.js';

/** Noise scales of the sweep a denoising run gets when --noise-sweep is not given (seed 003 Figure 20's range). */
export const DEFAULT_NOISE_SWEEP: readonly number[] = [0, 0.1, 0.2, 0.3, 0.5];

/**
 * The image [channels, height, width] of a dataset's rows, for a convolutional network: `what`
 * names the command and flag in the refusal of rows that are not images.
 */
export function imageOf(what: string, dataset: string, imageShape: readonly [number, number] | null, features: number): [number, number, number] {
  if (imageShape === null)
    throw new UsageError(`${what}: ${dataset} rows are not images; a convolutional autoencoder needs an image dataset (mnist, fashion-mnist, usps)`);
  const [h, w] = imageShape;
  const channels = features / (h * w);
  if (!Number.isInteger(channels)) throw new UsageError(`${what}: ${dataset} rows have ${features} values, not a multiple of its ${h}×${w} images`);
  return [channels, h, w];
}

/**
 * The autoencoder for a config: encoder input-hidden…-latent, decoder mirrored; with `conv`, the
 * convolutional one on images `image` ([channels, height, width]; default a square single-channel
 * image of `inputs` values).
 */
export function buildAutoencoder(cfg: AeConfig, inputs: number, rng: Rng, image?: readonly [number, number, number]): Autoencoder {
  return new Autoencoder({
    input: inputs,
    hidden: cfg.conv ? cfg.dense : cfg.hidden,
    latent: cfg.latent,
    activation: cfg.activation,
    latentActivation: cfg.latent_activation,
    outputActivation: cfg.output_activation,
    init: cfg.init,
    ...(cfg.conv ? { architecture: 'conv' as const, image, filters: cfg.filters, kernel: cfg.kernel } : {}),
    rng,
  });
}

/** The noise scales measured after training: --noise-sweep, or for a denoising run the default sweep plus its own scale. */
export function sweepScales(cfg: AeConfig): number[] {
  if (cfg.noise_sweep !== undefined) return [...cfg.noise_sweep];
  if (cfg.noise === 'none') return [];
  return [...new Set([...DEFAULT_NOISE_SWEEP, cfg.noise_scale])].sort((a, b) => a - b);
}

/** The metric name of a sweep point: test_mse_noise_<c>. */
export function noiseMetricName(scale: number): string {
  return `test_mse_noise_${scale}`;
}

export async function* trainAe(session: TrainSession<AeConfig>): Training {
  const { run, cfg, info } = session;

  const t0 = performance.now();
  // Forked in a fixed order from the seed, so a resumed run draws exactly what the first one did.
  const root = new Rng(cfg.seed);
  const initRng = root.fork();
  const loopRng = root.fork();
  const evalRng = root.fork();
  const figureRng = root.fork();
  const trainSplit = await loadDataset(cfg.dataset, { split: 'train', dataDir: cfg.data_dir, limit: cfg.limit });
  const testSplit = await loadDataset(cfg.dataset, { split: 'test', dataDir: cfg.data_dir, limit: cfg.test_limit });
  // A class subset: its rng forked after the others, so a run without one draws exactly what it did before subsets existed.
  const subset =
    cfg.classes === undefined ? null : { train: keepClasses(trainSplit, cfg.classes, cfg.per_class, root.fork()), test: keepClasses(testSplit, cfg.classes) };
  const train = subset?.train ?? trainSplit;
  const test = subset?.test ?? testSplit;
  const loadS = (performance.now() - t0) / 1000;
  const loaded = trainSplit.x.size + testSplit.x.size + (subset === null ? 0 : train.x.size + test.x.size);
  let ae: Autoencoder;
  if (cfg.conv) {
    // Built first (a conv autoencoder's parameters are small): its own layers size the needs.
    ae = buildAutoencoder(cfg, train.x.cols, initRng, imageOf('train ae --conv', cfg.dataset, trainSplit.imageShape, train.x.cols));
    const arch = aeArchitecture(ae.options);
    checkNeeds(convAeNeeds(ae, { flag: '--filters', value: cfg.filters, architecture: arch, batch: cfg.batch_size, rows: train.x.rows }), { base: loaded * 4 });
  } else {
    checkNeeds(aeNeeds({ features: train.x.cols, hidden: cfg.hidden, latent: cfg.latent, batch: cfg.batch_size, rows: train.x.rows }), {
      base: loaded * 4,
    });
    ae = buildAutoencoder(cfg, train.x.cols, initRng);
  }
  const optimizer = buildOptimizer(cfg.optimizer, ae.parameters(), { lr: cfg.lr, momentum: cfg.momentum });
  const noise: NoiseOptions | undefined = cfg.noise === 'none' ? undefined : { kind: cfg.noise, scale: cfg.noise_scale };
  const perEpoch = Math.ceil(train.x.rows / cfg.batch_size);
  const totalSteps = perEpoch * cfg.epochs;
  // "784-128-2-128-784", or a conv one's encoder "1×28×28 conv 32-64-128 (3×3, stride 2)-2"
  const architecture = aeArchitecture(ae.options);

  let startStep = 0;
  if (session.canResume) {
    const st = loadCheckpoint(run.file('checkpoint'), ae, optimizer);
    startStep = st.step;
    loopRng.setState(st.rng.loop);
  }
  session.writeConfig({
    dataset: {
      name: cfg.dataset,
      source: trainSplit.source,
      train_rows: train.x.rows,
      test_rows: test.x.rows,
      features: train.x.cols,
      classes: train.classNames.length,
      ...keptNote(subset?.train ?? null),
    },
    architecture,
    model: ae.toString(),
    parameters: ae.parameterCount(),
  });
  const loopStart = loopRng.state();
  const datasetLabel = keptLabel(cfg.dataset, subset?.train ?? null);
  session.begin(startStep, totalSteps, { load_s: loadS });

  yield { type: 'notice', message: `run ${run.id} → ${run.path}` };
  yield {
    type: 'notice',
    message:
      `${datasetLabel}: ${train.x.rows} training / ${test.x.rows} test rows (${trainSplit.source}); autoencoder ${architecture} ${cfg.activation}` +
      `${cfg.latent_activation !== 'identity' ? `, ${cfg.latent_activation} latent` : ''}, ${cfg.output_activation} output, ${cfg.loss}` +
      `${noise ? `, denoising (${noise.kind} ${noise.scale})` : ''}; ${ae.parameterCount()} parameters; ${cfg.optimizer} lr ${cfg.lr}, batch ${cfg.batch_size}, ${cfg.epochs} epochs; ` +
      `backend ${describeBackend(info)}`,
  };
  if (startStep > 0) yield { type: 'notice', message: `resuming at step ${startStep} of ${totalSteps}` };

  yield {
    type: 'progress',
    total: totalSteps,
    format: 'train ae |{bar}| {percentage}% {value}/{total} steps | epoch {epoch} | loss {loss} | ETA {eta_formatted}',
  };
  const tTrain = performance.now();
  let lastStep = startStep;
  session.step = startStep;
  const checkpoint = (step: number): void => {
    session.checkFiniteModel(ae, step);
    saveCheckpoint(run.file('checkpoint'), ae, optimizer, { step, rng: { loop: loopStart } });
  };
  const lossName = cfg.loss === 'bce' ? 'BCE' : 'MSE';
  for (const e of trainAutoencoderSteps({
    model: ae,
    optimizer,
    loss: cfg.loss,
    x: train.x,
    batchSize: cfg.batch_size,
    epochs: cfg.epochs,
    rng: loopRng,
    startStep,
    validation: test.x,
    noise,
  })) {
    if (e.type === 'step') {
      lastStep = session.step = e.step + 1;
      session.checkFinite('loss', e.loss, lastStep);
      yield { type: 'tick', value: lastStep, payload: { epoch: String(e.epoch + 1), loss: e.loss.toFixed(4) } };
      if (lastStep % cfg.log_every === 0) run.event({ type: 'step', step: lastStep, epoch: e.epoch, loss: e.loss, lr: e.lr, ms: e.ms });
      if (lastStep % cfg.checkpoint_every === 0 && lastStep < totalSteps) checkpoint(lastStep);
      if ((await session.poll()) !== null) break;
    } else {
      run.event({ type: 'epoch', step: e.step + 1, epoch: e.epoch, loss: e.loss, lr: e.lr, ms: e.ms, test_loss: e.validation?.loss });
      yield {
        type: 'notice',
        message: `epoch ${e.epoch + 1}/${cfg.epochs}: train ${lossName} ${e.loss.toFixed(5)}${noise ? ' (noisy inputs)' : ''}, test ${lossName} ${(e.validation?.loss ?? NaN).toFixed(5)}`,
      };
    }
  }
  yield { type: 'progress-end' };
  if (session.stopRequested !== null) {
    checkpoint(lastStep);
    return yield* session.interrupted(lastStep, { train_s: (performance.now() - tTrain) / 1000 });
  }
  const trainS = (performance.now() - tTrain) / 1000;

  // ---- evaluation and arrays ---------------------------------------------------------------
  // Loaded only now: the figure code pulls in vega and umap-js.
  const fig = await import('./figures.js');
  const { gridIndices } = await import('../../../viz/ae-figures.js');
  const tEval = performance.now();
  const metrics: Record<string, number> = {
    mse: reconstructionMse(ae, train.x),
    test_mse: reconstructionMse(ae, test.x),
    test_mse_mean_image: meanImageMse(test.x, train.x),
  };
  const scales = sweepScales(cfg);
  const sweepKind: NoiseKind = noise?.kind ?? 'gaussian';
  const sweep = scales.length === 0 ? [] : noiseSweep(ae, test.x, scales, { kind: sweepKind, rng: evalRng.fork() });
  for (const p of sweep) metrics[noiseMetricName(p.scale)] = p.mse;

  session.checkFiniteModel(ae, totalSteps);
  saveAutoencoder(run.file('model'), ae, { kind: 'ae', dataset: cfg.dataset });
  const codes = ae.encode(test.x);
  writeNpy(run.file('arrays', 'test_codes.npy'), { dtype: 'f4', shape: [codes.rows, codes.cols], data: codes.data });
  writeNpy(run.file('arrays', 'test_labels.npy'), { dtype: 'i4', shape: [test.labels.length], data: test.labels });
  writeTrainIndices(run, subset?.train ?? null);
  const idx = gridIndices(test.labels, Math.min(cfg.grid, test.x.rows), Math.max(1, test.classNames.length));
  const sample = takeRows(test.x, idx);
  const recon = ae.reconstruct(sample);
  const d = sample.cols;
  writeNpy(run.file('arrays', 'test_sample_indices.npy'), { dtype: 'i4', shape: [idx.length], data: idx });
  writeNpy(run.file('arrays', 'test_sample.npy'), { dtype: 'f4', shape: [sample.rows, d], data: sample.data });
  writeNpy(run.file('arrays', 'test_reconstructions_sample.npy'), { dtype: 'f4', shape: [recon.rows, d], data: recon.data });
  if (sweep.length > 0) {
    const g = sample.rows;
    const noisy = new Float32Array(sweep.length * g * d);
    const noisyRecon = new Float32Array(sweep.length * g * d);
    const gridRng = evalRng.fork();
    sweep.forEach((p, s) => {
      const xs = addNoise(sample, { kind: sweepKind, scale: p.scale }, gridRng);
      noisy.set(xs.data, s * g * d);
      noisyRecon.set(ae.reconstruct(xs).data, s * g * d);
    });
    writeNpy(run.file('arrays', 'noise_sweep.npy'), {
      dtype: 'f8',
      shape: [sweep.length, 2],
      data: Float64Array.from(sweep.flatMap((p) => [p.scale, p.mse])),
    });
    writeNpy(run.file('arrays', 'noise_inputs_sample.npy'), { dtype: 'f4', shape: [sweep.length, g, d], data: noisy });
    writeNpy(run.file('arrays', 'noise_reconstructions_sample.npy'), { dtype: 'f4', shape: [sweep.length, g, d], data: noisyRecon });
  }
  const evalS = (performance.now() - tEval) / 1000;

  // ---- figures and report (from the files just written) ------------------------------------
  const tFig = performance.now();
  // latent.svg's UMAP (p > 2) shows its epochs in a progress display of its own, opened by the first.
  let umapShown = false;
  const figures = yield* relay((emit) =>
    fig.writeAeRunFigures(run, {
      rng: figureRng,
      onUmapStep: async (epoch, nEpochs) => {
        if (!umapShown) {
          umapShown = true;
          await emit({ type: 'progress', total: nEpochs, format: 'latent UMAP |{bar}| {value}/{total} epochs | ETA {eta_formatted}' });
        }
        await emit({ type: 'tick', value: epoch });
      },
    }),
  );
  if (umapShown) yield { type: 'progress-end' };
  const figuresS = (performance.now() - tFig) / 1000;
  const timings = { load_s: loadS, train_s: trainS, eval_s: evalS, figures_s: figuresS, total_s: (performance.now() - t0) / 1000 };
  const reportPath = fig.writeAeRunReport(run, figures, {
    config: cfg,
    metrics,
    timings,
    status: 'completed',
    architecture,
    dataset: datasetLabel,
    trainRows: train.x.rows,
    testRows: test.x.rows,
  });
  return session.finish({
    step: totalSteps,
    at: { step: totalSteps },
    metrics,
    timings,
    lines: [
      '',
      `run ${run.id} completed (${cfg.epochs} epochs, ${totalSteps} steps)`,
      `  test MSE       ${metrics.test_mse.toFixed(5)}   (train ${metrics.mse.toFixed(5)}; predicting the mean image: ${metrics.test_mse_mean_image.toFixed(5)})`,
      ...sweep.map((p) => `  noise c=${String(p.scale).padEnd(6)} ${p.mse.toFixed(5)}   (${sweepKind}, test MSE against the clean images)`),
      `  time           ${trainS.toFixed(1)} s training, ${evalS.toFixed(1)} s evaluation, ${figuresS.toFixed(1)} s figures, ${timings.total_s.toFixed(1)} s in all`,
      `  report         ${reportPath}`,
      `  figures        ${run.path}/{${figures.files.join(',')}}`,
      `  files          ${run.path}/{config.json,events.jsonl,summary.json,model/,checkpoint/,arrays/}`,
    ],
    json: { run_id: run.id, path: run.path, status: 'completed', metrics, timings, report: reportPath, figures: figures.files.map((f) => run.file(f)) },
  });
}
