/**
 * Case vae-epoch: one training epoch of `latentlab train vae`'s default model — the config schema's
 * defaults (src/runs/kinds/vae/config.ts), built by `buildVae` and its optimizer by `buildOptimizer`
 * as the run kind does: encoder Linear 784-512 ReLU, 512-256 ReLU, heads μ and log σ² Linear 256-2,
 * decoder 2-256 ReLU, 256-512 ReLU, 512-784 Sigmoid; loss per image BCE summed over the pixels + β·KL
 * (β 1), batch mean; Adam lr 1e-3; batches of 128 — on the 60,000 MNIST training images in a fresh
 * shuffled order, by `trainVaeSteps` (no held-out scoring), against the same VAE in the standard
 * PyTorch loop (bench/peers/vae_epoch_torch.py, which imports vae_mnist_torch.py's VAE: randperm
 * indexing, no DataLoader). Unit: ms per epoch; samples/s and GFLOP/s in detail.
 *
 * The peer starts from our initial parameters (written as .npy), and on its first call of each
 * layout runs two steps on a fixed batch with a fixed ε from them, as we do: the first step's loss
 * and reconstruction term must agree within LOSS_RTOL, and the parameter counts must be equal.
 * Each of the four thread/Adam layouts is probed with a short run, with glibc's malloc as it is and
 * with MALLOC_KEEP_ENV (see epoch-peer.ts), and the fastest of each set runs the timed rounds (as
 * cnn-epoch), three whole epochs alternating with ours. The row's peer is the default-malloc one
 * (as in every other case); the malloc-keeping one is in detail.peer_malloc_keep.
 * Our side is probed likewise at 1 and 2 threads (probeOurThreads) and runs at the faster.
 */
import { npyFromTensor, writeNpy } from '../../src/io/npy.js';
import { buildOptimizer } from '../../src/optim/registry.js';
import { Rng } from '../../src/random.js';
import { vaeConfigSchema } from '../../src/runs/kinds/vae/config.js';
import { buildVae, vaeArchitecture } from '../../src/runs/kinds/vae/train.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { trainVaeSteps } from '../../src/vae/train.js';
import type { VAE } from '../../src/vae/vae.js';
import { alternateRounds, type BenchCase } from '../common.js';
import {
  EPOCH_CASE,
  epochPeerDetail,
  epochPeerName,
  checkLosses,
  linearsOf,
  macs,
  peerSeries,
  probeOurThreads,
  probePeer,
  relDiff,
  writeParameters,
} from './epoch-peer.js';

const { rounds: ROUNDS, warmupSteps: WARMUP_STEPS, probeSteps: PROBE_STEPS, probeWarmup: PROBE_WARMUP, seed: SEED } = EPOCH_CASE;
/** `latentlab train vae`'s defaults. */
const CFG = vaeConfigSchema.parse({});

/**
 * Multiply-adds of one step per row: each Linear's in·out once forward, once for its weight
 * gradient and once for its input gradient unless it skips it (the encoder's first layer: x needs
 * no gradient, in PyTorch neither). FLOPs of a step of B rows: 2·B·this.
 */
export function vaeStepMacs(vae: VAE): number {
  return linearsOf([vae]).reduce((s, l) => s + macs(l) * (l.inputGrad ? 3 : 2), 0);
}

