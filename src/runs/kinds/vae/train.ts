/**
 * Training a vae run: the VAE of the config on a dataset's training split with checkpoints and
 * events (each epoch: the training means of the loss terms and the test negative ELBO), then the
 * test scores, the model, the arrays (μ and log σ² of every test image, its negative ELBO, the
 * reconstruction grid's images, prior samples, the manifold), the figures and report.html. On a
 * class subset (`classes`, `per_class`) it trains and is scored on those classes' rows only, their
 * labels renumbered 0..K−1, and arrays/train_indices.npy holds the training rows drawn (as `train
 * ae`). A resumed run ends with exactly the weights and metrics of an uninterrupted one.
 */
import { aeArchitecture } from '../../../ae/autoencoder.js';
import { loadDataset } from '../../../data/fetch.js';
import { takeRows } from '../../../data/transforms.js';
import { writeNpy } from '../../../io/npy.js';
import { buildOptimizer } from '../../../optim/registry.js';
import { Rng } from '../../../random.js';
import type { Tensor } from '../../../tensor/tensor.js';
import { manifoldCodes } from '../../../vae/manifold.js';
import { scoreOfRows, trainVaeSteps, vaeScore, type VaeScore } from '../../../vae/train.js';
import { VAE, type VaeConfig } from '../../../vae/vae.js';
import { saveVae } from '../../../vae/vae-file.js';
import { loadCheckpoint, saveCheckpoint } from '../../checkpoint.js';
import { UsageError } from '../../errors.js';
import type { Training } from '../../kind.js';
import { aeNeeds, checkNeeds } from '../../limits.js';
import { relay } from '../../relay.js';
import { describeBackend, type TrainSession } from '../../session.js';
import { imageOf } from '../ae/train.js';
import { keepClasses, keptLabel, keptNote, writeTrainIndices } from '../common.js';
import type { VaeRunConfig } from './config.js';

/** The VAE of a config on rows of `inputs` values (images [channels, height, width] for `conv`). */
export function buildVae(cfg: VaeRunConfig, inputs: number, rng: Rng, image?: readonly [number, number, number]): VAE {
  return new VAE({
    input: inputs,
    latent: cfg.latent,
    hidden: cfg.conv ? cfg.dense : cfg.hidden,
    activation: cfg.activation,
    loss: cfg.loss,
    init: cfg.init,
    ...(cfg.conv ? { architecture: 'conv' as const, image, filters: cfg.filters, kernel: cfg.kernel } : {}),
    rng,
  });
}

/** "784-512-256-2" (the encoder to z; the decoder mirrors it) or a conv encoder's line. */
export function vaeArchitecture(c: VaeConfig): string {
  if (c.conv === null) return [c.input, ...c.hidden, c.latent].join('-');
  return aeArchitecture({ ...c, latentActivation: 'identity', decoderHidden: [...c.hidden].reverse() });
}

/** The test scores as metrics, with the split's prefix ('' for the training split, 'test_'). */
export function scoreMetrics(prefix: string, s: VaeScore): Record<string, number> {
  return { [`${prefix}neg_elbo`]: s.negElbo, [`${prefix}reconstruction_loss`]: s.reconstruction, [`${prefix}kl`]: s.kl };
}

/** Mean squared error per value of the reconstructions decoder(μ(x)) (as `train ae`'s mse). */
export function reconstructionMseOf(vae: VAE, x: Tensor): number {
  const r = vae.reconstruct(x);
  let s = 0;
  for (let i = 0; i < r.size; i++) {
    const d = r.data[i] - x.data[i];
    s += d * d;
  }
  return s / r.size;
}

function checkUnitRange(dataset: string, x: Tensor): void {
  for (let i = 0; i < x.size; i++) {
    const v = x.data[i];
    if (!(v >= 0 && v <= 1))
      throw new UsageError(`train vae: --loss bce needs values in [0, 1] (each pixel's probability of ink), but ${dataset} has ${v}; use --loss mse`);
  }
}

