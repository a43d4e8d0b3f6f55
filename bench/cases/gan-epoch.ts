/**
 * Case gan-epoch: an epoch of `latentlab train gan`'s default GAN — the config schema's defaults
 * (src/runs/kinds/gan/config.ts), built as the run kind builds it (`ganOptionsOf`, `ganRngs`, one
 * Adam per network with the config's lr and betas): the mlp GAN, G z(100) → 256 → 512 → 1024 → 784
 * (LeakyReLU 0.2, tanh output), D 784 → 512 → 256 → 1 (LeakyReLU 0.2, a logit); Adam lr 2e-4,
 * β 0.5/0.999 for both; batches of 64 real images (and 64 generated) — on the 60,000 MNIST
 * training images scaled to [−1, 1] (`toGanRange`) in a fresh shuffled order, by `ganSteps`: per
 * batch one D step and one G step with the non-saturating BCE-with-logits loss (src/gan/steps.ts).
 * Against the same networks and steps in the standard PyTorch loop (bench/peers/gan_torch.py:
 * randperm indexing, no DataLoader). Unit: ms per epoch; samples/s and GFLOP/s in detail.
 *
 * An epoch is 938 steps, about a minute on 2 shared cores for either side, so a round times the
 * first TIMED_STEPS steps of a fresh epoch (after the warm-up) and extrapolates to the epoch:
 * ms × steps per epoch / TIMED_STEPS, on both sides alike (the last batch of 32 rows is counted as
 * a full one: +0.05 %).
 *
 * The peer starts from our initial parameters (written as .npy), and on its first call of each
 * layout runs two steps on a fixed batch with fixed latent vectors from them, as we do: the first
 * step's three losses must agree within LOSS_RTOL, and both networks' parameter counts must be
 * equal. Each of the four thread/Adam layouts is probed with a short run, with glibc's malloc as it
 * is and with MALLOC_KEEP_ENV (see epoch-peer.ts), and the fastest of each set runs the timed rounds
 * (as cnn-epoch), three alternating with ours. The row's peer is the default-malloc one (as in
 * every other case); the malloc-keeping one is in detail.peer_malloc_keep.
 * Our side is probed likewise at 1 and 2 threads (probeOurThreads) and runs at the faster.
 */
import { join } from 'node:path';
import { Gan, describeGan, resolveGanOptions } from '../../src/gan/models.js';
import { GanTrainer, ganSteps } from '../../src/gan/steps.js';
import { npyFromTensor, writeNpy } from '../../src/io/npy.js';
import { Adam } from '../../src/optim/adam.js';
import { Rng } from '../../src/random.js';
import { ganConfigSchema } from '../../src/runs/kinds/gan/config.js';
import { ganOptionsOf, ganRngs, toGanRange } from '../../src/runs/kinds/gan/train.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { batchesPerEpoch } from '../../src/train/batches.js';
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
/** Steps timed per round, extrapolated to the epoch. */
const TIMED_STEPS = 300;
const IMAGE: [number, number, number] = [1, 28, 28];
/** `latentlab train gan`'s defaults. */
const CFG = ganConfigSchema.parse({});

/**
 * Multiply-adds of one step per row. G: each Linear forward, weight gradient, and input gradient
 * but for the first (z needs none). D runs three times (real batch, generated batch, then the
 * generated batch again for the G step through the updated D): three forwards and three weight
 * gradients per Linear, and its input gradient three times but for the first layer, which computes
 * it only in the G step (in the D step the real images and the detached G(z) need none; PyTorch's
 * neither). FLOPs of a step of B rows: 2·B·this.
 */
export function ganStepMacs(gan: Gan): number {
  const g = linearsOf([gan.generator]).reduce((s, l) => s + macs(l) * (l.inputGrad ? 3 : 2), 0);
  const d = linearsOf([gan.discriminator]).reduce((s, l, i) => s + macs(l) * (6 + (i === 0 ? 1 : 3)), 0);
  return g + d;
}

