/**
 * Training a gan run: the GAN of the config on a dataset's images scaled to [−1, 1], one D step and
 * one G step per minibatch (src/gan/steps.ts), with checkpoints (both networks, both optimizers,
 * the RNG states, the epoch's running sums and the progress samples so far: a resumed run ends
 * with exactly the weights of an uninterrupted one) and events; after every epoch, the samples of
 * the fixed latent vectors as figures/samples-epoch-<k>.png; at the end, both networks under
 * model/, the samples and their judge's verdict under arrays/, the figures and report.html.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../../data/fetch.js';
import { getDataset } from '../../../data/registry.js';
import { saveGan } from '../../../gan/file.js';
import { Gan, describeGan, resolveGanOptions, type GanOptions, type ResolvedGanOptions } from '../../../gan/models.js';
import { ganQuality, judgeImages, type GanQuality, type JudgeVerdict } from '../../../gan/quality.js';
import { emptyEpochSums, ganSteps, type GanEpochSums } from '../../../gan/steps.js';
import { writeFileAtomic } from '../../../io/atomic.js';
import { readNpy, writeNpy } from '../../../io/npy.js';
import { stableSigmoid } from '../../../nn/bce-logits.js';
import { Adam } from '../../../optim/adam.js';
import { Rng, type RngState } from '../../../random.js';
import { Tensor } from '../../../tensor/tensor.js';
import { batchesPerEpoch } from '../../../train/batches.js';
import { moduleReader, moduleWriter, optimizerReader, optimizerWriter, readCheckpoint, writeCheckpoint, type StateWriter } from '../../checkpoint.js';
import { UsageError } from '../../errors.js';
import type { Training } from '../../kind.js';
import { checkNeeds, type Need } from '../../limits.js';
import { describeBackend, type TrainSession } from '../../session.js';
import type { GanConfig } from './config.js';
import { judgeRecord, openJudge, type Judge } from './judge.js';
import { gridLabels, sampleGridPng } from './samples.js';

/**
 * The generators a run draws from, forked in this order from its seed: the initial weights, the
 * shuffles, each step's z, D's dropout masks, the fixed latent vectors of the sample grids, the
 * judged samples (eval forks the same to judge the same samples).
 */
export function ganRngs(seed: number): { init: Rng; loop: Rng; z: Rng; dropout: Rng; fixed: Rng; quality: Rng } {
  const root = new Rng(seed);
  return { init: root.fork(), loop: root.fork(), z: root.fork(), dropout: root.fork(), fixed: root.fork(), quality: root.fork() };
}

/** The GAN options of a config for images [C, H, W] of a dataset with `classes` classes. */
export function ganOptionsOf(cfg: GanConfig, image: readonly [number, number, number], classes: number): GanOptions {
  return {
    arch: cfg.arch,
    image,
    latent: cfg.latent,
    classes: cfg.conditional ? classes : 0,
    gHidden: cfg.g_hidden,
    dHidden: cfg.d_hidden,
    gChannels: cfg.g_channels as [number, number],
    dChannels: cfg.d_channels as [number, number],
    dropout: cfg.dropout,
    init: cfg.init,
  };
}

/** The image [1, H, W] of a dataset's rows (grey images), or a usage error for rows that are not images. */
export function imageOf(dataset: string): [number, number, number] {
  const shape = getDataset(dataset).imageShape;
  if (shape === null) throw new UsageError(`train gan: ${dataset} rows are not images; a GAN here learns an image dataset (mnist, fashion-mnist, usps)`);
  return [1, shape[0], shape[1]];
}

/** Pixels in [0, 1] (the datasets' scale) as G's range [−1, 1]: 2x − 1 (a fresh tensor). */
export function toGanRange(x: Tensor): Tensor {
  const out = Tensor.zeros(x.shape);
  for (let i = 0; i < x.size; i++) out.data[i] = 2 * x.data[i] - 1;
  return out;
}

const F32 = 4;

