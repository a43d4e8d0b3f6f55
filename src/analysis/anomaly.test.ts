import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Autoencoder } from '../ae/autoencoder.js';
import { trainAutoencoder } from '../ae/train.js';
import { DESOM } from '../desom/model.js';
import { Adam } from '../optim/adam.js';
import { Rng } from '../random.js';
import { SOM } from '../som/som.js';
import { Topology } from '../som/topology.js';
import { Tensor } from '../tensor/tensor.js';
import { VAE } from '../vae/vae.js';
import { anomalyMetrics, anomalyScores, anomalyScoresFor, heldOutRows, topAnomalies } from './anomaly.js';

function randomRows(rng: Rng, n: number, d: number): Tensor {
  return new Tensor(
    Float32Array.from({ length: n * d }, () => rng.uniform()),
    [n, d],
  );
}

test("an autoencoder's score is each row's reconstruction MSE, the same in any batch size, in eval mode", () => {
  const rng = new Rng(1);
  const ae = new Autoencoder({ input: 6, hidden: [5], latent: 2, rng });
  const x = randomRows(rng, 11, 6);
  const r = ae.reconstruct(x);
  const expected = Array.from({ length: 11 }, (_, i) => {
    let s = 0;
    for (let j = 0; j < 6; j++) s += (r.data[i * 6 + j] - x.data[i * 6 + j]) ** 2;
    return s / 6;
  });
  ae.train(true);
  const scores = anomalyScores(ae, x);
  assert.ok(ae.training, 'the training mode is restored');
  assert.deepEqual([...scores], expected);
  assert.deepEqual([...anomalyScores(ae, x, { score: 'mse', batchSize: 4 })], expected, 'batches of 4 rows: the same numbers');
  assert.deepEqual(anomalyScoresFor(ae), ['mse']);
  // A DESOM scores through its autoencoder.
  const desom = new DESOM(ae, new SOM(new Topology({ rows: 2, cols: 2 }), Tensor.zeros([4, 2])));
  assert.deepEqual([...anomalyScores(desom, x)], expected);
});

test("a VAE's scores: the negative ELBO (default) and its reconstruction term from the rng's draws, and the MSE of decoder(μ(x))", () => {
  const rng = new Rng(2);
  const vae = new VAE({ input: 5, hidden: [4], latent: 2, rng });
  const x = randomRows(rng, 9, 5);
  const terms = vae.negElbo(x, new Rng(7), 3);
  assert.deepEqual([...anomalyScores(vae, x, { rng: new Rng(7), samples: 3 })], [...terms.negElbo]);
  assert.deepEqual(
    [...anomalyScores(vae, x, { score: 'reconstruction', rng: new Rng(7), samples: 3, batchSize: 2 })],
    [...vae.negElbo(x, new Rng(7), 3, 2).reconstruction],
  );
  assert.deepEqual(
    [...anomalyScores(vae, x, { score: 'neg_elbo', rng: new Rng(7), samples: 3 })],
    [...anomalyScores(vae, x, { rng: new Rng(7), samples: 3 })],
    'seeded',
  );
  const r = vae.reconstruct(x);
  const mse = anomalyScores(vae, x, { score: 'mse' });
  for (let i = 0; i < 9; i++) {
    let s = 0;
    for (let j = 0; j < 5; j++) s += (r.data[i * 5 + j] - x.data[i * 5 + j]) ** 2;
    assert.equal(mse[i], s / 5);
  }
  assert.deepEqual(anomalyScoresFor(vae), ['neg_elbo', 'reconstruction', 'mse']);
});

test('an autoencoder fitted on points near a line scores points off the line higher: AUROC near 1', () => {
  // Normal rows: t·(1, 2, −1, 0.5) + small noise; anomalies: the same plus a step of 0.5 to 1 off the line, either side.
  const rng = new Rng(5);
  const dir = [1, 2, -1, 0.5];
  const rows = (n: number, off: number): Tensor => {
    const data = new Float32Array(n * 4);
    for (let i = 0; i < n; i++) {
      const t = rng.uniform(-1, 1);
      const side = (rng.uniform() < 0.5 ? -1 : 1) * rng.uniform(0.5, 1);
      for (let j = 0; j < 4; j++) data[i * 4 + j] = t * dir[j] + 0.02 * rng.normal() + off * side * (j === 3 ? 1 : j === 0 ? -0.5 : 0);
    }
    return new Tensor(data, [n, 4]);
  };
  const ae = new Autoencoder({ input: 4, hidden: [8], latent: 1, outputActivation: 'identity', rng: new Rng(6) });
  trainAutoencoder({ model: ae, optimizer: new Adam(ae.parameters(), { lr: 0.01 }), x: rows(200, 0), batchSize: 20, epochs: 60, rng: new Rng(7) });
  const test = Tensor.fromRows([...rows(60, 0).toRows(), ...rows(20, 1).toRows()]);
  const labels = Int32Array.from({ length: 80 }, (_, i) => (i < 60 ? 0 : 1));
  const held = heldOutRows(labels, [0], [1]);
  const m = anomalyMetrics(anomalyScores(ae, test), held);
  assert.ok(m.auroc > 0.95, `AUROC ${m.auroc}`);
  assert.ok(m.perClass[1].mean > 5 * m.perClass[0].mean, `mean scores ${m.perClass[0].mean} (normal) vs ${m.perClass[1].mean} (anomalous)`);
});

