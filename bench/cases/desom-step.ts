/**
 * Case desom-step: one DESOM training step (seed 000, Algorithm 1) in float32, batch 256:
 * encoder 784-500-500-2000-10 and decoder 10-2000-500-500-784 (ReLU hidden, linear latent and
 * output, Glorot uniform), 64 prototypes on an 8×8 map, L = MSE + γ·Lsom with the assignment
 * weights w = exp(−δ(bmu,k)²/T²) computed from the same forward pass and held fixed, Adam.
 * Same work as bench/peers/desom_step_torch.py.
 */
import { Linear } from '../../src/nn/linear.js';
import { ReLU } from '../../src/nn/activation.js';
import type { Module } from '../../src/nn/module.js';
import { Parameter } from '../../src/nn/module.js';
import { MSELoss } from '../../src/nn/mse.js';
import { Sequential } from '../../src/nn/sequential.js';
import { Adam } from '../../src/optim/adam.js';
import { Rng } from '../../src/random.js';
import { argminRows, somLossBackward } from '../../src/som/som-loss.js';
import { backend } from '../../src/tensor/registry.js';
import { Tensor } from '../../src/tensor/tensor.js';

export const ENCODER = [784, 500, 500, 2000, 10];
export const MAP = [8, 8] as const;
export const GAMMA = 0.001;
export const T = 5;

function mlp(sizes: number[], rng: Rng, firstInputGrad: boolean): Sequential {
  const layers: Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i], sizes[i + 1], { rng, init: 'glorot_uniform', inputGrad: i > 0 || firstInputGrad }));
    if (i + 2 < sizes.length) layers.push(new ReLU());
  }
  return new Sequential(layers);
}

/** FLOPs of one step, counted as the peer counts them. */
export function desomStepFlops(batch: number): number {
  let f = 0;
  const layers: [number, number][] = [];
  for (let i = 0; i + 1 < ENCODER.length; i++) layers.push([ENCODER[i], ENCODER[i + 1]]);
  const dec = [...ENCODER].reverse();
  for (let i = 0; i + 1 < dec.length; i++) layers.push([dec[i], dec[i + 1]]);
  layers.forEach(([a, b], i) => {
    f += 2 * batch * a * b + (i === 0 ? 2 : 4) * batch * a * b;
  });
  return f + 2 * batch * 64 * 10 * 3;
}

export interface DesomStep {
  step(): { loss: number; lr: number; lsom: number };
  readonly flops: number;
}

export function makeDesomStep(batch = 256, seed = 0): DesomStep {
  const rng = new Rng(seed);
  const enc = mlp(ENCODER, rng, false);
  const dec = mlp([...ENCODER].reverse(), rng, true);
  const k = MAP[0] * MAP[1];
  const d = ENCODER[ENCODER.length - 1];
  const protos = new Parameter('prototypes', Tensor.zeros([k, d]));
  rng.fillUniform(protos.value.data, -1, 1);
  const x = Tensor.zeros([batch, ENCODER[0]]);
  rng.fillUniform(x.data, 0, 1);
  const opt = new Adam([...enc.parameters(), ...dec.parameters(), protos], { lr: 1e-3, eps: 1e-7 });
  const mse = new MSELoss();
  // Kernel table K_T(δ(a,b)) with δ the Manhattan distance on the map.
  const table = new Float32Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      const dd = Math.abs(Math.floor(a / MAP[1]) - Math.floor(b / MAP[1])) + Math.abs((a % MAP[1]) - (b % MAP[1]));
      table[a * k + b] = Math.exp(-(dd * dd) / (T * T));
    }
  }
  const dist = new Float32Array(batch * k);
  const w = new Float32Array(batch * k);
  const bmu = new Int32Array(batch);
  return {
    flops: desomStepFlops(batch),
    step() {
      const be = backend();
      opt.zeroGrad();
      const z = enc.forward(x);
      be.sqDistances(z.data, protos.value.data, batch, k, d, dist);
      argminRows(dist, batch, k, bmu);
      for (let i = 0; i < batch; i++) w.set(table.subarray(bmu[i] * k, (bmu[i] + 1) * k), i * k);
      const xhat = dec.forward(z);
      const loss = mse.forward(xhat, x);
      const dz = dec.backward(mse.backward());
      const lsom = somLossBackward(z.data, protos.value.data, w, dist, batch, k, d, GAMMA, dz.data, protos.grad.data);
      enc.backward(dz);
      opt.step();
      return { loss: loss + GAMMA * lsom, lsom, lr: opt.lr };
    },
  };
}