export const ganEpochCase: BenchCase = {
  name: 'gan-epoch',
  description: `one epoch of \`train gan\`'s default GAN (mlp G ${[CFG.latent, ...CFG.g_hidden, 784].join('-')}, D ${[784, ...CFG.d_hidden, 1].join('-')}, Adam lr ${CFG.lr}, batch ${CFG.batch_size}; ${TIMED_STEPS} steps timed) on 60,000 MNIST images vs the PyTorch loop`,
  async run(ctx) {
    const { x: raw } = await ctx.mnist('train');
    const x = toGanRange(raw);
    const xNpy = ctx.tmpPath('mnist-train-gan.npy');
    writeNpy(xNpy, npyFromTensor(x));
    const env = ctx.useNative();
    const cfg = CFG;
    const options = resolveGanOptions(ganOptionsOf(cfg, IMAGE, 10), 'gan-epoch');
    if (options.arch !== 'mlp' || options.classes !== 0)
      throw new Error(`gan-epoch: expected train gan's default to be the unconditional mlp, got ${describeGan(options)}`);
    const [beta1, beta2] = cfg.betas;
    const make = (): { gan: Gan; optG: Adam; optD: Adam; rngs: ReturnType<typeof ganRngs> } => {
      const rngs = ganRngs(SEED);
      const gan = new Gan({ ...options, rng: rngs.init, dropoutRng: rngs.dropout });
      const optG = new Adam(gan.generator.parameters(), { lr: cfg.lr, beta1, beta2 });
      const optD = new Adam(gan.discriminator.parameters(), { lr: cfg.lr, beta1, beta2 });
      return { gan, optG, optD, rngs };
    };
    const { gan, optG, optD, rngs } = make();
    const weights = ctx.tmpPath('gan-weights');
    writeParameters(join(weights, 'generator'), gan.generator.namedParameters());
    writeParameters(join(weights, 'discriminator'), gan.discriminator.namedParameters());

    // The check: two steps on the first batch with fixed z, from the same weights on both sides.
    const bs = cfg.batch_size;
    const checkX = x.sliceRows(0, bs);
    const checkZ = Tensor.zeros([bs, options.latent]);
    new Rng(SEED + 3).fillNormal(checkZ.data);
    const checkXNpy = ctx.tmpPath('gan-check-x.npy');
    const checkZNpy = ctx.tmpPath('gan-check-z.npy');
    writeNpy(checkXNpy, npyFromTensor(checkX));
    writeNpy(checkZNpy, npyFromTensor(checkZ));
    const twin = make();
    const twinTrainer = new GanTrainer(twin.gan, twin.optG, twin.optD);
    const check = [0, 1].map(() => {
      const { fake: _fake, ...r } = twinTrainer.step({ x: checkX, z: checkZ });
      return r;
    });

    const steps = (maxSteps: number): number => {
      let k = 0;
      let dLoss = 0;
      for (const e of ganSteps({ gan, optimizerG: optG, optimizerD: optD, x, batchSize: bs, epochs: 1, rng: rngs.loop, zRng: rngs.z })) {
        if (e.type !== 'step') continue;
        dLoss += e.dLoss;
        if (++k >= maxSteps) break;
      }
      return dLoss / k;
    };
    steps(WARMUP_STEPS);
    const ours = probeOurThreads(ctx, 'gan-epoch', steps);

    const perEpoch = batchesPerEpoch(x.rows, bs);
    const scale = perEpoch / TIMED_STEPS;
    const common = [
      '--data',
      xNpy,
      '--weights',
      weights,
      '--latent',
      String(options.latent),
      '--g-hidden',
      options.gHidden.join(','),
      '--d-hidden',
      options.dHidden.join(','),
      '--slope',
      String(options.slope),
      '--batch',
      String(bs),
      '--lr',
      String(cfg.lr),
      '--beta1',
      String(beta1),
      '--beta2',
      String(beta2),
    ];
    const params = gan.parameterCount();
    const probe = probePeer(ctx, {
      name: 'gan-epoch',
      script: 'gan_torch.py',
      args: common,
      probeArgs: ['--warmup-steps', String(PROBE_WARMUP), '--steps', String(PROBE_STEPS), '--check-x', checkXNpy, '--check-z', checkZNpy],
      check(out) {
        const p = out.parameters as { generator?: unknown; discriminator?: unknown };
        if (p.generator !== params.generator || p.discriminator !== params.discriminator)
          throw new Error(
            `gan-epoch: PyTorch's networks have ${String(p.generator)} + ${String(p.discriminator)} parameters, ours ${params.generator} + ${params.discriminator}`,
          );
        const [c0] = out.check as Record<string, number>[];
        checkLosses('gan-epoch', { d_loss_real: check[0].dLossReal, d_loss_fake: check[0].dLossFake, g_loss: check[0].gLoss }, c0);
      },
    });

    const dLosses: number[] = [];
    const peerDLosses: number[] = [];
    const r = alternateRounds(ctx, {
      name: 'gan-epoch',
      unit: 'ms',
      rounds: ROUNDS,
      ours: () => {
        const t0 = performance.now();
        dLosses.push(steps(TIMED_STEPS));
        return (performance.now() - t0) * scale;
      },
      script: 'gan_torch.py',
      args: () => [...common, '--warmup-steps', String(WARMUP_STEPS), '--steps', String(TIMED_STEPS)],
      configs: probe.chosen,
      value: (out) => {
        if (out.steps_per_call !== TIMED_STEPS) throw new Error(`gan-epoch: PyTorch timed ${String(out.steps_per_call)} steps, expected ${TIMED_STEPS}`);
        peerDLosses.push((out.means as Record<string, number>[])[0].d_loss);
        return (out.ms_median as number) * scale;
      },
    });
    const plain = peerSeries(r, probe.fastest);
    const keep = peerSeries(r, probe.fastestMallocKeep);
    const n = x.rows;
    const stepFlops = 2 * bs * ganStepMacs(gan);
    const flopsEpoch = 2 * n * ganStepMacs(gan);
    const gflops = (ms: number): number => (TIMED_STEPS * stepFlops) / (ms / scale) / 1e6;
    const peerCheck = (probe.first?.check ?? null) as Record<string, number>[] | null;
    ctx.log(
      `gan-epoch: latentlab ${(r.ours / 1000).toFixed(2)} s/epoch (${gflops(r.ours).toFixed(1)} GFLOP/s), PyTorch ${plain.median === null ? '—' : `${(plain.median / 1000).toFixed(2)} s/epoch (${gflops(plain.median).toFixed(1)} GFLOP/s)`}, ` +
        `${keep.median === null ? '—' : `${(keep.median / 1000).toFixed(2)} s/epoch (ratio ${String(keep.ratio?.toFixed(3))})`} with malloc keeping freed memory; ` +
        `first-step D loss ${check[0].dLoss.toFixed(6)} vs ${peerCheck === null ? '—' : peerCheck[0].d_loss.toFixed(6)}`,
    );
    return [
      {
        case: 'gan-epoch',
        unit: 'ms',
        ours: r.ours,
        peer: plain.median,
        peer_name: plain.median === null ? null : epochPeerName(r, probe.fastest),
        ratio: plain.ratio,
        env: { ...env, threads: ours.threads },
        detail: {
          threads_probes_ms_per_step: ours.probes,
          rows: n,
          batch: bs,
          steps_per_epoch: perEpoch,
          timed_steps: TIMED_STEPS,
          extrapolated: `ms of the first ${TIMED_STEPS} steps of an epoch × ${perEpoch}/${TIMED_STEPS}, both sides`,
          architecture: describeGan(gan.options),
          loss: 'non-saturating, BCE with logits: D BCE(D(x), 1) + BCE(D(G(z)), 0); G BCE(D(G(z)), 1) through the updated D',
          optimizer: `Adam lr ${cfg.lr}, betas ${beta1}/${beta2}, eps 1e-8, one per network`,
          parameters: params,
          gflop_per_step: stepFlops / 1e9,
          gflop_per_epoch: flopsEpoch / 1e9,
          gflops: gflops(r.ours),
          peer_gflops: plain.median === null ? null : gflops(plain.median),
          samples_per_s: (n / r.ours) * 1000,
          peer_samples_per_s: plain.median === null ? null : (n / plain.median) * 1000,
          check_steps: check,
          peer_check_steps: peerCheck,
          check_d_loss_rel_diff: peerCheck === null ? null : relDiff(check[0].dLoss, peerCheck[0].d_loss),
          check_g_loss_rel_diff: peerCheck === null ? null : relDiff(check[0].gLoss, peerCheck[0].g_loss),
          round_d_losses: dLosses,
          peer_round_d_losses: peerDLosses,
          rounds_ms: r.oursRounds,
          peer_rounds_ms: plain.rounds,
          round_ratios: plain.roundRatios,
          ...epochPeerDetail(r, probe, keep, gflops),
          peer_loop:
            'x[perm[i:i+64]] with perm = torch.randperm(n) per epoch, z = torch.randn, D step (two backward, one Adam step), G step through the updated D, six .item() per step; no DataLoader',
        },
      },
    ];
  },
};