test('heldOutRows keeps the named classes and marks the anomalous ones; anomalyMetrics and topAnomalies by hand', () => {
  const labels = [3, 4, 0, 4, 7, 3, 9];
  const held = heldOutRows(labels, [0, 3], [4]);
  assert.deepEqual([...held.indices], [0, 1, 2, 3, 5]);
  assert.deepEqual([...held.labels], [3, 4, 0, 4, 3]);
  assert.deepEqual([...held.target], [0, 1, 0, 1, 0]);
  // Scores: normal 0.1 (3), 0.2 (0), 0.5 (3); anomalous 0.4, 0.9 → pairs won: 0.4 > 0.1, 0.2; 0.9 > all three → 5/6.
  const m = anomalyMetrics([0.1, 0.4, 0.2, 0.9, 0.5], held);
  assert.ok(Math.abs(m.auroc - 5 / 6) < 1e-15);
  // Decreasing: 0.9 (+), 0.5, 0.4 (+), 0.2, 0.1 → AP = ½·1 + ½·⅔ = ⅚.
  assert.ok(Math.abs(m.averagePrecision - 5 / 6) < 1e-15);
  assert.equal(m.normal, 3);
  assert.equal(m.anomalous, 2);
  assert.deepEqual(
    m.perClass.map((c) => [c.label, c.rows, Number(c.mean.toFixed(12)), c.median, c.anomalous]),
    [
      [0, 1, 0.2, 0.2, false],
      [3, 2, 0.3, 0.3, false],
      [4, 2, 0.65, 0.65, true],
    ],
  );
  assert.deepEqual([...topAnomalies([0.1, 0.4, 0.2, 0.9, 0.4], 3)], [3, 1, 4]);
  assert.deepEqual([...topAnomalies([0.1], 5)], [0]);
});

test('bad input: the function, the value and what was expected', () => {
  const rng = new Rng(3);
  const ae = new Autoencoder({ input: 4, hidden: [3], latent: 2, rng });
  const vae = new VAE({ input: 4, hidden: [3], latent: 2, rng });
  const x = randomRows(rng, 3, 4);
  assert.throws(
    () => anomalyScores(ae, x, { score: 'neg_elbo' }),
    /anomalyScores: score neg_elbo needs a VAE \(the evidence lower bound\); a Autoencoder gives mse/,
  );
  assert.throws(() => anomalyScores(ae, x, { score: 'l1' as never }), /anomalyScores: expected score to be one of mse, neg_elbo, reconstruction, got l1/);
  assert.throws(() => anomalyScores(vae, x), /anomalyScores: score neg_elbo draws z ~ q\(z\|x\) and needs an rng, got undefined/);
  assert.throws(() => anomalyScores(vae, x, { rng, samples: 0 }), /anomalyScores: expected samples to be a positive integer, got 0/);
  assert.throws(() => anomalyScores(ae, randomRows(rng, 2, 5)), /anomalyScores: expected 4 input features, got 5/);
  assert.throws(() => anomalyScores({} as never, x), /anomalyScores: expected an Autoencoder, a VAE or a DESOM, got Object/);
  assert.throws(() => heldOutRows([0, 1, 2], [0, 1], [1]), /heldOutRows: expected normal and anomalous classes to be disjoint, got 1 in both/);
  assert.throws(() => heldOutRows([0, 1, 2], [0], [5]), /heldOutRows: expected rows of every class named, got none of class 5 among the 3 labels/);
  assert.throws(() => heldOutRows([0, 1], [], [1]), /heldOutRows: expected at least one normal class, got \[\]/);
  assert.throws(() => anomalyMetrics([1, 2], heldOutRows([0, 1, 1], [0], [1])), /anomalyMetrics: expected one score per row \(3\), got 2/);
});