/** Memory of both networks (parameters, gradients, Adam's moments), refused before they are allocated. */
function ganNeeds(o: ResolvedGanOptions, batch: number): Need[] {
  const [c, h, w] = o.image;
  const px = c * h * w;
  const dense = (sizes: number[]): number => sizes.slice(1).reduce((s, n, i) => s + (sizes[i] + 1) * n, 0);
  let params: number;
  let widest: number;
  if (o.arch === 'mlp') {
    const g = [o.latent + o.classes, ...o.gHidden, px];
    const d = [px + o.classes, ...o.dHidden, 1];
    params = dense(g) + dense(d);
    widest = Math.max(...g, ...d);
  } else {
    const [g0, g1] = o.gChannels;
    const [d0, d1] = o.dChannels;
    const q = (h / 4) * (w / 4);
    params = (o.latent + o.classes) * g0 * q + 16 * (g0 * g1 + g1 * c) + 16 * ((c + o.classes) * d0 + d0 * d1) + d1 * q;
    widest = Math.max(g0 * q, g1 * 4 * q, (c + o.classes) * h * w, d0 * 4 * q);
  }
  const flag = o.arch === 'mlp' ? '--g-hidden' : '--g-channels';
  const value = o.arch === 'mlp' ? o.gHidden : o.gChannels;
  return [
    { flag, value, what: `the ${o.arch} GAN's two networks (parameters, gradients and optimizer state)`, bytes: params * 4 * F32, largest: params },
    {
      flag: '--batch-size',
      value: batch,
      what: `a minibatch of ${batch} images through both networks`,
      bytes: batch * widest * 16 * F32,
      largest: batch * widest * 16,
    },
  ];
}

/** One network and its optimizer as a part of the checkpoint, in its own sub-folder (weights.safetensors + optimizer.safetensors). */
function networkWriter(name: string, net: Gan['generator'], opt: Adam): StateWriter {
  return (folder) => {
    const sub = join(folder, name);
    mkdirSync(sub, { recursive: true });
    moduleWriter(net)(sub);
    return optimizerWriter(opt)(sub);
  };
}

/** What a checkpoint's `extra` holds besides the parts. */
interface GanExtra {
  epoch_sums: GanEpochSums;
  /** The step log's running sums since its last record. */
  log_sums: GanEpochSums;
}

/** Mean σ(logit) of D's eval-mode logits. */
function meanProbability(logits: Float32Array): number {
  let s = 0;
  for (const v of logits) s += stableSigmoid(v);
  return s / logits.length;
}

