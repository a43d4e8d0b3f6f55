import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applicableConfig, mapAccuracyNote, metricLabel, omittedConfigNote, pairMetrics, timingLabel } from './labels.js';

test('metricLabel turns summary.json keys into words, test_ prefix and noise sweep included', () => {
  assert.equal(metricLabel('test_mse_mean_image'), 'test MSE of the mean image');
  assert.equal(metricLabel('nmi_geometric'), 'NMI (geometric)');
  assert.equal(metricLabel('test_nmi_geometric'), 'test NMI (geometric)');
  assert.equal(metricLabel('qe'), 'quantization error');
  assert.equal(metricLabel('te'), 'topographic error');
  assert.equal(metricLabel('test_accuracy'), 'test accuracy');
  assert.equal(metricLabel('prototype_kmeans_accuracy'), 'accuracy (k-means on prototypes)');
  assert.equal(metricLabel('test_mse_noise_0.3'), 'test MSE, noise c = 0.3');
  assert.equal(metricLabel('some_new_metric'), 'some new metric');
  assert.equal(metricLabel('test_judge_accuracy'), 'test judge accuracy');
  assert.equal(metricLabel('d_fake'), 'D(G(z)), mean on generated images');
});

test('timingLabel names the phases, with seconds as the unit', () => {
  assert.equal(timingLabel('load_s'), 'loading (s)');
  assert.equal(timingLabel('train_s'), 'training (s)');
  assert.equal(timingLabel('periodic_eval_s'), 'periodic evaluation (s)');
  assert.equal(timingLabel('umap_fit_s'), 'umap fit (s)');
});

test('pairMetrics puts x and test_x on one row, in order of first appearance', () => {
  assert.deepEqual(pairMetrics(['accuracy', 'loss', 'test_accuracy', 'test_loss', 'test_mse_mean_image']), [
    { label: 'accuracy', key: 'accuracy', testKey: 'test_accuracy' },
    { label: 'cross-entropy loss', key: 'loss', testKey: 'test_loss' },
    { label: 'MSE of the mean image', key: null, testKey: 'test_mse_mean_image' },
  ]);
});

test('applicableConfig leaves out the keys that do not apply to a run’s settings', () => {
  const mlp = applicableConfig('mlp', { optimizer: 'adam', lr: 0.003, momentum: 0.9, limit: undefined });
  assert.deepEqual(mlp, { shown: { optimizer: 'adam', lr: 0.003 }, omitted: ['momentum'] });
  assert.deepEqual(applicableConfig('mlp', { optimizer: 'sgd', momentum: 0.9 }).omitted, []);
  assert.deepEqual(
    applicableConfig('ae', { optimizer: 'adamw', momentum: 0.9, noise: 'none', noise_scale: 0.2, latent: 2, umap_sample: 2000, umap_epochs: 200 }).omitted,
    ['momentum', 'noise_scale', 'umap_sample', 'umap_epochs'],
  );
  assert.deepEqual(
    applicableConfig('ae', { optimizer: 'rmsprop', momentum: 0.9, noise: 'gaussian', noise_scale: 0.2, latent: 10, umap_sample: 2000 }).omitted,
    [],
  );
  assert.deepEqual(applicableConfig('som', { algorithm: 'batch', lr: 0.5, lr_final: 0.01, lr_decay: 'linear', t_max: 4 }), {
    shown: { algorithm: 'batch', t_max: 4 },
    omitted: ['lr', 'lr_final', 'lr_decay'],
  });
  assert.deepEqual(applicableConfig('som', { algorithm: 'gradient', lr: 0.001, lr_final: 0.01, batch_size: 256, optimizer: 'adam' }).omitted, ['lr_final']);
  assert.deepEqual(applicableConfig('desom', { prototype_init: 'encoded_samples', som_init_epochs: 10 }).omitted, ['som_init_epochs']);
  assert.deepEqual(applicableConfig('desom', { prototype_init: 'som', som_init_epochs: 10 }).omitted, []);
  const gan = { arch: 'dcgan', g_hidden: [256], d_hidden: [512], g_channels: [64, 32], d_channels: [32, 64], judge_samples: 10000, judge_threshold: 0.9 };
  assert.deepEqual(applicableConfig('gan', gan).omitted, ['g_hidden', 'd_hidden', 'judge_samples', 'judge_threshold']);
  assert.deepEqual(applicableConfig('gan', { ...gan, arch: 'mlp', judge: 'judge-cnn' }).omitted, ['g_channels', 'd_channels']);
  assert.deepEqual(applicableConfig('unknown-kind', { a: 1 }), { shown: { a: 1 }, omitted: [] });
  assert.equal(omittedConfigNote([]), '');
  assert.match(omittedConfigNote(['momentum']), /^Not shown because it does not apply to these settings: momentum \(config\.json has every key\)\.$/);
});

test('mapAccuracyNote explains a Hungarian accuracy far below purity, only when cells outnumber classes', () => {
  const note = mapAccuracyNote({ cells: 64, classes: 10, metrics: { purity: 0.85, accuracy: 0.31, prototype_kmeans_accuracy: 0.62 } });
  assert.ok(note !== null);
  assert.match(note, /here 0\.31 against a purity of 0\.85/);
  assert.match(note, /64 cells one-to-one to the 10 classes \(Hungarian algorithm\), so at most 10 cells count/);
  assert.match(note, /other 54 count as errors/);
  assert.match(note, /0\.62, first groups the prototypes into 10 clusters/);
  assert.equal(mapAccuracyNote({ cells: 10, classes: 10, metrics: { purity: 0.6, accuracy: 0.55 } }), null);
  assert.equal(mapAccuracyNote({ cells: 64, classes: 10, metrics: { purity: 0.6 } }), null);
  assert.match(mapAccuracyNote({ cells: 20, classes: 10, metrics: { test_purity: 0.6, test_accuracy: 0.4 }, unit: 'clusters' })!, /20 clusters one-to-one/);
});