/**
 * The generators of a run, forked in a fixed order from the seed, so a resumed run draws exactly
 * what the first one did: the initial weights, the training loop (shuffles and ε), the scores' ε
 * (every score starts from the same state: `eval RUN` gives the summary's numbers), the figures,
 * then a class subset's draw of training rows (last: a run without one draws what it did before
 * subsets existed).
 */
export function vaeRunRngs(seed: number): { init: Rng; loop: Rng; eval: Rng; figures: Rng; subset: Rng } {
  const root = new Rng(seed);
  return { init: root.fork(), loop: root.fork(), eval: root.fork(), figures: root.fork(), subset: root.fork() };
}

export async function* trainVae(session: TrainSession<VaeRunConfig>): Training {
  const { run, cfg, info } = session;
  const t0 = performance.now();
  const { init: initRng, loop: loopRng, eval: evalRng, figures: figureRng, subset: subsetRng } = vaeRunRngs(cfg.seed);
  const trainSplit = await loadDataset(cfg.dataset, { split: 'train', dataDir: cfg.data_dir, limit: cfg.limit });
  const testSplit = await loadDataset(cfg.dataset, { split: 'test', dataDir: cfg.data_dir, limit: cfg.test_limit });
  const subset =
    cfg.classes === undefined ? null : { train: keepClasses(trainSplit, cfg.classes, cfg.per_class, subsetRng), test: keepClasses(testSplit, cfg.classes) };
  const train = subset?.train ?? trainSplit;
  const test = subset?.test ?? testSplit;
  if (cfg.loss === 'bce') {
    checkUnitRange(cfg.dataset, train.x);
    checkUnitRange(cfg.dataset, test.x);
  }
  const loadS = (performance.now() - t0) / 1000;
  const loaded = trainSplit.x.size + testSplit.x.size + (subset === null ? 0 : train.x.size + test.x.size);
  let vae: VAE;
  if (cfg.conv) {
    vae = buildVae(cfg, train.x.cols, initRng, imageOf('train vae --conv', cfg.dataset, train.imageShape, train.x.cols));
  } else {
    // The encoder to 2p values (μ and log σ²) and the mirrored decoder weigh about what an autoencoder of that width does.
    checkNeeds(aeNeeds({ features: train.x.cols, hidden: cfg.hidden, latent: 2 * cfg.latent, batch: cfg.batch_size, rows: train.x.rows }), {
      base: loaded * 4,
    });
    vae = buildVae(cfg, train.x.cols, initRng);
  }
  const optimizer = buildOptimizer(cfg.optimizer, vae.parameters(), { lr: cfg.lr, momentum: cfg.momentum });
  const perEpoch = Math.ceil(train.x.rows / Math.min(cfg.batch_size, train.x.rows));
  const totalSteps = perEpoch * cfg.epochs;
  const architecture = vaeArchitecture(vae.options);

  let startStep = 0;
  if (session.canResume) {
    const st = loadCheckpoint(run.file('checkpoint'), vae, optimizer);
    startStep = st.step;
    loopRng.setState(st.rng.loop);
  }
  session.writeConfig({
    dataset: {
      name: cfg.dataset,
      source: train.source,
      train_rows: train.x.rows,
      test_rows: test.x.rows,
      features: train.x.cols,
      classes: train.classNames.length,
      ...keptNote(subset?.train ?? null),
    },
    architecture,
    model: vae.toString(),
    parameters: vae.parameterCount(),
  });
  const loopStart = loopRng.state();
  // Every test evaluation draws its ε from this same state: the epochs are compared on the same draws.
  const evalStart = evalRng.state();
  const datasetLabel = keptLabel(cfg.dataset, subset?.train ?? null);
  session.begin(startStep, totalSteps, { load_s: loadS });

  yield { type: 'notice', message: `run ${run.id} → ${run.path}` };
  yield {
    type: 'notice',
    message:
      `${datasetLabel}: ${train.x.rows} training / ${test.x.rows} test rows (${train.source}); VAE ${architecture} (μ, log σ²) ${cfg.activation}, ` +
      `sigmoid output, ${cfg.loss}${cfg.beta !== 1 ? `, β ${cfg.beta}` : ''}; ${vae.parameterCount()} parameters; ${cfg.optimizer} lr ${cfg.lr}, ` +
      `batch ${cfg.batch_size}, ${cfg.epochs} epochs; backend ${describeBackend(info)}`,
  };
  if (startStep > 0) yield { type: 'notice', message: `resuming at step ${startStep} of ${totalSteps}` };
  yield {
    type: 'progress',
    total: totalSteps,
    format: 'train vae |{bar}| {percentage}% {value}/{total} steps | epoch {epoch} | loss {loss} | ETA {eta_formatted}',
  };
  const tTrain = performance.now();
  let lastStep = startStep;
  session.step = startStep;
  const checkpoint = (step: number): void => {
    session.checkFiniteModel(vae, step);
    saveCheckpoint(run.file('checkpoint'), vae, optimizer, { step, rng: { loop: loopStart } });
  };
  const unit = cfg.loss === 'bce' ? 'nats' : '(squared error)';
  for (const e of trainVaeSteps({
    model: vae,
    optimizer,
    x: train.x,
    batchSize: cfg.batch_size,
    epochs: cfg.epochs,
    beta: cfg.beta,
    rng: loopRng,
    startStep,
    validation: { x: test.x, rng: Rng.fromState(evalStart), samples: cfg.eval_samples },
  })) {
    if (e.type === 'step') {
      lastStep = session.step = e.step + 1;
      session.checkFinite('loss', e.loss, lastStep);
      yield { type: 'tick', value: lastStep, payload: { epoch: String(e.epoch + 1), loss: e.loss.toFixed(2) } };
      if (lastStep % cfg.log_every === 0)
        run.event({ type: 'step', step: lastStep, epoch: e.epoch, loss: e.loss, reconstruction_loss: e.reconstruction, kl: e.kl, lr: e.lr, ms: e.ms });
      if (lastStep % cfg.checkpoint_every === 0 && lastStep < totalSteps) checkpoint(lastStep);
      if ((await session.poll()) !== null) break;
    } else {
      const v = e.validation;
      run.event({
        type: 'epoch',
        step: e.step + 1,
        epoch: e.epoch,
        loss: e.loss,
        neg_elbo: e.reconstruction + e.kl,
        reconstruction_loss: e.reconstruction,
        kl: e.kl,
        ...(v === undefined ? {} : scoreMetrics('test_', v)),
        lr: e.lr,
        ms: e.ms,
      });
      yield {
        type: 'notice',
        message:
          `epoch ${e.epoch + 1}/${cfg.epochs}: train −ELBO ${(e.reconstruction + e.kl).toFixed(2)} ${unit} (reconstruction ${e.reconstruction.toFixed(2)}, KL ${e.kl.toFixed(2)})` +
          (v === undefined ? '' : `, test −ELBO ${v.negElbo.toFixed(2)} (reconstruction ${v.reconstruction.toFixed(2)}, KL ${v.kl.toFixed(2)})`),
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
  const testRows = vae.negElbo(test.x, Rng.fromState(evalStart), cfg.eval_samples);
  const testScore: VaeScore = scoreOfRows(testRows);
  const metrics: Record<string, number> = {
    ...scoreMetrics('', vaeScore(vae, train.x, Rng.fromState(evalStart), cfg.eval_samples)),
    ...scoreMetrics('test_', testScore),
    test_mse: reconstructionMseOf(vae, test.x),
  };

  session.checkFiniteModel(vae, totalSteps);
  saveVae(run.file('model'), vae, { kind: 'vae', dataset: cfg.dataset });
  writeTrainIndices(run, subset?.train ?? null);
  const { mu, logvar } = vae.encode(test.x);
  const p = cfg.latent;
  const d = test.x.cols;
  writeNpy(run.file('arrays', 'test_codes.npy'), { dtype: 'f4', shape: [mu.rows, p], data: mu.data });
  writeNpy(run.file('arrays', 'test_logvar.npy'), { dtype: 'f4', shape: [logvar.rows, p], data: logvar.data });
  writeNpy(run.file('arrays', 'test_labels.npy'), { dtype: 'i4', shape: [test.labels.length], data: test.labels });
  writeNpy(run.file('arrays', 'test_neg_elbo.npy'), { dtype: 'f8', shape: [testRows.negElbo.length], data: testRows.negElbo });
  const idx = gridIndices(test.labels, Math.min(cfg.grid, test.x.rows), Math.max(1, test.classNames.length));
  const sample = takeRows(test.x, idx);
  const recon = vae.reconstruct(sample);
  writeNpy(run.file('arrays', 'test_sample_indices.npy'), { dtype: 'i4', shape: [idx.length], data: idx });
  writeNpy(run.file('arrays', 'test_sample.npy'), { dtype: 'f4', shape: [sample.rows, d], data: sample.data });
  writeNpy(run.file('arrays', 'test_reconstructions_sample.npy'), { dtype: 'f4', shape: [recon.rows, d], data: recon.data });
  const samples = vae.sample(cfg.sample_grid * cfg.sample_grid, figureRng.fork());
  writeNpy(run.file('arrays', 'samples.npy'), { dtype: 'f4', shape: [samples.rows, d], data: samples.data });
  const codes = manifoldCodes(p, cfg.manifold);
  const manifold = vae.decode(codes);
  writeNpy(run.file('arrays', 'manifold_codes.npy'), { dtype: 'f4', shape: [codes.rows, p], data: codes.data });
  writeNpy(run.file('arrays', 'manifold.npy'), { dtype: 'f4', shape: [manifold.rows, d], data: manifold.data });
  const evalS = (performance.now() - tEval) / 1000;

  // ---- figures and report (from the files just written) ------------------------------------
  const tFig = performance.now();
  let umapShown = false;
  const figures = yield* relay((emit) =>
    fig.writeVaeRunFigures(run, {
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
  const reportPath = fig.writeVaeRunReport(run, figures, {
    config: cfg,
    metrics,
    timings,
    status: 'completed',
    architecture,
    dataset: datasetLabel,
    trainRows: train.x.rows,
    testRows: test.x.rows,
  });
  const nats = cfg.loss === 'bce' ? ' nats per image' : ' per image';
  return session.finish({
    step: totalSteps,
    at: { step: totalSteps },
    metrics,
    timings,
    lines: [
      '',
      `run ${run.id} completed (${cfg.epochs} epochs, ${totalSteps} steps)`,
      `  test −ELBO     ${metrics.test_neg_elbo.toFixed(2)}${nats} = reconstruction ${metrics.test_reconstruction_loss.toFixed(2)} + KL ${metrics.test_kl.toFixed(2)}   (train ${metrics.neg_elbo.toFixed(2)})`,
      `  test MSE       ${metrics.test_mse.toFixed(5)}   (per pixel, decoder(μ))`,
      `  time           ${trainS.toFixed(1)} s training, ${evalS.toFixed(1)} s evaluation, ${figuresS.toFixed(1)} s figures, ${timings.total_s.toFixed(1)} s in all`,
      `  report         ${reportPath}`,
      `  figures        ${run.path}/{${figures.files.join(',')}}`,
      `  files          ${run.path}/{config.json,events.jsonl,summary.json,model/,checkpoint/,arrays/}`,
    ],
    json: { run_id: run.id, path: run.path, status: 'completed', metrics, timings, report: reportPath, figures: figures.files.map((f) => run.file(f)) },
  });
}