export async function* trainGan(session: TrainSession<GanConfig>): Training {
  const { run, cfg, info } = session;
  const t0 = performance.now();
  const rngs = ganRngs(cfg.seed);
  const image = imageOf(cfg.dataset);
  const [, h, w] = image;
  const classNames = getDataset(cfg.dataset).classNames;
  const options = resolveGanOptions(ganOptionsOf(cfg, image, classNames.length), 'train gan');
  // The judge first: a wrong --judge is refused before the data are read.
  const judge: Judge | null =
    cfg.judge === undefined ? null : openJudge(cfg.judge, session.outRoot, { dataset: cfg.dataset, features: h * w, classes: classNames.length });
  const trainSplit = await loadDataset(cfg.dataset, { split: 'train', dataDir: cfg.data_dir, limit: cfg.limit });
  const testSplit = await loadDataset(cfg.dataset, { split: 'test', dataDir: cfg.data_dir, limit: cfg.test_limit });
  if (trainSplit.x.cols !== h * w) throw new UsageError(`train gan: ${cfg.dataset} rows have ${trainSplit.x.cols} values, not ${h}×${w} grey images`);
  checkNeeds(ganNeeds(options, cfg.batch_size), { base: (trainSplit.x.size + testSplit.x.size) * 2 * F32 });
  const x = toGanRange(trainSplit.x);
  const labels = options.classes > 0 ? trainSplit.labels : undefined;
  const loadS = (performance.now() - t0) / 1000;

  const gan = new Gan({ ...options, rng: rngs.init, dropoutRng: rngs.dropout });
  const [beta1, beta2] = cfg.betas;
  const optG = new Adam(gan.generator.parameters(), { lr: cfg.lr, beta1, beta2 });
  const optD = new Adam(gan.discriminator.parameters(), { lr: cfg.lr, beta1, beta2 });
  const perEpoch = batchesPerEpoch(x.rows, cfg.batch_size);
  const totalSteps = perEpoch * cfg.epochs;
  const architecture = describeGan(gan.options);
  const px = gan.imageSize;

  // The fixed latent vectors of the sample grids: the same every epoch (and on resume).
  const gridClasses = options.classes > 0 ? gridLabels(options.classes, cfg.grid_cols) : undefined;
  const gridCount = gridClasses?.length ?? cfg.grid_rows * cfg.grid_cols;
  const fixedZ = gan.sampleLatent(gridCount, rngs.fixed);
  const k = Math.min(cfg.progress_samples, gridCount);
  const progress: Float32Array[] = [];

  let startStep = 0;
  const loopStart = rngs.loop.state();
  let epochSums = emptyEpochSums();
  let logSums = emptyEpochSums();
  if (session.canResume) {
    const ck = readCheckpoint(run.file('checkpoint'));
    ck.read('generator', (folder, rec) => {
      moduleReader(gan.generator)(join(folder, 'generator'), undefined);
      optimizerReader(optG)(join(folder, 'generator'), rec);
    });
    ck.read('discriminator', (folder, rec) => {
      moduleReader(gan.discriminator)(join(folder, 'discriminator'), undefined);
      optimizerReader(optD)(join(folder, 'discriminator'), rec);
    });
    ck.read('progress', (folder) => {
      const a = readNpy(join(folder, 'progress.npy'));
      if (!(a.data instanceof Float32Array) || a.shape.length !== 3 || a.shape[1] !== k || a.shape[2] !== px)
        throw new TypeError(`checkpoint: expected progress.npy of shape [epochs, ${k}, ${px}] float32 in ${folder}`);
      for (let e = 0; e < a.shape[0]; e++) progress.push(a.data.slice(e * k * px, (e + 1) * k * px));
    });
    startStep = ck.step;
    rngs.z.setState(ck.rng.z);
    rngs.dropout.setState(ck.rng.dropout);
    const extra = ck.extra as unknown as GanExtra;
    epochSums = extra.epoch_sums;
    logSums = extra.log_sums;
  }
  const checkpoint = (step: number): void => {
    session.checkFiniteModel(gan.generator, step);
    session.checkFiniteModel(gan.discriminator, step);
    const rng: Record<string, RngState> = { loop: loopStart, z: rngs.z.state(), dropout: rngs.dropout.state() };
    const extra: GanExtra = { epoch_sums: { ...epochSums }, log_sums: { ...logSums } };
    writeCheckpoint(
      run.file('checkpoint'),
      { step, rng, extra: extra as unknown as Record<string, unknown> },
      {
        generator: networkWriter('generator', gan.generator, optG),
        discriminator: networkWriter('discriminator', gan.discriminator, optD),
        progress: (folder) => {
          const data = new Float32Array(progress.length * k * px);
          progress.forEach((p, e) => data.set(p, e * k * px));
          writeNpy(join(folder, 'progress.npy'), { dtype: 'f4', shape: [progress.length, k, px], data });
        },
      },
    );
  };

  const counts = gan.parameterCount();
  session.writeConfig({
    dataset: {
      name: cfg.dataset,
      source: trainSplit.source,
      train_rows: x.rows,
      test_rows: testSplit.x.rows,
      features: px,
      classes: classNames.length,
      image,
    },
    architecture,
    generator: gan.generator.toString(),
    discriminator: gan.discriminator.toString(),
    parameters: counts,
    ...(judge === null ? {} : { judge: judgeRecord(judge) }),
  });
  session.begin(startStep, totalSteps, { load_s: loadS });

  yield { type: 'notice', message: `run ${run.id} → ${run.path}` };
  yield {
    type: 'notice',
    message:
      `${cfg.dataset}: ${x.rows} training images (${trainSplit.source}), scaled to [−1, 1]; ${architecture}; ` +
      `${counts.generator} + ${counts.discriminator} parameters; Adam lr ${cfg.lr} β ${beta1}, ${beta2}, batch ${cfg.batch_size}, ${cfg.epochs} epochs; backend ${describeBackend(info)}`,
  };
  if (judge !== null)
    yield {
      type: 'notice',
      message: `judge: ${judge.kind} run ${judge.id}${judge.testAccuracy === null ? '' : ` (test accuracy ${(judge.testAccuracy * 100).toFixed(2)}%)`}`,
    };
  if (startStep > 0) yield { type: 'notice', message: `resuming at step ${startStep} of ${totalSteps}` };

  yield {
    type: 'progress',
    total: totalSteps,
    format: 'train gan |{bar}| {percentage}% {value}/{total} steps | epoch {epoch} | D {d} G {g} | ETA {eta_formatted}',
  };
  const tTrain = performance.now();
  let lastStep = startStep;
  session.step = startStep;
  const last = { dLoss: NaN, gLoss: NaN, dReal: NaN, dFake: NaN };
  for (const e of ganSteps({
    gan,
    optimizerG: optG,
    optimizerD: optD,
    x,
    labels,
    batchSize: cfg.batch_size,
    epochs: cfg.epochs,
    rng: rngs.loop,
    zRng: rngs.z,
    startStep,
    epochSums,
  })) {
    if (e.type === 'step') {
      lastStep = session.step = e.step + 1;
      session.checkFinite('D loss', e.dLoss, lastStep, 'try a lower --lr');
      session.checkFinite('G loss', e.gLoss, lastStep, 'try a lower --lr');
      logSums.steps++;
      logSums.dLoss += e.dLoss;
      logSums.gLoss += e.gLoss;
      logSums.dReal += e.dReal;
      logSums.dFake += e.dFake;
      yield { type: 'tick', value: lastStep, payload: { epoch: String(e.epoch + 1), d: e.dLoss.toFixed(3), g: e.gLoss.toFixed(3) } };
      if (lastStep % cfg.log_every === 0) {
        const n = logSums.steps;
        // Each record: the means over the steps since the previous one (a single step's losses are noisy).
        run.event({
          type: 'step',
          step: lastStep,
          epoch: e.epoch,
          d_loss: logSums.dLoss / n,
          g_loss: logSums.gLoss / n,
          d_real: logSums.dReal / n,
          d_fake: logSums.dFake / n,
          steps: n,
          ms: e.ms,
        });
        logSums = emptyEpochSums();
      }
      // On an epoch's last step, the checkpoint and the stop wait for the epoch's samples (below).
      if (lastStep % perEpoch === 0) continue;
      if (lastStep % cfg.checkpoint_every === 0 && lastStep < totalSteps) checkpoint(lastStep);
      if ((await session.poll()) !== null) break;
    } else {
      Object.assign(last, { dLoss: e.dLoss, gLoss: e.gLoss, dReal: e.dReal, dFake: e.dFake });
      // The fixed latent vectors through G as it is after this epoch.
      const samples = gan.generate(fixedZ, gridClasses);
      writeFileAtomic(run.file('figures', `samples-epoch-${e.epoch + 1}.png`), sampleGridPng(samples, [h, w], cfg.grid_cols));
      progress[e.epoch] = samples.data.slice(0, k * px);
      run.event({ type: 'epoch', step: e.step + 1, epoch: e.epoch, d_loss: e.dLoss, g_loss: e.gLoss, d_real: e.dReal, d_fake: e.dFake, ms: e.ms });
      yield {
        type: 'notice',
        message: `epoch ${e.epoch + 1}/${cfg.epochs}: D loss ${e.dLoss.toFixed(4)}, G loss ${e.gLoss.toFixed(4)}, D(x) ${e.dReal.toFixed(3)}, D(G(z)) ${e.dFake.toFixed(3)} (${(e.ms / 1000).toFixed(1)} s)`,
      };
      if (lastStep % cfg.checkpoint_every === 0 && lastStep < totalSteps) checkpoint(lastStep);
      if ((await session.poll()) !== null) break;
    }
  }
  yield { type: 'progress-end' };
  if (session.stopRequested !== null) {
    checkpoint(lastStep);
    return yield* session.interrupted(lastStep, { train_s: (performance.now() - tTrain) / 1000 });
  }
  const trainS = (performance.now() - tTrain) / 1000;

  // ---- evaluation, model and arrays --------------------------------------------------------
  const tEval = performance.now();
  session.checkFiniteModel(gan.generator, totalSteps);
  session.checkFiniteModel(gan.discriminator, totalSteps);
  // A resumed run that began after its last epoch ended has no epoch means of its own: the events have them.
  if (Number.isNaN(last.dLoss)) {
    const ep = run.events().filter((r) => r.type === 'epoch');
    const rec = ep[ep.length - 1] ?? {};
    Object.assign(last, { dLoss: Number(rec.d_loss), gLoss: Number(rec.g_loss), dReal: Number(rec.d_real), dFake: Number(rec.d_fake) });
  }
  const metrics: Record<string, number> = {
    d_loss: last.dLoss,
    g_loss: last.gLoss,
    d_real: last.dReal,
    d_fake: last.dFake,
    test_d_real: meanProbability(gan.discriminate(toGanRange(testSplit.x), options.classes > 0 ? testSplit.labels : undefined)),
  };
  saveGan(run.file('model'), gan, { kind: 'gan', dataset: cfg.dataset });
  const samples = gan.generate(fixedZ, gridClasses);
  writeNpy(run.file('arrays', 'fixed_z.npy'), { dtype: 'f4', shape: [fixedZ.rows, fixedZ.cols], data: fixedZ.data });
  if (gridClasses !== undefined) writeNpy(run.file('arrays', 'fixed_labels.npy'), { dtype: 'i4', shape: [gridClasses.length], data: gridClasses });
  writeNpy(run.file('arrays', 'samples.npy'), { dtype: 'f4', shape: [samples.rows, px], data: samples.data });
  const progressData = new Float32Array(progress.length * k * px);
  progress.forEach((p, e) => progressData.set(p, e * k * px));
  writeNpy(run.file('arrays', 'progress_samples.npy'), { dtype: 'f4', shape: [progress.length, k, px], data: progressData });

  let quality: GanQuality | null = null;
  let real: JudgeVerdict | null = null;
  if (judge !== null) {
    quality = ganQuality(gan, judge.model, { samples: cfg.judge_samples, rng: rngs.quality, threshold: cfg.judge_threshold });
    real = judgeImages(judge.model, testSplit.x, { threshold: cfg.judge_threshold, requested: testSplit.labels });
    Object.assign(metrics, qualityMetrics(quality, real, 'test_'));
    writeNpy(run.file('arrays', 'judge_predictions.npy'), { dtype: 'i4', shape: [quality.images], data: quality.predictions });
    writeNpy(run.file('arrays', 'judge_confidence.npy'), { dtype: 'f4', shape: [quality.images], data: quality.confidence });
    if (quality.requested !== null) writeNpy(run.file('arrays', 'judge_requested.npy'), { dtype: 'i4', shape: [quality.images], data: quality.requested });
  }
  const evalS = (performance.now() - tEval) / 1000;

  // ---- figures and report (vega loads only now) ---------------------------------------------
  const tFig = performance.now();
  const fig = await import('./figures.js');
  const figures = await fig.writeGanRunFigures(run, { gan, epochs: cfg.epochs, perEpoch, quality, classNames, gridCols: cfg.grid_cols, progressSamples: k });
  const figuresS = (performance.now() - tFig) / 1000;
  const timings = { load_s: loadS, train_s: trainS, eval_s: evalS, figures_s: figuresS, total_s: (performance.now() - t0) / 1000 };
  const reportPath = fig.writeGanRunReport(run, figures, {
    config: cfg,
    metrics,
    timings,
    status: 'completed',
    architecture,
    dataset: cfg.dataset,
    trainRows: x.rows,
    judge: judge === null ? null : judgeRecord(judge),
    quality,
    real,
    gan,
    classNames,
  });
  const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
  return session.finish({
    step: totalSteps,
    at: { step: totalSteps },
    metrics,
    timings,
    lines: [
      '',
      `run ${run.id} completed (${cfg.epochs} epochs, ${totalSteps} steps)`,
      `  last epoch     D loss ${metrics.d_loss.toFixed(4)}, G loss ${metrics.g_loss.toFixed(4)}; D(x) ${metrics.d_real.toFixed(3)}, D(G(z)) ${metrics.d_fake.toFixed(3)}`,
      ...(quality === null || real === null
        ? ['  judge          none (--judge <classifier run> scores the samples)']
        : [
            `  judge          ${pct(quality.confidentShare)} of ${quality.images} samples classified with p ≥ ${quality.threshold} (real test images: ${pct(real.confidentShare)})`,
            ...(quality.classMatch === null
              ? []
              : [`                 ${pct(quality.classMatch)} classified as the class asked for (the judge's test accuracy: ${pct(real.classMatch ?? NaN)})`]),
          ]),
      `  time           ${trainS.toFixed(1)} s training, ${evalS.toFixed(1)} s evaluation, ${figuresS.toFixed(1)} s figures, ${timings.total_s.toFixed(1)} s in all`,
      `  report         ${reportPath}`,
      `  figures        ${run.path}/figures/ (samples-epoch-1..${cfg.epochs}.png, ${figures.files.map((f) => f.replace(/^figures\//, '')).join(', ')})`,
      `  files          ${run.path}/{config.json,events.jsonl,summary.json,model/,checkpoint/,arrays/}`,
    ],
    json: { run_id: run.id, path: run.path, status: 'completed', metrics, timings, report: reportPath, figures: figures.files.map((f) => run.file(f)) },
  });
}

/**
 * The summary's judge metrics: on the generated samples `sample_confident_share`,
 * `sample_mean_confidence` and (conditional) `sample_class_match`; on real images of a split (its
 * `prefix`) `judge_confident_share` and `judge_accuracy`.
 */
export function qualityMetrics(q: GanQuality | null, real: JudgeVerdict | null, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  if (q !== null) {
    out.sample_confident_share = q.confidentShare;
    out.sample_mean_confidence = q.meanConfidence;
    if (q.classMatch !== null) out.sample_class_match = q.classMatch;
  }
  if (real !== null) {
    out[`${prefix}judge_confident_share`] = real.confidentShare;
    out[`${prefix}judge_accuracy`] = real.classMatch ?? NaN;
  }
  return out;
}