export const vaeEpochCase: BenchCase = {
  name: 'vae-epoch',
  description: `one epoch of \`train vae\`'s default VAE (784-${CFG.hidden.join('-')}-${CFG.latent}, ${CFG.loss} + KL, ${CFG.optimizer} lr ${CFG.lr}, batch ${CFG.batch_size}) on 60,000 MNIST images vs the PyTorch loop`,
  async run(ctx) {
    const { x, npy } = await ctx.mnist('train');
    const env = ctx.useNative();
    const cfg = CFG;
    const make = (): VAE => buildVae(cfg, x.cols, new Rng(SEED));
    const model = make();
    const optimizer = buildOptimizer(cfg.optimizer, model.parameters(), { lr: cfg.lr, momentum: cfg.momentum });
    const weights = ctx.tmpPath('vae-weights');
    writeParameters(weights, model.namedParameters());

    // The check: two steps on the first batch with a fixed ε, from the same weights on both sides.
    const checkX = x.sliceRows(0, cfg.batch_size);
    const eps = Tensor.zeros([cfg.batch_size, cfg.latent]);
    new Rng(SEED + 3).fillNormal(eps.data);
    const checkXNpy = ctx.tmpPath('vae-check-x.npy');
    const epsNpy = ctx.tmpPath('vae-check-eps.npy');
    writeNpy(checkXNpy, npyFromTensor(checkX));
    writeNpy(epsNpy, npyFromTensor(eps));
    const twin = make();
    const twinOpt = buildOptimizer(cfg.optimizer, twin.parameters(), { lr: cfg.lr, momentum: cfg.momentum });
    const check = [0, 1].map(() => {
      twinOpt.zeroGrad();
      const t = twin.forwardLoss(checkX, { eps, beta: cfg.beta });
      twin.backwardLoss();
      twinOpt.step();
      return t;
    });

    const rng = new Rng(SEED + 1);
    const epoch = (maxSteps = Infinity): number => {
      let steps = 0;
      let loss = NaN;
      for (const e of trainVaeSteps({ model, optimizer, x, batchSize: cfg.batch_size, epochs: 1, beta: cfg.beta, rng })) {
        if (e.type === 'epoch') loss = e.loss;
        else if (++steps >= maxSteps) break;
      }
      return loss;
    };
    epoch(WARMUP_STEPS);
    const ours = probeOurThreads(ctx, 'vae-epoch', epoch);

    const common = [
      '--data',
      npy,
      '--weights',
      weights,
      '--latent',
      String(cfg.latent),
      '--hidden',
      cfg.hidden.join(','),
      '--batch',
      String(cfg.batch_size),
      '--lr',
      String(cfg.lr),
      '--beta',
      String(cfg.beta),
    ];
    const params = model.parameterCount();
    const probe = probePeer(ctx, {
      name: 'vae-epoch',
      script: 'vae_epoch_torch.py',
      args: common,
      probeArgs: ['--warmup-steps', String(PROBE_WARMUP), '--steps', String(PROBE_STEPS), '--check-x', checkXNpy, '--check-eps', epsNpy],
      check(out) {
        if (out.parameters !== params) throw new Error(`vae-epoch: PyTorch's VAE has ${String(out.parameters)} parameters, ours ${params}`);
        const [c0] = out.check as Record<string, number>[];
        checkLosses('vae-epoch', { loss: check[0].loss, reconstruction: check[0].reconstruction }, c0);
      },
    });

    const losses: number[] = [];
    const peerLosses: number[] = [];
    const r = alternateRounds(ctx, {
      name: 'vae-epoch',
      unit: 'ms',
      rounds: ROUNDS,
      ours: () => {
        const t0 = performance.now();
        losses.push(epoch());
        return performance.now() - t0;
      },
      script: 'vae_epoch_torch.py',
      args: () => [...common, '--warmup-steps', String(WARMUP_STEPS), '--epochs', '1'],
      configs: probe.chosen,
      value: (out) => {
        peerLosses.push((out.means as Record<string, number>[])[0].loss); // the one timed epoch's mean loss
        return out.ms_median as number;
      },
    });
    const plain = peerSeries(r, probe.fastest);
    const keep = peerSeries(r, probe.fastestMallocKeep);
    const n = x.rows;
    const flopsEpoch = 2 * n * vaeStepMacs(model);
    const peerCheck = (probe.first?.check ?? null) as Record<string, number>[] | null;
    ctx.log(
      `vae-epoch: latentlab ${(r.ours / 1000).toFixed(2)} s/epoch (${(flopsEpoch / r.ours / 1e6).toFixed(1)} GFLOP/s), PyTorch ${plain.median === null ? '—' : `${(plain.median / 1000).toFixed(2)} s/epoch (${(flopsEpoch / plain.median / 1e6).toFixed(1)} GFLOP/s)`}, ` +
        `${keep.median === null ? '—' : `${(keep.median / 1000).toFixed(2)} s/epoch (ratio ${String(keep.ratio?.toFixed(3))})`} with malloc keeping freed memory; ` +
        `first-step loss ${check[0].loss.toFixed(4)} vs ${peerCheck === null ? '—' : peerCheck[0].loss.toFixed(4)}`,
    );
    return [
      {
        case: 'vae-epoch',
        unit: 'ms',
        ours: r.ours,
        peer: plain.median,
        peer_name: plain.median === null ? null : epochPeerName(r, probe.fastest),
        ratio: plain.ratio,
        env: { ...env, threads: ours.threads },
        detail: {
          threads_probes_ms_per_step: ours.probes,
          rows: n,
          batch: cfg.batch_size,
          steps_per_epoch: Math.ceil(n / cfg.batch_size),
          architecture: `${vaeArchitecture(model.options)}, decoder mirrored, ${cfg.activation} hidden, sigmoid output`,
          loss: `${cfg.loss} summed over the pixels + ${cfg.beta}·KL, batch mean`,
          optimizer: `${cfg.optimizer} lr ${cfg.lr}, betas 0.9/0.999, eps 1e-8`,
          parameters: params,
          gflop_per_epoch: flopsEpoch / 1e9,
          gflops: flopsEpoch / r.ours / 1e6,
          peer_gflops: plain.median === null ? null : flopsEpoch / plain.median / 1e6,
          samples_per_s: (n / r.ours) * 1000,
          peer_samples_per_s: plain.median === null ? null : (n / plain.median) * 1000,
          check_losses: check,
          peer_check_losses: peerCheck,
          check_loss_rel_diff: peerCheck === null ? null : relDiff(check[0].loss, peerCheck[0].loss),
          epoch_losses: losses,
          peer_epoch_losses: peerLosses,
          rounds_ms: r.oursRounds,
          peer_rounds_ms: plain.rounds,
          round_ratios: plain.roundRatios,
          ...epochPeerDetail(r, probe, keep, (ms: number): number => flopsEpoch / ms / 1e6),
          peer_loop:
            'x[perm[i:i+128]] with perm = torch.randperm(n) per epoch, VAE.terms, (rec + β·kl).mean(), zero_grad(set_to_none=True), backward, Adam step, three .item() per step; no DataLoader',
        },
      },
    ];
  },
};
